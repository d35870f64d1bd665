"""A cell's SPICE text as plain data: its elements, the net on each terminal, its pins.

The toolkit's cells are written by `circuits.schematic.Schematic`, so the text has few shapes:
transistors (``X``/``M`` lines whose model is the technology's nFET or pFET), capacitors, current
and voltage sources, subcircuit instances, comments, and lines the vocabulary has no word for
(XSPICE code models, ``.model`` cards), which are kept as text. The same reader takes the netlist
xschem writes back from an exported schematic, so the two can be compared element by element.

    netlists = parse_hierarchy(cell, tech)          # name → CellNetlist, children first
    netlists[cell.name].elements[0].net("g")        # the net on the first device's gate
"""

from __future__ import annotations

from dataclasses import dataclass

from ebn_circuit.circuits.schematic import Cell
from ebn_circuit.errors import ConfigError
from ebn_circuit.technology.core import Technology

FET_TERMINALS = ("d", "g", "s", "b")
TWO_TERMINALS = ("p", "m")      # plus and minus, as xschem's capacitor and sources name them
TWO_TERMINAL_KINDS = {"c": "capacitor", "i": "current", "v": "voltage"}


@dataclass(frozen=True)
class Element:
    """One element of a cell: ``kind`` nfet, pfet, capacitor, current, voltage or instance.

    name: as written in SPICE (``Xind``, ``Cmem``, ``xsh``).
    nets: (terminal, net) in SPICE order; terminals d g s b, p m, or the instantiated cell's pins.
    model: the device model or the instantiated subcircuit ("" for passives and sources).
    params: (key, value) as written: w, l, mult, m for a device (in the technology's scale), value
        for a passive or source.
    """

    name: str
    kind: str
    nets: tuple[tuple[str, str], ...]
    model: str = ""
    params: tuple[tuple[str, str], ...] = ()

    def net(self, terminal: str) -> str:
        return dict(self.nets)[terminal]

    def param(self, key: str, default: str = "") -> str:
        return dict(self.params).get(key, default)

    @property
    def is_fet(self) -> bool:
        return self.kind in ("nfet", "pfet")


@dataclass(frozen=True)
class CellNetlist:
    """A subcircuit as data: its pins in order, its elements in text order, and its verbatim lines."""

    name: str
    pins: tuple[str, ...]
    elements: tuple[Element, ...]
    verbatim: tuple[str, ...] = ()

    def nets(self) -> set[str]:
        return {net for element in self.elements for _, net in element.nets} | set(self.pins)


def device_models(tech: Technology) -> dict[str, str]:
    """Model name → element kind for the technology's transistors."""
    return {tech.nfet: "nfet", tech.pfet: "pfet"}


def parse_hierarchy(cell: Cell, tech: Technology) -> dict[str, CellNetlist]:
    """``cell`` and every cell it instantiates, by name, children before their parents."""
    return parse_subcircuits(cell.text(), device_models(tech))


def parse_cells(cells, tech: Technology) -> tuple[dict[str, CellNetlist], dict[str, dict[str, str]]]:
    """``cells`` and every cell they instantiate, parsed (children first, each name once), and
    their pins' directions (`pin_directions`)."""
    netlists: dict[str, CellNetlist] = {}
    directions: dict[str, dict[str, str]] = {}
    for cell in cells:
        for name, netlist in parse_hierarchy(cell, tech).items():
            if name not in netlists:
                netlists[name] = netlist
                directions[name] = pin_directions(netlist, directions)
    return netlists, directions


def parse_subcircuits(text: str, devices: dict[str, str]) -> dict[str, CellNetlist]:
    """Every ``.subckt`` of a SPICE text, by name in text order. ``devices``: model → nfet/pfet.
    Lines outside a subcircuit are ignored; an instance of a subcircuit the text does not define
    is an error (its pins are unknown)."""
    bodies: dict[str, tuple[tuple[str, ...], list[str]]] = {}
    current = None
    for line in logical_lines(text):
        words = line.split()
        keyword = words[0].lower()
        if keyword == ".subckt":
            if len(words) < 2:
                raise ConfigError(f"a .subckt line without a name: {line!r}")
            current = words[1]
            bodies[current] = (tuple(words[2:]), [])
        elif keyword == ".ends":
            current = None
        elif current is not None:
            bodies[current][1].append(line)
    pins_of = {name: pins for name, (pins, _) in bodies.items()}
    return {name: _cell_netlist(name, pins, lines, devices, pins_of) for name, (pins, lines) in bodies.items()}


def logical_lines(text: str) -> list[str]:
    """Lines with ``+`` continuations joined; blank lines and ``*`` comments dropped."""
    lines: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("*"):
            continue
        if line.startswith("+") and lines:
            lines[-1] += " " + line[1:].strip()
        else:
            lines.append(line)
    return lines


