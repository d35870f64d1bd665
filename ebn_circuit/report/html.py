"""The report as one self-contained HTML page: figures inline (base64 PNG), tables rendered in
engineering units, a contents list, each table linked to the CSV it came from."""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

import markdown as markdown_lib

from ebn_circuit.report.document import Figure, Report, Section, Table, Text
from ebn_circuit.report.markdown import table_cells

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;
color:#222;line-height:1.45}
h1{border-bottom:2px solid #444}h2{border-bottom:1px solid #bbb;margin-top:2em}
table{border-collapse:collapse;margin:.6em 0 1.2em;font-size:.9em}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right}th{background:#f2f2f2}
td:first-child,th:first-child{text-align:left}
caption{caption-side:top;text-align:left;font-style:italic;padding:.2em 0}
td.fail{background:#fdd;font-weight:bold}td.pass{background:#dfd}td.na{color:#777}
figure{margin:1em 0}figure img{max-width:100%;border:1px solid #eee}figcaption{font-size:.9em;color:#444}
nav ol{columns:2}code{background:#f5f5f5;padding:0 .2em}.facts li{margin:.1em 0}
"""


def _embedded(folder: Path, target: str) -> str | None:
    path = (folder / target)
    if path.suffix.lower() == ".png" and path.is_file():
        return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")
    return None


def _cell_class(text: str) -> str:
    low = text.lower().strip("* ")
    return ' class="fail"' if low == "fail" else ' class="pass"' if low == "pass" else \
        ' class="na"' if low.startswith("n/a") else ""


def _table(headers: list[str], rows: list[list[str]], caption: str = "") -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td{_cell_class(str(c))}>{html.escape(str(c))}</td>" for c in row) + "</tr>"
                   for row in rows)
    return f"<table>{f'<caption>{caption}</caption>' if caption else ''}<thead><tr>{head}</tr></thead>" \
           f"<tbody>{body}</tbody></table>"


def _text(folder: Path, markdown_text: str) -> str:
    rendered = markdown_lib.markdown(markdown_text, extensions=["tables", "fenced_code"])

    def inline(match):
        data = _embedded(folder, html.unescape(match.group(2)))
        return match.group(1) + (data or match.group(2)) + match.group(3)

    return re.sub(r'(<img[^>]*\bsrc=")([^"]+)(")', inline, rendered)


def _block(folder: Path, block, level: int) -> str:
    if isinstance(block, Section):
        return _section(folder, block)
    if isinstance(block, Text):
        return _text(folder, block.nested(level + 1))
    if isinstance(block, Table):
        caption = html.escape(block.caption)
        if block.source:
            caption += f' (<a href="{html.escape(block.source)}">{html.escape(block.source)}</a>)'
        return _table(*table_cells(block), caption=caption.strip())
    if isinstance(block, Figure):
        data = _embedded(folder, block.path)
        pdf = Path(block.path).with_suffix(".pdf")
        vector = f' (<a href="{html.escape(str(pdf))}">PDF</a>)' if (folder / pdf).is_file() else ""
        image = f'<img src="{data}" alt="{html.escape(block.caption)}">' if data else \
            f'<p class="fail">figure missing: {html.escape(block.path)}</p>'
        return f"<figure>{image}<figcaption>{html.escape(block.caption)}{vector}</figcaption></figure>"
    raise TypeError(f"not a report block: {block!r}")


def _section(folder: Path, section: Section) -> str:
    tag = f"h{min(section.level, 6)}"
    inner = "".join(_block(folder, b, section.level) for b in section.blocks)
    return f'<section id="{section.anchor}"><{tag}>{html.escape(section.title)}</{tag}>{inner}</section>'


def render_html(report: Report) -> str:
    folder = report.folder
    facts = "".join(f"<li><b>{html.escape(k)}</b>: {html.escape(v)}</li>" for k, v in report.facts.items())
    parts = [f"<h1>{html.escape(report.title)}</h1>", f'<ul class="facts">{facts}</ul>']
    if report.specs:
        rows = [[title, verdict.split(" ")[0], verdict] for title, verdict, _, _ in report.specs]
        parts.append('<section id="pass-fail-summary"><h2>Pass/fail summary</h2>'
                     + _table(["verification", "result", "detail"], rows))
        for title, verdict, frame, source in report.specs:
            caption = f'{html.escape(title)}: {html.escape(verdict)} (<a href="{html.escape(source)}">' \
                      f'{html.escape(source)}</a>)'
            parts.append(_table([str(c) for c in frame.columns],
                                [[str(v) for v in r] for r in frame.itertuples(index=False)], caption))
        parts.append("</section>")
    contents = "".join(f'<li><a href="#{s.anchor}">{html.escape(s.title)}</a></li>' for s in report.sections)
    parts.append(f"<nav><h2>Contents</h2><ol>{contents}</ol></nav>")
    parts += [_section(folder, s) for s in report.sections]
    timed = [(s.title, s.seconds) for s in report.sections if s.seconds is not None]
    if timed:
        parts.append('<section id="run-time"><h2>Run time per stage</h2>'
                     + _table(["stage", "time (s)"], [[t, f"{v:.0f}"] for t, v in timed])
                     + f"<p>Total {sum(v for _, v in timed):.0f} s.</p></section>")
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(report.title)}</title>'
            f"<style>{STYLE}</style></head><body>{''.join(parts)}</body></html>\n")
