"""The report as Markdown (GitHub flavour): pipe tables in engineering units, images embedded by
relative path."""

from __future__ import annotations

from ebn_circuit.report.document import Figure, Report, Section, Table, Text
from ebn_circuit.report.units import engineering


def pipe_table(headers: list[str], rows: list[list[str]]) -> str:
    escape = lambda cell: str(cell).replace("|", "\\|")  # noqa: E731
    lines = ["| " + " | ".join(map(escape, headers)) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(map(escape, row)) + " |" for row in rows]
    return "\n".join(lines)


def table_cells(table: Table) -> tuple[list[str], list[list[str]]]:
    if table.as_is:
        return [str(c) for c in table.frame.columns], [[str(v) for v in row] for row in table.frame.itertuples(index=False)]
    return engineering(table.frame)


def _block(block, level: int) -> str:
    if isinstance(block, Section):
        return _section(block)
    if isinstance(block, Text):
        return block.nested(level + 1)
    if isinstance(block, Table):
        caption = block.caption + (f" ([{block.source}]({block.source}))" if block.source else "")
        return (f"*{caption.strip()}*\n\n" if caption.strip() else "") + pipe_table(*table_cells(block))
    if isinstance(block, Figure):
        return f"![{block.caption}]({block.path})\n\n*{block.caption}*" if block.caption else f"![]({block.path})"
    raise TypeError(f"not a report block: {block!r}")


def _section(section: Section) -> str:
    parts = [f"{'#' * section.level} {section.title}"] + [_block(b, section.level) for b in section.blocks]
    return "\n\n".join(parts)


def render_markdown(report: Report) -> str:
    parts = [f"# {report.title}", "\n".join(f"- {key}: {value}" for key, value in report.facts.items())]
    if report.specs:
        verdicts = [[title, verdict, f"[{source}]({source})"] for title, verdict, _, source in report.specs]
        parts += ["## Pass/fail summary", pipe_table(["verification", "result", "table"], verdicts)]
        for title, verdict, rows, _ in report.specs:
            parts += [f"### {title}: {verdict}", pipe_table([str(c) for c in rows.columns],
                                                            [[str(v) for v in r] for r in rows.itertuples(index=False)])]
    parts += ["## Contents", "\n".join(f"{k}. [{s.title}](#{s.anchor})" for k, s in enumerate(report.sections, 1))]
    parts += [_section(section) for section in report.sections]
    timed = [(s.title, s.seconds) for s in report.sections if s.seconds is not None]
    if timed:
        parts += ["## Run time per stage", pipe_table(["stage", "time (s)"], [[t, f"{v:.0f}"] for t, v in timed])
                  + f"\n\nTotal {sum(v for _, v in timed):.0f} s."]
    return "\n\n".join(parts) + "\n"
