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
after rst falls at 9 nA (see ``decisions``), well inside a 1 ms presynaptic pulse.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySpice.Spice.Netlist import SubCircuit

from ebn_circuit.circuits.primitives import SWITCH, Size, add, device, diode, inverter, mirror_out
from ebn_circuit.errors import ConfigError
from ebn_circuit.measure.events import crossings
from ebn_circuit.spice.analysis import Transient
from ebn_circuit.spice.result import SimResult
from ebn_circuit.spice.testbench import Testbench
from ebn_circuit.technology.core import Technology

PINS = ("ia", "ib", "rst", "out", "outb", "vdd", "vss")

# Simulate a latch with Gear integration and a tight reltol: at its metastable point the
# trapezoidal rule rings and, with steps longer than the regeneration time (C/g_m, a fraction
# of a µs), can flip decisions for |ΔI| ≲ 0.1 nA. With these options the bench's max_step of
# 0.5 µs decides ±10 pA correctly. Use them in any testbench that contains this comparator.
SIM_OPTIONS = (("method", "gear"), ("reltol", "1e-4"))


@dataclass(frozen=True)
class ComparatorParams:
    """Device sizes (metres) of the clocked current comparator.

    mirror_w, mirror_l: input pFET diodes and their copies (long: matching, high output resistance).
        Sized for mismatch: with 4×16 µm mirrors and 2×8 µm latch devices the Monte-Carlo input
        offset is σ ≈ 0.25 nA at 9 nA (2×4 / 1×4 µm: σ ≈ 0.65 nA) — compare I_SL ≈ 0.3 nA.
    latch_w, latch_l: cross-coupled nFETs (long: at l = 1 µm sky130's subthreshold DIBL leaves
        the latch loop gain below one and it settles at a balanced point instead of deciding).
    """

    mirror_w: float = 4e-6
    mirror_l: float = 16e-6
    latch_w: float = 2e-6
    latch_l: float = 8e-6

    def __post_init__(self) -> None:
        for field in ("mirror_w", "mirror_l", "latch_w", "latch_l"):
            if not getattr(self, field) > 0:
                raise ConfigError(f"ComparatorParams.{field} must be > 0 m, got {getattr(self, field)}")


def comparator_subckt(params: ComparatorParams, tech: Technology, name: str = "current_comparator") -> SubCircuit:
    """The comparator as a PySpice SubCircuit with pins ``PINS``."""
    mirror = Size(params.mirror_w, params.mirror_l)
    latch = Size(params.latch_w, params.latch_l)
    sub = SubCircuit(name, *PINS)
    add(sub,
        diode(tech, "pa_in", "p", "ia", "vdd", mirror),
        mirror_out(tech, "pa_copy", "p", "q", "ia", "vdd", mirror),
        diode(tech, "pb_in", "p", "ib", "vdd", mirror),
        mirror_out(tech, "pb_copy", "p", "qb", "ib", "vdd", mirror),
        device(tech, "na_latch", "n", "q", "qb", "vss", latch),
        device(tech, "nb_latch", "n", "qb", "q", "vss", latch),
        device(tech, "na_rst", "n", "q", "rst", "vss", SWITCH),
        device(tech, "nb_rst", "n", "qb", "rst", "vss", SWITCH),
        inverter(tech, "inv_q", "q", "q_n"), inverter(tech, "buf_q", "q_n", "out"),
        inverter(tech, "inv_qb", "qb", "qb_n"), inverter(tech, "buf_qb", "qb_n", "outb"))
    return sub


