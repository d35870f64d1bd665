"""Readout of the comparator testbench (``circuits.comparator.comparator_testbench``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ebn_circuit.measure.events import crossings


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


def decisions(params, result, vdd: float) -> Decisions:
    """Each cycle's decision at the end of its evaluate phase and its decision time: from rst
    crossing vdd/2 to the first of out/outb crossing vdd/2. ``params``: ComparatorBenchParams."""
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
