"""Where each element of a cell goes on a sheet, for the xschem export and the drawing alike:
pFETs on the top rows, passives, sources and instances in the middle, nFETs at the bottom, each
group in text order (a builder's reading order keeps a mirror's or an inverter's devices side by
side) and wrapped at a number of columns. Connections are drawn as net labels, not wires, so the
placement only has to be readable, not routable."""

from __future__ import annotations

import math

from ebn_circuit.schematics.parse import CellNetlist, Element


def columns_for(netlist: CellNetlist) -> int:
    """About twice as wide as tall for a sheet of one-row groups; 6 to 12 columns."""
    return max(6, min(12, math.ceil(math.sqrt(2 * len(netlist.elements)))))


def arrange(netlist: CellNetlist, columns: int | None = None) -> list[list[Element]]:
    """The sheet's rows, top to bottom, each a list of elements left to right."""
    columns = columns or columns_for(netlist)
    groups = ([e for e in netlist.elements if e.kind == "pfet"],
              [e for e in netlist.elements if not e.is_fet],
              [e for e in netlist.elements if e.kind == "nfet"])
    return [group[i:i + columns] for group in groups for i in range(0, len(group), columns)]
