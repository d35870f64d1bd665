"""`ebn-circuit figures ic`: regenerate the IC figures from ngspice runs and check the loop's specs
(exit 1 when one fails)."""

from __future__ import annotations

from pathlib import Path

from ebn_circuit.cli.common import corners_of, executor_of, log_of, settings_of, technology_of
from ebn_circuit.cli.parsers import Out, add_corners_option, command_parser, group_parser
from ebn_circuit.experiments.ic_study import ic_study
from ebn_circuit.experiments.main_job import DEFAULT_REFERENCE


def register(sub) -> None:
    _, which = group_parser(sub, "figures", "regenerate figures from ngspice runs", metavar="WHAT",
                            examples=["ebn-circuit figures ic --pulses 12 --out results/ic_short"])
    ic = command_parser(
        which, "ic", "learning-block transients (Simulation 1 and 2), corners, Monte Carlo",
        examples=["ebn-circuit figures ic",
                  "ebn-circuit figures ic --corner tt --corner ff --corner ss --mc 30 --workers 2",
                  "ebn-circuit figures ic --pulses 12 --out results/ic_short --quiet"],
        description="Run the learning-block transients (Simulation 1 and 2: neuron + plastic synapse + learning "
                    "block) at transistor level, draw the IC figures, and check the learning loop's specs (exit 1 "
                    "when one fails); docs/ic.md.",
        out=Out("folder of the figures, tables and report", Path("results/ic")), simulator=True, executor=True)
    ic.add_argument("--runs", nargs="+", type=Path, default=[Path("sim1"), Path("sim2")], metavar="NAME|TOML",
                    help="run definitions: the package's sim1, sim2 (Simulations 1 and 2; the default) or your "
                         "own TOML files")
    add_corners_option(ic, "process corner of each run")
    ic.add_argument("--mc", type=int, default=0, metavar="N", help="Monte-Carlo instances per run (default 0)")
    ic.add_argument("--mc-seed-base", type=int, default=1, metavar="S",
                    help="first Monte-Carlo seed (default 1: seeds S…S+N-1; e.g. 1000 for seeds not designed on)")
    ic.add_argument("--cmos", action="store_true", help="also run each with the transistor-level counter")
    ic.add_argument("--pulses", type=int, default=None, metavar="N", help="shorten every run to this many pulses")
    ic.add_argument("--reference", type=Path, default=DEFAULT_REFERENCE, metavar="DIR",
                    help="folder of the original IC's CSV run, drawn with the same code when present "
                         f"(default {DEFAULT_REFERENCE})")
    ic.add_argument("--spec", type=Path, default=None, metavar="TOML",
                    help="spec limits overriding the package's defaults (exit 1 when one fails)")
    ic.set_defaults(func=_ic)


def _ic(args) -> int:
    from ebn_circuit.errors import ConfigError

    if args.mc < 0 or (args.pulses is not None and args.pulses < 1) or args.mc_seed_base < 0:
        raise ConfigError("--mc and --mc-seed-base must be >= 0 and --pulses >= 1")
    import pandas as pd

    from ebn_circuit.experiments import specs
    from ebn_circuit.experiments.ic_study import report_section, spec_measures
    from ebn_circuit.experiments.reporting import verification_report

    limits = specs.load_specs(args.spec)  # a bad spec file fails before any simulation
    tech, settings = technology_of(args), settings_of(args)
    corners = corners_of(args, tech)
    with executor_of(args) as executor:
        report = ic_study(args.out, tech, settings, run_files=args.runs, corners=corners, mc=args.mc,
                          cmos=args.cmos, reference=args.reference, executor=executor, pulses=args.pulses,
                          resume=args.resume, log=log_of(args), mc_seed_base=args.mc_seed_base)
    summary = pd.read_csv(args.out / "summary.csv")
    code = verification_report(args.out, "Learning-loop transients", tech, settings, "ic", "Learning-loop specs",
                               *spec_measures(summary, args.pulses is not None), limits,
                               "Simulations 1 and 2 and their variants",
                               lambda section: report_section(section, args.out, "", summary))
    print(f"report: {args.out / 'report.html'} (and {report})")
    return code
