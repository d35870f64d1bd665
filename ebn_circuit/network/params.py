"""Parameters of the EBN network model and the weight/decoder constructors.

Dimensionless units (SCIENCE.md §1): membrane potentials V are in units of the coding
error along a unit-norm decoder column; the resting potential is ``v_rest``. Time is in
seconds. Recurrent weights are stored as signed integer codes; one code is the weight step
``omega`` in *weight units* (the §5.2 scripts' units), and a weight ``w`` moves the
membrane by ``w / w_scale`` (``w_scale`` = τ_mem/τ_syn = 50 in the published setup).
The sign convention is the learning rule's: a weight is the signed jump the spike causes,
so the optimal weights are ``-(DᵀD + μλd²I)·w_scale``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ebn_circuit.errors import ConfigError


def _positive(name: str, value: float) -> None:
    if not np.isfinite(value) or value <= 0:
        raise ConfigError(f"NetworkParams.{name} must be a finite positive number, got {value!r}")


@dataclass(frozen=True)
class NetworkParams:
    """Everything that defines the §5.2 network and its learning rule.

    n_neurons, n_dims: N and J. dt: time step [s]. lambda_d: readout leak [1/s];
    lambda_v: membrane leak [1/s]. mu, nu: quadratic and linear cost. sigma_noise: membrane
    noise added per step (dimensionless std per step, as the reference scripts do).
    omega: weight step in weight units; w_scale: weight units per unit of potential.
    margin: widens the stop-learning band on each side (potential units).
    gain_g: comparison gain g of the rule (1 = literal rule; 2.5 = the published script,
    which compared 2·V with weight/20 while the weight moved V by weight/50).
    init_scale: std of the initial random weights (weight units).
    code_bits: signed counter width; codes saturate at its limits.
    reset_base: the neuron's own, fixed reset (potential drop after its spike, on top of
        the learned diagonal weight); None = μ·λd², the cost part of the optimal reset
        ‖D_k‖² + μλd², so learning only has to find the DᵀD part. 0 = the literal §1 model
        where the diagonal weight is the whole reset (with it the rule's fixed point has no
        μ part and the learned network is marginally stable off the learning rule; see
        docs/network.md).
    """

    n_neurons: int = 20
    n_dims: int = 2
    dt: float = 1e-4
    lambda_d: float = 100.0
    lambda_v: float = 20.0
    mu: float = 1e-4
    nu: float = 1e-3
    sigma_noise: float = 0.01
    v_rest: float = 0.0
    omega: float = 2.0
    w_scale: float = 50.0
    margin: float = 0.0
    gain_g: float = 2.5
    init_scale: float = 30.0
    code_bits: int = 8
    reset_base: float | None = None

    def __post_init__(self) -> None:
        if int(self.n_neurons) != self.n_neurons or self.n_neurons < 1:
            raise ConfigError(f"NetworkParams.n_neurons must be a positive integer, got {self.n_neurons!r}")
        if int(self.n_dims) != self.n_dims or self.n_dims < 1:
            raise ConfigError(f"NetworkParams.n_dims must be a positive integer, got {self.n_dims!r}")
        for name in ("dt", "lambda_d", "lambda_v", "omega", "w_scale", "gain_g"):
            _positive(name, getattr(self, name))
        for name in ("mu", "nu", "sigma_noise", "margin", "init_scale"):
            value = getattr(self, name)
            if not np.isfinite(value) or value < 0:
                raise ConfigError(f"NetworkParams.{name} must be finite and >= 0, got {value!r}")
        if not np.isfinite(self.v_rest):
            raise ConfigError(f"NetworkParams.v_rest must be finite, got {self.v_rest!r}")
        for name in ("lambda_d", "lambda_v"):
            tau = 1.0 / getattr(self, name)
            if self.dt >= tau:
                raise ConfigError(
                    f"NetworkParams.dt = {self.dt:g} s must be shorter than the time constant "
                    f"1/{name} = {tau:g} s (Euler steps would be unstable)"
                )
        if self.reset_base is not None and (not np.isfinite(self.reset_base) or self.reset_base < 0):
            raise ConfigError(f"NetworkParams.reset_base must be None or finite and >= 0, got {self.reset_base!r}")
        if not 2 <= int(self.code_bits) <= 16:
            raise ConfigError(f"NetworkParams.code_bits must be in 2..16, got {self.code_bits!r}")

    @property
    def delta(self) -> float:
        """One weight step expressed as a membrane jump (potential units)."""
        return self.omega / self.w_scale

    @property
    def reset(self) -> float:
        """The fixed part of every neuron's reset (potential units)."""
        return self.mu * self.lambda_d**2 if self.reset_base is None else float(self.reset_base)

    @property
    def code_min(self) -> int:
        return -(2 ** (int(self.code_bits) - 1))

    @property
    def code_max(self) -> int:
        return 2 ** (int(self.code_bits) - 1) - 1


