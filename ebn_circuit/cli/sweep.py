"""`ebn-circuit sweep SPEC.toml`: grid × corners × Monte-Carlo on a process pool or Dask."""

from __future__ import annotations

import sys
from pathlib import Path

from ebn_circuit.errors import ConfigError
from ebn_circuit.sweep.dask_access import security_from_files
from ebn_circuit.sweep.executors import EXECUTORS, make_executor
from ebn_circuit.sweep.plan import MAX_POINTS, check_point_count, estimate_plan, plan_sweep
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
    sweep.add_argument("--force", action="store_true", help=f"run a sweep of more than {MAX_POINTS} points")
    sweep.add_argument("--dashboard", action="store_true",
                       help="serve the local Dask cluster's dashboard on 127.0.0.1:8787 (off by default)")
    tls = sweep.add_argument_group("TLS to a remote Dask scheduler (tls://HOST:PORT; docs/sweep.md, Security)")
    tls.add_argument("--tls-ca-file", metavar="FILE", help="CA certificate that signed the scheduler's certificate")
    tls.add_argument("--tls-cert", metavar="FILE", help="this client's certificate")
    tls.add_argument("--tls-key", metavar="FILE", help="this client's private key (if not in --tls-cert)")
    sweep.set_defaults(func=_sweep)


def _sweep(args) -> int:
    spec = load_spec(args.spec, out=args.out)
    # Every check that can fail comes before a worker starts: size, spec, parameters, output folder,
    # cluster. The size first, from the spec alone: a huge grid is refused before it is expanded.
    check_point_count(spec, args.force)
    if not args.quiet:
        print(f"sweep {spec.name}: {estimate_plan(spec).describe()}", file=sys.stderr)
    plan_sweep(spec, force=args.force)
    check_out_folder(spec, args.resume, args.overwrite)
    if args.workers is not None and args.workers < 1:
        raise ConfigError(f"--workers must be >= 1, got {args.workers}")
    security = security_from_files(args.tls_ca_file, args.tls_cert, args.tls_key)
    if security is not None and not args.scheduler:
        raise ConfigError("--tls-* options are for a remote scheduler (--scheduler tls://HOST:PORT); the local "
                          "cluster makes its own certificate when the cryptography package is installed")
    with make_executor(args.executor, args.workers, args.scheduler, security=security,
                       dashboard=args.dashboard) as executor:
        summary = run_sweep(spec, executor=executor, resume=args.resume, overwrite=args.overwrite,
                            progress=not args.quiet, force=args.force)
    if not args.quiet:
        print(summary.describe())
    return 1 if summary.failed else 0
