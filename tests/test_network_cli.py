"""`ebn-circuit network …` end to end on tiny runs."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from ebn_circuit.cli import main
from ebn_circuit.network.mismatch import SyntheticMismatch, synthetic_dac_table
from ebn_circuit.network.params import NetworkParams


@pytest.fixture(autouse=True)
def _agg(monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")


def test_train_writes_figures_metrics_and_grid_weights(tmp_path):
    assert main(["network", "train", "--trials", "2", "--seed", "3", "--out", str(tmp_path), "--quiet"]) == 0
    for name in ("figure1.png", "learning_curve.png", "metrics.json", "learned_weights.npy", "learned_weights.csv"):
        assert (tmp_path / name).is_file()
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert set(metrics["metrics"]) == {"initial", "learned", "optimal"}
    assert len(metrics["history"]["n_spikes"]) == 2
    w = np.load(tmp_path / "learned_weights.npy")
    omega = NetworkParams().omega
    np.testing.assert_array_equal(w, np.rint(w / omega) * omega)
    # the learned weights read back as initial weights
    out2 = tmp_path / "again"
    assert main(["network", "train", "--trials", "0", "--initial-weights", str(tmp_path / "learned_weights.csv"),
                 "--seed", "3", "--out", str(out2), "--quiet"]) == 0
    np.testing.assert_array_equal(np.load(out2 / "learned_weights.npy"), w)


def test_circuit_mode_with_a_dac_table(tmp_path):
    table = synthetic_dac_table(NetworkParams(), SyntheticMismatch(), 12, np.random.default_rng(0))
    table.to_csv(tmp_path / "dac.csv", index=False)
    assert main(["network", "train", "--mode", "circuit", "--dac-table", str(tmp_path / "dac.csv"),
                 "--trials", "1", "--out", str(tmp_path / "o"), "--quiet"]) == 0
    assert json.loads((tmp_path / "o" / "metrics.json").read_text())["mode"] == "circuit"


def test_study_runs_and_summarises(tmp_path):
    assert main(["network", "study", "--instances", "2", "--trials", "1", "--mismatch-scale", "1",
                 "--seeds", "0-1", "--keep-learning", "--synthetic", "--mismatch-in", "neuron", "synapse",
                 "--trim-thresholds", "--gate-self-synapses", "--out", str(tmp_path), "--quiet"]) == 0
    written = json.loads((tmp_path / "mismatch_study.json").read_text())
    assert written["keep_learning"] is True and written["mismatch_in"] == ["neuron", "synapse"]
    assert written["trim_thresholds"] is True and written["gate_self_synapses"] is True
    summary = written["summary"]
    ratios = summary["mismatch_x1"]
    assert ratios["min"]["ratio_b_over_c"] <= ratios["median"]["ratio_b_over_c"] <= ratios["max"]["ratio_b_over_c"]
    table = pd.read_csv(tmp_path / "mismatch_study.csv")
    assert sorted(table.seed.unique()) == [0, 1] and table.instance.nunique() == 2
    assert (tmp_path / "mismatch_study.png").is_file()


def test_reproduce_reports_median_and_range_over_seeds(tmp_path, capsys):
    assert main(["network", "reproduce", "--seeds", "0-1", "5", "--trials", "1", "--out", str(tmp_path),
                 "--quiet"]) == 0
    table = pd.read_csv(tmp_path / "figure1_seeds.csv")
    assert table.seed.tolist() == [0, 1, 5]
    summary = pd.read_csv(tmp_path / "figure1_summary.csv", index_col="metric")
    for metric in ("correlation", "error_ratio", "spike_ratio"):
        assert summary.loc[metric, "median"] == pytest.approx(table[metric].median())
        assert summary.loc[metric, "min"] == table[metric].min() and summary.loc[metric, "max"] == table[metric].max()
    goals = json.loads((tmp_path / "figure1_seeds.json").read_text())["goals"]
    assert set(goals) == {"correlation", "error_ratio", "spike_ratio"}
    assert "goal correlation" in capsys.readouterr().out


def test_sweep_any_field(tmp_path):
    assert main(["network", "sweep", "--param", "tau_syn_fast", "--values", "0", "1e-3", "--seeds", "2",
                 "--trials", "1", "--set", "rule_sample=settled", "--out", str(tmp_path), "--quiet"]) == 0
    table = pd.read_csv(tmp_path / "sweep_tau_syn_fast.csv")
    assert table.tau_syn_fast.tolist() == [0.0, 1e-3] and (tmp_path / "sweep_tau_syn_fast.png").is_file()
    # the two synapses give different networks
    assert table.spikes_learned.nunique() == 2
    # None is a value too (reset_base: None = reset to rest)
    assert main(["network", "sweep", "--param", "reset_base", "--values", "none", "1.5", "--seeds", "2",
                 "--trials", "0", "--out", str(tmp_path), "--quiet"]) == 0
    medians = json.loads((tmp_path / "sweep_reset_base.json").read_text())["median"]
    assert [row["reset_base"] for row in medians] == ["None", "1.5"]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["reproduce", "--seeds", "a-b"], "--seeds"),
        (["reproduce", "--set", "tau_syn_fast"], "FIELD=VALUE"),
        (["reproduce", "--set", "colour=red"], "no field"),
        (["sweep", "--param", "gain_g", "--values", "2", "-1"], "gain_g"),
        (["sweep", "--param", "rule_sample", "--values", "early"], "rule_sample"),
        (["study", "--instances", "0"], "--instances"),
    ],
)
def test_bad_multi_run_input_is_one_clear_line(tmp_path, capsys, argv, message):
    assert main(["network", *argv, "--out", str(tmp_path / "o"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("ebn-circuit: error:") and message in err and "\n" not in err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--mode", "quantum"], "--mode"),
        (["--initial-weights", "{tmp}/w.csv"], "shape"),
        (["--initial-weights", "{tmp}/nan.npy"], "non-finite"),
        (["--initial-weights", "{tmp}/missing.npy"], "does not exist"),
        (["--g", "0"], "gain_g"),
        (["--trials", "-1"], "--trials"),
    ],
)
def test_bad_input_is_one_clear_line(tmp_path, capsys, argv, message):
    np.savetxt(tmp_path / "w.csv", np.zeros((3, 4)), delimiter=",")
    np.save(tmp_path / "nan.npy", np.full((20, 20), np.nan))
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    assert main(["network", "train", "--out", str(tmp_path / "o"), "--quiet", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("ebn-circuit: error:") and message in err and "\n" not in err
