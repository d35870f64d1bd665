"""`ebn-circuit …`: thin; parses arguments and calls the layers above.

Each command group lives in its own module with `register(subparsers)`; it declares its commands
with `cli.parsers.command_parser` (shared options, examples, exit codes in the help) and the
handler it sets with `set_defaults(func=...)` returns an exit code. Bad input — a toolkit error, a
bad option, a file that cannot be read or written — is one line on stderr and exit code 2, never a
traceback; a failed simulation or spec is exit code 1; Ctrl-C is 130; warnings are one line each.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import textwrap
import traceback
import warnings

from ebn_circuit.cli.parsers import PROG, WIDTH, VersionAction, epilog
from ebn_circuit.errors import EbnCircuitError, NetlistError, RunFailedError, SimulationError

# Command-group modules, in help order; each provides register(subparsers).
COMMAND_MODULES = ("pdk", "run", "sweep", "verify", "figures", "extract", "fit", "chip", "network", "cosim",
                   "schematics", "cache")
EXAMPLES = ("ebn-circuit run --quick --out results_quick",
            "ebn-circuit verify learning-block --corner tt --corner ff --workers 2",
            "ebn-circuit simulate deck.cir --out deck.parquet")


class OneLineParser(argparse.ArgumentParser):
    """A bad option is one line (with where to look), not the usage text: exit code 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog=PROG,
        description=textwrap.fill("Design and verify EBN on-chip learning circuits on sky130. Every command takes "
                                  "-q/--quiet; those that write take --out; those that simulate take the simulator "
                                  "and execution options (see COMMAND --help).", WIDTH),
        epilog=epilog(EXAMPLES), formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action=VersionAction,
                        help="print the versions of ebn_circuit, ngspice and PySpice, and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands",
                                help=f"run `{PROG} COMMAND --help` for its options and examples")
    for name in COMMAND_MODULES:
        importlib.import_module(f"ebn_circuit.cli.{name}").register(sub)
    return parser


def exit_code(error: EbnCircuitError) -> int:
    """1 for a simulation or run that failed (its inputs were fine), 2 for bad input."""
    failed_run = isinstance(error, (SimulationError, RunFailedError)) and not isinstance(error, NetlistError)
    return 1 if failed_run else 2


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"{PROG}: warning: {message}", file=file or sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:   # --help, or a bad option (its one line is printed): the code, not an exit
        return exc.code if isinstance(exc.code, int) else 2
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    shown, warnings.showwarning = warnings.showwarning, _one_line_warning
    try:
        return int(args.func(args) or 0)
    except EbnCircuitError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return exit_code(exc)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:   # a file or folder the command was pointed at
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"{PROG}: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except MemoryError:
        print(f"{PROG}: error: out of memory; make the job smaller (fewer points, shorter runs)", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 — a bug: one line, the traceback on request
        if os.environ.get("EBN_CIRCUIT_TRACEBACK"):
            traceback.print_exc()
        print(f"{PROG}: internal error: {type(exc).__name__}: {exc} (set EBN_CIRCUIT_TRACEBACK=1 to see "
              "where; please report it)", file=sys.stderr)
        return 1
    finally:
        warnings.showwarning = shown


if __name__ == "__main__":
    sys.exit(main())
