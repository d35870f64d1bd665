"""What every HTML report must satisfy, parsed with the standard library: each section has
numbers, no `nan` anywhere in the text, every figure is embedded, every linked file exists."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.sections: list[dict] = []     # id, text
        self.images: list[str] = []
        self.links: list[str] = []
        self.ids: set[str] = set()
        self._depth = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "section":
            self._depth += 1
            if self._depth == 1:
                self.sections.append({"id": attrs.get("id", ""), "text": ""})
        elif tag == "img":
            self.images.append(attrs.get("src", ""))
        elif tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])

    def handle_endtag(self, tag):
        if tag == "section":
            self._depth -= 1

    def handle_data(self, data):
        if self._depth and self.sections:
            self.sections[-1]["text"] += data


def problems(report: Path) -> list[str]:
    """Everything wrong with ``report`` (an HTML file); empty when it is sound."""
    parser = _Collect()
    text = report.read_text()
    parser.feed(text)
    found = []
    if not parser.sections:
        found.append("no sections")
    for section in parser.sections:
        if not re.search(r"\d", section["text"]):
            found.append(f"section {section['id']} has no numbers")
        if re.search(r"\bnan\b", section["text"], re.IGNORECASE):
            found.append(f"section {section['id']} shows nan")
    for src in parser.images:
        if not src.startswith("data:image/png;base64,") or len(src) < 1000:
            found.append(f"figure not embedded: {src[:80]}")
    for href in parser.links:
        if href.startswith("#"):
            if href[1:] not in parser.ids:
                found.append(f"contents link to a missing section: {href}")
        elif not re.match(r"^[a-z]+:", href) and not (report.parent / href).exists():
            found.append(f"linked file missing: {href}")
    if "figure missing" in text:
        found.append("a referenced figure file is missing")
    return found
