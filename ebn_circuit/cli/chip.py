"""`ebn-circuit chip build|twin`: a chip from sky130 Monte Carlo, and its twin against transistor level."""

from __future__ import annotations

from pathlib import Path

from ebn_circuit.cli.common import add_executor_options, add_simulator_options, executor_of, settings_of, technology_of
from ebn_circuit.errors import ConfigError


def register(sub) -> None:
    from ebn_circuit.experiments.ic_study import DEFAULT_RUNS

    parser = sub.add_parser("chip", help="chip twin: per-instance tables from Monte Carlo, mismatch model, twin check")
    which = parser.add_subparsers(dest="chip_command", metavar="SUBCOMMAND")
    build = which.add_parser("build", help="measure K Monte-Carlo instances of every block as the IC runs use it",
                             description="Measure the neuron, synapse pair, weight DAC and learning block of K "
                                         "Monte-Carlo instances (one job per instance; resumable), write one table "
                                         "per block and fit the mismatch model. Example: ebn-circuit chip build "
                                         "--instances 30 --out chips/sky130_tt")
    build.add_argument("--instances", type=int, default=30, help="Monte-Carlo instances (default 30)")
    build.add_argument("--seed-base", type=int, default=1, help="first Monte-Carlo seed (default 1)")
    build.add_argument("--corner", default="tt", help="process corner (default tt)")
    build.add_argument("--run", type=Path, default=DEFAULT_RUNS[0],
                       help="the IC run whose blocks are measured (default sims/ic_sim1.toml)")
    build.add_argument("--out", type=Path, default=Path("chips/sky130_tt"), help="chip folder")
    add_simulator_options(build)
    add_executor_options(build)
    build.set_defaults(func=_build)
    twin = which.add_parser("twin", help="the behavioural twin against the transistor-level loop, per instance")
    twin.add_argument("--chip", type=Path, required=True, help="a chip folder (ebn-circuit chip build)")
    twin.add_argument("--instances", type=int, default=10, help="instances checked (the chip's first N)")
    twin.add_argument("--runs", type=Path, nargs="+", default=list(DEFAULT_RUNS), help="IC run definitions")
    twin.add_argument("--out", type=Path, default=None, help="output folder (default CHIP/twin)")
    add_simulator_options(twin)
    add_executor_options(twin)
    twin.set_defaults(func=_twin)
    parser.set_defaults(func=lambda args: parser.print_help() or 1)


def _build(args) -> int:
    from ebn_circuit.experiments.chip_study import build_chip
    from ebn_circuit.experiments.ic_setup import load_run

    if args.instances < 3:
        raise ConfigError(f"--instances must be >= 3 (the mismatch model needs them), got {args.instances}")
    tech = technology_of(args).with_corner(args.corner)
    with executor_of(args) as executor:
        _, summary = build_chip(tech, settings_of(args), args.out, load_run(args.run), args.instances,
                                seed_base=args.seed_base, executor=executor, resume=args.resume)
    print(f"chip: {args.out} ({summary['instances']} instances)"
          + (f"; held-out coverage of the mismatch model ≥ {summary['coverage_min']:.0%}" if "coverage_min" in summary else ""))
    return 0


def _twin(args) -> int:
    from ebn_circuit.chip.tables import load_chip
    from ebn_circuit.experiments.chip_study import twin_check, twin_markdown
    from ebn_circuit.experiments.ic_setup import load_run

    chip = load_chip(args.chip)
    out = args.out or args.chip / "twin"
    out.mkdir(parents=True, exist_ok=True)
    with executor_of(args) as executor:
        summary = twin_check(chip, technology_of(args), settings_of(args), out, [load_run(p) for p in args.runs],
                             chip.instances[:args.instances], executor=executor, resume=args.resume)
    (out / "twin_check.md").write_text(twin_markdown(summary))
    print(twin_markdown(summary))
    return 0
