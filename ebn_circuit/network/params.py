"""Parameters of the EBN network model and the weight/decoder constructors.

Dimensionless units (SCIENCE.md §1): membrane potentials V are in units of the coding
error along a unit-norm decoder column; the resting potential is ``v_rest``. Time is in
seconds. Recurrent weights are stored as signed integer codes; one code is the weight step
``omega`` in *weight units* (the §5.2 scripts' units), and a weight ``w`` moves the
membrane by ``w / w_scale`` (``w_scale`` = τ_mem/τ_syn = 50 in the published setup).
The sign convention is the learning rule's: a weight is the signed jump the spike causes,
so the optimal weights are ``-(DᵀD + μλd²I)·w_scale``, less each neuron's own reset.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np

from ebn_circuit.errors import ConfigError

RULE_SAMPLES = ("spike", "settled")
CODE_DTYPE = np.int16  # every counter width we allow (2..16 bits) fits; N = 10 000 costs 200 MB


def _positive(name: str, value: float) -> None:
    if not np.isfinite(value) or value <= 0:
        raise ConfigError(f"NetworkParams.{name} must be a finite positive number, got {value!r}")


@dataclass(frozen=True)
class NetworkParams:
    """Everything that defines the §5.2 network and its learning rule.

    n_neurons, n_dims: N and J. dt: time step [s]. lambda_d: readout leak [1/s];
    lambda_v: membrane leak [1/s]. mu, nu: quadratic and linear cost.
    sigma_noise: white noise *current* per step, in the units of the input current
        τ_mem·Dᵀc (as the published script adds it to the input), so V moves by
        σ·λV·dt·ξ per step (2·10⁻⁵ at the defaults).
    omega: weight step in weight units; w_scale: weight units per unit of potential.
    margin: widens the stop-learning band on each side (on the scale of the rule's test
        2·(V−V_rest) + g·jump; 0 = the literal band ±δ/2; the published script's band was
        ±ω/2 = ±1, i.e. margin = (ω − δ)/2 = 0.98).
    gain_g: comparison gain g of the rule (1 = literal rule; 2.5 = the published script,
        which compared 2·V with weight/20 while the weight moved V by weight/50).
    init_scale: std of the initial random weights (weight units).
    code_bits: signed counter width; codes saturate at its limits.
    reset_base: each neuron's own, fixed reset (potential drop after its spike, on top of its
        diagonal weight); None = its threshold T_k, so a spike at threshold lands at rest
        (a DPI neuron resets to a fixed I_reset; the published script reset to 0 = rest).
    learn_diagonal: the rule also moves each neuron's reset through its diagonal code (§2:
        "for n = k the same test moves the reset"); off by default, see docs/network.md.
    tau_syn_fast: time constant of the fast recurrent synapse [s] (§5.2: 1 ms); a spike's
        jump is delivered as an exponentially decaying current, integrated exactly over each
        step; 0 = instantaneous jumps. The reset is always instantaneous.
    rule_sample: what the rule takes as V_before: "spike" = the potential at the spike, as
        the published script (charge of earlier spikes still on its way is not counted);
        "settled" = that potential plus the charge still to arrive from earlier spikes.
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
    learn_diagonal: bool = False
    tau_syn_fast: float = 1e-3
    rule_sample: str = "spike"

    def __post_init__(self) -> None:
        if int(self.n_neurons) != self.n_neurons or self.n_neurons < 1:
            raise ConfigError(f"NetworkParams.n_neurons must be a positive integer, got {self.n_neurons!r}")
        if int(self.n_dims) != self.n_dims or self.n_dims < 1:
            raise ConfigError(f"NetworkParams.n_dims must be a positive integer, got {self.n_dims!r}")
        for name in ("dt", "lambda_d", "lambda_v", "omega", "w_scale", "gain_g"):
            _positive(name, getattr(self, name))
        for name in ("mu", "nu", "sigma_noise", "margin", "init_scale", "tau_syn_fast"):
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
        if self.rule_sample not in RULE_SAMPLES:
            raise ConfigError(f"NetworkParams.rule_sample must be one of {RULE_SAMPLES}, got {self.rule_sample!r}")

    def with_(self, **changes) -> "NetworkParams":
        """A copy with some fields changed (validated like the original)."""
        try:
            return replace(self, **changes)
        except TypeError as exc:  # an unknown field name
            raise ConfigError(f"NetworkParams: {exc}") from exc

    @property
    def delta(self) -> float:
        """One weight step expressed as a membrane jump (potential units)."""
        return self.omega / self.w_scale

    @property
    def half_band(self) -> float:
        """Half-width of the rule's stop-learning band on the scale of its test 2·ΔV + g·jump."""
        return 0.5 * self.delta + self.margin

    @property
    def synapse_decay(self) -> float:
        """ρ = exp(-dt/τ_fast): the fast synapse's decay per step (0 = instantaneous jumps)."""
        return float(np.exp(-self.dt / self.tau_syn_fast)) if self.tau_syn_fast > 0 else 0.0

    @property
    def noise_per_step(self) -> float:
        """Std of the noise's step on V (potential units): σ·λV·dt."""
        return self.sigma_noise * self.lambda_v * self.dt

    @property
    def code_min(self) -> int:
        return -(2 ** (int(self.code_bits) - 1))

    @property
    def code_max(self) -> int:
        return 2 ** (int(self.code_bits) - 1) - 1


