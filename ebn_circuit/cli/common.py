"""Options shared by several commands."""

from __future__ import annotations

import argparse

from ebn_circuit.spice.simulator import BACKENDS, Simulator


def add_simulator_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--technology", default="sky130", help="built-in name or a technology .toml file")
    parser.add_argument("--backend", choices=BACKENDS, default="shared",
                        help="libngspice in a worker process (shared) or ngspice -b (batch)")
    parser.add_argument("--no-cache", action="store_true", help="always simulate; ignore cached results")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per simulation (default 600)")


def make_simulator(args: argparse.Namespace) -> Simulator:
    return Simulator(backend=args.backend, cache=not args.no_cache, timeout=args.timeout)
