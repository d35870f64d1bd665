"""`ebn-circuit fit learning-block`: fit, save the model as JSON, score it on other waveforms;
engineering units in what it prints; bad input as one line and exit code 2."""

import json
import subprocess
import sys

import numpy as np
import pytest
from learning_block_synthetic import synthetic_run

from ebn_circuit.behavioural.learning_block import LearningBlockModel
from ebn_circuit.cli import main

TRUTH = LearningBlockModel(offset_lower=-0.15e-9, offset_upper=0.1e-9, omega_per_code=0.15e-9)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fit_cli")
    paths = []
    for seed, drive in ((1, 11e-9), (7, 12e-9)):
        path = folder / f"run{seed}.parquet"
        synthetic_run(TRUTH, seed=seed, drive=drive).to_parquet(path)
        paths.append(path)
    return folder, paths


def test_fit_prints_engineering_units_and_writes_the_model(runs, capsys):
    folder, (first, _) = runs
    out = folder / "model.json"
    code = main(["fit", "learning-block", "--from-run", str(first), "--omega-per-code", "1.5e-10",
                 "--resamples", "30", "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0
    assert " nA" in printed and "held out (nested cross-validation)" in printed and "<- chosen" in printed
    assert "e-10" not in printed and "e-09" not in printed, "currents print in nA, not as bare SI floats"
    model = LearningBlockModel.from_json(out)
    assert json.loads(out.read_text())["fit_report"]["candidate"] == model.fit_report["candidate"]
    assert model.omega_per_code == pytest.approx(1.5e-10)


def test_a_saved_model_scores_new_waveforms(runs, capsys):
    folder, (first, second) = runs
    out = folder / "model_for_scoring.json"
    assert main(["fit", "learning-block", "--from-run", str(first), "--omega-per-code", "1.5e-10",
                 "--resamples", "20", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["fit", "learning-block", "--from-run", str(second), "--model", str(out),
                 "--omega-per-code", "1.5e-10"]) == 0
    printed = capsys.readouterr().out
    agreement, nominal = (float(part.split("%")[0].split()[-1]) for part in printed.split("agreement")[1].split(";"))
    assert agreement >= 95.0 and agreement >= nominal


@pytest.mark.parametrize("content, message", [
    ("{", "not valid JSON"),
    ('{"schema": "ebn_circuit.LearningBlockModel/2", "parameters": {"gain": [1]}}', "not a number"),
    ('[1, 2]', "not a learning-block model"),
])
def test_a_malformed_model_is_one_line_and_exit_2(runs, tmp_path, content, message):
    _, (first, _) = runs
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    proc = subprocess.run([sys.executable, "-m", "ebn_circuit.cli", "fit", "learning-block", "--from-run", str(first),
                           "--model", str(bad)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in proc.stderr


def test_signals_of_different_lengths_are_one_line_and_exit_2(runs, tmp_path, capsys):
    _, (first, _) = runs
    import pandas as pd
    frame = pd.read_parquet(first)
    frame.loc[frame.index[-500:], "i_mem"] = np.nan          # i_mem ends before the other signals
    path = tmp_path / "short.csv"
    frame.to_csv(path, index=False)
    assert main(["fit", "learning-block", "--from-run", str(path)]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and "missing samples" in error[0]
