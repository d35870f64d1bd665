"""Every generated block, drawn and exported: what ``ebn-circuit schematics`` writes and what the
main job's report shows.

    paths = write_schematics("results/schematics", tech, blocks=("neuron",), xschem=True)
    pngs = draw_catalogue("results/report/schematics")       # neuron, synapse, DAC, learning block
"""

from __future__ import annotations

from pathlib import Path

from ebn_circuit.plotting import save
from ebn_circuit.schematics.blocks import BLOCKS, MAIN_BLOCKS, block_cell
from ebn_circuit.schematics.drawing import draw_netlist
from ebn_circuit.schematics.parse import parse_cells
from ebn_circuit.schematics.xschem import export_xschem, resolve_symbols
from ebn_circuit.technology import Technology, get_technology


def write_schematics(out_dir: str | Path, tech: Technology, blocks: tuple[str, ...] = tuple(BLOCKS),
                     xschem: bool = False, symbols: str = "auto") -> list[Path]:
    """Drawings (``<cell>.png``, ``<cell>.pdf``) of ``blocks`` and of every cell they instantiate
    under ``out_dir``, and with ``xschem`` their schematics and symbols under ``out_dir/xschem``.
    Returns the files written."""
    cells = [block_cell(name, tech) for name in blocks]   # every name checked before anything is written
    if xschem:
        resolve_symbols(symbols, tech)
    netlists, directions = parse_cells(cells, tech)
    written = []
    for name, netlist in netlists.items():
        written += save(draw_netlist(netlist, directions, tech.scale), Path(out_dir) / name)
    if xschem:
        for cell in cells:
            written += [p for p in export_xschem(cell, tech, Path(out_dir) / "xschem", symbols) if p not in written]
    return written


def draw_catalogue(out_dir: str | Path, tech: Technology | None = None) -> list[Path]:
    """The PNGs of the main blocks (neuron, synapse, DAC, learning block), each its own sheet, for
    the report; a PDF is written beside each."""
    tech = tech if tech is not None else get_technology("sky130")
    cells = [block_cell(name, tech) for name in MAIN_BLOCKS]
    netlists, directions = parse_cells(cells, tech)
    return [save(draw_netlist(netlists[cell.name], directions, tech.scale), Path(out_dir) / cell.name)[0]
            for cell in cells]
