"""`ebn-circuit extract [BLOCK …]`: transfer curves as tables, behavioural fits and their reports."""

from __future__ import annotations

from pathlib import Path

from ebn_circuit.cli.common import add_simulator_options, make_simulator


def register(sub) -> None:
    from ebn_circuit.experiments.extraction import BLOCKS

    parser = sub.add_parser("extract", help="extract transfer curves and fit behavioural models")
    parser.add_argument("blocks", nargs="*", default=list(BLOCKS), metavar="BLOCK",
                        help=f"any of {', '.join(BLOCKS)} (default: all)")
    parser.add_argument("--out", type=Path, default=Path("results/extract"))
    parser.add_argument("--quick", action="store_true", help="fewer points and shorter runs")
    parser.add_argument("--mc", type=int, default=0, help="Monte-Carlo instances (default 0; DAC: 8)")
    parser.add_argument("--corners", nargs="+", default=["tt"], help="learning-block bounds at these corners")
    parser.add_argument("--workers", type=int, default=1, help="parallel ngspice processes (learning block)")
    add_simulator_options(parser)
    parser.set_defaults(func=_extract)


def _extract(args) -> int:
    from ebn_circuit.experiments.extraction import run_extraction
    from ebn_circuit.technology import get_technology

    tech = get_technology(args.technology)
    with make_simulator(args) as simulator:
        run_extraction(simulator, tech, args.out, blocks=tuple(args.blocks), quick=args.quick, mc=args.mc,
                       corners=tuple(args.corners), workers=args.workers)
    print(f"report: {args.out / 'report.md'}")
    return 0
