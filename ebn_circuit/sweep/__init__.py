"""Sweep layer: grid × corners × Monte-Carlo seeds → many SimResults → rows in a Parquet
dataset; executors: a local process pool (default) or a Dask cluster; resumable.

    from ebn_circuit.sweep import SweepSpec, run_sweep, load_results
    spec = SweepSpec(name="idvg", builder="ebn_circuit.circuits.devices:idvg_testbench",
                     measure="ebn_circuit.measure.rows:idvg_metrics",
                     grid={"w": [1e-6, 2e-6]}, corners=("tt", "ff"), mc_runs=4, out="results/idvg")
    summary = run_sweep(spec, workers=2)
    rows = load_results(spec)
"""

from ebn_circuit.sweep.executors import DaskExecutor, ProcessExecutor, make_executor
from ebn_circuit.sweep.plan import PointTask, mc_seed, plan_sweep
from ebn_circuit.sweep.runner import SweepSummary, load_results, run_sweep
from ebn_circuit.sweep.spec import SweepSpec, load_spec
from ebn_circuit.sweep.store import SweepStore
from ebn_circuit.sweep.worker import run_point

__all__ = ["DaskExecutor", "PointTask", "ProcessExecutor", "SweepSpec", "SweepStore", "SweepSummary",
           "load_results", "load_spec", "make_executor", "mc_seed", "plan_sweep", "run_point", "run_sweep"]
