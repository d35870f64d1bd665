"""Stages of the main job after the device characterisation: fitting the learning block from
waveforms, DAC extraction per Monte-Carlo instance, and the network trained on those curves."""

from __future__ import annotations

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
    """Train the §5.2 network ideally and on a chip whose synapses use the extracted DAC curves
    (experiments/network_study.py writes the artefacts)."""
    from ebn_circuit.experiments.network_study import ideal_and_measured_chip

    return ideal_and_measured_chip(out, dac_table, trials, seed)
