"""`ebn-circuit figures ic`: regenerate the IC figures from ngspice runs."""

from __future__ import annotations

from pathlib import Path

from ebn_circuit.cli.common import add_executor_options, add_simulator_options, executor_of, settings_of, technology_of
from ebn_circuit.experiments.ic_study import DEFAULT_RUNS, ic_study

DEFAULT_REFERENCE = Path("../shared/reference/cadence-sim1")


def register(sub) -> None:
    parser = sub.add_parser("figures", help="regenerate figures from ngspice runs")
    which = parser.add_subparsers(dest="figures_what", metavar="WHAT")
    ic = which.add_parser("ic", help="learning-block transients (Simulation 1 and 2), corners, Monte Carlo")
    ic.add_argument("--runs", nargs="+", type=Path, default=[Path(p) for p in DEFAULT_RUNS],
                    help="run definitions (TOML, default sims/ic_sim1.toml sims/ic_sim2.toml)")
    ic.add_argument("--out", type=Path, default=Path("results/ic"))
    ic.add_argument("--corners", nargs="+", default=["tt"], help="also run these corners (tt ff ss)")
    ic.add_argument("--mc", type=int, default=0, help="Monte-Carlo instances per run (default 0)")
    ic.add_argument("--cmos", action="store_true", help="also run each with the transistor-level counter")
    ic.add_argument("--pulses", type=int, default=None, help="shorten every run to this many pulses")
    ic.add_argument("--reference", type=Path, default=DEFAULT_REFERENCE,
                    help="folder of the original IC's CSV run (drawn with the same code when present)")
    add_simulator_options(ic)
    add_executor_options(ic)
    ic.set_defaults(func=_ic)


def _ic(args) -> int:
    from ebn_circuit.errors import ConfigError

    if args.mc < 0 or (args.pulses is not None and args.pulses < 1):
        raise ConfigError("--mc must be >= 0 and --pulses >= 1")
    tech, settings = technology_of(args), settings_of(args)
    with executor_of(args) as executor:
        report = ic_study(args.out, tech, settings, run_files=args.runs, corners=tuple(args.corners), mc=args.mc,
                          cmos=args.cmos, reference=args.reference, executor=executor, pulses=args.pulses,
                          resume=args.resume)
    print(f"report: {report}")
    return 0
