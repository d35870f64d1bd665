"""`ebn-circuit verify learning-block [--corner tt|ff|ss ...] [--mc N] [--codes ...] [--out DIR] [--quiet]`
and `ebn-circuit verify mismatch BLOCK [--seeds N] [--seed-base S] [--codes ...] [--run TOML] [--out DIR]`."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ebn_circuit.cli.common import add_executor_options, add_simulator_options, executor_of, settings_of, technology_of
from ebn_circuit.errors import ConfigError


def register(sub) -> None:
    parser = sub.add_parser("verify", help="verify a block against its rule (decision maps, corners, Monte Carlo)")
    blocks = parser.add_subparsers(dest="verify_block", metavar="BLOCK")
    block = blocks.add_parser("learning-block", help="decision map of the transistor-level learning block "
                                                     "against the ideal rule")
    block.add_argument("--corner", action="append", choices=("tt", "ff", "ss"),
                       help="process corner; repeat for several (default tt)")
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
    block.add_argument("--counter", choices=("xspice", "cmos"), default="xspice", help="counter variant")
    block.add_argument("--out", type=Path, default=Path("results/verify_learning_block"),
                       help="output folder (plots, CSV tables, summary.md)")
    block.add_argument("--quiet", action="store_true", help="print only the summary path")
    add_simulator_options(block)
    add_executor_options(block)
    block.set_defaults(func=_verify_learning_block)
    mm = blocks.add_parser("mismatch", help="mismatch contributions per device group (one group's mismatch on, "
                                            "the rest ideal, seed by seed): a table and a bar chart")
    mm.add_argument("block", choices=("learning-block", "plastic-synapse", "neuron"), metavar="BLOCK",
                    help="learning-block (bound offsets), plastic-synapse (net current at code 0), neuron "
                         "(I_mem at the run's drive)")
    mm.add_argument("--seeds", type=int, default=8, metavar="N", help="Monte-Carlo seeds (default 8)")
    mm.add_argument("--seed-base", type=int, default=1, metavar="S", help="first seed (default 1: seeds S…S+N-1)")
    mm.add_argument("--codes", type=int, nargs="+", default=None, metavar="CODE",
                    help="learning-block: codes whose bounds are measured (default 0); plastic-synapse: the "
                         "held code (default 0)")
    mm.add_argument("--run", type=Path, default=None, metavar="TOML",
                    help="plastic-synapse, neuron: the IC run whose synapse / neuron and drive to use "
                         "(default sims/ic_sim1.toml)")
    mm.add_argument("--corner", choices=("tt", "ff", "ss"), default="tt", help="process corner (default tt)")
    mm.add_argument("--out", type=Path, default=None, help="output folder (default results/mismatch_<block>)")
    add_simulator_options(mm)
    add_executor_options(mm)
    mm.set_defaults(func=_verify_mismatch)
    parser.set_defaults(func=lambda args: parser.print_help() or 1)


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

    log = (lambda *_: None) if args.quiet else print
    tech, settings = technology_of(args), settings_of(args)
    with executor_of(args) as executor:
        verify(spec, args.out, tech, settings, corners=tuple(args.corner or ("tt",)), mc=args.mc, mc_codes=mc_codes,
               executor=executor, resume=args.resume, log=log, maps=not args.mc_only, mc_seed_base=args.mc_seed_base)
    print(args.out / "summary.md")
    return 0


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
        mc.study(args.block, out, tech, settings, seeds, setup, executor=executor, resume=args.resume)
    print(out / "contributions.md")
    return 0
