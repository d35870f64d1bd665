"""The objects the shared options become (cli.parsers declares them): the Technology, the corners,
the simulator settings and the executor, built once here and passed down to every stage and
worker; and how loud a command is (progress bars, per-run lines)."""

from __future__ import annotations

import argparse
import sys
from contextlib import contextmanager
from dataclasses import replace

from ebn_circuit.errors import ConfigError
from ebn_circuit.spice.cache import default_cache_max, parse_size
from ebn_circuit.sweep.executors import make_executor
from ebn_circuit.sweep.settings import SimSettings
from ebn_circuit.technology import Technology, get_technology

DEFAULT_TECHNOLOGY = "sky130"
DEFAULT_CORNERS = ("tt",)


def settings_of(args: argparse.Namespace, base: SimSettings | None = None) -> SimSettings:
    """The simulator options given, the rest from ``base`` (default: SimSettings(), the cache on).
    The cache's size limit is settled here ($EBN_CIRCUIT_CACHE_MAX or 5G) and travels to every worker."""
    given = {"backend": args.backend, "cache_dir": args.cache_dir, "timeout": args.timeout, "threads": args.threads}
    changes = {name: value for name, value in given.items() if value is not None}
    if args.no_cache:
        changes["cache"] = False
    changes["cache_max"] = parse_size(args.cache_max, "--cache-max") if args.cache_max else default_cache_max()
    return replace(base or SimSettings(), **changes)


def technology_of(args: argparse.Namespace) -> Technology:
    return get_technology(args.technology or DEFAULT_TECHNOLOGY)


def corners_of(args: argparse.Namespace, tech: Technology) -> tuple[str, ...]:
    """The corners of ``--corner`` (default tt), each once, checked against the technology before
    anything runs."""
    corners = tuple(dict.fromkeys(args.corners or DEFAULT_CORNERS))
    unknown = [c for c in corners if c not in tech.corners]
    if unknown:
        raise ConfigError(f"--corner: technology {tech.name!r} has no corner(s) {', '.join(unknown)}; "
                          f"known: {', '.join(tech.corners)}")
    return corners


def show_progress(args: argparse.Namespace) -> bool:
    """Progress bars (stderr, with ETA) only for a person watching: not with --quiet, not into a
    file or a CI log."""
    return not args.quiet and sys.stderr.isatty()


def log_of(args: argparse.Namespace):
    """Where a command's per-run lines go: stdout, or nowhere with --quiet."""
    return (lambda *_: None) if args.quiet else print


@contextmanager
def executor_of(args: argparse.Namespace, kind: str = "process", **options):
    """The executor the options ask for (a local pool, or Dask with --scheduler), with a progress
    bar for every run it executes when a person watches; closed after use. ``options``: Dask's
    (security, dashboard)."""
    if args.workers is not None and args.workers < 1:
        raise ConfigError(f"--workers must be >= 1, got {args.workers}")
    with make_executor(kind, args.workers, args.scheduler, progress=show_progress(args), **options) as executor:
        yield executor
