"""I_Ω per code from a learning run's waveforms: the jump of I_mem that one presynaptic spike
causes with the present weight (SCIENCE.md §3), per unit of the weight code.

A spike's effect on I_mem is not a step: the synapse spreads its charge over τ_syn and the neuron
integrates it with τ_mem, so I_mem keeps rising after the 1 ms pulse (in our sky130 loop the jump
peaks near the next pulse, 5 ms later; during the pulse I_mem even dips, a transient of the
synapse pair). The rise during the pulse therefore does not measure I_Ω. Here, at each lag τ
after the onsets, across the pulses k of the run:

    I_mem(t_k + τ) − I_mem(t_k) = a(τ) + b(τ)·I_mem(t_k) + h(τ)·code_k          (least squares)

a + b·I_before is the neuron relaxing towards its drive, h(τ) the response per code unit; I_Ω per
code is the peak of h over one period (0, T]. Our circuit's calibration measures the same peak
with a counterfactual (I_mem at code 16 minus at code 0 over the first period, over 16 codes); on
Simulations 1 and 2 the two agree within ~7 % (docs/models.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ebn_circuit.errors import WaveformError

LAGS = 25   # lags per period at which h is estimated


@dataclass(frozen=True)
class JumpEstimate:
    """I_Ω per code (A) with its lag (s) and the response profile h(τ) (A per code)."""

    omega_per_code: float
    lag: float
    profile: pd.DataFrame


class PulseResponses:
    """The rise of I_mem after each onset at ``lags`` lags over one period, sampled once, so that
    refits on subsets of pulses (bootstrap) cost one small least-squares solve each."""

    def __init__(self, time, i_mem, onsets, codes, lags: int = LAGS):
        time, i_mem = np.asarray(time, dtype=float), np.asarray(i_mem, dtype=float)
        onsets, codes = np.asarray(onsets, dtype=float), np.asarray(codes, dtype=float)
        if onsets.size < 4:
            raise WaveformError(f"need at least 4 presynaptic pulses to measure the jump per code, got {onsets.size}")
        period = float(np.median(np.diff(onsets)))
        # the first pulse starts the record's transient; the last ones may be cut off by its end
        keep = np.arange(onsets.size) >= 1
        keep &= onsets + period <= time[-1]
        self.taus = period * np.arange(1, lags + 1) / lags
        self.before = np.interp(onsets[keep], time, i_mem)
        self.codes = codes[keep]
        self.rise = np.interp(onsets[keep][None, :] + self.taus[:, None], time, i_mem) - self.before[None, :]

    def __len__(self) -> int:
        return int(self.codes.size)

    def estimate(self, rows=None) -> JumpEstimate:
        """h(τ) by least squares over the pulses ``rows`` (indices into the kept pulses; default all)."""
        rows = np.arange(len(self)) if rows is None else np.asarray(rows)
        if np.unique(self.codes[rows]).size < 2:
            raise WaveformError("the code never changes over these pulses: the jump per code cannot be separated "
                                "from the neuron's own drift")
        design = np.column_stack([np.ones(rows.size), self.before[rows], self.codes[rows]])
        coef = np.linalg.lstsq(design, self.rise[:, rows].T, rcond=None)[0]
        profile = pd.DataFrame({"lag_s": self.taus, "per_code_A": coef[2], "relaxation": coef[1]})
        peak = int(np.argmax(coef[2]))
        return JumpEstimate(float(coef[2][peak]), float(self.taus[peak]), profile)


def jump_from_waveforms(waveforms: pd.DataFrame, table: pd.DataFrame) -> JumpEstimate:
    """The jump per code of aligned waveforms (time, i_mem) with their ``pulse_table``."""
    return PulseResponses(waveforms["time"].to_numpy(), waveforms["i_mem"].to_numpy(), table["onset"].to_numpy(),
                          table["code_before"].to_numpy()).estimate()
