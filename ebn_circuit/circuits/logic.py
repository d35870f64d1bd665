"""Static-CMOS logic cells as SPICE lines: inverter, NAND, NOR, AOI22 (XOR), transmission gate,
and a master–slave D flip-flop with an asynchronous preset to 0 or 1.

Each cell function appends its device lines to a ``Cells`` netlist and returns the output node,
so that a block builder reads like its gate-level schematic. Supply nodes are ``vdd``/``vss``;
nFET bulks tie to ``vss``, pFET bulks to ``vdd``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ebn_circuit.errors import ConfigError
from ebn_circuit.technology.core import Technology


@dataclass(frozen=True)
class GateSizes:
    """Device sizes of every gate, metres: nFET width ``wn``, pFET width ``wp``, length ``l``.
    Series stacks use the same widths (the cells are small and only need to be correct)."""

    wn: float = 0.42e-6
    wp: float = 0.84e-6
    l: float = 0.15e-6

    def __post_init__(self) -> None:
        for name in ("wn", "wp", "l"):
            if not getattr(self, name) > 0:
                raise ConfigError(f"GateSizes.{name} must be > 0 m, got {getattr(self, name)}")


@dataclass
class Cells:
    """A growing list of device lines for one subcircuit body."""

    tech: Technology
    sizes: GateSizes
    vdd: str = "vdd"
    vss: str = "vss"
    lines: list[str] = field(default_factory=list)
    _count: int = 0

    def _name(self, prefix: str) -> str:
        self._count += 1
        return f"{prefix}{self._count}"

    def _n(self, d: str, g: str, s: str, m: int = 1) -> None:
        self.lines.append(self.tech.device_line(self._name("mn"), "n", d, g, s, self.vss,
                                                self.sizes.wn, self.sizes.l, m))

    def _p(self, d: str, g: str, s: str, m: int = 1) -> None:
        self.lines.append(self.tech.device_line(self._name("mp"), "p", d, g, s, self.vdd,
                                                self.sizes.wp, self.sizes.l, m))

    def comment(self, text: str) -> None:
        self.lines.append(f"* {text}")

    def inv(self, a: str, y: str, m: int = 1) -> str:
        """Inverter; ``m`` parallel devices (drive strength) of each type."""
        self._p(y, a, self.vdd, m)
        self._n(y, a, self.vss, m)
        return y

    def nand(self, inputs: list[str], y: str) -> str:
        """pFETs in parallel, nFETs in series (input 0 nearest the output)."""
        for a in inputs:
            self._p(y, a, self.vdd)
        self._stack(inputs, y, self.vss, self._n)
        return y

    def nor(self, inputs: list[str], y: str) -> str:
        """nFETs in parallel, pFETs in series (input 0 nearest the output)."""
        for a in inputs:
            self._n(y, a, self.vss)
        self._stack(inputs, y, self.vdd, self._p)
        return y

    def _stack(self, inputs: list[str], top: str, rail: str, device) -> None:
        if not inputs:
            raise ConfigError("a gate needs at least one input")
        node = top
        for i, a in enumerate(inputs):
            nxt = rail if i == len(inputs) - 1 else f"{top}_s{i}"
            device(node, a, nxt)
            node = nxt

    def aoi22(self, a: str, b: str, c: str, d: str, y: str) -> str:
        """y = not(a·b + c·d)."""
        self._n(y, a, f"{y}_na")
        self._n(f"{y}_na", b, self.vss)
        self._n(y, c, f"{y}_nc")
        self._n(f"{y}_nc", d, self.vss)
        self._p(f"{y}_pm", a, self.vdd)
        self._p(f"{y}_pm", b, self.vdd)
        self._p(y, c, f"{y}_pm")
        self._p(y, d, f"{y}_pm")
        return y

    def tgate(self, a: str, y: str, on: str, on_b: str) -> str:
        """Transmission gate a ↔ y, conducting while ``on`` is high (``on_b`` low)."""
        self._n(y, on, a)
        self._p(y, on_b, a)
        return y

    def and_tree(self, inputs: list[str], y: str) -> str:
        """y = AND of inputs: NAND3 + inverter per group of three, then recursively."""
        if len(inputs) == 1:
            return inputs[0]
        if len(inputs) <= 3:
            return self.inv(self.nand(inputs, f"{y}_b"), y)
        groups = [inputs[i:i + 3] for i in range(0, len(inputs), 3)]
        parts = [self.and_tree(g, f"{y}_g{k}") for k, g in enumerate(groups)]
        return self.and_tree(parts, y)

    def dff(self, d: str, q: str, clk: str, clk_b: str, preset: int, rst: str, rst_b: str) -> str:
        """Positive-edge master–slave D flip-flop (transmission-gate latches, static feedback).

        Master: d →TG(clk low)→ m1 → gate → m2, m2 → inv → TG(clk high) → m1.
        Slave:  m2 →TG(clk high)→ s1 → gate → q,  q → inv → TG(clk low) → s1.
        q = not s1 = not m2 = m1, so q takes d at the rising edge of clk.
        Asynchronous preset while ``rst`` is high: preset 0 uses NAND(m1, rst_b) and NOR(s1, rst)
        (m2 → 1, q → 0); preset 1 uses NOR(m1, rst) and NAND(s1, rst_b) (m2 → 0, q → 1).
        """
        m1, m2, mf, s1, sf = (f"{q}_m1", f"{q}_m2", f"{q}_mf", f"{q}_s1", f"{q}_sf")
        self.tgate(d, m1, clk_b, clk)
        if preset:
            self.nor([m1, rst], m2)
        else:
            self.nand([m1, rst_b], m2)
        self.inv(m2, mf)
        self.tgate(mf, m1, clk, clk_b)
        self.tgate(m2, s1, clk, clk_b)
        if preset:
            self.nand([s1, rst_b], q)
        else:
            self.nor([s1, rst], q)
        self.inv(q, sf)
        self.tgate(sf, s1, clk_b, clk)
        return q

    def transistor_count(self) -> int:
        return sum(1 for line in self.lines if not line.startswith("*"))
