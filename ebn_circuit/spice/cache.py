"""Content-addressed result cache: one file per key, written atomically, checked on read.

File layout: 8 bytes (little-endian length n), n bytes of JSON header (kind, units, metadata, and
per vector its name, dtype, shape, byte offset), then the vectors' bytes back to back; the header
carries the CRC-32 of those bytes. One read and one CRC make a cache hit cheap (a few ms for MBs);
a truncated, corrupt or older-format entry reads as a miss and is dropped.

The folder holds at most ``max_bytes`` (default 5 GiB, or $EBN_CIRCUIT_CACHE_MAX): a write that
takes it over evicts the least recently used results. A hit touches its file, so a file's mtime
is when it was last written or read.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import struct
import tempfile
import time
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ebn_circuit.errors import ConfigError
from ebn_circuit.spice.result import SimMeta, SimResult
from ebn_circuit.technology.files import tree_sha256
from ebn_circuit.technology.netlist_scan import include_targets

CACHE_FORMAT = 2
DEFAULT_CACHE_MAX = 5 * 2**30
EVICT_TO = 0.9            # eviction goes below the limit, so that the next writes do not evict again
RESCAN_EVERY = 0.1        # of the limit written by this process: look again at what the others wrote
_SHARD = re.compile(r"[0-9a-f]{2}")
_RESULT = re.compile(r"[0-9a-f]{64}\.simresult")
_UNITS = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}
_SIZE = re.compile(r"(\d+(?:\.\d*)?|\.\d+)\s*([kmgt]?)(?:i?b)?", re.IGNORECASE)


class CacheWarning(UserWarning):
    """The result cache could not be read or written; results are still returned."""


def default_cache_dir() -> Path:
    root = os.environ.get("EBN_CIRCUIT_CACHE") or Path(
        os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "ebn_circuit" / "sims"
    return Path(root)


def parse_size(text: str, what: str) -> int:
    """Bytes of a size such as ``5G``, ``500M``, ``1.5GB``, ``2GiB`` or ``1048576`` (K, M, G, T are
    powers of 1024); a ConfigError naming ``what`` otherwise."""
    match = _SIZE.fullmatch(str(text).strip())
    size = int(float(match.group(1)) * _UNITS[match.group(2).lower()]) if match else 0
    if size < 1:
        raise ConfigError(f"{what}: {text!r} is not a size; give bytes or a number with K, M, G or T (e.g. 5G)")
    return size


def default_cache_max() -> int:
    """The cache's size limit: $EBN_CIRCUIT_CACHE_MAX, else 5 GiB."""
    text = os.environ.get("EBN_CIRCUIT_CACHE_MAX")
    return parse_size(text, "EBN_CIRCUIT_CACHE_MAX") if text else DEFAULT_CACHE_MAX


