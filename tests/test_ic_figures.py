"""IC figure code: draws any simulator's waveforms; rejects waveforms missing a signal."""

from dataclasses import replace

import pytest

from ebn_circuit.behavioural.learning_block import LearningBlockModel, fit_learning_block
from ebn_circuit.errors import WaveformError
from ebn_circuit.experiments.ic_figures import plot_code_overlay, plot_learning_transient
from ebn_circuit.measure import align, read_viewer_csv_dir

REFERENCE_MAP = {"i_mem": "Sim1_I_mem.csv", "pulse": "Sim1_INPUT.csv", "code": "Sim1_BitValue.csv"}


def test_reference_run_figure_and_overlay_are_written(reference_dir, tmp_path):
    waveforms = align(read_viewer_csv_dir(reference_dir, REFERENCE_MAP), step=1e-5, hold=("code",))
    fitted = fit_learning_block(waveforms)
    nominal = replace(fitted, offset_lower=0.0, offset_upper=0.0)
    plot_learning_transient(waveforms, nominal, tmp_path / "reference", title="reference")
    plot_code_overlay({"reference": waveforms}, tmp_path / "overlay")
    for path in (tmp_path / f"{stem}{suffix}" for stem in ("reference", "overlay") for suffix in (".png", ".pdf")):
        assert path.stat().st_size > 10_000, f"{path} is suspiciously small"


@pytest.mark.parametrize("missing", ["i_mem", "pulse", "code"])
def test_plot_rejects_waveforms_missing_a_signal(tmp_path, missing):
    import numpy as np
    import pandas as pd

    time = np.linspace(0, 0.05, 5000)
    frame = pd.DataFrame({"time": time, "i_mem": 9e-9 + 0 * time, "pulse": 1.8 * ((time % 5e-3) < 1e-3),
                          "code": 0 * time})
    with pytest.raises(WaveformError, match=f"run.csv: missing signal\\(s\\) {missing}"):
        plot_learning_transient(frame.drop(columns=missing), LearningBlockModel(), tmp_path / "x", source="run.csv")
    assert not (tmp_path / "x.png").exists()
