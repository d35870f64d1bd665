"""Stages of the main job after the device characterisation: fitting the learning block from
waveforms, DAC extraction per Monte-Carlo instance, and the network trained on those curves."""

from __future__ import annotations

from pathlib import Path

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


def network_stage(out: Path, dac_table: pd.DataFrame, trials: int, seed: int = 0, progress=None) -> pd.DataFrame:
    """Train the §5.2 network ideally and on a chip whose synapses use the extracted DAC curves
    (experiments/network_study.py writes the artefacts); ``progress(1)`` after each trial."""
    from ebn_circuit.experiments.network_study import ideal_and_measured_chip

    return ideal_and_measured_chip(out, dac_table, trials, seed, progress=progress)
