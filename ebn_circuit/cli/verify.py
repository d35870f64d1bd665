"""`ebn-circuit verify learning-block [--corner C …] [--mc N] [--codes …] [--spec TOML] [--out DIR]`:
exit 0 when every spec passes, 1 when one fails. `ebn-circuit verify mismatch BLOCK [--seeds N]
[--seed-base S] [--codes …] [--run NAME|TOML] [--out DIR]`: mismatch contributions per device group."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ebn_circuit.cli.common import corners_of, executor_of, log_of, settings_of, technology_of
from ebn_circuit.cli.parsers import Out, add_corners_option, command_parser, group_parser
from ebn_circuit.circuits.counter import VARIANTS
from ebn_circuit.errors import ConfigError


def register(sub) -> None:
    _, blocks = group_parser(sub, "verify", "verify a block against its rule (decision maps, corners, Monte Carlo)",
                             metavar="BLOCK", examples=["ebn-circuit verify learning-block --corner tt --corner ff"])
    block = command_parser(
        blocks, "learning-block", "decision map of the transistor-level learning block against the ideal rule",
        examples=["ebn-circuit verify learning-block",
                  "ebn-circuit verify learning-block --corner tt --corner ff --corner ss --mc 10 --workers 2",
                  "ebn-circuit verify learning-block --codes -16 0 16 --out results/dm --spec my_specs.toml"],
        description="Decision map of the transistor-level learning block against the ideal rule, at each corner "
                    "and over Monte-Carlo instances; a pass/fail table of the specs (exit 1 when one fails).",
        out=Out("output folder: plots, CSV tables, summary.md", Path("results/verify_learning_block")),
        simulator=True, executor=True)
    add_corners_option(block, "process corner of a decision map")
    block.add_argument("--mc", type=int, default=0, metavar="N",
                       help="Monte-Carlo mismatch instances at the first corner (seeds 1…N; default 0)")
    block.add_argument("--mc-seed-base", type=int, default=1, metavar="S",
                       help="first Monte-Carlo seed (default 1: seeds S…S+N-1)")
    block.add_argument("--mc-codes", type=int, nargs="+", default=None, metavar="CODE",
                       help="codes per Monte-Carlo instance (default -16 0 16)")
    block.add_argument("--codes", type=int, nargs="+", default=None, metavar="CODE",
                       help="grid codes of the corner maps (default -31 -24 -16 -8 0 8 16 24 31)")
    block.add_argument("--fine-step", type=float, default=None, metavar="A",
                       help="spacing of the extra levels around each bound in A (default 1e-10)")
    block.add_argument("--fine-span", type=float, default=None, metavar="A",
                       help="extent of the extra levels on each side of a bound in A (default 3e-10)")
    block.add_argument("--mc-only", action="store_true", help="skip the corner maps; only the Monte-Carlo study")
    block.add_argument("--counter", choices=VARIANTS, default="xspice",
                       help="counter variant: the XSPICE digital model, transistor-level CMOS or behavioural (switches and B sources; default xspice)")
    block.add_argument("--spec", type=Path, default=None, metavar="TOML",
                       help="spec limits overriding the package's defaults (exit 1 when one fails)")
    block.set_defaults(func=_verify_learning_block)
    mm = command_parser(
        blocks, "mismatch", "mismatch contributions per device group (one group's mismatch on, the rest ideal, "
                            "seed by seed): a table and a bar chart",
        examples=["ebn-circuit verify mismatch learning-block --seeds 8 --workers 2",
                  "ebn-circuit verify mismatch plastic-synapse --run sim2 --out results/mm_syn",
                  "ebn-circuit verify mismatch neuron --seeds 4 --seed-base 1000"],
        out=Out("output folder (default results/mismatch_<block>)"), simulator=True, executor=True)
    mm.add_argument("block", choices=("learning-block", "plastic-synapse", "neuron"), metavar="BLOCK",
                    help="learning-block (bound offsets), plastic-synapse (net current at code 0), neuron "
                         "(I_mem at the run's drive)")
    mm.add_argument("--seeds", type=int, default=8, metavar="N", help="Monte-Carlo seeds (default 8)")
    mm.add_argument("--seed-base", type=int, default=1, metavar="S", help="first seed (default 1: seeds S…S+N-1)")
    mm.add_argument("--codes", type=int, nargs="+", default=None, metavar="CODE",
                    help="learning-block: codes whose bounds are measured (default 0); plastic-synapse: the "
                         "held code (default 0)")
    mm.add_argument("--run", type=Path, default=None, metavar="NAME|TOML",
                    help="plastic-synapse, neuron: the IC run whose synapse / neuron and drive to use (sim1, sim2 "
                         "or a TOML file; default sim1)")
    mm.add_argument("--corner", choices=("tt", "ff", "ss"), default="tt", help="process corner (default tt)")
    mm.set_defaults(func=_verify_mismatch)


def _verify_learning_block(args) -> int:
    from ebn_circuit.circuits.learning_block import LearningBlockParams
    from ebn_circuit.experiments.decision_map import MC_CODES, DecisionMapSpec

    if args.mc_only and not args.mc:
        raise ConfigError("--mc-only needs --mc N with N >= 1")
    if args.mc < 0 or args.mc_seed_base < 0:
        raise ConfigError(f"--mc and --mc-seed-base must be >= 0, got {args.mc}, {args.mc_seed_base}")
    spec = DecisionMapSpec(block=LearningBlockParams(counter_variant=args.counter))
    overrides = {"codes": tuple(args.codes) if args.codes else None, "fine_step": args.fine_step,
                 "fine_span": args.fine_span}
    spec = replace(spec, **{k: v for k, v in overrides.items() if v is not None})
    mc_codes = tuple(args.mc_codes) if args.mc_codes else MC_CODES
    DecisionMapSpec(block=spec.block, codes=mc_codes)  # validates the MC codes before any run
    from ebn_circuit.experiments.decision_map import verify

    tech, settings = technology_of(args), settings_of(args)
    corners = corners_of(args, tech)
    from ebn_circuit.experiments import specs as spec_limits
    from ebn_circuit.experiments.decision_map import report_section, spec_measures
    from ebn_circuit.experiments.reporting import verification_report

    limits = spec_limits.load_specs(args.spec)  # a bad spec file fails before any simulation
    with executor_of(args) as executor:
        results = verify(spec, args.out, tech, settings, corners=corners, mc=args.mc, mc_codes=mc_codes,
                         executor=executor, resume=args.resume, log=log_of(args), maps=not args.mc_only,
                         mc_seed_base=args.mc_seed_base)
    code = verification_report(args.out, "Learning-block verification", tech, settings, "learning_block",
                               "Learning-block specs", *spec_measures(results), limits,
                               "Decision maps against the ideal rule",
                               lambda section: report_section(section, args.out, "", results))
    print(f"report: {args.out / 'report.html'}")
    return code


def _verify_mismatch(args) -> int:
    from ebn_circuit.experiments import mismatch_contributions as mc

    if args.seeds < 2 or args.seed_base < 0:
        raise ConfigError(f"--seeds must be >= 2 and --seed-base >= 0, got {args.seeds}, {args.seed_base}")
    setup = mc.BLOCKS[args.block].default()
    if args.run is not None and args.block != "learning-block":
        from ebn_circuit.experiments.ic_setup import load_run
        run = load_run(args.run)
        setup = run if args.block == "neuron" else replace(setup, synapse=run.synapse)
    if args.codes:
        if args.block == "learning-block":
            setup = replace(setup, codes=tuple(args.codes))
        elif args.block == "plastic-synapse" and len(args.codes) == 1:
            setup = replace(setup, code=args.codes[0])
        else:
            raise ConfigError("--codes: learning-block takes codes, plastic-synapse one code, neuron none")
    out = args.out or Path(f"results/mismatch_{args.block}")
    tech, settings = technology_of(args).with_corner(args.corner), settings_of(args)
    seeds = range(args.seed_base, args.seed_base + args.seeds)
    with executor_of(args) as executor:
        mc.study(args.block, out, tech, settings, seeds, setup, executor=executor, resume=args.resume,
                 log=log_of(args))
    print(out / "contributions.md")
    return 0
