"""Schematics of the generated blocks: drawn with schemdraw for the report and the docs, and
exported as xschem schematics and symbols for the open-source flow (docs/schematics.md).

    from ebn_circuit.schematics import draw_cell, export_xschem, netlist_with_xschem
    save(draw_cell(cell, tech), "results/neuron")               # PNG + PDF (ebn_circuit.plotting.save)
    export_xschem(cell, tech, "results/xschem")                  # <cell>.sch/.sym, children too

Names are imported on first use: importing schemdraw asks matplotlib for its backend, which
settles matplotlib's default backend, so only drawing does it.
"""

from __future__ import annotations

import importlib

_SURFACE = {
    "ebn_circuit.schematics.blocks": ("BLOCKS", "MAIN_BLOCKS", "block_cell"),
    "ebn_circuit.schematics.catalogue": ("draw_catalogue", "write_schematics"),
    "ebn_circuit.schematics.drawing": ("draw_cell",),
    "ebn_circuit.schematics.parse": ("CellNetlist", "Element", "differences", "parse_cells", "parse_hierarchy",
                                     "parse_subcircuits"),
    "ebn_circuit.schematics.xschem": ("export_xschem", "netlist_with_xschem", "read_xschem_netlist"),
}
_HOME = {name: module for module, names in _SURFACE.items() for name in names}
__all__ = sorted(_HOME)


def __getattr__(name: str):
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'ebn_circuit.schematics' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
