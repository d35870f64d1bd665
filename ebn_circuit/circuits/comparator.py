"""Clocked current comparator: decides I_a > I_b (subthreshold, around I_rest ≈ 9 nA).

Topology (16 transistors)::

    ia ─┬─ pa_in (pFET diode)        ib ─┬─ pb_in (pFET diode)
        └─ pa_copy ─→ q                   └─ pb_copy ─→ qb       (copies source I_a, I_b)
    na_latch: q  ← gate qb     nb_latch: qb ← gate q             (cross-coupled nFET latch)
    na_rst, nb_rst: q, qb → vss while rst is high
    q → inv → inv → out        qb → inv → inv → outb

While ``rst`` is high both latch nodes are held at vss (out = outb = 0). When ``rst`` falls the
two copies charge q and qb; the node with the larger current reaches the nFET threshold first,
turns on the opposite latch nFET and pulls the other node down: out = vdd when I_a > I_b, outb =
vdd otherwise, static until the next reset. The circuit is symmetric, so its decision has no
systematic offset; resolution at a corner is limited by mismatch (Monte Carlo) only.

Pins ``ia ib rst out outb vdd vss``. ``ia`` and ``ib`` take currents *sunk from* the pin (an
external nFET sink, e.g. the sample-and-hold output or an nFET mirror); the pin sits one pFET
V_gs below vdd (≈ 0.9 V at 9 nA). Logic levels 0 / vdd; rst active high.
Timing: the inputs must be settled before rst falls (the input node's time constant is
C·U_T/(κ·I) ≈ 5 µs at 9 nA: allow ≥ 20 µs after the hold edge); out or outb rises ~8–10 µs
after rst falls at 9 nA (see ``measure.comparator.decisions``), well inside a 1 ms presynaptic pulse.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ebn_circuit.circuits.analysis import Transient
from ebn_circuit.circuits.schematic import SWITCH, Cell, Schematic, Size, cell_name
from ebn_circuit.circuits.testbench import Testbench
from ebn_circuit.errors import ConfigError
from ebn_circuit.params import Params, param, positive
from ebn_circuit.technology.core import Technology

PINS = ("ia", "ib", "rst", "out", "outb", "vdd", "vss")

# Simulate a latch with Gear integration and a tight reltol: at its metastable point the
# trapezoidal rule rings and, with steps longer than the regeneration time (C/g_m, a fraction
# of a µs), can flip decisions for |ΔI| ≲ 0.1 nA. With these options the bench's max_step of
# 0.5 µs decides ±10 pA correctly. Use them in any testbench that contains this comparator.
SIM_OPTIONS = (("method", "gear"), ("reltol", "1e-4"))


@dataclass(frozen=True)
class ComparatorParams(Params):
    """Device sizes of the clocked current comparator. Sized for mismatch: with 4×16 µm mirrors and
    2×8 µm latch devices the Monte-Carlo input offset is σ ≈ 0.25 nA at 9 nA (2×4 / 1×4 µm:
    σ ≈ 0.65 nA) — compare I_SL ≈ 0.3 nA."""

    mirror_w: float = positive(4e-6, "m", "input pFET diodes and their copies (long: matching, output resistance)")
    mirror_l: float = positive(16e-6, "m", "length of the input mirrors")
    latch_w: float = positive(2e-6, "m", "cross-coupled nFETs")
    latch_l: float = positive(8e-6, "m", "latch length (at 1 µm sky130's subthreshold DIBL leaves the loop gain "
                                         "below one and it settles at a balanced point instead of deciding)")

    @property
    def name(self) -> str:
        return cell_name("current_comparator", self)


def comparator_cell(params: ComparatorParams, tech: Technology) -> Cell:
    """The comparator subcircuit with pins ``PINS``."""
    mirror = Size(params.mirror_w, params.mirror_l)
    latch = Size(params.latch_w, params.latch_l)
    s = Schematic(tech, params.name, PINS)
    s.diode("pa_in", "p", "ia", "vdd", mirror)
    s.fet("pa_copy", "p", "q", "ia", "vdd", mirror)
    s.diode("pb_in", "p", "ib", "vdd", mirror)
    s.fet("pb_copy", "p", "qb", "ib", "vdd", mirror)
    s.fet("na_latch", "n", "q", "qb", "vss", latch)
    s.fet("nb_latch", "n", "qb", "q", "vss", latch)
    s.fet("na_rst", "n", "q", "rst", "vss", SWITCH)
    s.fet("nb_rst", "n", "qb", "rst", "vss", SWITCH)
    s.inverter("inv_q", "q", "q_n")
    s.inverter("buf_q", "q_n", "out")
    s.inverter("inv_qb", "qb", "qb_n")
    s.inverter("buf_qb", "qb_n", "outb")
    return s.cell()


def pwl(points) -> str:
    """PWL text of (time s, value) points."""
    return "pwl(" + " ".join(f"{t:.9g} {v:.9g}" for t, v in points) + ")"


@dataclass(frozen=True)
class ComparatorBenchParams(Params):
    """A sequence of reset/evaluate cycles, one per ΔI = I_a − I_b (A); I_a = i_common + ΔI/2,
    I_b = i_common − ΔI/2. seed: Monte-Carlo instance (with ``tech.with_mismatch(True)``)."""

    comparator: ComparatorParams = param(default_factory=ComparatorParams, kind=ComparatorParams)
    i_common: float = positive(9e-9, "A", "mean input current")
    deltas: tuple[float, ...] = (1e-9, -1e-9, 1e-10, -1e-10, 3e-11, -3e-11, 1e-11, -1e-11)
    t_reset: float = positive(20e-6, "s", "reset phase")
    t_eval: float = positive(20e-6, "s", "evaluate phase")
    t_edge: float = positive(50e-9, "s", "edge time of every source")
    seed: int | None = None

    def validate(self) -> None:
        if not self.deltas:
            raise ConfigError("ComparatorBenchParams.deltas must list at least one ΔI")
        if any(abs(d) / 2 >= self.i_common for d in self.deltas):
            raise ConfigError(f"ComparatorBenchParams.deltas: every |ΔI|/2 must be < i_common={self.i_common} A")
        if 4 * self.t_edge >= min(self.t_reset, self.t_eval):
            raise ConfigError("ComparatorBenchParams.t_edge must be well below t_reset and t_eval")

    @property
    def period(self) -> float:
        return self.t_reset + self.t_eval

    def eval_starts(self) -> np.ndarray:
        """Times (s) at which rst has fallen to vdd/2, one per cycle."""
        return np.arange(len(self.deltas)) * self.period + self.t_reset + self.t_edge / 2


def comparator_testbench(params: ComparatorBenchParams, tech: Technology) -> Testbench:
    """Ideal current sinks draw I_a, I_b from the inputs; they change at the start of each reset
    phase (a ramp of t_edge) and rst falls after t_reset. Vectors: v(rst), v(out), v(outb)."""
    vdd = tech.vdd
    ia_pts, ib_pts, rst_pts = [], [], []
    for k, delta in enumerate(params.deltas):
        t0 = k * params.period
        ia, ib = params.i_common + delta / 2, params.i_common - delta / 2
        ia_pts += [(t0, ia), (t0 + params.period - params.t_edge, ia)]
        ib_pts += [(t0, ib), (t0 + params.period - params.t_edge, ib)]
        rst_pts += [(t0, vdd), (t0 + params.t_reset, vdd), (t0 + params.t_reset + params.t_edge, 0.0),
                    (t0 + params.period - params.t_edge, 0.0)]
    stop = len(params.deltas) * params.period
    cell = comparator_cell(params.comparator, tech)
    s = Schematic(tech, vss="0")
    s.define(cell)
    s.voltage("dd", "vdd", "0", vdd)
    s.voltage("ss", "vss", "0", 0)
    s.voltage("rst", "rst", "0", pwl(rst_pts))
    s.current("a_sink", "ia", "0", pwl(ia_pts))
    s.current("b_sink", "ib", "0", pwl(ib_pts))
    s.instance("xcmp", cell, **{p: p for p in cell.pins})
    return Testbench(name="comparator_decisions", body=s.text(), technology=tech, options=SIM_OPTIONS,
                     seed=params.seed,
                     analysis=Transient(step=params.t_edge, stop=stop, max_step=params.t_eval / 40),
                     saves=("v(rst)", "v(out)", "v(outb)", "v(ia)", "v(ib)"))


NETLISTS = {
    "comparator_decisions": (ComparatorBenchParams(), comparator_testbench, ("v(rst)", "v(out)", "v(outb)")),
}
