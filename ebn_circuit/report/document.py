"""The report as data: sections of text, tables and figures, rendered by markdown.py and html.py."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

_HEADING = re.compile(r"^(#+)(\s)", re.MULTILINE)
_IMAGE_OR_LINK = re.compile(r"(!?\[[^\]]*\]\()([^)\s]+)(\))")


@dataclass
class Text:
    """Markdown written by a stage; its headings nest under the section, its relative links and
    images point from ``base`` (a folder of the report's folder)."""

    markdown: str
    base: str = ""

    def nested(self, level: int) -> str:
        """The text with its top heading at ``level`` and links relative to the report's folder."""
        depths = [len(m.group(1)) for m in _HEADING.finditer(self.markdown)]
        shift = level - min(depths) if depths else 0
        text = _HEADING.sub(lambda m: "#" * max(1, min(6, len(m.group(1)) + shift)) + m.group(2), self.markdown)
        if self.base:
            text = _IMAGE_OR_LINK.sub(lambda m: m.group(1) + _rebase(self.base, m.group(2)) + m.group(3), text)
        return text


def _rebase(base: str, target: str) -> str:
    if re.match(r"^[a-z]+:|^#|^/", target):
        return target
    return f"{base.rstrip('/')}/{target}"


@dataclass
class Table:
    """A table a stage wrote (``source``: its CSV, relative to the report's folder)."""

    frame: pd.DataFrame
    caption: str = ""
    source: str | None = None
    as_is: bool = False     # cells are already text (no unit conversion)


@dataclass
class Figure:
    """A figure file (PNG, relative to the report's folder; a PDF beside it is linked)."""

    path: str
    caption: str = ""


@dataclass
class Section:
    title: str
    level: int = 2
    blocks: list = field(default_factory=list)
    seconds: float | None = None

    @property
    def anchor(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.title.lower()).strip("-")

    def text(self, markdown: str, base: str = "") -> "Section":
        self.blocks.append(Text(markdown, base))
        return self

    def table(self, frame: pd.DataFrame, caption: str = "", source: str | None = None, as_is: bool = False) -> "Section":
        self.blocks.append(Table(frame, caption, source, as_is))
        return self

    def figure(self, path: str, caption: str = "") -> "Section":
        self.blocks.append(Figure(path, caption))
        return self

    def subsection(self, title: str) -> "Section":
        child = Section(title, self.level + 1)
        self.blocks.append(child)
        return child

    def figures(self) -> list[Figure]:
        found = []
        for block in self.blocks:
            found += block.figures() if isinstance(block, Section) else [block] if isinstance(block, Figure) else []
        return found


@dataclass
class Report:
    """Title, facts about the run (versions, settings), a pass/fail summary, then the sections."""

    title: str
    folder: Path
    facts: dict[str, str] = field(default_factory=dict)
    specs: list[tuple[str, str, pd.DataFrame, str]] = field(default_factory=list)  # title, verdict, rows, CSV
    sections: list[Section] = field(default_factory=list)

    def section(self, title: str) -> Section:
        self.sections.append(Section(title))
        return self.sections[-1]

    def add_specs(self, title: str, verdict: str, rows: pd.DataFrame, source: str) -> None:
        """One verification's pass/fail rows (text cells) for the summary at the top."""
        self.specs.append((title, verdict, rows, source))

    def failed_specs(self) -> int:
        return sum(not verdict.startswith("PASS") for _, verdict, _, _ in self.specs)

    def write(self, stem: str = "report") -> tuple[Path, Path]:
        """``stem``.md and ``stem``.html in the report's folder."""
        from ebn_circuit.report.html import render_html
        from ebn_circuit.report.markdown import render_markdown

        self.folder.mkdir(parents=True, exist_ok=True)
        md, html = self.folder / f"{stem}.md", self.folder / f"{stem}.html"
        md.write_text(render_markdown(self))
        html.write_text(render_html(self))
        return md, html
