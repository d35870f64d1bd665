"""`ebn-circuit …`: thin; parses arguments and calls the layers above.

Each command group lives in its own module with `register(subparsers)`; the handler it sets
with `set_defaults(func=...)` returns an exit code. Toolkit errors become one line on
stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from ebn_circuit.errors import EbnCircuitError

# Command-group modules, in help order; each provides register(subparsers).
COMMAND_MODULES = ("pdk", "run", "sweep", "verify", "figures", "extract", "fit", "network", "cosim")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ebn-circuit",
        description="Design and verify EBN on-chip learning circuits on sky130.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"ebn_circuit.cli.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 1
    try:
        return int(args.func(args) or 0)
    except EbnCircuitError as exc:
        print(f"ebn-circuit: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("ebn-circuit: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
