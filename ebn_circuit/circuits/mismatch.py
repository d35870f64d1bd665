"""Mismatch of one device group at a time: which devices of a testbench keep their Monte-Carlo
mismatch, the rest made ideal, within one seed.

sky130 scales every device's mismatch terms (AGAUSS on vth0, voff, toxe, nfactor) by
1/sqrt(l·w·mult), and reads ``mult`` for nothing else (the instance multiplier is ``m``, written
beside it). A device written with ``mult=1e12`` keeps its current and its random draw but loses
its mismatch (10⁻⁶ of it); the draws of every other device are unchanged, because the netlist keeps
the same devices in the same order. So one seed run with group G "on" and the rest "off" shows what
G alone does to a measured quantity (tests/test_circuit_mismatch.py checks this on diodes).

Groups name devices by the subcircuit they are drawn in and their name there, with shell patterns::

    DeviceGroup("comparator input mirrors", cells=("current_comparator*",), devices=("pa_*", "pb_*"))

``cells=("",)`` is the testbench's top level. A device belongs to the first group that matches;
devices of no group form the group ``OTHER``, so the groups always cover the whole netlist.
Subcircuits are shared by their instances: a group drawn in the comparator covers both comparators.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from fnmatch import fnmatchcase

from ebn_circuit.circuits.testbench import Testbench
from ebn_circuit.errors import ConfigError

OTHER = "other devices"
ALL = "all devices"
IDEAL_MULT = "1e12"   # mismatch × 10⁻⁶


@dataclass(frozen=True)
class DeviceGroup:
    """A named set of devices: subcircuit-name patterns × device-name patterns (without the X)."""

    name: str
    cells: tuple[str, ...]
    devices: tuple[str, ...] = ("*",)

    def __post_init__(self) -> None:
        if not self.name or self.name in (OTHER, ALL) or not self.cells or not self.devices:
            raise ConfigError(f"device group {self.name!r}: needs a name (not {OTHER!r} or {ALL!r}), "
                              "cell patterns and device patterns")

    def matches(self, cell: str, device: str) -> bool:
        return any(fnmatchcase(cell, c) for c in self.cells) and any(fnmatchcase(device, d) for d in self.devices)


def transistors(body: str, models: tuple[str, ...]) -> list[tuple[int, str, str]]:
    """(line index, subcircuit name or "" at the top level, device name without the X) of every
    transistor of ``models`` in a netlist body."""
    found, cell = [], ""
    for k, line in enumerate(body.splitlines()):
        words = line.split()
        if not words:
            continue
        head = words[0].lower()
        if head == ".subckt":
            cell = words[1]
        elif head == ".ends":
            cell = ""
        elif head.startswith("x") and any(w in models for w in words[1:]):
            found.append((k, cell, words[0][1:]))
    return found


def assign(body: str, models: tuple[str, ...], groups: tuple[DeviceGroup, ...]) -> dict[tuple[str, str], str]:
    """(cell, device) → the name of its group (``OTHER`` when none matches)."""
    out = {}
    for _, cell, device in transistors(body, models):
        out[(cell, device)] = next((g.name for g in groups if g.matches(cell, device)), OTHER)
    return out


def group_names(body: str, models: tuple[str, ...], groups: tuple[DeviceGroup, ...]) -> tuple[str, ...]:
    """The groups that hold at least one device of ``body``, in order (``OTHER`` last if any)."""
    used = set(assign(body, models, groups).values())
    return tuple(g.name for g in groups if g.name in used) + ((OTHER,) if OTHER in used else ())


def _ideal(line: str) -> str:
    if re.search(r"\bmult=\S+", line):
        return re.sub(r"\bmult=\S+", f"mult={IDEAL_MULT}", line)
    return f"{line} mult={IDEAL_MULT}"


def only_mismatch_in(bench: Testbench, groups: tuple[DeviceGroup, ...], keep: str) -> Testbench:
    """The testbench with mismatch left only on the devices of group ``keep`` (a group's name,
    ``OTHER``, or ``ALL``: unchanged). Needs a technology with mismatch on and a seed."""
    tech = bench.technology
    if tech is None or not tech.mismatch or bench.seed is None:
        raise ConfigError(f"testbench {bench.name}: a mismatch group needs mismatch on and a seed")
    if keep == ALL:
        return bench
    models = (tech.nfet, tech.pfet)
    known = {g.name for g in groups} | {OTHER}
    if keep not in known:
        raise ConfigError(f"no device group {keep!r}; groups: {', '.join(sorted(known))}")
    lines = bench.body.splitlines()
    for k, cell, device in transistors(bench.body, models):
        owner = next((g.name for g in groups if g.matches(cell, device)), OTHER)
        if owner != keep:
            lines[k] = _ideal(lines[k])
    tag = re.sub(r"\W+", "_", keep).strip("_")
    return replace(bench, name=f"{bench.name}_mm_{tag}", body="\n".join(lines))
