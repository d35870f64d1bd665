"""How a command is declared. One call, `command_parser`, gives a command its help, its examples,
the exit codes and the options every command shares: ``-q/--quiet``, ``--out`` where it writes, and
the simulator and execution groups when it simulates. The options become objects in `cli.common`.

    parser = command_parser(sub, "fit", "fit behavioural models to waveforms",
                            examples=["ebn-circuit fit learning-block --from-run run.parquet"],
                            out=Out("folder of the fitted model and its report", Path("results/fit")))
"""

from __future__ import annotations

import argparse
import platform
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

PROG = "ebn-circuit"
EXIT_CODES = """\
Exit codes:
  0    ok
  1    a spec or a run failed (its inputs were fine; what finished is kept)
  2    bad input: an option, a file, a spec, a netlist
  130  interrupted (Ctrl-C); run again with --resume to keep what finished"""
WIDTH = 88
QUIET_HELP = "no progress bars and no per-run lines; results, warnings and errors still print"


@dataclass(frozen=True)
class Out:
    """A command's ``--out``: what is written there, its default (None: the command decides, as
    ``what`` says), and its metavar."""

    what: str
    default: Path | None = None
    metavar: str = "DIR"


def epilog(examples: Sequence[str]) -> str:
    return "Examples:\n" + "".join(f"  {example}\n" for example in examples) + "\n" + EXIT_CODES


def command_parser(sub, name: str, help: str, examples: Sequence[str], description: str | None = None,
                   out: Out | None = None, simulator: bool = False, executor: bool = False,
                   simulator_note: str | None = None, quiet_help: str = QUIET_HELP) -> argparse.ArgumentParser:
    """A sub-command of ``sub`` with the shared options (simulator and execution groups when asked)
    and an epilog of runnable ``examples`` and the exit codes. simulator_note: a line under the
    simulator group's title (e.g. what the options override)."""
    parents = [common_options(out, quiet_help)]
    if simulator:
        parents.append(simulator_options(simulator_note))
    if executor:
        parents.append(executor_options())
    return sub.add_parser(name, help=help, description=_paragraph(description or _sentence(help)),
                          epilog=epilog(examples), formatter_class=argparse.RawDescriptionHelpFormatter,
                          parents=parents)


def group_parser(sub, name: str, help: str, examples: Sequence[str], metavar: str, description: str | None = None):
    """A command group (``verify``, ``figures`` …): its parser and the action to add its sub-commands
    to. Without a sub-command it prints its help and exits with 2."""
    parser = sub.add_parser(name, help=help, description=_paragraph(description or _sentence(help)),
                            epilog=epilog(examples), formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.set_defaults(func=lambda args: parser.print_help() or 2)
    return parser, parser.add_subparsers(dest=f"{name}_command", metavar=metavar, title=f"{metavar.lower()}s",
                                         help=f"run `{PROG} {name} {metavar} --help` for its options")


def common_options(out: Out | None = None, quiet_help: str = QUIET_HELP) -> argparse.ArgumentParser:
    """The parent parser of every command: -q/--quiet, and --out for a command that writes."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("-q", "--quiet", action="store_true", help=quiet_help)
    if out is not None:
        parent.add_argument("--out", type=Path, default=out.default, metavar=out.metavar,
                            help=out.what + (f" (default {out.default})" if out.default is not None else ""))
    return parent


def simulator_options(note: str | None = None) -> argparse.ArgumentParser:
    """The simulator settings every simulation of the command gets (cli.common.settings_of); their
    defaults are applied there, so that a command can tell an option given from one left out."""
    from ebn_circuit.spice.simulator import BACKENDS

    parent = argparse.ArgumentParser(add_help=False)
    group = parent.add_argument_group("simulator", note)
    group.add_argument("--technology", metavar="NAME|TOML",
                       help="a built-in technology (sky130) or a technology .toml file (default sky130)")
    group.add_argument("--backend", choices=BACKENDS,
                       help="shared: libngspice in a worker process; batch: ngspice -b (default shared)")
    group.add_argument("--no-cache", action="store_true",
                       help="always simulate: neither read nor write the simulation cache (on by default)")
    group.add_argument("--cache-dir", metavar="DIR",
                       help="simulation cache folder (default $EBN_CIRCUIT_CACHE or ~/.cache/ebn_circuit/sims)")
    group.add_argument("--cache-max", metavar="SIZE",
                       help="size limit of the cache, e.g. 5G or 500M; beyond it the least recently used "
                            "results are deleted (default $EBN_CIRCUIT_CACHE_MAX or 5G)")
    group.add_argument("--timeout", type=float, metavar="S", help="seconds one simulation may take (default 600)")
    group.add_argument("--threads", type=int, metavar="N",
                       help="ngspice threads per simulation (default: what each testbench sets)")
    return parent


def executor_options() -> argparse.ArgumentParser:
    """Where the command's simulations run (cli.common.executor_of)."""
    from ebn_circuit.sweep.executors import default_workers

    parent = argparse.ArgumentParser(add_help=False)
    group = parent.add_argument_group("execution")
    group.add_argument("--workers", type=int, metavar="N",
                       help="simulations run at once on this machine (default: one per core, "
                            f"{default_workers()} here)")
    group.add_argument("--scheduler", metavar="ADDR",
                       help="run the simulations on an existing Dask scheduler (tcp://host:8786) instead")
    group.add_argument("--resume", action="store_true",
                       help="keep the simulations an interrupted or failed run finished; run only the rest")
    return parent


def add_corners_option(parser: argparse.ArgumentParser, what: str) -> None:
    """``--corner C``, repeated for several corners (cli.common.corners_of; default tt). The old
    spelling ``--corners A B …`` stays a hidden alias so that scripts keep working."""
    parser.add_argument("--corner", dest="corners", action="append", metavar="CORNER",
                        help=f"{what}; repeat for several: --corner tt --corner ff (default tt). The old "
                             f"spelling --corners tt ff is deprecated and still accepted")
    parser.add_argument("--corners", dest="corners", action="extend", nargs="+", help=argparse.SUPPRESS)


class VersionAction(argparse.Action):
    """``--version``: this package, the ngspice it finds and PySpice; exit code 0."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest, nargs=0, default=default, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        print(versions())
        parser.exit(0)


def versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    import ebn_circuit
    from ebn_circuit.errors import SimulatorMissingError
    from ebn_circuit.spice.locate import INSTALL_HINT, ngspice_library, ngspice_program, simulator_version

    lines = [f"{PROG} {ebn_circuit.__version__} (Python {platform.python_version()})"]
    try:
        program = ngspice_program()
        lines.append(f"{simulator_version('batch') or 'ngspice (version unknown)'}: {program}")
    except SimulatorMissingError:
        lines.append(f"ngspice: not found; {INSTALL_HINT}")
    try:
        lines.append(f"libngspice: {ngspice_library()}")
    except SimulatorMissingError:
        lines.append("libngspice: not found (the shared backend needs it; --backend batch does not)")
    try:
        lines.append(f"PySpice {version('PySpice')}")
    except PackageNotFoundError:
        lines.append("PySpice: not installed")
    return "\n".join(lines)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."


def _paragraph(text: str) -> str:
    # the raw formatter keeps the epilog's layout; the description is wrapped here instead
    return textwrap.fill(text, width=WIDTH)
