"""`ebn-circuit figures ic`: regenerate the IC figures from ngspice runs."""

from __future__ import annotations

from pathlib import Path

from ebn_circuit.experiments.ic_study import DEFAULT_RUNS, ic_study

DEFAULT_REFERENCE = Path("../shared/reference/cadence-sim1")


def register(sub) -> None:
    parser = sub.add_parser("figures", help="regenerate figures from ngspice runs")
    which = parser.add_subparsers(dest="figures_what", metavar="WHAT")
    ic = which.add_parser("ic", help="learning-block transients (Simulation 1 and 2), corners, Monte Carlo")
    ic.add_argument("--runs", nargs="+", type=Path, default=[Path(p) for p in DEFAULT_RUNS],
                    help="run definitions (TOML, default sims/ic_sim1.toml sims/ic_sim2.toml)")
    ic.add_argument("--out", type=Path, default=Path("results/ic"))
    ic.add_argument("--technology", default="sky130")
    ic.add_argument("--corners", nargs="+", default=["tt"], help="also run these corners (tt ff ss)")
    ic.add_argument("--mc", type=int, default=0, help="Monte-Carlo instances per run (default 0)")
    ic.add_argument("--cmos", action="store_true", help="also run each with the transistor-level counter")
    ic.add_argument("--pulses", type=int, default=None, help="shorten every run to this many pulses")
    ic.add_argument("--workers", type=int, default=None, help="parallel ngspice processes (default: cores)")
    ic.add_argument("--reference", type=Path, default=DEFAULT_REFERENCE,
                    help="folder of the original IC's CSV run (drawn with the same code when present)")
    ic.set_defaults(func=_ic)


def _ic(args) -> int:
    from ebn_circuit.errors import ConfigError

    if args.mc < 0 or (args.pulses is not None and args.pulses < 1):
        raise ConfigError("--mc must be >= 0 and --pulses >= 1")
    report = ic_study(args.out, run_files=args.runs, technology=args.technology, corners=tuple(args.corners),
                      mc=args.mc, cmos=args.cmos, reference=args.reference, workers=args.workers,
                      pulses=args.pulses)
    print(f"report: {report}")
    return 0
