"""`ebn-circuit verify learning-block [--corner tt|ff|ss ...] [--mc N] [--codes ...] [--out DIR] [--quiet]`."""

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
    parser.set_defaults(func=lambda args: parser.print_help() or 1)


def _verify_learning_block(args) -> int:
    from ebn_circuit.circuits.learning_block import LearningBlockParams
    from ebn_circuit.experiments.decision_map import MC_CODES, DecisionMapSpec

    if args.mc_only and not args.mc:
        raise ConfigError("--mc-only needs --mc N with N >= 1")
    if args.mc < 0:
        raise ConfigError(f"--mc must be >= 0, got {args.mc}")
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
               executor=executor, resume=args.resume, log=log, maps=not args.mc_only)
    print(args.out / "summary.md")
    return 0
