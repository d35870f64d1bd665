"""Content-addressed result cache: one file per key, written atomically, checked on read.

File layout: 8 bytes (little-endian length n), n bytes of JSON header (kind, units, metadata, and
per vector its name, dtype, shape, byte offset), then the vectors' bytes back to back; the header
carries the CRC-32 of those bytes. One read and one CRC make a cache hit cheap (a few ms for MBs);
a truncated, corrupt or older-format entry reads as a miss and is dropped.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import tempfile
import warnings
import zlib
from pathlib import Path

import numpy as np

from ebn_circuit.spice.result import SimMeta, SimResult
from ebn_circuit.technology.files import tree_sha256
from ebn_circuit.technology.netlist_scan import include_targets

CACHE_FORMAT = 2


class CacheWarning(UserWarning):
    """The result cache could not be read or written; results are still returned."""


def default_cache_dir() -> Path:
    root = os.environ.get("EBN_CIRCUIT_CACHE") or Path(
        os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "ebn_circuit" / "sims"
    return Path(root)


def cache_key(netlist: str, simulator_version: str) -> str:
    """sha256 of the netlist text, the content of every file it includes, and the simulator."""
    digest = hashlib.sha256()
    digest.update(f"format {CACHE_FORMAT}\n{simulator_version}\n".encode())
    digest.update(netlist.encode())
    digest.update(tree_sha256(include_targets(netlist)).encode())
    return digest.hexdigest()


class ResultCache:
    """Stores SimResults under their key; a corrupt or unreadable entry reads as a miss."""

    def __init__(self, root: Path | None = None):
        self.root = Path(root) if root is not None else default_cache_dir()

    def path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.simresult"

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
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(struct.pack("<Q", len(header)) + header + data)
            os.replace(tmp, path)  # atomic: readers see the old entry or the whole new one
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