def cache_key(netlist: str, simulator_version: str) -> str:
    """sha256 of the netlist text, the content of every file it includes, and the simulator."""
    digest = hashlib.sha256()
    digest.update(f"format {CACHE_FORMAT}\n{simulator_version}\n".encode())
    digest.update(netlist.encode())
    digest.update(tree_sha256(include_targets(netlist)).encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class CacheEntry:
    """One file of the cache: its size in bytes and mtime (last written or read: the LRU order)."""

    path: Path
    size: int
    mtime: float


class ResultCache:
    """Stores SimResults under their key; a corrupt or unreadable entry reads as a miss.

    max_bytes: the folder's size limit (None: $EBN_CIRCUIT_CACHE_MAX, else 5 GiB). Checking it is
    amortised: the folder is scanned on this object's first write, after each tenth of the limit it
    has written since, and when its running total passes the limit; only then are the least
    recently used results evicted, down to 90 % of the limit. Several processes writing at once
    may overshoot by a tenth of the limit each until their next scan.
    """

    def __init__(self, root: Path | None = None, max_bytes: int | None = None):
        self.root = Path(root) if root is not None else default_cache_dir()
        self.max_bytes = default_cache_max() if max_bytes is None else max_bytes
        if isinstance(self.max_bytes, bool) or not isinstance(self.max_bytes, int) or self.max_bytes < 1:
            raise ConfigError(f"cache size limit must be a number of bytes >= 1, got {max_bytes!r}")
        self._usage: int | None = None   # bytes in the folder at the last scan
        self._written = 0                # bytes this object wrote since

    def path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.simresult"

    def entries(self, temporary: bool = False) -> list[CacheEntry]:
        """The results in the folder (with ``temporary``: the leftovers of interrupted writes instead).
        Only the cache's own layout is read — ``<2 hex>/<sha256>.simresult`` — and no symlink below
        the root is followed: a link is never counted, read or deleted."""
        wanted = (lambda name: name.endswith(".tmp")) if temporary else _RESULT.fullmatch
        found = []
        for shard in _scan(self.root):
            if not (_SHARD.fullmatch(shard.name) and shard.is_dir(follow_symlinks=False)):
                continue
            for item in _scan(Path(shard.path)):
                if wanted(item.name) and item.is_file(follow_symlinks=False):
                    try:
                        stat = item.stat(follow_symlinks=False)
                    except OSError:   # removed meanwhile by another process
                        continue
                    found.append(CacheEntry(Path(item.path), stat.st_size, stat.st_mtime))
        return found

    def clear(self, older_than: float | None = None) -> tuple[int, int]:
        """Delete the results (and leftover temporary files) not used for ``older_than`` seconds
        (None: all of them); empty shard folders go too. Returns (results deleted, bytes freed)."""
        cutoff = time.time() - older_than if older_than is not None else math.inf
        removed = freed = 0
        for entry in self.entries() + self.entries(temporary=True):
            if entry.mtime < cutoff and _unlink(entry.path):
                removed += entry.path.suffix == ".simresult"
                freed += entry.size
        for shard in _scan(self.root):
            if _SHARD.fullmatch(shard.name) and shard.is_dir(follow_symlinks=False):
                try:
                    os.rmdir(shard.path)   # only when empty
                except OSError:
                    pass
        self._usage = None
        return removed, freed

    def get(self, key: str) -> SimResult | None:
        path = self.path(key)
        try:
            blob = path.read_bytes()
        except OSError:
            return None
        try:
            (length,) = struct.unpack_from("<Q", blob)
            header = json.loads(blob[8:8 + length])
            data = memoryview(blob)[8 + length:]
            if header.get("format") != CACHE_FORMAT or zlib.crc32(data) != header["crc32"]:
                raise ValueError("not this cache's format, or corrupt")
            vectors = {v["name"]: np.frombuffer(data, dtype=v["dtype"], count=int(np.prod(v["shape"])),
                                                offset=v["offset"]).reshape(v["shape"]) for v in header["vectors"]}
        except Exception:
            try:
                path.unlink(missing_ok=True)  # corrupt: drop it, the caller recomputes
            except OSError:
                pass
            return None
        try:
            os.utime(path)   # used now: last in line for eviction
        except OSError:
            pass
        meta = SimMeta(**{**header["meta"], "cached": True})
        return SimResult(kind=header["kind"], vectors=vectors, units=header["units"], meta=meta)

    def put(self, key: str, result: SimResult) -> None:
        """Store a result; a cache that cannot be written (a file in the way, no permission, a
        read-only disk, a full one) is a CacheWarning, not an error: the result is not lost."""
        try:
            self._put(key, result)
        except OSError as exc:
            warnings.warn(f"result not cached: cannot write the simulation cache {self.root}: "
                          f"{exc.strerror or exc}; use --cache-dir DIR or --no-cache", CacheWarning, stacklevel=3)

    def _put(self, key: str, result: SimResult) -> None:
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays = [np.ascontiguousarray(result.vectors[name]) for name in result.vectors]
        offsets = np.cumsum([0] + [a.nbytes for a in arrays])
        data = b"".join(a.tobytes() for a in arrays)
        header = json.dumps({
            "format": CACHE_FORMAT, "kind": result.kind, "units": dict(result.units), "meta": result.meta.as_dict(),
            "crc32": zlib.crc32(data),
            "vectors": [{"name": name, "dtype": a.dtype.str, "shape": list(a.shape), "offset": int(offset)}
                        for name, a, offset in zip(result.vectors, arrays, offsets)]}).encode()
        blob = struct.pack("<Q", len(header)) + header + data
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(blob)
            os.replace(tmp, path)  # atomic: readers see the old entry or the whole new one
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._keep_under_limit(path, len(blob))

    def _keep_under_limit(self, written: Path, size: int) -> None:
        self._written += size
        if self._usage is not None and self._written < self.max_bytes * RESCAN_EVERY and \
                self._usage + self._written <= self.max_bytes:
            return
        entries = self.entries()
        self._usage, self._written = sum(e.size for e in entries), 0
        if self._usage <= self.max_bytes:
            return
        for entry in sorted(entries, key=lambda e: e.mtime):
            if self._usage <= self.max_bytes * EVICT_TO:
                break
            if entry.path == written:
                continue
            try:
                entry.path.unlink()
            except FileNotFoundError:   # another process evicted it first
                pass
            except OSError:   # not ours to delete (a shared read-only cache): it stays
                continue
            self._usage -= entry.size


def _scan(folder: Path) -> list[os.DirEntry]:
    """The folder's entries; none when it is missing or unreadable."""
    try:
        with os.scandir(folder) as entries:
            return list(entries)
    except OSError:
        return []


def _unlink(path: Path) -> bool:
    try:
        path.unlink()
    except FileNotFoundError:   # another process evicted it first
        return False
    return True
