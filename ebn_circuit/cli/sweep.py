"""`ebn-circuit sweep SPEC.toml`: grid × corners × Monte-Carlo on a process pool or Dask."""

from __future__ import annotations

import sys
from pathlib import Path

from ebn_circuit.cli.common import executor_of, settings_of, show_progress, technology_of
from ebn_circuit.cli.parsers import Out, command_parser
from ebn_circuit.errors import ConfigError
from ebn_circuit.sweep.dask_access import security_from_files
from ebn_circuit.sweep.executors import EXECUTORS
from ebn_circuit.sweep.plan import MAX_POINTS, check_point_count, estimate_plan, plan_sweep
from ebn_circuit.sweep.runner import check_out_folder, run_sweep
from ebn_circuit.sweep.settings import SimSettings
from ebn_circuit.sweep.spec import load_spec


def register(sub) -> None:
    sweep = command_parser(
        sub, "sweep", "run a sweep spec (grid × corners × Monte-Carlo) into a Parquet dataset",
        examples=["ebn-circuit sweep sims/sweeps/idvg_mc.toml --workers 2",
                  "ebn-circuit sweep sims/sweeps/idvg_mc.toml --resume --quiet",
                  "ebn-circuit sweep sims/sweeps/idvg_mc.toml --out /tmp/idvg --overwrite --backend batch"],
        description="Run every point of a sweep spec (TOML, see docs/sweep.md); rows stream to a Parquet dataset "
                    "as points finish. Exit code 1 means some points failed (recorded with their log and netlist).",
        out=Out("output dataset folder (default: the spec's sweep.out)"), simulator=True, executor=True,
        simulator_note="options given here override the spec's technology and [simulator] table",
        quiet_help="no progress bar, no plan and no summary (for scripts)")
    sweep.add_argument("spec", type=Path, help="sweep spec .toml (e.g. sims/sweeps/idvg_mc.toml)")
    sweep.add_argument("--executor", choices=EXECUTORS, default="process",
                       help="local process pool (default) or Dask (a LocalCluster unless --scheduler)")
    sweep.add_argument("--overwrite", action="store_true", help="delete earlier results and start again")
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
    tech = technology_of(args) if args.technology else None
    settings = settings_of(args, SimSettings(backend=spec.backend, cache=spec.cache, timeout=spec.timeout))
    if not args.quiet:
        print(f"sweep {spec.name}: {estimate_plan(spec, tech, settings).describe()}", file=sys.stderr)
    plan_sweep(spec, tech, settings, force=args.force)
    check_out_folder(spec, args.resume, args.overwrite)
    security = security_from_files(args.tls_ca_file, args.tls_cert, args.tls_key)
    if security is not None and not args.scheduler:
        raise ConfigError("--tls-* options are for a remote scheduler (--scheduler tls://HOST:PORT); the local "
                          "cluster makes its own certificate when the cryptography package is installed")
    with executor_of(args, args.executor, security=security, dashboard=args.dashboard) as executor:
        summary = run_sweep(spec, executor=executor, resume=args.resume, overwrite=args.overwrite,
                            progress=show_progress(args), technology=tech, settings=settings, force=args.force)
    if not args.quiet:
        print(summary.describe())
    return 1 if summary.failed else 0
