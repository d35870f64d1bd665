"""`ebn-circuit schematics`: draw every generated block (PNG + PDF), and with --xschem export
them as xschem schematics and symbols."""

from __future__ import annotations

from pathlib import Path

from ebn_circuit.cli.parsers import Out, command_parser
from ebn_circuit.schematics.blocks import BLOCKS
from ebn_circuit.schematics.xschem import SYMBOL_SETS
from ebn_circuit.technology import get_technology


def register(sub) -> None:
    parser = command_parser(
        sub, "schematics", "draw the generated blocks; export them for xschem",
        examples=["ebn-circuit schematics", "ebn-circuit schematics --block neuron learning_block --xschem",
                  "ebn-circuit schematics --xschem --symbols generic --out /tmp/sch"],
        description="Draw every generated block from its netlist (PNG + PDF: each device with its W/L, each "
                    "terminal labelled with its net) and, with --xschem, write <cell>.sch/.sym and an xschemrc "
                    "that open in xschem (docs/schematics.md).",
        out=Out("folder for the drawings (xschem files go in its xschem/ folder)", Path("results/schematics")))
    parser.add_argument("--block", nargs="+", choices=tuple(BLOCKS), default=None, metavar="NAME",
                        help=f"only these blocks (default all: {', '.join(BLOCKS)})")
    parser.add_argument("--xschem", action="store_true", help="also write <cell>.sch and <cell>.sym for xschem")
    parser.add_argument("--symbols", choices=SYMBOL_SETS, default="auto",
                        help="device symbols of the xschem export: the sky130 PDK's (pdk; auto for sky130) or "
                             "xschem's generic nmos4/pmos4 (generic)")
    parser.add_argument("--technology", default="sky130", help="built-in name or a technology .toml file")
    parser.set_defaults(func=_schematics)


def _schematics(args) -> int:
    from ebn_circuit.schematics.catalogue import write_schematics   # draws: imports schemdraw and matplotlib

    blocks = tuple(args.block) if args.block else tuple(BLOCKS)
    for path in write_schematics(args.out, get_technology(args.technology), blocks, args.xschem, args.symbols):
        if not args.quiet:
            print(path)
    return 0
