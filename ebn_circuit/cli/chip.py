"""`ebn-circuit chip build|twin`: a chip from sky130 Monte Carlo, and its twin against transistor level."""

from __future__ import annotations

from pathlib import Path

from ebn_circuit.cli.common import executor_of, log_of, settings_of, technology_of
from ebn_circuit.cli.parsers import Out, command_parser, group_parser
from ebn_circuit.errors import ConfigError


def register(sub) -> None:
    _, which = group_parser(sub, "chip", "chip twin: per-instance tables from Monte Carlo, mismatch model, twin check",
                            metavar="SUBCOMMAND",
                            examples=["ebn-circuit chip build --instances 30 --out chips/sky130_tt",
                                      "ebn-circuit chip twin --chip chips/sky130_tt --instances 5"])
    build = command_parser(
        which, "build", "measure K Monte-Carlo instances of every block as the IC runs use it",
        examples=["ebn-circuit chip build", "ebn-circuit chip build --instances 30 --out chips/sky130_tt --workers 2",
                  "ebn-circuit chip build --corner ss --out chips/sky130_ss --resume"],
        description="Measure the neuron, synapse pair, weight DAC and learning block of K Monte-Carlo instances "
                    "(one job per instance; resumable), write one table per block and fit the mismatch model "
                    "(docs/chip.md).",
        out=Out("chip folder", Path("chips/sky130_tt")), simulator=True, executor=True)
    build.add_argument("--instances", type=int, default=30, metavar="K", help="Monte-Carlo instances (default 30)")
    build.add_argument("--seed-base", type=int, default=1, metavar="SEED", help="first Monte-Carlo seed (default 1)")
    build.add_argument("--corner", default="tt", help="process corner of the chip (default tt)")
    build.add_argument("--run", type=Path, default=Path("sim1"), metavar="NAME|TOML",
                       help="the IC run whose blocks are measured: the package's sim1 (default) or sim2, or a TOML")
    build.set_defaults(func=_build)
    twin = command_parser(
        which, "twin", "the behavioural twin against the transistor-level loop, per instance",
        examples=["ebn-circuit chip twin --chip chips/sky130_tt",
                  "ebn-circuit chip twin --chip chips/sky130_tt --instances 5 --runs sim1 --workers 2"],
        description="Run the transistor-level learning loop of the chip's first N instances and its behavioural "
                    "twin on the same inputs; write how often their decisions agree (twin_check.md, docs/chip.md).",
        out=Out("output folder (default CHIP/twin)"), simulator=True, executor=True)
    twin.add_argument("--chip", type=Path, required=True, metavar="DIR", help="a chip folder (ebn-circuit chip build)")
    twin.add_argument("--instances", type=int, default=10, metavar="N",
                      help="instances checked: the chip's first N (default 10)")
    twin.add_argument("--runs", type=Path, nargs="+", default=[Path("sim1"), Path("sim2")], metavar="NAME|TOML",
                      help="IC run definitions: the package's sim1 sim2 (default) or TOML files")
    twin.set_defaults(func=_twin)


def _build(args) -> int:
    from ebn_circuit.experiments.chip_study import build_chip
    from ebn_circuit.experiments.ic_setup import load_run

    if args.instances < 3:
        raise ConfigError(f"--instances must be >= 3 (the mismatch model needs them), got {args.instances}")
    tech = technology_of(args).with_corner(args.corner)
    with executor_of(args) as executor:
        _, summary = build_chip(tech, settings_of(args), args.out, load_run(args.run), args.instances,
                                seed_base=args.seed_base, executor=executor, resume=args.resume, log=log_of(args))
    print(f"chip: {args.out} ({summary['instances']} instances)"
          + (f"; held-out coverage of the mismatch model ≥ {summary['coverage_min']:.0%}" if "coverage_min" in summary else ""))
    return 0


def _twin(args) -> int:
    from ebn_circuit.chip.tables import load_chip
    from ebn_circuit.experiments.chip_study import twin_check, twin_headline, write_twin_report
    from ebn_circuit.experiments.ic_setup import load_run

    chip = load_chip(args.chip)
    out = args.out or args.chip / "twin"
    out.mkdir(parents=True, exist_ok=True)
    with executor_of(args) as executor:
        summary = twin_check(chip, technology_of(args), settings_of(args), out, [load_run(p) for p in args.runs],
                             chip.instances[:args.instances], executor=executor, resume=args.resume,
                             log=log_of(args))
    write_twin_report(out, summary)
    print(twin_headline(summary))
    print(f"report: {out / 'twin_check.html'}")
    return 0
