"""Sweep layer, the one run engine: sweep specs (grid × corners × Monte-Carlo seeds over one
testbench builder) and jobs (any simulation work as data: decision-map columns, IC runs,
extractions) run on executors — a local process pool (default) or a Dask cluster — with the
Technology and the simulator settings travelling with every task; rows stream into a store and
an interrupted run resumes.

    from ebn_circuit.sweep import SweepSpec, run_sweep, load_results
    spec = SweepSpec(name="idvg", builder="ebn_circuit.circuits.devices:idvg_testbench",
                     measure="ebn_circuit.measure.rows:idvg_metrics",
                     grid={"w": [1e-6, 2e-6]}, corners=("tt", "ff"), mc_runs=4, out="results/idvg")
    summary = run_sweep(spec, workers=2)
    rows = load_results(spec)
"""

from ebn_circuit.sweep.executors import DaskExecutor, ProcessExecutor, make_executor
from ebn_circuit.sweep.jobs import Job, JobOutput, JobResult, make_job, run_jobs
from ebn_circuit.sweep.plan import PointTask, mc_seed, plan_sweep
from ebn_circuit.sweep.runner import SweepSummary, load_results, run_sweep
from ebn_circuit.sweep.settings import SimSettings
from ebn_circuit.sweep.spec import SweepSpec, load_spec
from ebn_circuit.sweep.store import SweepStore
from ebn_circuit.sweep.worker import run_point, run_task

__all__ = ["DaskExecutor", "Job", "JobOutput", "JobResult", "PointTask", "ProcessExecutor", "SimSettings",
           "SweepSpec", "SweepStore", "SweepSummary", "load_results", "load_spec", "make_executor", "make_job",
           "mc_seed", "plan_sweep", "run_jobs", "run_point", "run_sweep", "run_task"]
