"""Synthetic per-instance mismatch, standing in for the extraction tables until they exist.

Every synapse gets its own DAC curve, every neuron its own gain and leak, every learning
block its own bound offsets, all drawn from a seeded Generator (`Substrate.synthetic` builds
the chip instance from these spreads). The DAC curve of a synapse,
in units of one nominal code step (LSB):

    out(code) = exp(σ_gain·ξ)·code·(1 - b·|code|/code_max) + σ_offset·ξ + σ_inl·ξ_code,
    b = min(|σ_bow·ξ|, 0.45)

(ξ standard normal per synapse; ξ_code drawn per code). Current = out·δ·i_per_unit (see units.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ebn_circuit.errors import ConfigError
from ebn_circuit.network.params import NetworkParams
from ebn_circuit.network.units import Units


@dataclass(frozen=True)
class SyntheticMismatch:
    """Relative spreads (σ) of the synthetic mismatch.

    dac_gain: std of the log DAC gain; dac_bow: compression at full scale (fraction);
    dac_offset, dac_inl: in LSB (one code step);
    neuron_gain: relative; leak: relative spread of λV; bound: learning-block bound offset
    std [A]."""

    dac_gain: float = 0.2
    dac_offset: float = 1.0
    dac_bow: float = 0.1
    dac_inl: float = 0.3
    neuron_gain: float = 0.15
    leak: float = 0.3
    bound: float = 0.05e-9

    def __post_init__(self) -> None:
        for name in ("dac_gain", "dac_offset", "dac_bow", "dac_inl", "neuron_gain", "leak", "bound"):
            value = getattr(self, name)
            if not np.isfinite(value) or value < 0:
                raise ConfigError(f"SyntheticMismatch.{name} must be finite and >= 0, got {value!r}")
        if self.neuron_gain >= 0.5 or self.leak >= 0.5:
            raise ConfigError("SyntheticMismatch: neuron_gain and leak spreads must be < 0.5 (gains stay positive)")


    def scaled(self, factor: float) -> "SyntheticMismatch":
        """Every spread multiplied by factor (the gain-like spreads capped below 0.5)."""
        if not np.isfinite(factor) or factor < 0:
            raise ConfigError(f"SyntheticMismatch.scaled: factor must be finite and >= 0, got {factor!r}")
        values = {k: v * factor for k, v in self.__dict__.items()}
        values["neuron_gain"] = min(values["neuron_gain"], 0.45)
        values["leak"] = min(values["leak"], 0.45)
        return SyntheticMismatch(**values)


def synthetic_dac_lsb(params: NetworkParams, mismatch: SyntheticMismatch, n_curves: int,
                      rng: np.random.Generator) -> np.ndarray:
    """n_curves DAC curves in LSB over every code of the counter, shape (n_curves, n_codes).
    Gain is log-normal and the bow compressive (capped at 45 % at full scale) so that a
    curve never turns over: a DAC whose output falls as its code rises would drive the rule
    away from its fixed point, which a real current DAC does not do."""
    codes = np.arange(params.code_min, params.code_max + 1, dtype=float)
    gain = np.exp(mismatch.dac_gain * rng.standard_normal((n_curves, 1)))
    offset = mismatch.dac_offset * rng.standard_normal((n_curves, 1))
    bow = np.minimum(np.abs(mismatch.dac_bow * rng.standard_normal((n_curves, 1))), 0.45)
    inl = mismatch.dac_inl * rng.standard_normal((n_curves, codes.size))
    return gain * codes * (1.0 - bow * np.abs(codes) / params.code_max) + offset + inl


def synthetic_dac_table(params: NetworkParams, mismatch: SyntheticMismatch, n_instances: int,
                        rng: np.random.Generator, units: Units = Units()) -> pd.DataFrame:
    """A tidy table (instance, code, current [A]) of synthetic DAC curves, the format the
    extraction layer is expected to deliver."""
    lsb = synthetic_dac_lsb(params, mismatch, n_instances, rng)
    codes = np.arange(params.code_min, params.code_max + 1)
    current = units.current_from_jump(lsb * params.delta)
    return pd.DataFrame({
        "instance": np.repeat(np.arange(n_instances), codes.size),
        "code": np.tile(codes, n_instances),
        "current": current.ravel(),
    })
