"""`ebn-circuit extract`: tables with their conditions, a summary and a report; bad input is one line."""

import json
import subprocess
import sys

import pandas as pd

from ebn_circuit.extract.tables import load_curve

CLI = [sys.executable, "-m", "ebn_circuit.cli"]


def run_cli(*args):
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=900)


def test_extract_dac_writes_tables_summary_and_report(tmp_path):
    proc = run_cli("extract", "dac", "--quick", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert set(summary) == {"dac"}
    curve = load_curve(tmp_path / "dac" / "dac_code_current.parquet")
    assert curve.conditions["technology"] == "sky130" and curve.conditions["netlist_hash"]
    table = curve.table
    assert table["instance"].nunique() == 2 and table["code"].nunique() == 64
    # every instance's curve rises with the code (a physical DAC, not a copy of one instance)
    for _, group in table.groupby("instance"):
        assert pd.Series(group.sort_values("code")["current"].to_numpy()).is_monotonic_increasing
    assert "## dac" in (tmp_path / "report.md").read_text()


def test_unknown_block_is_one_line_and_exit_2(tmp_path):
    proc = run_cli("extract", "gyrator", "--out", str(tmp_path))
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "unknown block(s) gyrator" in proc.stderr
