"""A cell drawn with schemdraw on a matplotlib Figure, for the report and the docs.

    fig = draw_cell(cell, tech)            # a matplotlib Figure, not pyplot's: no figure manager, no backend change
    save(fig, "results/schematics/dpi_neuron")       # .png (300 dpi) and .pdf

Auto-layout, like the xschem export (`layout.arrange`): pFETs on the top rows, passives, sources
and subcircuit instances in the middle, nFETs at the bottom, every terminal labelled with its net
(connections are by name, as on a designer's sheet with net labels), each device with its name and
W/L in µm (×m for parallel copies), the pins listed by direction, and lines the vocabulary has no
word for (XSPICE) as text.
"""

from __future__ import annotations

import schemdraw      # asks matplotlib for its backend when imported: the package imports this module to draw only
import schemdraw.elements as elm
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.layout_engine import PlaceHolderLayoutEngine

from ebn_circuit.circuits.schematic import Cell
from ebn_circuit.schematics.layout import arrange
from ebn_circuit.schematics.parse import CellNetlist, Element, parse_cells
from ebn_circuit.technology.core import Technology

COLUMN = 4.0          # drawing units per element slot (a FET is ~1.7 units tall)
FET_ROW = 3.2
PIN_PITCH = 0.5       # between the pins of an instance's box
INCHES_PER_UNIT = 0.3
MAX_INCHES = 16.0     # a large cell (the CMOS counter) is scaled down to this, text with it
FONT = 7.0            # points, at INCHES_PER_UNIT
VERBATIM_LINES = 12   # XSPICE lines shown (cut at VERBATIM_WIDTH characters); the rest are counted
VERBATIM_WIDTH = 90
VERBATIM_PITCH = 0.45  # drawing units between lines at FONT
NET_COLOUR = "#1f4e9a"


def draw_cell(cell: Cell, tech: Technology) -> Figure:
    """The cell's own sheet (its children appear as boxes; draw them on their own)."""
    netlists, directions = parse_cells([cell], tech)
    return draw_netlist(netlists[cell.name], directions, tech.scale)


def draw_netlist(netlist: CellNetlist, directions: dict[str, dict[str, str]], scale: float) -> Figure:
    """Draw a parsed cell; ``directions``: pin directions of it and its children; ``scale``: the
    technology's length unit in metres (device sizes are written in it)."""
    rows = arrange(netlist)
    width = max([sum(_slot(e) for e in row) for row in rows] + [COLUMN]) + COLUMN / 2
    height = sum(_row_height(row, directions) for row in rows) + 3.0
    zoom = min(1.0, MAX_INCHES / (INCHES_PER_UNIT * max(width, height)))
    drawing = schemdraw.Drawing(show=False)
    drawing.config(fontsize=FONT * zoom, lw=1.0 * zoom)
    _header(drawing, netlist, directions[netlist.name])
    y = -1.5
    for row in rows:
        row_height = _row_height(row, directions)
        y -= row_height / 2
        x = COLUMN / 2
        for element in row:
            _draw_element(drawing, element, (x + _slot(element) / 2, y), directions, scale)
            x += _slot(element)
        y -= row_height / 2
    if netlist.verbatim:
        shown = [line if len(line) <= VERBATIM_WIDTH else line[:VERBATIM_WIDTH - 1] + "…"
                 for line in netlist.verbatim[:VERBATIM_LINES]]
        if len(netlist.verbatim) > VERBATIM_LINES:
            shown.append(f"… {len(netlist.verbatim) - VERBATIM_LINES} more lines (see the netlist)")
        for k, line in enumerate(shown):   # one text per line: schemdraw sets lines too close for underscores
            _text(drawing, (COLUMN / 2, y - 0.5 - VERBATIM_PITCH * zoom * k), line, halign="left", valign="top",
                  font="monospace")
    return _figure(drawing, zoom)


def _text(drawing, at, text: str, **style) -> None:
    # theta(0): every element would otherwise continue in the direction of the one before
    drawing.add(elm.Label().theta(0).at(at).label(text, **style))


def _slot(element: Element) -> float:
    """The width an element takes in its row, its net labels included."""
    return 2 * COLUMN if element.kind == "instance" else COLUMN


def _row_height(row: list[Element], directions) -> float:
    instances = [e for e in row if e.kind == "instance"]
    if not instances:
        return FET_ROW
    return max(FET_ROW, max(PIN_PITCH * _sides(e, directions[e.model])[2] + 2.0 for e in instances))


def _header(drawing, netlist: CellNetlist, directions: dict[str, str]) -> None:
    groups = [(d, [p for p in netlist.pins if directions[p] == d]) for d in ("in", "out", "inout")]
    pins = "   ".join(f"{d}: {' '.join(names)}" for d, names in groups if names)
    _text(drawing, (0, 0), f"{netlist.name}    pins  {pins}    (W/L in µm)", halign="left", valign="center",
          fontsize=drawing.dwgparams["fontsize"] * 1.3)


def _draw_element(drawing, element: Element, at: tuple[float, float], directions, scale: float) -> None:
    if element.is_fet:
        _draw_fet(drawing, element, at, scale)
    elif element.kind == "instance":
        _draw_instance(drawing, element, at, directions[element.model])
    else:
        _draw_two_terminal(drawing, element, at)