def _cell_netlist(name, pins, lines, devices, pins_of) -> CellNetlist:
    elements, verbatim = [], []
    for line in lines:
        element = _element(line, devices, pins_of, name)
        if element is None:
            verbatim.append(line)
        else:
            elements.append(element)
    return CellNetlist(name, pins, tuple(elements), tuple(verbatim))


def _element(line: str, devices: dict[str, str], pins_of: dict[str, tuple[str, ...]], owner: str) -> Element | None:
    words = line.split()
    letter = words[0][0].lower()
    if letter in "xm":
        positional = [w for w in words if "=" not in w]
        params = _params(words)
        name, nodes, model = positional[0], positional[1:-1], positional[-1]
        if model in devices:
            if len(nodes) != len(FET_TERMINALS):
                raise ConfigError(f"subcircuit {owner}: transistor {name} has {len(nodes)} nodes, expected 4: {line!r}")
            return Element(name, devices[model], tuple(zip(FET_TERMINALS, nodes)), model, params)
        if letter == "m":
            raise ConfigError(f"subcircuit {owner}: transistor {name} has model {model!r}, not one of "
                              f"{', '.join(devices)}")
        if model not in pins_of:
            raise ConfigError(f"subcircuit {owner}: instance {name} of {model!r}, which the text does not define")
        if len(nodes) != len(pins_of[model]):
            raise ConfigError(f"subcircuit {owner}: instance {name} connects {len(nodes)} nodes to {model}'s "
                              f"{len(pins_of[model])} pins")
        return Element(name, "instance", tuple(zip(pins_of[model], nodes)), model, params)
    if letter in TWO_TERMINAL_KINDS:
        if len(words) < 4:
            raise ConfigError(f"subcircuit {owner}: element {words[0]} needs two nodes and a value: {line!r}")
        value = " ".join(w for w in words[3:] if "=" not in w)
        params = (("value", value),) + _params(words[3:])
        return Element(words[0], TWO_TERMINAL_KINDS[letter], tuple(zip(TWO_TERMINALS, words[1:3])), "", params)
    return None


def _params(words) -> tuple[tuple[str, str], ...]:
    """The ``key=value`` words, keys in lower case (SPICE reads them case-blind)."""
    return tuple((key.lower(), value) for key, value in (w.split("=", 1) for w in words if "=" in w))


def pin_directions(netlist: CellNetlist, known: dict[str, dict[str, str]]) -> dict[str, str]:
    """Each pin's direction for a symbol: ``in`` when it reaches only gates (or inputs of
    instances), ``out`` when only drains (or outputs), else ``inout`` (rails, diodes, passives,
    verbatim lines). ``known``: the directions of the cells ``netlist`` instantiates."""
    roles: dict[str, set[str]] = {pin: set() for pin in netlist.pins}
    for element in netlist.elements:
        for terminal, net in element.nets:
            if net not in roles:
                continue
            if element.is_fet:
                role = {"g": "in", "d": "out"}.get(terminal, "inout")
            elif element.kind == "instance":
                role = known.get(element.model, {}).get(terminal, "inout")
            else:
                role = "inout"
            roles[net].add(role)
    for line in netlist.verbatim:
        for word in line.replace("[", " ").replace("]", " ").replace("~", " ").split():
            if word in roles:
                roles[word].add("inout")
    return {pin: next(iter(r)) if len(r) == 1 else "inout" for pin, r in roles.items()}


def connectivity(netlist: CellNetlist) -> dict[str, tuple]:
    """Element name → what a netlister must keep: kind, model, the net on each terminal, and the
    sizes (w, l and the multiplier m, as numbers) or the value. Names are compared case-blind, as
    ngspice reads them."""
    def number(text: str):
        try:
            return float(text)
        except ValueError:
            return text

    table = {}
    for e in netlist.elements:
        if e.is_fet:
            values = tuple(number(e.param(k, d)) for k, d in (("w", ""), ("l", ""), ("m", "1")))
        elif e.kind == "instance":
            values = ()
        else:
            values = (number(e.param("value")),)
        table[e.name.lower()] = (e.kind, e.model.lower(), e.nets, values)
    return table


def differences(expected: CellNetlist, actual: CellNetlist) -> list[str]:
    """What ``actual`` (e.g. xschem's netlist of an export) changed against ``expected``: pins,
    elements and their connections and sizes, and verbatim lines; empty when they agree."""
    found = []
    if expected.pins != actual.pins:
        found.append(f"{expected.name}: pins {expected.pins} became {actual.pins}")
    want, got = connectivity(expected), connectivity(actual)
    for name in sorted(set(want) | set(got)):
        if name not in got:
            found.append(f"{expected.name}: element {name} is missing")
        elif name not in want:
            found.append(f"{expected.name}: element {name} is new")
        elif want[name] != got[name]:
            found.append(f"{expected.name}: element {name} was {want[name]}, became {got[name]}")
    if sorted(expected.verbatim) != sorted(actual.verbatim):
        found.append(f"{expected.name}: verbatim lines differ")
    return found
