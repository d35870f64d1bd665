"""The one device vocabulary: a Schematic is drawn element by element, pins declared once, and
turned into SPICE text in one place (``text()``).

    s = Schematic(tech, "dpi_synapse_c2p", pins=("spk", "isyn", "vw", "vdd", "vss"))
    s.comment("tail: spike switch and weight current")
    s.fet("pre", "n", "ws", "spk", "vss", SWITCH)
    s.mirror("w", "n", "iw", "vss", unit, {"v1": 1})
    s.capacitor("syn", "vsyn", "vss", 2e-12)
    top = Schematic(tech)                       # a testbench's top level: no pins
    top.define(s)                               # the subcircuit's definition, at this point
    top.instance("xsyn", s, spk="spk", isyn="isyn", vw="vw", vdd="vdd", vss="0")

A builder reads like its schematic: one call per device, node names a designer would write.
Bulks go to the device's rail (nFET → the schematic's vss, pFET → its vdd) unless given. Sizes
are in metres; ``Size.m`` parallel copies of a unit device (a wide device is not a scaled unit).
Instances connect by pin name; a missing or unknown pin is an error.

Bias convention: a bias voltage comes from an ideal reference current forced into a
diode-connected device (``bias``); on a chip the ideal source is a bias generator's branch.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from typing import Iterable

from ebn_circuit.errors import ConfigError
from ebn_circuit.params import Params, param
from ebn_circuit.technology.core import Technology

# ngspice adds gmin (default 1e-12 S) across every junction: ~0.3 pA at 0.3 V per device, the
# order of the pA leak currents of a 20 ms DPI. Testbenches with DPI blocks carry these options.
SUBTHRESHOLD_OPTIONS: tuple[tuple[str, str], ...] = (("gmin", "1e-15"), ("method", "gear"))


@dataclass(frozen=True)
class Size(Params):
    """One transistor: width and length (m) and ``m`` parallel copies of it."""

    w: float = param(unit="m", low=0.0, doc="width")
    l: float = param(unit="m", low=0.0, doc="length")
    m: int = param(1, integer=True, low=1, low_inclusive=True, high=None, doc="parallel copies")

    def times(self, m: int) -> "Size":
        """The same device with ``m`` times as many parallel copies."""
        return Size(self.w, self.l, self.m * m)


# Minimum-length switch and full-swing logic devices (sky130 1.8 V minimum w = 0.42 µm, l = 0.15 µm).
SWITCH = Size(0.42e-6, 0.15e-6)
LOGIC_N = Size(0.42e-6, 0.15e-6)
LOGIC_P = Size(0.84e-6, 0.15e-6)
LEAK_LENGTH_RATIO = 4  # DPI leak devices and their bias diodes: long, little DIBL


def leak_size(unit: Size) -> Size:
    """The DPI leak device (Mtau) for matched devices of size ``unit``: LEAK_LENGTH_RATIO × longer."""
    return Size(unit.w, LEAK_LENGTH_RATIO * unit.l)


def value_text(value: float) -> str:
    """How element values are written: 6 significant digits (ngspice reads them back exactly
    as written, so the netlist text is the value)."""
    return f"{value:.6g}"


def cell_name(kind: str, params) -> str:
    """The one naming rule: ``kind`` for the class defaults, else kind plus a hash of the params.
    Two cells of one kind share a name exactly when their params are equal."""
    if params is None or params == type(params)():
        return kind
    return f"{kind}_{hashlib.sha256(repr(params).encode()).hexdigest()[:6]}"


class Schematic:
    """A subcircuit (``name`` and ``pins``) or a testbench's top level (no name) being drawn."""

    def __init__(self, tech: Technology, name: str | None = None, pins: Iterable[str] = (),
                 vdd: str = "vdd", vss: str = "vss"):
        self.tech, self.name, self.pins = tech, name, tuple(pins)
        self.vdd, self.vss = vdd, vss
        self.lines: list[str] = []
        self.children: list[Cell] = []     # subcircuits this one instantiates, in definition order
        self._defined: dict[str, str] = {}
        self._count = 0
        if len(set(self.pins)) != len(self.pins):
            raise ConfigError(f"schematic {name}: a pin is declared twice in {self.pins}")

    # --- devices -------------------------------------------------------------------------------
    def fet(self, name: str, kind: str, drain: str, gate: str, source: str, size: Size,
            bulk: str | None = None) -> None:
        """One transistor of ``size.m`` parallel copies; bulk at the rail of its kind unless given."""
        if kind not in ("n", "p"):
            raise ConfigError(f"schematic {self.name}: device {name}: kind must be 'n' or 'p', got {kind!r}")
        bulk = bulk if bulk is not None else (self.vss if kind == "n" else self.vdd)
        self.lines.append(self.tech.device_line(name, kind, drain, gate, source, bulk, size.w, size.l, size.m))

    def diode(self, name: str, kind: str, node: str, rail: str, size: Size) -> None:
        """Diode-connected transistor (gate = drain = ``node``, source at ``rail``): the input of a
        mirror, or a bias generator when a reference current is forced into ``node``."""
        self.fet(name, kind, node, node, rail, size)

    def mirror(self, name: str, kind: str, inp: str, rail: str, unit: Size, outputs: dict[str, int],
               m_in: int = 1) -> None:
        """Current mirror of identical unit devices: a diode of ``m_in`` units at ``inp``, one
        output of ``outputs[node]`` units per node, so I_node = outputs[node]/m_in · I_inp."""
        if int(m_in) != m_in or m_in < 1 or any(int(m) != m or m < 1 for m in outputs.values()):
            raise ConfigError(f"mirror {name}: unit counts must be integers >= 1, got m_in={m_in}, outputs={outputs}")
        self.diode(f"{name}_in", kind, inp, rail, unit.times(m_in))
        for node, m in outputs.items():
            self.fet(f"{name}_{node}", kind, node, inp, rail, unit.times(m))

    def diode_stack(self, name: str, kind: str, top: str, rail: str, size: Size, n: int = 2) -> None:
        """``n`` diode-connected devices in series from ``rail`` up to ``top``: about n·V_gs at the
        reference current forced into ``top`` (a cascode gate bias)."""
        if n < 1:
            raise ConfigError(f"diode_stack {name}: n must be >= 1, got {n}")
        nodes = [rail] + [f"{name}_{k}" for k in range(1, n)] + [top]
        for k in range(n):
            self.fet(f"{name}{k}", kind, nodes[k + 1], nodes[k + 1], nodes[k], size)

    def switch(self, name: str, kind: str, a: str, b: str, gate: str, size: Size = SWITCH) -> None:
        """Pass transistor between ``a`` (drain) and ``b`` (source); on when the gate is high (nFET)."""
        self.fet(name, kind, a, gate, b, size)

    def inverter(self, name: str, inp: str, out: str, n_size: Size = LOGIC_N, p_size: Size = LOGIC_P) -> None:
        """Static CMOS inverter, full swing between the schematic's rails."""
        self.fet(f"{name}p", "p", out, inp, self.vdd, p_size, bulk=self.vdd)
        self.fet(f"{name}n", "n", out, inp, self.vss, n_size, bulk=self.vss)

    def capacitor(self, name: str, a: str, b: str, value: float) -> None:
        """An ideal capacitor (F)."""
        if not value > 0:
            raise ConfigError(f"capacitor {name}: value must be > 0 F, got {value}")
        self.lines.append(f"C{name} {a} {b} {value_text(value)}")

    # --- sources -------------------------------------------------------------------------------
    def current(self, name: str, plus: str, minus: str, value: float | str) -> None:
        """Ideal current source from ``plus`` through itself to ``minus`` (A, or a waveform such
        as ``PWL(...)``)."""
        self.lines.append(f"I{name} {plus} {minus} {value if isinstance(value, str) else value_text(value)}")

    def voltage(self, name: str, plus: str, minus: str, value: float | str) -> None:
        """Ideal voltage source (V, or a waveform); a 0 V one senses the current through it."""
        self.lines.append(f"V{name} {plus} {minus} {value if isinstance(value, str) else f'{value:g}'}")

    def reference(self, name: str, node: str, current: float, kind: str = "n") -> None:
        """Ideal reference current for the diode-connected bias device at ``node``: sourced from
        vdd into an nFET diode (kind "n") or sunk from a pFET diode to vss (kind "p")."""
        if not current > 0:
            raise ConfigError(f"reference current {name}: must be > 0 A, got {current}")
        if kind not in ("n", "p"):
            raise ConfigError(f"reference current {name}: kind must be 'n' or 'p', got {kind!r}")
        self.current(name, *((self.vdd, node) if kind == "n" else (node, self.vss)), current)

    def bias(self, name: str, kind: str, node: str, current: float, size: Size) -> None:
        """A bias voltage at ``node``: the reference ``current`` (A) forced into a diode-connected
        device of ``size`` (source and bulk at the rail of its kind)."""
        if not 0 < current <= 1e-3:
            raise ConfigError(f"bias {name}: current must be in (0, 0.001] A, got {current!r}")
        self.reference(name, node, current, kind)
        self.diode(f"b{name}", kind, node, self.vss if kind == "n" else self.vdd, size)

    # --- hierarchy and text --------------------------------------------------------------------
    def instance(self, name: str, cell: "Schematic | Cell", **connections: str) -> None:
        """One subcircuit instance; every pin of ``cell`` connected by name."""
        pins = cell.pins
        missing, unknown = [p for p in pins if p not in connections], [p for p in connections if p not in pins]
        if missing or unknown:
            raise ConfigError(f"instance {name} of {cell.name}: "
                              + (f"unconnected pin(s) {', '.join(missing)}" if missing else "")
                              + ("; " if missing and unknown else "")
                              + (f"no pin(s) {', '.join(unknown)}" if unknown else "") + f"; pins: {' '.join(pins)}")
        self.lines.append(f"{name} {' '.join(connections[p] for p in pins)} {cell.name}")
        if self.name is not None:
            self.uses(cell)

    def uses(self, *cells: "Cell") -> None:
        """Declare subcircuits this one instantiates (their definitions go before it, in this order)."""
        for cell in cells:
            if all(child.name != cell.name for child in self.children):
                self.children.append(cell)

    def define(self, *cells: "Cell") -> None:
        """The definitions of ``cells`` and of everything they instantiate, placed here; a cell
        already defined in this schematic is not repeated (one name, one definition)."""
        self.lines += definitions(cells, self._defined)

    def comment(self, text: str) -> None:
        self.lines += [f"* {line}" for line in text.splitlines()]

    def line(self, text: str) -> None:
        """A SPICE line the vocabulary has no word for (XSPICE code models, .nodeset)."""
        self.lines.append(text)

    def unique(self, prefix: str) -> str:
        """A fresh element name (for gates drawn in bulk)."""
        self._count += 1
        return f"{prefix}{self._count}"

    def cell(self) -> "Cell":
        """The finished subcircuit as plain data."""
        if self.name is None:
            raise ConfigError("a top-level schematic is not a cell; use text()")
        return Cell(self.name, self.pins, self.text(), tuple(self.children))

    def text(self) -> str:
        body = "\n".join(self.lines)
        if self.name is None:
            return body
        return f".subckt {self.name} {' '.join(self.pins)}\n{body}\n.ends {self.name}"

    def transistor_count(self) -> int:
        return sum(1 for line in self.lines if line[:1] in "XxMm")


@dataclass(frozen=True)
class Cell:
    """A finished subcircuit: its name, its pins in order, and its SPICE definition."""

    name: str
    pins: tuple[str, ...]
    spice: str
    children: tuple["Cell", ...] = ()

    def __str__(self) -> str:
        return self.spice

    def text(self) -> str:
        """This cell's definition and those of its children, children first."""
        return "\n".join(definitions([self], {}))


def definitions(cells, defined: dict[str, str]) -> list[str]:
    """The SPICE definitions of ``cells`` and their children (children first), skipping names in
    ``defined`` (name → text, updated): one name, one definition."""
    out = []
    for cell in cells:
        out += definitions(cell.children, defined)
        known = defined.get(cell.name)
        if known is not None:
            if known != cell.spice:
                raise ConfigError(f"two different subcircuits are both named {cell.name}")
            continue
        defined[cell.name] = cell.spice
        out.append(cell.spice)
    return out


def check_kind(owner: str, value, cls: type) -> None:
    if not isinstance(value, cls):
        raise ConfigError(f"{owner} must be a {cls.__name__}, got {type(value).__name__}")


def fields_of(params) -> dict:
    return {f.name: getattr(params, f.name) for f in dataclasses.fields(params)}