def _draw_fet(drawing, element: Element, at, scale: float) -> None:
    kind = elm.AnalogPFet if element.kind == "pfet" else elm.AnalogNFet
    # reversed: the gate on the left, drain and source leads on the right (source on top for a pFET)
    fet = drawing.add(kind(bulk=True, offset_gate=False).theta(0).reverse().anchor("center").at(at))
    anchors = {"d": "drain", "g": "gate", "s": "source", "b": "bulk"}
    for terminal, net in element.nets:
        x, y = fet.absanchors[anchors[terminal]]
        left = terminal == "g"
        _text(drawing, (x - 0.15 if left else x + 0.15, y), net, halign="right" if left else "left", valign="center",
              color=NET_COLOUR)
    lead_x, top = fet.absanchors["drain"][0], max(fet.absanchors["drain"][1], fet.absanchors["source"][1])
    _text(drawing, (lead_x - 0.2, top), f"{element.name}\n{_size(element, scale)}", halign="right", valign="bottom")


def _size(element: Element, scale: float) -> str:
    """W/L in µm, and ×m for parallel copies."""
    w, l = (float(element.param(k)) * scale * 1e6 for k in ("w", "l"))
    m = element.param("m", "1")
    return f"{w:g}/{l:g}" + (f" ×{m}" if m != "1" else "")


def _draw_two_terminal(drawing, element: Element, at) -> None:
    x, y = at
    # SPICE's plus node on top: a voltage source's + sits at schemdraw's end, a current source's
    # arrow (plus → minus through the source) points from its start
    if element.kind == "current":
        part = drawing.add(elm.SourceI().theta(-90).at((x, y + 0.75)).length(1.5))
        ends = {"p": "start", "m": "end"}
    else:
        kind = elm.SourceV if element.kind == "voltage" else elm.Capacitor
        part = drawing.add(kind().theta(90).at((x, y - 0.75)).length(1.5))
        ends = {"p": "end", "m": "start"}
    for terminal, anchor in ends.items():
        px, py = part.absanchors[anchor]
        _text(drawing, (px + 0.15, py), element.net(terminal), halign="left", valign="center", color=NET_COLOUR)
    _text(drawing, (x - 0.8, y), f"{element.name}\n{element.param('value')}", halign="right", valign="center")


def _sides(element: Element, directions: dict[str, str]) -> tuple[list, list, int]:
    """An instance's pins on its box: inputs left, the rest right (as on the xschem symbol)."""
    left = [(t, n) for t, n in element.nets if directions[t] == "in"]
    right = [(t, n) for t, n in element.nets if directions[t] != "in"]
    return left, right, max(len(left), len(right), 1)


def _draw_instance(drawing, element: Element, at, directions: dict[str, str]) -> None:
    left, right, rows = _sides(element, directions)
    fontsize = drawing.dwgparams["fontsize"]
    # schemdraw stacks a side's pins from the bottom: reversed, they read in pin order from the top
    pins = [elm.IcPin(name=t, pin=n, side=side)
            for side, group in (("L", left), ("R", right)) for t, n in reversed(group)]
    box = elm.Ic(pins=pins, size=(1.6, PIN_PITCH * rows + 0.4), pinspacing=PIN_PITCH, lsize=fontsize,
                 plblsize=fontsize, leadlen=0.3)
    drawing.add(box.theta(0).anchor("center").at(at).label(f"{element.name}: {element.model}", loc="top",
                                                           fontsize=fontsize))


def _figure(drawing, zoom: float) -> Figure:
    """The drawing on a Figure of its own size (pyplot is never touched), grown to hold every
    label: schemdraw's bounding box leaves text out."""
    bbox = drawing.get_bbox()
    fig = Figure()
    # axes placed by hand: a placeholder engine, or saving inside the style turns constrained layout on
    fig.set_layout_engine(PlaceHolderLayoutEngine(adjust_compatible=True, colorbar_gridspec=True))
    FigureCanvasAgg(fig)   # a renderer to measure text with; saving picks its own canvas per format
    ax = fig.add_axes((0, 0, 1, 1))
    drawing.draw(show=False, canvas=ax)
    ax.set_aspect("equal")
    ax.axis("off")
    inches_per_unit = INCHES_PER_UNIT * zoom
    _fit(fig, ax, (bbox.xmin, bbox.xmax), (bbox.ymin, bbox.ymax), inches_per_unit)
    extent = ax.get_tightbbox(fig.canvas.get_renderer()).transformed(ax.transData.inverted())
    margin = 0.3
    _fit(fig, ax, (min(extent.x0, bbox.xmin) - margin, max(extent.x1, bbox.xmax) + margin),
         (min(extent.y0, bbox.ymin) - margin, max(extent.y1, bbox.ymax) + margin), inches_per_unit)
    return fig


def _fit(fig: Figure, ax, xlim, ylim, inches_per_unit: float) -> None:
    """Show ``xlim`` × ``ylim`` at ``inches_per_unit``: text keeps its size in points, so what
    was measured at this scale stays where it was."""
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    fig.set_size_inches((xlim[1] - xlim[0]) * inches_per_unit, (ylim[1] - ylim[0]) * inches_per_unit)