@dataclass(frozen=True)
class ComparatorBenchParams:
    """A sequence of reset/evaluate cycles, one per ΔI = I_a − I_b (amperes).

    i_common: mean input current; I_a = i_common + ΔI/2, I_b = i_common − ΔI/2.
    deltas: ΔI per cycle (both signs should appear). t_reset, t_eval: phase lengths in s.
    seed: Monte-Carlo instance (with ``tech.with_mismatch(True)``); None for none.
    """

    comparator: ComparatorParams = ComparatorParams()
    i_common: float = 9e-9
    deltas: tuple[float, ...] = (1e-9, -1e-9, 1e-10, -1e-10, 3e-11, -3e-11, 1e-11, -1e-11)
    t_reset: float = 20e-6
    t_eval: float = 20e-6
    t_edge: float = 50e-9
    seed: int | None = None

    def __post_init__(self) -> None:
        if not self.i_common > 0:
            raise ConfigError(f"ComparatorBenchParams.i_common must be > 0 A, got {self.i_common}")
        if not self.deltas:
            raise ConfigError("ComparatorBenchParams.deltas must list at least one ΔI")
        if any(abs(d) / 2 >= self.i_common for d in self.deltas):
            raise ConfigError(f"ComparatorBenchParams.deltas: every |ΔI|/2 must be < i_common={self.i_common} A")
        for field in ("t_reset", "t_eval", "t_edge"):
            if not getattr(self, field) > 0:
                raise ConfigError(f"ComparatorBenchParams.{field} must be > 0 s, got {getattr(self, field)}")
        if 4 * self.t_edge >= min(self.t_reset, self.t_eval):
            raise ConfigError("ComparatorBenchParams.t_edge must be well below t_reset and t_eval")

    @property
    def period(self) -> float:
        return self.t_reset + self.t_eval

    def eval_starts(self) -> np.ndarray:
        """Times (s) at which rst has fallen to vdd/2, one per cycle."""
        return np.arange(len(self.deltas)) * self.period + self.t_reset + self.t_edge / 2


def _pwl(points: list[tuple[float, float]]) -> str:
    return "pwl(" + " ".join(f"{t:.9g} {v:.9g}" for t, v in points) + ")"


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
    sub = comparator_subckt(params.comparator, tech)
    body = [str(sub).rstrip(),
            f"vdd vdd 0 {vdd:g}",
            "vss vss 0 0",
            f"vrst rst 0 {_pwl(rst_pts)}",
            f"ia_sink ia 0 {_pwl(ia_pts)}",
            f"ib_sink ib 0 {_pwl(ib_pts)}",
            f"xcmp ia ib rst out outb vdd vss {sub.name}"]
    return Testbench(name="comparator_decisions", body="\n".join(body), technology=tech, options=SIM_OPTIONS,
                     seed=params.seed,
                     analysis=Transient(step=params.t_edge, stop=stop, max_step=params.t_eval / 40),
                     saves=("v(rst)", "v(out)", "v(outb)", "v(ia)", "v(ib)"))


@dataclass(frozen=True)
class Decisions:
    """Per cycle: ΔI (A), decision (1: I_a > I_b, 0: I_a < I_b, -1: none), decision time (s)."""

    deltas: np.ndarray
    decision: np.ndarray
    decision_time: np.ndarray

    @property
    def correct(self) -> np.ndarray:
        return self.decision == (self.deltas > 0).astype(int)

    def resolution(self) -> float:
        """Smallest |ΔI| such that every cycle with |ΔI| at or above it decided correctly (nan: none)."""
        mags = np.unique(np.abs(self.deltas))
        ok = [m for m in mags if self.correct[np.abs(self.deltas) >= m].all()]
        return float(min(ok)) if ok else float("nan")


def decisions(params: ComparatorBenchParams, result: SimResult, vdd: float) -> Decisions:
    """Read each cycle's decision at the end of its evaluate phase and its decision time: from
    rst crossing vdd/2 to the first of out/outb crossing vdd/2."""
    t, out, outb = result.time, result.v("out"), result.v("outb")
    starts = params.eval_starts()
    decision, times = [], []
    for start in starts:
        end = start + params.t_eval - 2 * params.t_edge
        o, ob = np.interp(end, t, out), np.interp(end, t, outb)
        decision.append(1 if o > vdd / 2 > ob else 0 if ob > vdd / 2 > o else -1)
        edges = [c for sig in (out, outb) for c in crossings(t, sig, vdd / 2, "rising") if start < c < end]
        times.append(min(edges) - start if edges else np.nan)
    return Decisions(np.asarray(params.deltas, float), np.asarray(decision), np.asarray(times))


NETLISTS = {
    "comparator_decisions": (ComparatorBenchParams(), comparator_testbench, ("v(rst)", "v(out)", "v(outb)")),
}
