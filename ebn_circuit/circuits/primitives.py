"""Small shared pieces of the current-mode blocks: sizes, diodes, mirrors, switches, inverters.

Each helper returns SPICE device lines (``tech.device_line``), so a block builder reads like
its schematic: ``add(sub, diode(tech, "min", "n", "iin", "vss", size), ...)``. Bulks go to the
device's rail (nFET → vss, pFET → vdd) unless given. Sizes are in metres.

Bias convention: a bias voltage comes from an explicit ideal reference current forced into a
diode-connected device (``diode`` or ``diode_stack``); the block exposes that node as a pin, so
the testbench (or the chip's bias generator) decides the reference current.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from ebn_circuit.errors import ConfigError
from ebn_circuit.technology.core import Technology


@dataclass(frozen=True)
class Size:
    """One transistor's width and length in metres, and its multiplier (parallel copies)."""

    w: float
    l: float
    m: int = 1

    def __post_init__(self) -> None:
        if not (self.w > 0 and self.l > 0):
            raise ConfigError(f"Size: w and l must be > 0 m, got w={self.w}, l={self.l}")
        if int(self.m) != self.m or self.m < 1:
            raise ConfigError(f"Size.m must be an integer >= 1, got {self.m}")

    def times(self, m: int) -> "Size":
        """The same device with ``m`` times as many parallel copies."""
        return Size(self.w, self.l, self.m * m)


# Minimum-length switch and full-swing logic devices (sky130 1.8 V minimum w = 0.42 µm, l = 0.15 µm).
SWITCH = Size(0.42e-6, 0.15e-6)
LOGIC_N = Size(0.42e-6, 0.15e-6)
LOGIC_P = Size(0.84e-6, 0.15e-6)


def _rail(kind: str, bulk: str | None) -> str:
    return bulk if bulk is not None else ("vss" if kind == "n" else "vdd")


def device(tech: Technology, name: str, kind: str, drain: str, gate: str, source: str, size: Size,
           bulk: str | None = None) -> str:
    """One transistor of ``size.m`` parallel copies (``Technology.device_line`` writes the multiplier)."""
    return tech.device_line(name, kind, drain, gate, source, _rail(kind, bulk), size.w, size.l, size.m)


def diode(tech: Technology, name: str, kind: str, node: str, rail: str, size: Size) -> str:
    """Diode-connected transistor (gate = drain = ``node``, source at ``rail``): the input of a
    mirror, or a bias generator when an ideal reference current is forced into ``node``."""
    return device(tech, name, kind, node, node, rail, size)


def mirror_out(tech: Technology, name: str, kind: str, out: str, gate: str, rail: str, size: Size) -> str:
    """Mirror output (current source/sink) with its gate on a diode's node."""
    return device(tech, name, kind, out, gate, rail, size)


def mirror(tech: Technology, name: str, kind: str, inp: str, rail: str, unit: Size, outputs: dict[str, int],
           m_in: int = 1) -> list[str]:
    """Current mirror from identical unit devices: a diode of ``m_in`` units at ``inp`` and one
    output of ``outputs[node]`` units per output node, so I_node = outputs[node]/m_in · I_inp
    (e.g. ``m_in=2, outputs={"i_half": 1}`` for the ratio-1/2 mirror of I_Ω/2). nFET: sinks from
    the outputs; pFET: sources into them."""
    if int(m_in) != m_in or m_in < 1 or any(int(m) != m or m < 1 for m in outputs.values()):
        raise ConfigError(f"mirror {name}: unit counts must be integers >= 1, got m_in={m_in}, outputs={outputs}")
    lines = [diode(tech, f"{name}_in", kind, inp, rail, unit.times(m_in))]
    lines += [mirror_out(tech, f"{name}_{node}", kind, node, inp, rail, unit.times(m)) for node, m in outputs.items()]
    return lines


def reference_current(name: str, node: str, current: float, kind: str = "n", vdd: str = "vdd",
                      vss: str = "vss") -> list[str]:
    """Ideal reference current for a diode-connected bias device at ``node``: sourced from vdd
    into an nFET diode (kind "n") or sunk from a pFET diode to vss (kind "p"). For testbenches
    and the chip-level bias block; the blocks themselves only expose the diode node as a pin."""
    if not current > 0:
        raise ConfigError(f"reference current {name}: must be > 0 A, got {current}")
    if kind not in ("n", "p"):
        raise ConfigError(f"reference current {name}: kind must be 'n' or 'p', got {kind!r}")
    a, b = (vdd, node) if kind == "n" else (node, vss)
    return ["* ideal reference current", f"I{name} {a} {b} {current:.6g}"]


def diode_stack(tech: Technology, name: str, kind: str, top: str, rail: str, size: Size, n: int = 2) -> list[str]:
    """``n`` diode-connected devices in series from ``rail`` up to ``top`` (bulks at the rail):
    a bias voltage of about n·V_gs at the reference current forced into ``top`` (e.g. a
    cascode gate bias)."""
    if n < 1:
        raise ConfigError(f"diode_stack {name}: n must be >= 1, got {n}")
    nodes = [rail] + [f"{name}_{k}" for k in range(1, n)] + [top]
    return [device(tech, f"{name}{k}", kind, nodes[k + 1], nodes[k + 1], nodes[k], size) for k in range(n)]


def switch(tech: Technology, name: str, kind: str, a: str, b: str, gate: str, size: Size = SWITCH) -> str:
    """Pass transistor between ``a`` (drain) and ``b`` (source); on when gate is high (nFET) / low (pFET)."""
    return device(tech, name, kind, a, gate, b, size)


def inverter(tech: Technology, name: str, inp: str, out: str, n_size: Size = LOGIC_N, p_size: Size = LOGIC_P,
             vdd: str = "vdd", vss: str = "vss") -> list[str]:
    """Static CMOS inverter, full swing vss/vdd."""
    return [device(tech, f"{name}p", "p", out, inp, vdd, p_size, bulk=vdd),
            device(tech, f"{name}n", "n", out, inp, vss, n_size, bulk=vss)]


def ideal_capacitor(name: str, a: str, b: str, value: float) -> list[str]:
    if value <= 0:
        raise ConfigError(f"capacitor {name}: value must be > 0 F, got {value}")
    return ["* ideal capacitor", f"C{name} {a} {b} {value:.6g}"]


def add(subckt, *groups: str | Iterable[str]) -> None:
    """Append device lines (strings or lists of strings) to a PySpice SubCircuit."""
    for group in groups:
        for line in ([group] if isinstance(group, str) else group):
            subckt.raw_spice += line + "\n"
