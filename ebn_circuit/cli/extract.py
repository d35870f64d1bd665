"""`ebn-circuit extract [BLOCK …]`: transfer curves as tables, behavioural fits and their reports."""

from __future__ import annotations

from pathlib import Path

from ebn_circuit.cli.common import add_executor_options, add_simulator_options, executor_of, settings_of, technology_of


def register(sub) -> None:
    from ebn_circuit.experiments.extraction import BLOCKS

    parser = sub.add_parser("extract", help="extract transfer curves and fit behavioural models")
    parser.add_argument("blocks", nargs="*", default=list(BLOCKS), metavar="BLOCK",
                        help=f"any of {', '.join(BLOCKS)} (default: all)")
    parser.add_argument("--out", type=Path, default=Path("results/extract"))
    parser.add_argument("--quick", action="store_true", help="fewer points and shorter runs")
    parser.add_argument("--mc", type=int, default=0, help="Monte-Carlo instances (default 0; DAC: 8)")
    parser.add_argument("--corners", nargs="+", default=["tt"], help="learning-block bounds at these corners")
    add_simulator_options(parser)
    add_executor_options(parser)
    parser.set_defaults(func=_extract)


def _extract(args) -> int:
    from ebn_circuit.experiments.extraction import run_extraction

    tech, settings = technology_of(args), settings_of(args)
    with executor_of(args) as executor:
        run_extraction(tech, settings, args.out, blocks=tuple(args.blocks), quick=args.quick, mc=args.mc,
                       corners=tuple(args.corners), executor=executor, resume=args.resume)
    print(f"report: {args.out / 'report.md'}")
    return 0
