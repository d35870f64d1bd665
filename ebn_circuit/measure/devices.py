"""Transistor figures of merit from an Id–Vg sweep (pure numpy)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ebn_circuit.errors import WaveformError

BOLTZMANN_Q = 8.617333262e-5  # k/q in V/K


def thermal_voltage(temperature_c: float = 27.0) -> float:
    """U_T = kT/q in volts (ngspice's default temperature is 27 °C)."""
    return BOLTZMANN_Q * (temperature_c + 273.15)


@dataclass(frozen=True)
class SubthresholdFit:
    """Steepest stretch of log10(Id) vs Vgs spanning ``decades``: slope in mV/decade."""

    slope_mv_per_decade: float
    vgs_start: float
    vgs_stop: float
    id_start: float
    id_stop: float

    def kappa(self, temperature_c: float = 27.0) -> float:
        """Subthreshold slope factor κ = U_T·ln(10) / S."""
        return thermal_voltage(temperature_c) * np.log(10) / (self.slope_mv_per_decade * 1e-3)


def subthreshold_slope(vgs, drain_current, decades: float = 3.0, floor: float = 1e-13) -> SubthresholdFit:
    """The smallest ΔVgs that raises |Id| by ``decades``, over currents above ``floor`` (A):
    the steepest subthreshold stretch, away from junction leakage at the bottom."""
    vgs = np.asarray(vgs, dtype=float)
    current = np.abs(np.asarray(drain_current, dtype=float))
    if vgs.shape != current.shape or vgs.size < 3:
        raise WaveformError("subthreshold_slope: vgs and current must be equal-length sweeps")
    log_i = np.log10(np.maximum(current, 1e-30))
    best = None
    for i in np.flatnonzero(current > floor):
        target = log_i[i] + decades
        j = np.searchsorted(np.maximum.accumulate(log_i), target)  # first index reaching it
        if j >= vgs.size or j <= i:
            continue
        # interpolate the exact Vgs where log Id reaches the target
        v_hit = np.interp(target, log_i[j - 1:j + 1], vgs[j - 1:j + 1])
        slope = (v_hit - vgs[i]) / decades * 1e3
        if best is None or slope < best.slope_mv_per_decade:
            best = SubthresholdFit(slope, float(vgs[i]), float(v_hit), float(current[i]),
                                   float(current[i] * 10**decades))
    if best is None:
        raise WaveformError(f"subthreshold_slope: the current never spans {decades} decades above {floor} A")
    return best
