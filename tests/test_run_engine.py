"""The one run engine: settings reach every stage, jobs run on the process pool and on Dask with the
same results, a failed job is reported after the others are stored, and a run resumes."""

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from ebn_circuit.circuits.devices import IdVgParams
from ebn_circuit.errors import RunFailedError
from ebn_circuit.experiments.device_characterisation import idvg_job
from ebn_circuit.sweep import DaskExecutor, ProcessExecutor, SimSettings, SweepStore, make_job, run_jobs
from ebn_circuit.sweep.examples import RcLadderParams

REPO = Path(__file__).resolve().parents[1]


def user_technology(tmp_path: Path, sky130_tt) -> Path:
    """A copy of sky130 under another name, as a user's TOML technology file."""
    files = dict(sky130_tt.corner_files)["tt"]
    path = tmp_path / "mysky.toml"
    path.write_text("\n".join([
        'name = "mysky"', "vdd = 1.8", f'nfet = "{sky130_tt.nfet}"', f'pfet = "{sky130_tt.pfet}"',
        "scale = 1e-6", 'mismatch_param = "mc_mm_switch"', "[params]", "mc_pr_switch = 0",
        "[corners]", "tt = [" + ", ".join(f'"{f}"' for f in files) + "]"]) + "\n")
    return path


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ebn_circuit.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=900)


def test_technology_and_backend_reach_the_decision_map_and_the_ic_runs(tmp_path, sky130_tt):
    """`--technology my.toml --backend batch --no-cache` reach the workers of both stages: the
    results' metadata (from each simulation's SimResult) name the user's technology and backend."""
    tech = user_technology(tmp_path, sky130_tt)
    common = ["--technology", str(tech), "--backend", "batch", "--no-cache", "--workers", "2"]
    verify = cli("verify", "learning-block", "--codes", "0", "--fine-span", "0", "--out", str(tmp_path / "dm"),
                 "--quiet", *common, cwd=tmp_path)
    assert verify.returncode == 0, verify.stderr
    table = pd.read_csv(tmp_path / "dm" / "decision_map_tt.csv")
    assert set(table["technology"]) == {"mysky"} and set(table["backend"]) == {"batch"}
    assert (table["decision"] == table["ideal"]).mean() > 0.8   # it is a real decision map
    ic = cli("figures", "ic", "--runs", str(REPO / "sims" / "ic_sim1.toml"), "--pulses", "2", "--out",
             str(tmp_path / "ic"), "--reference", str(tmp_path / "none"), *common, cwd=tmp_path)
    assert ic.returncode == 0, ic.stderr
    summary = pd.read_csv(tmp_path / "ic" / "summary.csv")
    assert list(summary["run_technology"]) == ["mysky"] and list(summary["run_backend"]) == ["batch"]
    assert summary["omega_per_code_nA"].iloc[0] > 0   # calibrated on that technology


@pytest.fixture(scope="module")
def idvg_jobs(sky130_tt, tmp_path_factory):
    settings = SimSettings(cache_dir=str(tmp_path_factory.mktemp("cache")))
    return [make_job(idvg_job, IdVgParams(kind=kind, vg_step=0.05), sky130_tt.with_corner(corner), settings,
                     label=f"{kind} {corner}") for kind in ("n", "p") for corner in ("tt", "ss")]


def test_jobs_give_the_same_results_on_the_pool_and_on_a_dask_cluster(idvg_jobs, tmp_path):
    with ProcessExecutor(workers=2) as pool:
        local = run_jobs(idvg_jobs, tmp_path / "pool", executor=pool, progress=False)
    with DaskExecutor(workers=2) as cluster:
        remote = run_jobs(idvg_jobs, tmp_path / "dask", executor=cluster, progress=False)
    for a, b in zip(local, remote):
        pd.testing.assert_frame_equal(a.tables["idvg"], b.tables["idvg"])
        assert a.row["label"] == b.row["label"] and a.row["technology"] == "sky130"
    # physics: the pFET conducts less than the nFET at full gate drive, ss less than tt
    on = {r.row["label"]: r.tables["idvg"]["id_A"].iloc[-1] for r in local}
    assert on["p tt"] < on["n tt"] and on["n ss"] < on["n tt"] and on["p ss"] < on["p tt"]


def failing_job(simulator, tech, params: RcLadderParams):
    """A job whose simulation cannot converge (a behavioural source that runs away)."""
    from ebn_circuit.sweep.examples import RunawayParams, runaway_testbench

    simulator.run(runaway_testbench(RunawayParams(gain=1e3, exponent=200.0), tech))


def test_a_failed_job_is_reported_after_the_others_are_stored_and_a_run_resumes(idvg_jobs, tmp_path, sky130_tt):
    bad = make_job(failing_job, RcLadderParams(), sky130_tt, SimSettings(cache=False), label="runaway")
    with pytest.raises(RunFailedError, match="1 of 3 jobs failed; first, runaway: ConvergenceError"):
        run_jobs([idvg_jobs[0], bad, idvg_jobs[1]], tmp_path / "store", workers=1, progress=False)
    store = SweepStore(tmp_path / "store")
    assert store.read_result(idvg_jobs[0].key).ok and store.read_result(idvg_jobs[1].key).ok
    assert not store.read_result(bad.key).ok
    # resuming with the fixed job list runs nothing again: the finished parts are kept as they are
    before = {k: store.part_path(k).stat().st_mtime_ns for k in (idvg_jobs[0].key, idvg_jobs[1].key)}
    results = run_jobs(idvg_jobs[:2], tmp_path / "store", workers=1, resume=True, progress=False)
    assert [r.ok for r in results] == [True, True]
    assert {k: store.part_path(k).stat().st_mtime_ns for k in before} == before
