"""The CLI: the main job end to end, and bad input as one line with a non-zero exit."""

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

CLI = [sys.executable, "-m", "ebn_circuit.cli"]


def run_cli(*args, cwd=None):
    return subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=cwd, timeout=900)


def test_main_job_quick_runs_every_stage_end_to_end(tmp_path):
    """The whole pipeline, shortened: netlists → ngspice → verification → figures → network."""
    results = tmp_path / "results"
    proc = run_cli("run", "--quick", "--out", str(results), "--netlists", str(tmp_path / "netlists"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    table = pd.read_csv(results / "device_characterisation.csv")
    assert set(table["device"]) == {"nfet", "pfet"} and set(table["corner"]) == {"tt", "ff", "ss"}
    assert table["S_mV_per_dec"].between(60, 110).all()
    for name in ("device_idvg.png", "report.md", "decision_map/decision_map_tt.png", "ic/sim1_transient.png",
                 "ic/sim2_transient.png", "ic/summary.csv", "learning_block_fits.csv", "dac_mc_table.parquet",
                 "network/ideal/figure1.png", "network/circuit/figure1.png", "network_summary.csv",
                 "extract/neuron/neuron_fi.parquet", "extract/synapse/synapse_tau_gain.parquet",
                 "extract/learning-block/learning_block_bounds.parquet", "extract/summary.json",
                 "chip_twin/chip/neuron.parquet", "chip_twin/chip/summary.md", "chip_twin/twin/twin_check.csv",
                 "chip_twin/study/mismatch_study.csv"):
        assert (results / name).stat().st_size > 0, name
    assert (tmp_path / "netlists" / "device_idvg_nfet.spice").is_file()
    report = (results / "report.md").read_text()
    for heading in ("Device characterisation", "decision map", "transients", "Behavioural", "Transfer-curve", "DAC",
                    "Network", "Chip twin"):
        assert heading in report
    ic = pd.read_csv(results / "ic" / "summary.csv")
    assert (ic["flags_vs_code_change"] == 1.0).all()


@pytest.mark.parametrize("args, message", [
    (["run", "--technology", "gf180", "--out", "x"], "unknown technology 'gf180'"),
    (["pdk", "show", "sky130", "--corner", "zz"], "no corner 'zz'"),
    (["simulate", "/nonexistent/deck.cir"], "/nonexistent/deck.cir: cannot read netlist"),
])
def test_bad_input_is_one_line_and_exit_2(args, message):
    proc = run_cli(*args)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr


def test_simulate_refuses_shell_and_runs_a_clean_deck(tmp_path):
    evil = tmp_path / "evil.cir"
    evil.write_text("* evil\nv1 a 0 1\nr1 a 0 1k\n.op\n.control\nshell touch pwned\n.endc\n.end\n")
    proc = run_cli("simulate", str(evil), cwd=tmp_path)
    assert proc.returncode == 2 and "refused control command" in proc.stderr
    assert not (tmp_path / "pwned").exists()
    clean = tmp_path / "clean.cir"
    clean.write_text("* rc\nv1 in 0 pulse(0 1 0 1n 1n 1 2)\nr1 in out 1k\nc1 out 0 1n\n.tran 10n 2u\n.end\n")
    proc = run_cli("simulate", str(clean), "--csv", str(tmp_path / "rc.csv"), "--backend", "batch", "--no-cache")
    assert proc.returncode == 0, proc.stderr
    frame = pd.read_csv(tmp_path / "rc.csv")
    assert frame.columns[0] == "time" and frame["v(out)"].iloc[-1] > 0.8
