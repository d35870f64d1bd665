"""Studies over seeds: Figure 1 per seed (median and range), a sweep of one parameter, and
the mismatch study.

Mismatch study, per chip instance: (a) the optimal weights computed offline, deployed to
the mismatched chip; (b) weights learned on that chip with the discrete rule; (c) the
ideal network with the optimal weights (the reference). All evaluated on one fresh trial
with the same input and noise. Chips are simulated together (batch axis).

Besides the protocol's readout (the decoder D, one least-squares scale), each case is scored with
a readout calibrated on the chip: a per-neuron decoder fitted on a second fresh trial, applied to
the test trial. Learned weights encode each chip's own mismatch, and with it a decoder other than D.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from ebn_circuit.network.batch import run_batch
from ebn_circuit.network.inputs import command_signal
from ebn_circuit.network.metrics import calibrated_readout_error, membrane_variance, reconstruction_error
from ebn_circuit.network.params import NetworkParams, initial_codes, make_decoder, optimal_codes
from ebn_circuit.network.simulate import filtered_spikes, run_trial
from ebn_circuit.network.substrate import Substrate
from ebn_circuit.network.training import Figure1Run, reproduce_figure1, train_batch

CASES = ("a_optimal_deployed", "b_learned_on_chip", "c_ideal_optimal")
# the goals on the per-seed Figure-1 numbers (medians over seeds)
GOALS = {"correlation": (">=", 0.95), "error_ratio": ("<=", 1.1), "spike_ratio": ("<=", 2.0)}


def figure1_row(run: Figure1Run) -> dict:
    """Every Figure-1 number of one run, flat (one row of a seed table)."""
    m, h = run.metrics, run.history
    row = {"seed": run.seed,
           "correlation": m["learned"]["offdiag_correlation"],
           "slope": m["learned"]["offdiag_slope"],
           "offset": m["learned"]["offdiag_offset"],
           "script_distance_initial": h.initial_script_distance,
           "script_distance_learned": m["learned"]["script_distance"],
           "frobenius_initial": h.initial_relative_frobenius,
           "frobenius_learned": m["learned"]["relative_frobenius"],
           "distinct_values": m["learned"]["distinct_values"]}
    for name in ("initial", "learned", "optimal"):
        row[f"error_{name}"] = m[name]["reconstruction_error"]
        row[f"error_matrix_{name}"] = m[name]["reconstruction_error_matrix"]
        row[f"spikes_{name}"] = m[name]["n_spikes"]
        row[f"v_mean_{name}"] = m[name].get("membrane_mean", np.nan)
    row["error_ratio"] = row["error_learned"] / row["error_optimal"]
    row["error_matrix_ratio"] = row["error_matrix_learned"] / row["error_matrix_optimal"]
    row["spike_ratio"] = row["spikes_learned"] / row["spikes_optimal"]
    return row


def seed_study(seeds: Sequence[int], params: NetworkParams | None = None, n_trials: int = 51, *,
               engine: str = "auto", progress: Callable[[int], None] | None = None) -> pd.DataFrame:
    """The §5.2 protocol on each seed: one row of Figure-1 numbers per seed."""
    rows = []
    for seed in seeds:
        rows.append(figure1_row(reproduce_figure1(int(seed), params, n_trials, engine=engine)))
        if progress is not None:
            progress(1)
    return pd.DataFrame(rows)


def summarise_seeds(table: pd.DataFrame) -> pd.DataFrame:
    """Median, min and max over seeds of every number (one row per metric)."""
    numbers = table.drop(columns=[c for c in ("seed",) if c in table]).select_dtypes("number")
    return pd.DataFrame({"median": numbers.median(), "min": numbers.min(), "max": numbers.max()})


def goals_met(table: pd.DataFrame) -> dict:
    """For each goal: the median over seeds and whether it meets the goal."""
    out = {}
    for name, (op, limit) in GOALS.items():
        med = float(table[name].median())
        out[name] = {"median": med, "goal": f"{op} {limit:g}", "met": med >= limit if op == ">=" else med <= limit}
    return out


def param_sweep(name: str, values: Sequence, seeds: Sequence[int], params: NetworkParams | None = None,
                n_trials: int = 51, *, engine: str = "auto",
                progress: Callable[[int], None] | None = None) -> pd.DataFrame:
    """seed_study for each value of one NetworkParams field; the value in column `name`."""
    base = params or NetworkParams()
    tables = []
    for value in values:
        t = seed_study(seeds, base.with_(**{name: value}), n_trials, engine=engine, progress=progress)
        tables.append(t.assign(**{name: pd.Series([value] * len(t), dtype=object)}))  # keeps None as None
    return pd.concat(tables, ignore_index=True)


def mismatch_study(
    params: NetworkParams,
    substrates: Sequence[Substrate],
    seed: int,
    n_trials: int = 51,
    *,
    n_steps: int = 10_000,
    keep_learning: bool = False,
    progress: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """One row per (instance, case): reconstruction_error, reconstruction_error_calibrated (the
    readout fitted on a calibration trial), n_spikes, membrane_variance.
    keep_learning: the chips of case (b) go on learning during the test and calibration trials,
    as a chip with its learning blocks on does; otherwise their weights are frozen (the §5.2
    protocol)."""
    rng = np.random.default_rng(seed)
    decoder = make_decoder(params, rng)
    codes0 = initial_codes(params, rng)
    codes_opt = optimal_codes(decoder, params)
    n_inst = len(substrates)
    learned = train_batch(params, decoder, np.repeat(codes0[None], n_inst, 0), list(substrates), rng,
                          n_trials, n_steps=n_steps, progress=progress)
    command = command_signal(params, rng, n_steps)
    noise = rng.standard_normal((n_steps, params.n_neurons))

    def three_cases(command, noise, record_v):
        noise_b = np.repeat(noise[None], n_inst, 0)
        deployed = run_batch(params, decoder, np.repeat(codes_opt[None], n_inst, 0), command,
                             substrates=substrates, noise=noise_b, record_v=record_v)
        on_chip = run_batch(params, decoder, learned, command, substrates=substrates, noise=noise_b,
                            record_v=record_v, learn=keep_learning)
        ideal = run_trial(params, decoder, codes_opt, command, noise=noise, record_v=record_v)
        return [(d, b, ideal) for d, b in zip(deployed, on_chip)]

    test = three_cases(command, noise, True)
    # its own stream: the protocol's trials stay the draws they always were
    cal_rng = np.random.default_rng([seed, 3])
    calibration = three_cases(command_signal(params, cal_rng, n_steps),
                              cal_rng.standard_normal((n_steps, params.n_neurons)), False)
    rows = []
    for i in range(n_inst):
        for case, res, cal in zip(CASES, test[i], calibration[i]):
            rows.append({
                "instance": i, "case": case,
                "reconstruction_error": reconstruction_error(res.x, res.x_hat),
                "reconstruction_error_calibrated": calibrated_readout_error(
                    cal.x, filtered_spikes(cal, params), res.x, filtered_spikes(res, params)),
                "n_spikes": res.n_spikes,
                "membrane_variance": membrane_variance(res.v, params.v_rest),
            })
    return pd.DataFrame(rows)


def summarise_study(table: pd.DataFrame) -> dict:
    """Medians per case and the ratios the issue asks for."""
    med = table.groupby("case")[["reconstruction_error", "reconstruction_error_calibrated", "n_spikes",
                                 "membrane_variance"]].median()
    out = {case: med.loc[case].to_dict() for case in med.index}
    for suffix, column in (("", "reconstruction_error"), ("_calibrated", "reconstruction_error_calibrated")):
        ref = med.loc["c_ideal_optimal", column]
        out[f"ratio_b_over_c{suffix}"] = float(med.loc["b_learned_on_chip", column] / ref)
        out[f"ratio_a_over_c{suffix}"] = float(med.loc["a_optimal_deployed", column] / ref)
    return out