def parse_field(name: str, text: str):
    """A NetworkParams field's value from text (the CLI's --set NAME=VALUE and sweeps)."""
    types = {f.name: str(f.type) for f in fields(NetworkParams)}
    if name not in types:
        raise ConfigError(f"NetworkParams has no field {name!r}; fields: {', '.join(types)}")
    kind, text = types[name], str(text).strip()
    if "None" in kind and text.lower() == "none":
        return None
    try:
        if kind.startswith("bool"):
            if text.lower() not in ("true", "false", "1", "0"):
                raise ValueError(text)
            return text.lower() in ("true", "1")
        if kind.startswith("int"):
            return int(text)
        if kind.startswith("float"):
            return float(text)
    except ValueError:
        raise ConfigError(f"NetworkParams.{name} expects {kind}, got {text!r}") from None
    return text


def make_decoder(params: NetworkParams, rng: np.random.Generator) -> np.ndarray:
    """Standard normal J×N decoder with unit-norm columns."""
    d = rng.standard_normal((params.n_dims, params.n_neurons))
    return d / np.linalg.norm(d, axis=0, keepdims=True)


def thresholds(decoder: np.ndarray, params: NetworkParams) -> np.ndarray:
    """T_i = (ν·λd + μ·λd² + ‖D_i‖²)/2 (potential units)."""
    norms = np.sum(decoder**2, axis=0)
    return 0.5 * (params.nu * params.lambda_d + params.mu * params.lambda_d**2 + norms)


def resets(decoder: np.ndarray, params: NetworkParams) -> np.ndarray:
    """Each neuron's fixed reset (potential units): its threshold (back to rest) or reset_base."""
    if params.reset_base is None:
        return thresholds(decoder, params)
    return np.full(decoder.shape[1], float(params.reset_base))


def optimal_weights(decoder: np.ndarray, params: NetworkParams) -> np.ndarray:
    """Optimal signed weights in weight units (off the grid): -(DᵀD + μλd²I)·w_scale with the
    diagonal less each neuron's fixed reset, so that weights plus reset give exactly
    Ω = DᵀD + μλd²I. N×N float64: for large N use optimal_codes."""
    omega_opt = decoder.T @ decoder
    omega_opt[np.diag_indices_from(omega_opt)] += params.mu * params.lambda_d**2 - resets(decoder, params)
    omega_opt *= -params.w_scale
    return omega_opt


def optimal_codes(decoder: np.ndarray, params: NetworkParams, block: int = 1024) -> np.ndarray:
    """to_codes(optimal_weights(...)) built a block of columns at a time (memory ~ N² codes)."""
    n = decoder.shape[1]
    codes = np.empty((n, n), dtype=CODE_DTYPE)
    extra = params.mu * params.lambda_d**2 - resets(decoder, params)
    for c0 in range(0, n, block):
        cols = slice(c0, min(c0 + block, n))
        w = decoder.T @ decoder[:, cols]
        idx = np.arange(cols.start, cols.stop)
        w[idx, idx - c0] += extra[idx]
        codes[:, cols] = to_codes(-params.w_scale * w, params)
    return codes


def to_codes(weights: np.ndarray, params: NetworkParams) -> np.ndarray:
    """Round weights (weight units) to the nearest grid code, saturating at the counter."""
    codes = np.rint(np.asarray(weights, dtype=float) / params.omega)
    return np.clip(codes, params.code_min, params.code_max).astype(CODE_DTYPE)


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
    if codes.dtype.kind == "f" and not np.all(np.isfinite(codes)):
        raise ConfigError("weights contain non-finite values")
    if codes.min() < params.code_min or codes.max() > params.code_max:
        raise ConfigError(
            f"weight codes outside the {params.code_bits}-bit counter range "
            f"[{params.code_min}, {params.code_max}]"
        )
