"""Pass/fail specs: parsing and overriding limit files, margins and statuses, and the CLI's exit
codes on a real (one-column) learning-block verification."""

from __future__ import annotations

import math
import subprocess
import sys

import pandas as pd
import pytest

from ebn_circuit.errors import ConfigError
from ebn_circuit.experiments import specs


def test_package_defaults_load_and_cover_each_verification():
    limits = specs.load_specs()
    assert {"learning_block", "ic", "extraction"} <= set(limits)
    for group in limits.values():
        for spec in group.values():
            assert spec.min is not None or spec.max is not None


def test_user_file_overrides_one_quantity_and_keeps_the_rest(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('[learning_block.agreement_outside_guard]\nmin = 0.5\nunit = "%"\n')
    default, mine = specs.load_specs(), specs.load_specs(path)
    assert mine["learning_block"]["agreement_outside_guard"].min == 0.5
    assert set(mine["learning_block"]) == set(default["learning_block"])


@pytest.mark.parametrize("text, words", [
    ('[g.q]\nunit = "%"\n', "needs min or max"),
    ('[g.q]\nmin = "a"\n', "finite number"),
    ('[g.q]\nmin = 1\nunit = "furlong"\n', "unit"),
    ('[g.q]\nminimum = 1\n', "takes min, max"),
    ('g = 3\n', "table of quantities"),
])
def test_bad_spec_files_name_the_quantity(tmp_path, text, words):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=words):
        specs.load_specs(path)


def test_margins_and_statuses():
    limits = {"g": {"low": specs.Spec("g", "low", min=0.9, unit="%"),
                    "band": specs.Spec("g", "band", min=-1e-9, max=1e-9, unit="nA"),
                    "missing": specs.Spec("g", "missing", max=1.0),
                    "skipped": specs.Spec("g", "skipped", max=1.0)}}
    table = specs.check("g", {"low": 0.95, "band": 1.5e-9}, limits, {"skipped": "not in this kind of run"})
    rows = table.set_index("quantity")
    assert rows.loc["low", "status"] == "pass" and math.isclose(rows.loc["low", "margin"], 5.0)  # 5 % inside
    assert rows.loc["band", "status"] == "fail" and math.isclose(rows.loc["band", "margin"], -0.5)  # 0.5 nA out
    assert rows.loc["missing", "status"] == "fail"      # unmeasured never passes
    assert rows.loc["skipped", "status"].startswith("n/a")
    assert specs.failed(table) == 2 and specs.verdict(table) == "FAIL (2 of 3)"
    text = specs.markdown("t", table)
    assert "nan" not in text and "not measured" in text


def run_verify(tmp_path, *extra):
    return subprocess.run([sys.executable, "-m", "ebn_circuit", "verify", "learning-block", "--codes", "0",
                           "--out", str(tmp_path / "out"), *extra], capture_output=True, text=True, cwd=tmp_path,
                          timeout=900)


def test_verify_exits_1_naming_the_failing_spec_and_2_on_a_bad_spec_file(tmp_path):
    # a limit at 90 % of what the default block measured: must fail, and say which
    first = run_verify(tmp_path)
    assert first.returncode in (0, 1), first.stdout + first.stderr
    measured = pd.read_csv(tmp_path / "out" / "specs_learning_block.csv").set_index("quantity")["measured"]
    strict = tmp_path / "strict.toml"
    limit = float(measured["decision_time_max"]) * 0.9e-6   # 90 % of what it measured (shown in µs), in s
    strict.write_text(f'[learning_block.decision_time_max]\nmax = {limit!r}\nunit = "µs"\n')
    failing = run_verify(tmp_path, "--spec", str(strict))
    assert failing.returncode == 1, failing.stdout + failing.stderr
    assert "FAIL  decision_time_max" in failing.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text("[learning_block.x]\nmax = nan\n")
    refused = run_verify(tmp_path, "--spec", str(bad))
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "learning_block.x.max" in refused.stderr


def test_verify_exits_0_on_defaults(tmp_path):
    passing = run_verify(tmp_path)
    assert passing.returncode == 0, passing.stdout + passing.stderr
    table = pd.read_csv(tmp_path / "out" / "specs_learning_block.csv")
    assert set(table["status"]) <= {"pass"} | {s for s in table["status"] if s.startswith("n/a")}
