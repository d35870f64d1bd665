"""What the network runs on: the ideal model or one (mismatched) chip instance.

A Substrate says how a weight code becomes a membrane jump and how each neuron and each
learning block deviates from the ideal. The ideal substrate has unit gains, the nominal
leak, a linear DAC (code·δ) and no bound offsets; a chip instance carries per-synapse DAC
curves, per-neuron gain and leak, and per-learning-block offsets of the rule's bounds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ebn_circuit.errors import ConfigError
from ebn_circuit.network.params import NetworkParams


@dataclass(frozen=True, eq=False)
class Substrate:
    """Per-instance transfer curves, in the network's dimensionless units.

    lambda_v: per-neuron membrane leak [1/s], shape (N,).
    gain: per-neuron input gain (scales feed-forward and recurrent input), shape (N,).
    dac: per-synapse DAC curve, jump in potential units for each code from code_min to
        code_max, shape (N, N, n_codes); None = ideal linear DAC code·δ.
    bound_lo, bound_hi: offsets added to the rule's lower/upper comparison levels
        (potential units, on the scale of the test 2·(V-V_rest) + g·jump), shape (N, N);
        None = no offset.
    """

    lambda_v: np.ndarray
    gain: np.ndarray
    dac: np.ndarray | None = None
    bound_lo: np.ndarray | None = None
    bound_hi: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = np.shape(self.lambda_v)[0] if np.ndim(self.lambda_v) == 1 else -1
        if n < 1 or np.shape(self.gain) != (n,):
            raise ConfigError(
                f"Substrate: lambda_v {np.shape(self.lambda_v)} and gain {np.shape(self.gain)} "
                "must both have shape (N,)"
            )
        if self.dac is not None and (np.ndim(self.dac) != 3 or np.shape(self.dac)[:2] != (n, n)):
            raise ConfigError(f"Substrate.dac has shape {np.shape(self.dac)}, expected (N, N, n_codes)")
        for name in ("bound_lo", "bound_hi"):
            value = getattr(self, name)
            if value is not None and np.shape(value) != (n, n):
                raise ConfigError(f"Substrate.{name} has shape {np.shape(value)}, expected ({n}, {n})")
        for name in ("lambda_v", "gain", "dac", "bound_lo", "bound_hi"):
            value = getattr(self, name)
            if value is not None and not np.all(np.isfinite(value)):
                raise ConfigError(f"Substrate.{name} contains non-finite values")
        if np.any(np.asarray(self.lambda_v) <= 0):
            raise ConfigError("Substrate.lambda_v must be positive for every neuron")

    @property
    def n_neurons(self) -> int:
        return int(np.shape(self.lambda_v)[0])

    @classmethod
    def ideal(cls, params: NetworkParams) -> "Substrate":
        n = params.n_neurons
        return cls(lambda_v=np.full(n, params.lambda_v), gain=np.ones(n))

    def check(self, params: NetworkParams) -> None:
        """Raise ConfigError if this substrate cannot run with params."""
        if self.n_neurons != params.n_neurons:
            raise ConfigError(f"Substrate has {self.n_neurons} neurons, params say N = {params.n_neurons}")
        n_codes = params.code_max - params.code_min + 1
        if self.dac is not None and self.dac.shape[2] != n_codes:
            raise ConfigError(
                f"Substrate.dac has {self.dac.shape[2]} codes per curve, the {params.code_bits}-bit "
                f"counter needs {n_codes}"
            )
        if np.any(params.dt * np.asarray(self.lambda_v) >= 1.0):
            raise ConfigError("Substrate.lambda_v: dt must be shorter than every neuron's time constant")

    def jumps(self, codes: np.ndarray, params: NetworkParams) -> np.ndarray:
        """Membrane jumps (N×N, potential units) that the weight codes cause."""
        if self.dac is None:
            raw = codes * params.delta
        else:
            idx = (codes - params.code_min)[..., None]
            raw = np.take_along_axis(self.dac, idx, axis=2)[..., 0]
        return self.gain[:, None] * raw

    def jump_column(self, codes_col: np.ndarray, k: int, params: NetworkParams) -> np.ndarray:
        """Jumps of column k (spikes of neuron k onto every neuron), shape (N,)."""
        if self.dac is None:
            raw = codes_col * params.delta
        else:
            raw = self.dac[np.arange(self.n_neurons), k, codes_col - params.code_min]
        return self.gain * raw

    def offsets(self) -> tuple[np.ndarray, np.ndarray]:
        n = self.n_neurons
        lo = np.zeros((n, n)) if self.bound_lo is None else np.asarray(self.bound_lo, float)
        hi = np.zeros((n, n)) if self.bound_hi is None else np.asarray(self.bound_hi, float)
        return lo, hi
