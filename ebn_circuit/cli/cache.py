"""`ebn-circuit cache info|clear`: what the simulation cache holds, and emptying it."""

from __future__ import annotations

import re
import time

from ebn_circuit.cli.parsers import command_parser, group_parser
from ebn_circuit.errors import ConfigError
from ebn_circuit.spice.cache import ResultCache, default_cache_max, parse_size

_DURATION = re.compile(r"(\d+(?:\.\d*)?)\s*([smhdw])")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
CACHE_DIR_HELP = "the simulation cache folder (default $EBN_CIRCUIT_CACHE or ~/.cache/ebn_circuit/sims)"


def register(sub) -> None:
    _, actions = group_parser(sub, "cache", "show or empty the simulation cache", metavar="ACTION",
                              examples=["ebn-circuit cache info", "ebn-circuit cache clear --older-than 7d"],
                              description="Show or empty the simulation cache: one .simresult file per result, "
                                          "keyed by the netlist, its included files and the simulator. It holds "
                                          "at most --cache-max (default $EBN_CIRCUIT_CACHE_MAX or 5G); beyond "
                                          "that the least recently used results are deleted.")
    info = command_parser(actions, "info", "where the cache is, how many results it holds, their size and age",
                          examples=["ebn-circuit cache info", "ebn-circuit cache info --cache-dir /scratch/sims"])
    info.add_argument("--cache-dir", metavar="DIR", help=CACHE_DIR_HELP)
    info.add_argument("--cache-max", metavar="SIZE", help="the size limit to report against (default "
                                                          "$EBN_CIRCUIT_CACHE_MAX or 5G)")
    info.set_defaults(func=_info)
    clear = command_parser(actions, "clear", "delete cached results (all, or those not used for a while)",
                           examples=["ebn-circuit cache clear", "ebn-circuit cache clear --older-than 7d",
                                     "ebn-circuit cache clear --older-than 12h --cache-dir /scratch/sims"],
                           description="Delete cached results: all of them, or those not used (written or read) "
                                       "for --older-than. Only the cache's own files go (<2 hex>/<sha256>.simresult "
                                       "and leftovers of interrupted writes); symlinks in it are never followed.")
    clear.add_argument("--older-than", metavar="AGE",
                       help="only results not used for this long: a number with s, m, h, d or w (30m, 12h, 7d)")
    clear.add_argument("--cache-dir", metavar="DIR", help=CACHE_DIR_HELP)
    clear.set_defaults(func=_clear)


def parse_duration(text: str) -> float:
    """Seconds of ``30m``, ``12h``, ``7d``, ``2w`` or ``90s``."""
    match = _DURATION.fullmatch(text.strip().lower())
    if not match:
        raise ConfigError(f"--older-than {text!r}: give a number with s, m, h, d or w, e.g. 30m, 12h or 7d")
    return float(match.group(1)) * _SECONDS[match.group(2)]


def human_size(size: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024


def _when(mtime: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(mtime))


def _info(args) -> int:
    limit = parse_size(args.cache_max, "--cache-max") if args.cache_max else default_cache_max()
    cache = ResultCache(args.cache_dir, limit)
    entries, leftovers = cache.entries(), cache.entries(temporary=True)
    total = sum(e.size for e in entries)
    print(f"folder:   {cache.root}{'' if cache.root.is_dir() else ' (not created yet)'}")
    print(f"results:  {len(entries)}, {human_size(total)} of {human_size(limit)} ({total / limit:.0%} of the limit)")
    if entries:
        print(f"oldest:   {_when(min(e.mtime for e in entries))} (last used)")
        print(f"newest:   {_when(max(e.mtime for e in entries))}")
    if leftovers:
        print(f"leftover: {len(leftovers)} temporary file(s) of interrupted writes, "
              f"{human_size(sum(e.size for e in leftovers))} (`ebn-circuit cache clear` deletes them)")
    return 0


def _clear(args) -> int:
    older_than = parse_duration(args.older_than) if args.older_than is not None else None
    cache = ResultCache(args.cache_dir)
    removed, freed = cache.clear(older_than)
    if not args.quiet:
        left = len(cache.entries())
        print(f"deleted {removed} result(s), {human_size(freed)}, from {cache.root}; {left} left")
    return 0
