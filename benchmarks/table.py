"""Plain-text tables for the benchmark scripts: first column left-aligned, the rest right."""

from __future__ import annotations


def print_table(headers: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    for row in [headers, *rows]:
        cells = [f"{row[0]:<{widths[0]}}"] + [f"{cell:>{w}}" for cell, w in zip(row[1:-1], widths[1:-1])]
        print("  ".join(cells + [str(row[-1])]))
