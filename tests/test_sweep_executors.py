"""The same sky130 Monte-Carlo sweep on the local process pool and on a real Dask LocalCluster
gives the same rows, bit for bit; the rows carry the physics of the mismatch instances."""

import numpy as np
import pytest

from ebn_circuit.sweep import DaskExecutor, ProcessExecutor, SweepSpec, load_results, run_sweep

# Columns that say where and how fast a point ran; everything else must be identical.
RUN_COLUMNS = ["wall_time", "worker"]


@pytest.fixture(scope="module")
def spec(tmp_path_factory):
    # 2 corners × 2 mismatch instances = 4 Id–Vg sweeps of the sky130 nFET (kept small: the
    # machine running the tests is shared).
    return SweepSpec(name="idvg_small", builder="ebn_circuit.circuits.devices:idvg_testbench",
                     measure="ebn_circuit.measure.rows:idvg_metrics",
                     grid={"w": [1e-6]}, params={"vg_step": 0.02, "l": 0.5e-6},
                     corners=("tt", "ff"), mc_runs=2, seed=3,
                     out=tmp_path_factory.mktemp("sweep") / "pool", timeout=300)


@pytest.fixture(scope="module")
def pool_rows(spec):
    with ProcessExecutor(workers=2) as executor:
        summary = run_sweep(spec, executor=executor, progress=False)
    assert (summary.total, summary.simulated, summary.ok, summary.failed) == (4, 4, 4, 0)
    return load_results(spec)


def test_local_cluster_gives_the_same_rows_as_the_process_pool(spec, pool_rows):
    dask_spec = spec.replace(out=spec.out.parent / "dask")
    with DaskExecutor(workers=2) as executor:
        assert len(executor.worker_pids()) == 2
        summary = run_sweep(dask_spec, executor=executor, progress=False)
    assert (summary.executor, summary.simulated, summary.ok) == ("dask", 4, 4)
    dask_rows = load_results(dask_spec)
    assert list(dask_rows.columns) == list(pool_rows.columns)
    left, right = pool_rows.drop(columns=RUN_COLUMNS), dask_rows.drop(columns=RUN_COLUMNS)
    assert left.equals(right)  # exact: same floats, same NaN positions
    # the rows really came from Dask worker processes, not from this one
    assert set(dask_rows.worker) != set(pool_rows.worker)


def test_rows_carry_mismatch_and_corners(pool_rows):
    rows = pool_rows.set_index(["corner", "mc_run"])
    assert (pool_rows.status == "ok").all() and pool_rows.mismatch.all()
    # Mismatch instances differ (each is its own die) but are reproducible per seed (the
    # equality test above); the fast corner conducts more than the typical one on the same die.
    for corner in ("tt", "ff"):
        assert rows.loc[(corner, 0), "i_on"] != rows.loc[(corner, 1), "i_on"]
    for run in (0, 1):
        assert rows.loc[("ff", run), "i_on"] > rows.loc[("tt", run), "i_on"]
        assert rows.loc[("ff", run), "vgs_at_1ua"] < rows.loc[("tt", run), "vgs_at_1ua"]
    # a plausible subthreshold slope for a bulk MOSFET at 27 °C (ideal 59.5 mV/decade)
    assert np.all((pool_rows.ss_mv_per_decade > 60) & (pool_rows.ss_mv_per_decade < 120))


def test_the_same_seed_gives_the_same_die_in_every_grid_point(pool_rows):
    seeds = pool_rows.groupby("mc_run").seed.nunique()
    assert (seeds == 1).all() and pool_rows.seed.nunique() == 2
