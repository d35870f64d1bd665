"""Options shared by several commands, and the objects they become: the Technology, the simulator
settings and the executor, built once here and passed down to every stage and worker."""

from __future__ import annotations

import argparse
from contextlib import contextmanager

from ebn_circuit.errors import ConfigError
from ebn_circuit.spice.simulator import BACKENDS, Simulator
from ebn_circuit.sweep.executors import make_executor
from ebn_circuit.sweep.settings import SimSettings
from ebn_circuit.technology import Technology, get_technology


def add_simulator_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--technology", default="sky130", help="built-in name or a technology .toml file")
    parser.add_argument("--backend", choices=BACKENDS, default="shared",
                        help="libngspice in a worker process (shared) or ngspice -b (batch)")
    parser.add_argument("--no-cache", action="store_true", help="always simulate; ignore cached results")
    parser.add_argument("--cache-dir", default=None, metavar="DIR",
                        help="simulation cache folder (default ~/.cache/ebn_circuit/sims)")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per simulation (default 600)")
    parser.add_argument("--threads", type=int, default=None,
                        help="ngspice threads per simulation (default: what each testbench sets)")


def add_executor_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workers", type=int, default=None, help="parallel ngspice processes (default: cores)")
    parser.add_argument("--scheduler", metavar="ADDR", default=None,
                        help="run the simulations on an existing Dask scheduler (tcp://host:8786)")
    parser.add_argument("--resume", action="store_true",
                        help="keep the simulations an interrupted run finished; run only the rest")


def settings_of(args: argparse.Namespace) -> SimSettings:
    return SimSettings(backend=args.backend, cache=not args.no_cache, cache_dir=args.cache_dir,
                       timeout=args.timeout, threads=args.threads)


def technology_of(args: argparse.Namespace) -> Technology:
    return get_technology(args.technology)


@contextmanager
def executor_of(args: argparse.Namespace):
    """The executor the options ask for (a local pool, or Dask with --scheduler), closed after use."""
    if args.workers is not None and args.workers < 1:
        raise ConfigError(f"--workers must be >= 1, got {args.workers}")
    with make_executor("process", args.workers, args.scheduler) as executor:
        yield executor


def make_simulator(args: argparse.Namespace) -> Simulator:
    return settings_of(args).simulator()
