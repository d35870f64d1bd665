"""Faults, done for real: a pool worker killed with SIGKILL mid-sweep, a CLI run interrupted
with SIGINT and resumed, a point that does not converge, a corrupted Parquet part."""

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from ebn_circuit.sweep import DaskExecutor, ProcessExecutor, SweepSpec, SweepStore, load_results, run_sweep

RC = dict(builder="ebn_circuit.sweep.examples:rc_ladder_testbench",
          measure="ebn_circuit.sweep.examples:rc_ladder_metrics")
CLI = [sys.executable, "-c", "import sys; from ebn_circuit.cli import main; sys.exit(main())", "sweep"]


def rc_spec(out, n, stop=40e-6):
    """n RC-ladder transients of ~0.5 s each (10 sections, 40k steps), differing in r.

    Uncached: a cache warm from an earlier test run made every point a hit, and the sweep ended
    before a worker could be killed mid-point."""
    return SweepSpec(name="rc", **RC, grid={"r": [1e3 * (1 + k / 10) for k in range(n)]},
                     params={"stop": stop}, out=out, timeout=300, cache=False)


def wait_for(condition, timeout=120.0, poll=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(poll)
    return False


def test_sigkilled_worker_loses_no_finished_point_and_its_point_is_rerun(tmp_path):
    spec = rc_spec(tmp_path / "out", 8)
    store = SweepStore(spec.out)
    seen = {}

    def kill_a_worker_mid_sweep(executor):
        if not wait_for(lambda: len(store.part_keys()) >= 1 and executor.worker_pids()):
            return
        seen["finished"] = {key: store.read_part(key) for key in store.part_keys()}
        pid = executor.worker_pids()[0]
        os.kill(pid, signal.SIGKILL)
        seen["pid"] = pid

    with ProcessExecutor(workers=2) as executor:
        killer = threading.Thread(target=kill_a_worker_mid_sweep, args=(executor,))
        killer.start()
        summary = run_sweep(spec, executor=executor, progress=False)
        killer.join()
    assert "pid" in seen, "the sweep ended before a worker could be killed"
    rows = load_results(spec).set_index("key")
    # the sweep finished: every point ran once, all fine
    assert (summary.total, summary.simulated, summary.ok, summary.failed) == (8, 8, 8, 0)
    assert len(rows) == 8 and (rows.status == "ok").all()
    # no finished point lost: the parts written before the kill are still those rows, untouched
    for key, before in seen["finished"].items():
        assert rows.loc[key, "worker"] == before["worker"]
        assert rows.loc[key, "t50"] == before["t50"]
    # the killed worker's point (and any other point in flight) was re-submitted and re-run
    assert executor.restarts >= 1 and len(summary.resubmitted) >= 1
    killed_worker = f"{os.uname().nodename}:{seen['pid']}"
    for key in summary.resubmitted:
        assert key not in seen["finished"]
        assert rows.loc[key, "worker"] != killed_worker


def test_sigkilled_dask_worker_loses_no_finished_point(tmp_path):
    """Dask re-runs the task of a dead worker itself (its nanny restarts the worker)."""
    spec = rc_spec(tmp_path / "out", 6)
    store = SweepStore(spec.out)
    seen = {}

    def kill_a_worker_mid_sweep(executor):
        if not wait_for(lambda: len(store.part_keys()) >= 1):
            return
        seen["finished"] = {key: store.read_part(key) for key in store.part_keys()}
        pid = next(iter(executor.worker_pids().values()))
        os.kill(pid, signal.SIGKILL)
        seen["pid"] = pid

    with DaskExecutor(workers=2) as executor:
        executor.worker_pids()  # cluster up
        killer = threading.Thread(target=kill_a_worker_mid_sweep, args=(executor,))
        killer.start()
        summary = run_sweep(spec, executor=executor, progress=False)
        killer.join()
    assert "pid" in seen, "the sweep ended before a worker could be killed"
    assert (summary.total, summary.simulated, summary.ok, summary.failed) == (6, 6, 6, 0)
    rows = load_results(spec).set_index("key")
    assert len(rows) == 6 and (rows.status == "ok").all()
    for key, before in seen["finished"].items():
        assert rows.loc[key, "worker"] == before["worker"]
    # the point the killed worker was running was re-run by Dask: every point has an ok row


def default_sigint() -> None:
    """The child's SIGINT as a terminal would deliver it: a test run started as a background job
    inherits SIGINT = SIG_IGN from the shell, Python then ignores Ctrl-C, and the sweep ran to the end."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_sigint_then_resume_simulates_only_the_missing_points(tmp_path):
    out = tmp_path / "out"
    spec_file = tmp_path / "rc.toml"
    points = 40  # enough that the sweep is still running when SIGINT lands
    # a private simulation cache: with the user's cache warm from earlier runs, every point was a
    # hit and the sweep finished before the signal landed (exit 0, not 130)
    env = {**os.environ, "EBN_CIRCUIT_CACHE": str(tmp_path / "simcache")}
    grid = ", ".join(f"{1e3 * (1 + k / points):g}" for k in range(points))
    spec_file.write_text(f'[sweep]\nname = "rc"\nbuilder = "{RC["builder"]}"\nmeasure = "{RC["measure"]}"\n'
                         f'out = "{out}"\n[params]\nstop = 40e-6\n[grid]\nr = [{grid}]\n')
    store = SweepStore(out)
    run = subprocess.Popen(CLI + [str(spec_file), "--workers", "2", "--quiet"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                           preexec_fn=default_sigint)
    try:
        assert wait_for(lambda: len(store.part_keys()) >= 2 or run.poll() is not None)
        run.send_signal(signal.SIGINT)
        _, stderr = run.communicate(timeout=120)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    first = store.read_summary()
    finished = {key: store.read_part(key) for key in store.part_keys()}
    assert first["interrupted"] and 2 <= len(finished) < points
    # (the signal may land between a part's rename and the count: at most one apart)
    assert len(finished) - 1 <= first["simulated"] <= len(finished)

    done = subprocess.run(CLI + [str(spec_file), "--resume", "--quiet"], capture_output=True, text=True,
                          timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    second = store.read_summary()
    assert (second["total"], second["skipped"], second["simulated"]) == (points, len(finished), points - len(finished))
    assert not second["interrupted"] and second["ok"] == points - len(finished)
    rows = load_results(out).set_index("key")
    assert len(rows) == points and (rows.status == "ok").all()
    for key, before in finished.items():  # kept, not simulated again
        assert rows.loc[key, "worker"] == before["worker"]


def test_a_non_converging_point_is_a_recorded_failure_and_the_others_run(tmp_path):
    # gain 1e3 A with exponent 200/V: ngspice stops with "timestep too small"
    spec = SweepSpec(name="runaway", builder="ebn_circuit.sweep.examples:runaway_testbench",
                     measure="ebn_circuit.measure.rows:final_values",
                     grid={"gain": [1e-12, 1e3, 1e-9]}, params={"exponent": 200.0},
                     retry=True, out=tmp_path / "out", timeout=120)
    summary = run_sweep(spec, workers=2, progress=False)
    assert (summary.simulated, summary.ok, summary.failed) == (3, 2, 1)
    assert summary.failures == {"ConvergenceError": 1} and summary.retried == 1
    rows = load_results(spec).set_index("gain")
    bad = rows.loc[1e3]
    assert bad.status == "failed" and bad.error == "ConvergenceError"
    assert "convergence failure" in bad.message
    assert "timestep too small" in bad.log_tail.lower()
    assert bad.retried and "gmin=1e-10" in bad.retry_options and "max_step=" in bad.retry_options
    with open(bad.netlist_path) as netlist:  # the failing netlist, as run (with the relaxed options)
        text = netlist.read()
    assert "b1 0 b i=1000*exp(v(b)*200)" in text and ".option gmin=1e-10" in text
    good = rows.loc[[1e-12, 1e-9]]
    assert (good.status == "ok").all() and not good.retried.any()
    # the converged points: v(b) ≈ r·gain (the source barely moves the node)
    assert good.loc[1e-12, "final_v(b)"] == pytest.approx(1e3 * 1e-12, rel=1e-2)
    # resume re-runs only the failed point
    again = run_sweep(spec, workers=1, resume=True, progress=False)
    assert (again.skipped, again.simulated, again.failed) == (2, 1, 1)


def test_a_corrupted_part_is_detected_and_recomputed(tmp_path):
    spec = rc_spec(tmp_path / "out", 3, stop=5e-6)
    run_sweep(spec, workers=2, progress=False)
    store = SweepStore(spec.out)
    original = load_results(spec).set_index("key")
    victim = original.index[1]
    path = store.part_path(victim)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])  # a truncated copy
    assert store.read_part(victim) is None
    summary = run_sweep(spec, workers=2, resume=True, progress=False)
    assert summary.corrupted == [victim]
    assert (summary.skipped, summary.simulated, summary.ok) == (2, 1, 1)
    rows = load_results(spec).set_index("key")
    assert len(rows) == 3 and (rows.status == "ok").all()
    assert rows.loc[victim, "t50"] == original.loc[victim, "t50"]  # same simulation, same number
    assert rows.loc[victim, "worker"] != original.loc[victim, "worker"] or \
        rows.loc[victim, "wall_time"] != original.loc[victim, "wall_time"]


def test_timeout_and_libngspice_crash_are_recorded_and_the_sweep_goes_on(tmp_path):
    import psutil

    # one worker, in order: a short point, a long one (~25 s) whose libngspice child we kill,
    # another short one (a fresh libngspice child), and then the timeout sweep below
    spec = SweepSpec(name="crash", **RC, grid={"stop": [1e-6, 2e-3, 2e-6]}, out=tmp_path / "crash",
                     timeout=300)
    store = SweepStore(spec.out)
    killed = []

    def kill_libngspice_mid_point(executor):
        if not wait_for(lambda: len(store.part_keys()) >= 1 and executor.worker_pids()):
            return
        time.sleep(0.3)  # the long point has started
        for child in psutil.Process(executor.worker_pids()[0]).children():
            if "ebn_circuit.spice.shared" in " ".join(child.cmdline()):
                os.kill(child.pid, signal.SIGKILL)
                killed.append(child.pid)

    with ProcessExecutor(workers=1) as executor:
        killer = threading.Thread(target=kill_libngspice_mid_point, args=(executor,))
        killer.start()
        summary = run_sweep(spec, executor=executor, progress=False)
        killer.join()
    assert killed
    rows = load_results(spec).set_index("stop")
    assert summary.failures == {"SimulatorCrashError": 1}
    assert rows.loc[2e-3, "status"] == "failed" and rows.loc[2e-3, "error"] == "SimulatorCrashError"
    assert (rows.loc[[1e-6, 2e-6], "status"] == "ok").all()
    assert not executor.resubmitted  # the pool worker itself survived

    timeouts = SweepSpec(name="timeout", **RC, grid={"stop": [1e-6, 2e-3]}, out=tmp_path / "timeout",
                         timeout=1.0)
    summary = run_sweep(timeouts, workers=1, progress=False)
    rows = load_results(timeouts).set_index("stop")
    assert summary.failures == {"SimulationTimeoutError": 1}
    assert rows.loc[2e-3, "error"] == "SimulationTimeoutError" and "time limit" in rows.loc[2e-3, "message"]
    assert rows.loc[1e-6, "status"] == "ok"
