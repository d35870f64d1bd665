"""Stages of the main job after the device characterisation: fitting the learning block from
waveforms, DAC extraction per Monte-Carlo instance, and the network trained on those curves."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd

from ebn_circuit.experiments.cross_run import ic_sources, learning_block_cross_run
from ebn_circuit.extract.dac import extract_dac_curves
from ebn_circuit.sweep.settings import SimSettings
from ebn_circuit.technology.core import Technology

def fit_stage(ic_dir: Path, reference: Path | None) -> pd.DataFrame:
    """The behavioural learning block fitted on each run of ``ic_dir`` (and the original IC's run
    in ``reference``) and scored on every run: the cross-run table of ``experiments.cross_run``
    (in-sample, nested cross-validated and cross-run agreement side by side, with the nominal rule
    on the same pulses). ``cross_run.markdown`` renders it for a report."""
    return learning_block_cross_run(ic_sources(ic_dir, reference))


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
