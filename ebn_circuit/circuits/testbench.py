"""A testbench: circuit text + technology + analysis → one complete ngspice netlist (plain data;
the spice layer runs it)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from ebn_circuit.errors import ConfigError
from ebn_circuit.circuits.analysis import Analysis
from ebn_circuit.technology.core import Technology


@dataclass(frozen=True)
class Testbench:
    """Everything one simulation needs, as plain data.

    body: device, source and subcircuit lines (SPICE text, no title, no ``.end``).
    analysis: the analysis to run; None when ``body`` carries its own analysis card.
    technology: model includes for its corner and mismatch setting (None: no models).
    seed: ngspice's random seed (Monte-Carlo mismatch instance), None for none set.
    options: extra ``.option`` settings, e.g. (("reltol", "1e-4"),).
    saves: vectors to ``.save`` (empty: ngspice's default, all node voltages and branch currents).
    """

    __test__ = False  # not a pytest class

    name: str
    body: str
    analysis: Analysis | None
    technology: Technology | None = None
    seed: int | None = None
    options: tuple[tuple[str, str], ...] = ()
    saves: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.name or "\n" in self.name:
            raise ConfigError(f"testbench name must be one non-empty line, got {self.name!r}")
        if self.seed is not None and not (0 <= self.seed < 2**31):
            raise ConfigError(f"testbench {self.name}: seed must be in [0, 2^31), got {self.seed}")

    @classmethod
    def from_circuit(cls, circuit, analysis: Analysis | None, technology: Technology | None = None,
                     **kwargs) -> "Testbench":
        """From a PySpice Circuit (its title becomes the name)."""
        text = str(circuit)
        lines = text.splitlines()
        name = circuit.title
        if lines and lines[0].lower().startswith(".title"):
            lines = lines[1:]
        return cls(name=name, body="\n".join(lines), analysis=analysis, technology=technology, **kwargs)

    def __repr__(self) -> str:
        """One line: name, analysis, technology, size (``.netlist()`` gives the text)."""
        analysis = self.analysis.card() if self.analysis is not None else "analysis in the body"
        tech = "no technology"
        if self.technology is not None:
            tech = f"{self.technology.name} {self.technology.corner}" + (" mismatch" if self.technology.mismatch else "")
        extras = "".join(f", {label} {value}" for label, value in (
            ("seed", self.seed), ("options", " ".join(f"{k}={v}" for k, v in self.options)),
            ("saves", len(self.saves))) if value)
        lines = len(self.body.splitlines())
        return f"<Testbench {self.name!r}: {analysis}, {tech}, {lines} body lines{extras}>"

    def netlist(self, portable: bool = False, header: str = "", prints: tuple[str, ...] = (),
                stem: str = "") -> str:
        """The complete netlist text, as ngspice reads it.

        portable: model includes relative to the netlist's folder (see Technology.include_text).
        header: comment lines placed after the title (generator, parameters).
        prints: vectors for a ``.print`` line, so that plain ``ngspice -b FILE`` shows results.
        stem: the portable netlist's file stem; its model include is ``pdk/<stem>.<tech>_<corner>.spice``.
        """
        parts = [f"* {self.name}"]
        if header:
            parts.append("\n".join(f"* {line}" if not line.startswith("*") else line
                                   for line in header.splitlines()))
        if self.technology is not None:
            parts.append(self.technology.include_text(portable=portable, body=self.body, stem=stem))
        if self.seed is not None:
            parts.append(f".option seed={self.seed}")
        if self.options:
            parts.append(".option " + " ".join(f"{k}={v}" for k, v in self.options))
        parts.append(self.body.rstrip())
        if self.saves:
            parts.append(".save " + " ".join(self.saves))
        if self.analysis is not None:
            parts.append(self.analysis.card())
            if prints:
                kind = self.analysis.card().split()[0][1:]
                parts.append(f".print {kind} " + " ".join(prints))
        parts.append(".end")
        return "\n".join(parts) + "\n"

    def netlist_hash(self) -> str:
        return hashlib.sha256(self.netlist().encode()).hexdigest()

