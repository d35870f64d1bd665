"""Static-CMOS logic cells as SPICE lines: inverter, NAND, NOR, AOI22 (XOR), transmission gate,
and a master–slave D flip-flop with an asynchronous preset to 0 or 1.

Each gate draws its devices on a ``Schematic`` (the one device vocabulary) and returns the
output node, so that a block builder reads like its gate-level schematic. Devices get fresh
names (mn1, mp2, …); nFET bulks tie to the schematic's vss, pFET bulks to its vdd.
"""

from __future__ import annotations

from dataclasses import dataclass

from ebn_circuit.circuits.schematic import Schematic, Size
from ebn_circuit.errors import ConfigError
from ebn_circuit.params import Params, positive


@dataclass(frozen=True)
class GateSizes(Params):
    """Device sizes of every gate. Series stacks use the same widths (the cells are small and only
    need to be correct)."""

    wn: float = positive(0.42e-6, "m", "nFET width")
    wp: float = positive(0.84e-6, "m", "pFET width")
    l: float = positive(0.15e-6, "m", "length of every gate device")


class Gates:
    """Static-CMOS gates drawn on ``schematic`` with ``sizes``."""

    def __init__(self, schematic: Schematic, sizes: GateSizes):
        self.s, self.sizes = schematic, sizes
        self.vdd, self.vss = schematic.vdd, schematic.vss

    def _n(self, d: str, g: str, s: str, m: int = 1) -> None:
        self.s.fet(self.s.unique("mn"), "n", d, g, s, Size(self.sizes.wn, self.sizes.l, m))

    def _p(self, d: str, g: str, s: str, m: int = 1) -> None:
        self.s.fet(self.s.unique("mp"), "p", d, g, s, Size(self.sizes.wp, self.sizes.l, m))

    def comment(self, text: str) -> None:
        self.s.comment(text)

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
