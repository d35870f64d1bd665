"""The §5.2 protocol: train over trials of fresh input, then evaluate on a fresh trial."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ebn_circuit.errors import ConfigError
from ebn_circuit.network.batch import run_batch
from ebn_circuit.network.inputs import command_signal
from ebn_circuit.network.metrics import evaluate, reconstruction_error, script_distance, relative_frobenius
from ebn_circuit.network.params import (
    CODE_DTYPE,
    NetworkParams,
    check_network,
    initial_codes,
    make_decoder,
    optimal_codes,
    optimal_weights,
)
from ebn_circuit.network.simulate import TrialResult, run_trial
from ebn_circuit.network.substrate import Substrate


@dataclass(frozen=True, eq=False)
class TrainingHistory:
    """Per training trial: spikes, reconstruction error, script distance, relative
    Frobenius distance to the optimal weights (after the trial). codes: final codes."""

    n_spikes: np.ndarray
    error: np.ndarray
    script_distance: np.ndarray
    relative_frobenius: np.ndarray
    codes: np.ndarray
    initial_script_distance: float = float("nan")
    initial_relative_frobenius: float = float("nan")


def train(
    params: NetworkParams,
    decoder: np.ndarray,
    codes: np.ndarray,
    rng: np.random.Generator,
    n_trials: int = 51,
    *,
    substrate: Substrate | None = None,
    n_steps: int = 10_000,
    progress: Callable[[int], None] | None = None,
    engine: str = "auto",
) -> TrainingHistory:
    """Run n_trials trials of fresh §5.2 input with the rule on; returns the history."""
    if n_trials < 0:
        raise ConfigError(f"train: n_trials must be >= 0, got {n_trials}")
    check_network(decoder, codes, params)
    w_opt = optimal_weights(decoder, params)
    codes_in = codes
    codes = np.array(codes, dtype=CODE_DTYPE, copy=True)
    rows: list[tuple[int, float, float, float]] = []
    for _ in range(n_trials):
        command = command_signal(params, rng, n_steps)
        res = run_trial(params, decoder, codes, command, rng=rng, substrate=substrate, learn=True,
                        engine=engine)
        codes = res.codes
        w = codes * params.omega
        rows.append((res.n_spikes, reconstruction_error(res.x, res.x_hat),
                     script_distance(w, w_opt), relative_frobenius(w, w_opt)))
        if progress is not None:
            progress(1)
    cols = np.array(rows, dtype=float).reshape(-1, 4).T
    w0 = np.asarray(codes_in) * params.omega
    return TrainingHistory(cols[0].astype(int), cols[1], cols[2], cols[3], codes,
                           script_distance(w0, w_opt), relative_frobenius(w0, w_opt))


def train_batch(
    params: NetworkParams,
    decoder: np.ndarray,
    codes: np.ndarray,
    substrates: list[Substrate],
    rng: np.random.Generator,
    n_trials: int = 51,
    *,
    n_steps: int = 10_000,
    progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Train B instances at once (same input per trial, own noise each); returns (B, N, N) codes."""
    codes = np.array(codes, dtype=CODE_DTYPE, copy=True)
    for _ in range(n_trials):
        command = command_signal(params, rng, n_steps)
        rngs = [np.random.default_rng(s) for s in rng.integers(0, 2**63, len(substrates))]
        res = run_batch(params, decoder, codes, command, substrates=substrates, rngs=rngs, learn=True)
        codes = np.stack([r.codes for r in res])
        if progress is not None:
            progress(1)
    return codes


@dataclass(frozen=True, eq=False)
class Figure1Run:
    """Everything Figure 1 shows: the three networks' evaluation trials, weights, metrics,
    and the training history."""

    params: NetworkParams
    decoder: np.ndarray
    codes: dict[str, np.ndarray]
    results: dict[str, TrialResult]
    metrics: dict[str, dict]
    history: TrainingHistory
    seed: int
    extra: dict = field(default_factory=dict)


def reproduce_figure1(
    seed: int,
    params: NetworkParams | None = None,
    n_trials: int = 51,
    *,
    initial: np.ndarray | None = None,
    substrate: Substrate | None = None,
    n_steps: int = 10_000,
    progress: Callable[[int], None] | None = None,
    engine: str = "auto",
) -> Figure1Run:
    """§5.2: random D and initial weights from `seed`, train, evaluate initial / learned /
    optimal networks on one fresh trial with identical input and noise."""
    params = params or NetworkParams()
    rng = np.random.default_rng(seed)
    decoder = make_decoder(params, rng)
    codes0 = initial_codes(params, rng) if initial is None else np.asarray(initial)
    check_network(decoder, codes0, params)
    w_opt = optimal_weights(decoder, params)
    history = train(params, decoder, codes0, rng, n_trials, substrate=substrate,
                    n_steps=n_steps, progress=progress, engine=engine)
    codes = {"initial": codes0, "learned": history.codes, "optimal": optimal_codes(decoder, params)}
    command = command_signal(params, rng, n_steps)
    noise = rng.standard_normal((n_steps, params.n_neurons))
    results, metrics = {}, {}
    for name, c in codes.items():
        # the optimal network runs on the substrate too: that is case (a) of the mismatch study
        res = run_trial(params, decoder, c, command, noise=noise, substrate=substrate, record_v=True,
                        engine=engine)
        results[name] = res
        metrics[name] = evaluate(res, c * params.omega, w_opt, params.v_rest)
    metrics["learned"]["distinct_values"] = int(np.unique(history.codes).size)
    return Figure1Run(params, decoder, codes, results, metrics, history, seed)
