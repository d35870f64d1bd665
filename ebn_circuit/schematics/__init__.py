"""Schematics of the generated blocks, exported as xschem schematics and symbols for the
open-source flow.

    from ebn_circuit.schematics import export_xschem, netlist_with_xschem
    export_xschem(cell, tech, "results/xschem")                  # <cell>.sch/.sym, children too
"""

from __future__ import annotations

import importlib

_SURFACE = {
    "ebn_circuit.schematics.blocks": ("BLOCKS", "MAIN_BLOCKS", "block_cell"),
    "ebn_circuit.schematics.parse": ("CellNetlist", "Element", "differences", "parse_cells", "parse_hierarchy",
                                     "parse_subcircuits"),
    "ebn_circuit.schematics.xschem": ("export_xschem", "netlist_with_xschem"),
}
_HOME = {name: module for module, names in _SURFACE.items() for name in names}
__all__ = sorted(_HOME)


def __getattr__(name: str):
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'ebn_circuit.schematics' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
