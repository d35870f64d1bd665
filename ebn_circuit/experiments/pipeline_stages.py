"""Stages of the main job after the device characterisation: fitting the learning block from
waveforms, DAC extraction per Monte-Carlo instance, and the network trained on those curves."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd

from ebn_circuit.behavioural.learning_block import fit_learning_block
from ebn_circuit.extract.dac import extract_dac_curves
from ebn_circuit.measure.learning import pulse_table
from ebn_circuit.measure.waveforms import align, read_viewer_csv_dir
from ebn_circuit.sweep.settings import SimSettings
from ebn_circuit.technology.core import Technology

REFERENCE_MAP = {"i_mem": "Sim1_I_mem.csv", "pulse": "Sim1_INPUT.csv", "code": "Sim1_BitValue.csv"}


def fit_stage(ic_dir: Path, reference: Path | None) -> pd.DataFrame:
    """Fit the behavioural learning block on each run's waveforms; report its agreement on the
    run it saw and on the other runs (generalisation), and on the original IC's run."""
    runs = {path.name.removesuffix("_waveforms.parquet"): pd.read_parquet(path)
            for path in sorted(ic_dir.glob("*_waveforms.parquet"))}
    if reference is not None and reference.is_dir():
        runs["original IC sim1"] = align(read_viewer_csv_dir(reference, REFERENCE_MAP), step=2e-6, hold=("code",))
    rows = []
    for fit_name, waveforms in runs.items():
        model = fit_learning_block(waveforms, source=fit_name)
        for test_name, other in runs.items():
            table = pulse_table(other, lead=model.sample_lead, source=test_name)
            rows.append({"fitted_on": fit_name, "tested_on": test_name, "agreement": model.agreement(table),
                         "ideal_rule_agreement": model.fit_report["ideal_rule_agreement"] if fit_name == test_name
                         else np.nan,
                         "offset_lower_nA": model.offset_lower * 1e9, "offset_upper_nA": model.offset_upper * 1e9,
                         "omega_per_code_nA": model.omega_per_code * 1e9})
    return pd.DataFrame(rows)


def dac_extraction_stage(tech: Technology, settings: SimSettings, out: Path, instances: int, i_lsb: float = 1e-9,
                         **jobs) -> pd.DataFrame:
    """The synapse DAC's code → current curve for each Monte-Carlo instance (seed 1…N; jobs in ``out``)."""
    return extract_dac_curves(tech, settings, instances, out, i_lsb=i_lsb, **jobs)[1]


def network_stage(out: Path, dac_table: pd.DataFrame, trials: int, seed: int = 0) -> pd.DataFrame:
    """Train the §5.2 network ideally and on a chip whose synapses use the extracted DAC curves."""
    from ebn_circuit.network import figures
    from ebn_circuit.network.circuit_mode import substrate_from_dac_table
    from ebn_circuit.network.io import write_json
    from ebn_circuit.network.params import NetworkParams
    from ebn_circuit.network.training import reproduce_figure1
    from ebn_circuit.network.units import Units

    params = NetworkParams()
    rows = []
    for mode in ("ideal", "circuit"):
        substrate = None
        if mode == "circuit":
            # one LSB of the measured DAC is one code step of the network (params.delta in potential,
            # Units().i_per_unit amperes per unit): keep each instance's shape, offset and mismatch;
            # codes beyond the 6-bit range saturate at its ends (the network counter has more bits)
            scale = params.delta * Units().i_per_unit / dac_table["lsb"].median()
            normalised = dac_table.assign(current=dac_table["current"] * scale)
            substrate = substrate_from_dac_table(normalised[["instance", "code", "current"]], params,
                                                 np.random.default_rng([seed, 1]))
        run = reproduce_figure1(seed, params, trials, substrate=substrate)
        folder = out / mode
        folder.mkdir(parents=True, exist_ok=True)
        figures.figure1(run, folder / "figure1.png")
        figures.learning_curve(run.history, folder / "learning_curve.png")
        write_json(folder / "metrics.json", {"mode": mode, "trials": trials, "params": asdict(params),
                                             "metrics": run.metrics})
        m = run.metrics
        rows.append({"mode": mode, "trials": trials,
                     "offdiag_correlation": m["learned"]["offdiag_correlation"],
                     "error_initial": m["initial"]["reconstruction_error"],
                     "error_learned": m["learned"]["reconstruction_error"],
                     "error_optimal": m["optimal"]["reconstruction_error"],
                     "spikes_learned": m["learned"]["n_spikes"], "spikes_optimal": m["optimal"]["n_spikes"]})
    return pd.DataFrame(rows)
