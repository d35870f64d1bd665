"""`ebn-circuit extract [BLOCK …]`: transfer curves as tables, behavioural fits and their reports."""

from __future__ import annotations

from pathlib import Path

from ebn_circuit.cli.common import corners_of, executor_of, log_of, settings_of, technology_of
from ebn_circuit.cli.parsers import Out, add_corners_option, command_parser


def register(sub) -> None:
    from ebn_circuit.experiments.extraction import BLOCKS

    parser = command_parser(
        sub, "extract", "extract transfer curves and fit behavioural models",
        examples=["ebn-circuit extract", "ebn-circuit extract dac --quick --out results/extract_dac",
                  "ebn-circuit extract learning-block --corner tt --corner ff --mc 3 --workers 2"],
        description="Extract transfer curves (neuron f–I, synapse τ and gain, DAC code → current, learning-block "
                    "bounds) as Parquet + CSV tables with their conditions, fit the behavioural models and score "
                    "them on held-out runs.",
        out=Out("folder of the tables, fits, summary.json and report.md", Path("results/extract")),
        simulator=True, executor=True)
    parser.add_argument("blocks", nargs="*", default=list(BLOCKS), metavar="BLOCK",
                        help=f"any of {', '.join(BLOCKS)} (default: all)")
    parser.add_argument("--quick", action="store_true", help="fewer points and shorter runs")
    parser.add_argument("--mc", type=int, default=0, metavar="N", help="Monte-Carlo instances (default 0; DAC: 8)")
    add_corners_option(parser, "corner of the learning-block bounds")
    parser.set_defaults(func=_extract)


def _extract(args) -> int:
    from ebn_circuit.experiments.extraction import run_extraction

    tech, settings = technology_of(args), settings_of(args)
    corners = corners_of(args, tech)
    with executor_of(args) as executor:
        run_extraction(tech, settings, args.out, blocks=tuple(args.blocks), quick=args.quick, mc=args.mc,
                       corners=corners, executor=executor, resume=args.resume, log=log_of(args))
    print(f"report: {args.out / 'report.md'}")
    return 0
