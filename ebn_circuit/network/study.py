"""Mismatch study and g sweep.

Mismatch study, per chip instance: (a) the optimal weights computed offline, deployed to
the mismatched chip; (b) weights learned on that chip with the discrete rule; (c) the
ideal network with the optimal weights (the reference). All evaluated on one fresh trial
with the same input and noise. Chips are simulated together (batch axis).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from ebn_circuit.network.batch import run_batch
from ebn_circuit.network.inputs import command_signal
from ebn_circuit.network.metrics import membrane_variance, reconstruction_error
from ebn_circuit.network.params import NetworkParams, initial_codes, make_decoder, optimal_weights, to_codes
from ebn_circuit.network.simulate import run_trial
from ebn_circuit.network.substrate import Substrate
from ebn_circuit.network.training import reproduce_figure1, train_batch

CASES = ("a_optimal_deployed", "b_learned_on_chip", "c_ideal_optimal")


def mismatch_study(
    params: NetworkParams,
    substrates: Sequence[Substrate],
    seed: int,
    n_trials: int = 51,
    *,
    n_steps: int = 10_000,
    progress: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """One row per (instance, case): reconstruction_error, n_spikes, membrane_variance."""
    rng = np.random.default_rng(seed)
    decoder = make_decoder(params, rng)
    codes0 = initial_codes(params, rng)
    codes_opt = to_codes(optimal_weights(decoder, params), params)
    n_inst = len(substrates)
    learned = train_batch(params, decoder, np.repeat(codes0[None], n_inst, 0), list(substrates), rng,
                          n_trials, n_steps=n_steps, progress=progress)
    command = command_signal(params, rng, n_steps)
    noise = rng.standard_normal((n_steps, params.n_neurons))
    noise_b = np.repeat(noise[None], n_inst, 0)
    deployed = run_batch(params, decoder, np.repeat(codes_opt[None], n_inst, 0), command,
                         substrates=substrates, noise=noise_b, record_v=True)
    on_chip = run_batch(params, decoder, learned, command, substrates=substrates, noise=noise_b, record_v=True)
    ideal = run_trial(params, decoder, codes_opt, command, noise=noise, record_v=True)
    rows = []
    for i in range(n_inst):
        for case, res in zip(CASES, (deployed[i], on_chip[i], ideal)):
            rows.append({
                "instance": i, "case": case,
                "reconstruction_error": reconstruction_error(res.x, res.x_hat),
                "n_spikes": res.n_spikes,
                "membrane_variance": membrane_variance(res.v, params.v_rest),
            })
    return pd.DataFrame(rows)


def summarise_study(table: pd.DataFrame) -> dict:
    """Medians per case and the ratios the issue asks for."""
    med = table.groupby("case")[["reconstruction_error", "n_spikes", "membrane_variance"]].median()
    out = {case: med.loc[case].to_dict() for case in med.index}
    ref = med.loc["c_ideal_optimal", "reconstruction_error"]
    out["ratio_b_over_c"] = float(med.loc["b_learned_on_chip", "reconstruction_error"] / ref)
    out["ratio_a_over_c"] = float(med.loc["a_optimal_deployed", "reconstruction_error"] / ref)
    return out


def g_sweep(
    gains: Sequence[float],
    seeds: Sequence[int],
    params: NetworkParams | None = None,
    n_trials: int = 51,
    progress: Callable[[int], None] | None = None,
    engine: str = "auto",
) -> pd.DataFrame:
    """§5.2 reproduction for each comparison gain g and seed: one row of metrics each."""
    base = params or NetworkParams()
    rows = []
    for g in gains:
        p = NetworkParams(**{**base.__dict__, "gain_g": float(g)})
        for seed in seeds:
            run = reproduce_figure1(seed, p, n_trials, engine=engine)
            m = run.metrics
            rows.append({
                "g": float(g), "seed": seed,
                "offdiag_correlation": m["learned"]["offdiag_correlation"],
                "offdiag_slope": m["learned"]["offdiag_slope"],
                "error_learned": m["learned"]["reconstruction_error"],
                "error_optimal": m["optimal"]["reconstruction_error"],
                "spikes_learned": m["learned"]["n_spikes"],
                "spikes_optimal": m["optimal"]["n_spikes"],
                "var_learned": m["learned"]["membrane_variance"],
                "var_optimal": m["optimal"]["membrane_variance"],
            })
            if progress is not None:
                progress(1)
    return pd.DataFrame(rows)
