"""A new user's first session, from a scratch folder outside the repository: the package's
defaults must work from there. A quick verification against a spec that fails on purpose (exit 1)
and its HTML report, the IC study on the built-in runs, an AC deck through `simulate`, an LTspice
raw read back. (The notebooks run from a scratch folder in tests/test_examples.py.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from report_check import problems

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def scratch(tmp_path):
    assert not tmp_path.resolve().is_relative_to(REPO)
    return tmp_path


def cli(scratch: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ebn_circuit", *args], cwd=scratch, capture_output=True, text=True,
                          timeout=900)


def test_verify_with_a_failing_spec_exits_1_and_reports(scratch):
    (scratch / "strict.toml").write_text('[learning_block.decision_time_max]\nmax = 1e-6\nunit = "µs"\n'
                                         'doc = "no learning block decides within 1 µs: fails on purpose"\n')
    proc = cli(scratch, "verify", "learning-block", "--codes", "0", "--spec", "strict.toml", "--out", "dm")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "FAIL  decision_time_max" in proc.stdout and "Traceback" not in proc.stderr
    assert problems(scratch / "dm" / "report.html") == []
    html = (scratch / "dm" / "report.html").read_text()
    assert "FAIL (1 of" in html and html.count("data:image/png;base64,") >= 1   # verdict and the map, inline


def test_ic_study_runs_the_built_in_runs_from_any_folder(scratch):
    proc = cli(scratch, "figures", "ic", "--pulses", "2", "--out", "ic", "--quiet")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    summary = pd.read_csv(scratch / "ic" / "summary.csv")
    assert list(summary["run"]) == ["sim1", "sim2"]
    assert problems(scratch / "ic" / "report.html") == []


def test_ac_deck_through_simulate_keeps_the_phase(scratch):
    r, c = 1e3, 1e-9
    (scratch / "rc.cir").write_text(f"* rc low-pass\nv1 in 0 dc 0 ac 1\nr1 in out {r:g}\nc1 out 0 {c:g}\n"
                                    ".ac dec 10 1k 10meg\n.end\n")
    proc = cli(scratch, "simulate", "rc.cir", "--out", "rc.parquet", "--no-cache")
    assert proc.returncode == 0, proc.stderr
    frame = pd.read_parquet(scratch / "rc.parquet")
    f = frame["frequency"].to_numpy()
    measured = frame["v(out).real"].to_numpy() + 1j * frame["v(out).imag"].to_numpy()
    np.testing.assert_allclose(measured, 1 / (1 + 2j * np.pi * f * r * c), rtol=1e-6)


def test_ltspice_raw_reads_back(scratch):
    from spicelib.raw.raw_write import RawWrite, Trace

    import ebn_circuit

    t = np.linspace(0, 1e-3, 201)
    writer = RawWrite()
    writer.add_trace(Trace("time", t))
    writer.add_trace(Trace("V(OUT)", np.sin(2e4 * t).astype(np.float32), whattype="voltage"))
    writer.save(scratch / "lt.raw")
    frame = ebn_circuit.read_waveforms(scratch / "lt.raw")
    assert frame.attrs["format"] == "ltspice-raw" and list(frame.columns) == ["time", "v(out)"]
    np.testing.assert_allclose(frame["v(out)"], np.sin(2e4 * t), atol=1e-6)