def make_decoder(params: NetworkParams, rng: np.random.Generator) -> np.ndarray:
    """Standard normal J×N decoder with unit-norm columns."""
    d = rng.standard_normal((params.n_dims, params.n_neurons))
    return d / np.linalg.norm(d, axis=0, keepdims=True)


def thresholds(decoder: np.ndarray, params: NetworkParams) -> np.ndarray:
    """T_i = (ν·λd + μ·λd² + ‖D_i‖²)/2 (potential units)."""
    norms = np.sum(decoder**2, axis=0)
    return 0.5 * (params.nu * params.lambda_d + params.mu * params.lambda_d**2 + norms)


def optimal_weights(decoder: np.ndarray, params: NetworkParams) -> np.ndarray:
    """Optimal signed weights in weight units (off the grid): -(DᵀD + μλd²I)·w_scale minus
    the part of the reset the neuron does itself (params.reset), so that weights plus the
    fixed reset give exactly Ω = DᵀD + μλd²I."""
    extra = params.mu * params.lambda_d**2 - params.reset
    omega_opt = decoder.T @ decoder + extra * np.eye(decoder.shape[1])
    return -omega_opt * params.w_scale


def to_codes(weights: np.ndarray, params: NetworkParams) -> np.ndarray:
    """Round weights (weight units) to the nearest grid code, saturating at the counter."""
    codes = np.rint(np.asarray(weights, dtype=float) / params.omega)
    return np.clip(codes, params.code_min, params.code_max).astype(np.int64)


def initial_codes(params: NetworkParams, rng: np.random.Generator) -> np.ndarray:
    """§5.2 initial weights: init_scale × standard normal on the grid, zero diagonal."""
    w = params.init_scale * rng.standard_normal((params.n_neurons, params.n_neurons))
    codes = to_codes(w, params)
    np.fill_diagonal(codes, 0)
    return codes


def check_network(decoder: np.ndarray, codes: np.ndarray, params: NetworkParams) -> None:
    """Raise ConfigError on shapes or values that cannot run, before any simulation."""
    decoder = np.asarray(decoder)
    codes = np.asarray(codes)
    n, j = params.n_neurons, params.n_dims
    if decoder.shape != (j, n):
        raise ConfigError(f"decoder D has shape {decoder.shape}, expected (J, N) = ({j}, {n})")
    if not np.all(np.isfinite(decoder)):
        raise ConfigError("decoder D contains non-finite values")
    if codes.shape[-2:] != (n, n):
        raise ConfigError(f"weights have shape {codes.shape}, expected N×N = {n}×{n}")
    if not np.all(np.isfinite(codes)):
        raise ConfigError("weights contain non-finite values")
    if np.any(codes < params.code_min) or np.any(codes > params.code_max):
        raise ConfigError(
            f"weight codes outside the {params.code_bits}-bit counter range "
            f"[{params.code_min}, {params.code_max}]"
        )
