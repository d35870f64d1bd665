"""`ebn-circuit sweep SPEC.toml`: grid × corners × Monte-Carlo on a process pool or Dask."""

from __future__ import annotations

from pathlib import Path

from ebn_circuit.errors import ConfigError
from ebn_circuit.sweep.executors import EXECUTORS, make_executor
from ebn_circuit.sweep.plan import plan_sweep
from ebn_circuit.sweep.runner import check_out_folder, run_sweep
from ebn_circuit.sweep.spec import load_spec


def register(sub) -> None:
    sweep = sub.add_parser(
        "sweep", help="run a sweep spec (grid × corners × Monte-Carlo) into a Parquet dataset",
        description="Run every point of a sweep spec (TOML, see docs/sweep.md); rows stream to a "
                    "Parquet dataset as points finish. Exit code 0: every point ok; 1: some points "
                    "failed (recorded with their log and netlist); 2: bad input; 130: interrupted.")
    sweep.add_argument("spec", type=Path, help="sweep spec .toml (e.g. sims/sweeps/idvg_mc.toml)")
    sweep.add_argument("--workers", type=int, default=None,
                       help="local worker processes (default: one per core)")
    sweep.add_argument("--executor", choices=EXECUTORS, default="process",
                       help="local process pool (default) or Dask (a LocalCluster unless --scheduler)")
    sweep.add_argument("--scheduler", metavar="ADDR", default=None,
                       help="address of an existing Dask scheduler (tcp://host:8786); implies --executor dask")
    sweep.add_argument("--resume", action="store_true",
                       help="keep finished points in the output folder; run only missing and failed ones")
    sweep.add_argument("--overwrite", action="store_true", help="delete earlier results and start again")
    sweep.add_argument("--out", type=Path, default=None, help="output dataset folder (default: the spec's sweep.out)")
    sweep.add_argument("--quiet", action="store_true", help="no progress bar and no summary (for scripts)")
    sweep.set_defaults(func=_sweep)


def _sweep(args) -> int:
    spec = load_spec(args.spec, out=args.out)
    # Every check that can fail comes before a worker starts: spec, parameters, output folder, cluster.
    plan_sweep(spec)
    check_out_folder(spec, args.resume, args.overwrite)
    if args.workers is not None and args.workers < 1:
        raise ConfigError(f"--workers must be >= 1, got {args.workers}")
    with make_executor(args.executor, args.workers, args.scheduler) as executor:
        summary = run_sweep(spec, executor=executor, resume=args.resume, overwrite=args.overwrite,
                            progress=not args.quiet)
    if not args.quiet:
        print(summary.describe())
    return 1 if summary.failed else 0
