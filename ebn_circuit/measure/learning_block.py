"""Readout of the learning-block testbench (``circuits.learning_block.learning_block_testbench``):
one row per presynaptic pulse with the block's flags, held currents, codes and timing."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ebn_circuit.circuits.codes import from_bits
from ebn_circuit.errors import WaveformError
from ebn_circuit.measure.events import crossings, sample_before
from ebn_circuit.rule import DEC, INC, NONE, SL


def decision_from_flags(inc, dec, sl) -> np.ndarray:
    """INC / DEC when only that flag is set; SL when sl is set or when inc and dec are both set (the
    bounds are inverted by offsets larger than I_SL: the counter holds, as for SL); NONE when no flag
    is set (the comparators did not decide)."""
    inc, dec, sl = (np.asarray(f, dtype=int) for f in (inc, dec, sl))
    return np.where((inc == 1) & (dec == 0), INC, np.where((dec == 1) & (inc == 0), DEC,
                    np.where((sl == 1) | ((inc == 1) & (dec == 1)), SL, NONE)))


def pulse_readout(schedule, result, vdd: float, bits: int, instance: str = "xlb",
                  omega_ratio: float = 0.5) -> pd.DataFrame:
    """One row per pulse (currents in A):

    i_before: I_mem input just before the rising edge; i_held_l / i_held_u: the held copies at the
    decision (just before the fall); r_omega_l / r_omega_u: the replica DACs' r·I_Ω at the decision;
    i_omega: their mean / omega_ratio; inc, dec, sl: flags just before the fall (0/1); decision:
    INC/SL/DEC (+1/0/−1) from the flags (``decision_from_flags``), NONE (−2) when none is set; code_before:
    the code just before the rising edge; code_mid: just before the fall (the old code must still be
    there: one step per pulse, at its end); code_after: 50 µs after the fall (after the step).
    Timing (s): t_release, comparator reset released (crst falls) after the rising edge; t_flag, the
    first decision flag rises after the rising edge; t_clear, crst rises again after the falling edge.
    """
    t = result.time
    rises, falls = schedule.rises(), schedule.falls()
    before_fall = falls - schedule.t_edge

    def flag(name):
        return (sample_before(t, result.v(name), before_fall) > vdd / 2).astype(int)

    def code_at(times):
        levels = np.array([sample_before(t, result.v(f"b{k}"), times) for k in range(bits)]).T
        if np.any((levels > 0.2 * vdd) & (levels < 0.8 * vdd)):
            raise WaveformError("learning block: a code bit is not at a logic level when sampled")
        return np.array([from_bits((row > vdd / 2).astype(int), bits) for row in levels])

    inc, dec, sl = flag("inc"), flag("dec"), flag("sl")
    decision = decision_from_flags(inc, dec, sl)
    cur = lambda name, times: np.interp(times, t, result.i(name))  # noqa: E731
    r_l, r_u = cur(f"v.{instance}.vomega_l", before_fall), cur(f"v.{instance}.vomega_u", before_fall)
    crst = result.v(f"{instance}.crst")
    flag_edges = np.sort(np.concatenate([crossings(t, result.v(n), vdd / 2, "rising") for n in ("inc", "dec", "sl")]))

    def first_after(times, events):
        index = np.searchsorted(events, times)
        return np.array([events[i] - x if i < len(events) else np.nan for x, i in zip(times, index)])

    edges = crossings(t, result.v("pulse"), vdd / 2, "rising")
    if len(edges) != len(rises):
        raise WaveformError(f"learning block: expected {len(rises)} pulses, found {len(edges)}")
    return pd.DataFrame({
        "pulse": np.arange(len(rises)), "onset": rises, "level": np.asarray(schedule.levels),
        "i_before": sample_before(t, result.i("vimem"), rises),
        "i_held_l": cur(f"v.{instance}.vheld_l", before_fall), "i_held_u": cur(f"v.{instance}.vheld_u", before_fall),
        "r_omega_l": r_l, "r_omega_u": r_u, "i_omega": (r_l + r_u) / 2 / omega_ratio,
        "inc": inc, "dec": dec, "sl": sl, "decision": decision,
        "code_before": code_at(rises - schedule.t_edge), "code_mid": code_at(before_fall),
        "code_after": code_at(falls + 50e-6),
        "t_release": first_after(rises, crossings(t, crst, vdd / 2, "falling")),
        "t_flag": first_after(rises, flag_edges),
        "t_clear": first_after(falls, crossings(t, crst, vdd / 2, "rising")),
    })


def readout(params, result, vdd: float = 1.8) -> pd.DataFrame:
    """Per-pulse table of a ``learning_block_testbench`` run (``params``: LearningBenchParams)."""
    return pulse_readout(params.schedule, result, vdd, params.block.bits, "xlb", params.block.omega_ratio)
