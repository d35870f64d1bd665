"""Sweep specs: expansion, point identity, Monte-Carlo seeds, and bad input rejected before
anything runs (nothing simulated, no output folder, no cluster)."""

import subprocess
import sys
import time
from pathlib import Path

import pytest

from ebn_circuit.errors import ConfigError
from ebn_circuit.sweep import DaskExecutor, SweepSpec, load_spec, mc_seed, plan_sweep, run_sweep

ROOT = Path(__file__).resolve().parents[1]
IDVG = "ebn_circuit.circuits.devices:idvg_testbench"
IDVG_MEASURE = "ebn_circuit.measure.rows:idvg_metrics"


def idvg_spec(tmp_path, **changes):
    base = dict(name="idvg", builder=IDVG, measure=IDVG_MEASURE, grid={"w": [1e-6, 2e-6]},
                params={"vg_step": 0.02}, corners=("tt", "ff"), mc_runs=2, seed=7, out=tmp_path / "out")
    return SweepSpec(**{**base, **changes})


def test_plan_expands_grid_corners_and_monte_carlo(tmp_path):
    tasks = plan_sweep(idvg_spec(tmp_path))
    assert len(tasks) == 2 * 2 * 2 == idvg_spec(tmp_path).n_points
    assert [t.index for t in tasks] == list(range(8))
    assert len({t.key for t in tasks}) == 8
    assert all(t.mismatch for t in tasks)
    # Monte-Carlo instance k has the same seed at every grid point and corner (the same "die"),
    # and the seeds are a pure function of (spec seed, k).
    for task in tasks:
        assert task.seed == mc_seed(7, task.mc_run)
    assert len({t.seed for t in tasks}) == 2
    assert {t.seed for t in plan_sweep(idvg_spec(tmp_path, seed=8))}.isdisjoint({t.seed for t in tasks})


def test_point_keys_do_not_depend_on_grid_order(tmp_path):
    forward = plan_sweep(idvg_spec(tmp_path, grid={"w": [1e-6, 2e-6], "l": [1e-6, 2e-6]}))
    backward = plan_sweep(idvg_spec(tmp_path, grid={"l": [2e-6, 1e-6], "w": [2e-6, 1e-6]}))
    assert {t.key for t in forward} == {t.key for t in backward}
    assert [t.key for t in forward] != [t.key for t in backward]


def test_no_monte_carlo_means_no_seed_and_no_mismatch(tmp_path):
    tasks = plan_sweep(idvg_spec(tmp_path, mc_runs=0, corners=("tt",)))
    assert [(t.seed, t.mismatch, t.mc_run) for t in tasks] == [(None, False, -1)] * 2


def test_toml_spec_example_loads_and_plans():
    spec = load_spec(ROOT / "sims" / "sweeps" / "idvg_mc.toml")
    assert spec.corners == ("tt", "ff", "ss") and spec.mc_runs == 8 and spec.retry
    tasks = plan_sweep(spec)
    assert len(tasks) == 2 * 2 * 3 * 8
    assert dict(tasks[0].params)["vg_step"] == 0.01
    assert len(plan_sweep(load_spec(ROOT / "sims" / "sweeps" / "rc_ladder.toml"))) == 8


@pytest.mark.parametrize("changes, message", [
    (dict(grid={"width": [1e-6]}), "unknown parameter(s) in [grid]: width"),
    (dict(params={"vgstep": 0.02}), "unknown parameter(s) in [params]: vgstep"),
    (dict(grid={"w": []}), "grid.w is empty"),
    (dict(corners=("tt", "typical")), "no corner(s) typical"),
    (dict(corners=()), "no corners"),
    (dict(grid={"w": [-1e-6]}), "IdVgParams.w must be a number > 0 m"),
    (dict(builder="ebn_circuit.circuits.devices:no_such_builder"), "has no 'no_such_builder'"),
    (dict(builder="no_such_module:f"), "cannot import module 'no_such_module'"),
    (dict(measure="ebn_circuit.measure.rows"), "must look like 'package.module:function'"),
    (dict(mc_runs=-1), "runs must be an integer >= 0"),
])
def test_bad_specs_fail_before_anything_runs(tmp_path, changes, message):
    with pytest.raises(ConfigError) as info:
        spec = idvg_spec(tmp_path, **changes)
        run_sweep(spec, workers=1, progress=False)
    assert message in str(info.value)
    assert not (tmp_path / "out").exists()


def test_toml_typos_are_reported(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(f'[sweep]\nbuilder = "{IDVG}"\nmeasure = "{IDVG_MEASURE}"\ncorner = ["tt"]\n')
    with pytest.raises(ConfigError, match=r"unknown key\(s\) corner in \[sweep\]"):
        load_spec(path)
    path.write_text(f'[sweep]\nbuilder = "{IDVG}"\nmeasure = "{IDVG_MEASURE}"\n[grids]\nw = [1e-6]\n')
    with pytest.raises(ConfigError, match=r"unknown table \[grids\]"):
        load_spec(path)


def test_unreachable_scheduler_is_one_clear_error():
    start = time.perf_counter()
    with pytest.raises(ConfigError, match="cannot reach the Dask scheduler at 'tcp://127.0.0.1:9'"):
        DaskExecutor(scheduler="tcp://127.0.0.1:9", connect_timeout=2)
    assert time.perf_counter() - start < 20


def test_cli_bad_input_is_one_line_and_exit_2(tmp_path):
    spec = tmp_path / "bad.toml"
    spec.write_text(f'[sweep]\nbuilder = "{IDVG}"\nmeasure = "{IDVG_MEASURE}"\ncorners = ["tt", "xx"]\n'
                    f'out = "{tmp_path / "out"}"\n[grid]\nw = [1e-6]\n')
    cli = [sys.executable, "-c", "import sys; from ebn_circuit.cli import main; sys.exit(main())", "sweep"]
    done = subprocess.run(cli + [str(spec), "--quiet"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "no corner(s) xx" in done.stderr
    assert not (tmp_path / "out").exists()
    spec.write_text(spec.read_text().replace('"xx"', '"ff"'))
    done = subprocess.run(cli + [str(spec), "--scheduler", "tcp://127.0.0.1:9", "--quiet"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "cannot reach the Dask scheduler" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()
