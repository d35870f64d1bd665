"""Content-addressed result cache: one .npz per key, written atomically, checked on read."""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from pathlib import Path

import numpy as np

from ebn_circuit.spice.result import SimMeta, SimResult
from ebn_circuit.technology.files import tree_sha256

CACHE_FORMAT = 1
_INCLUDE = re.compile(r"^\s*\.(?:include|inc|lib)\s+['\"]?([^'\"\s]+)", re.IGNORECASE | re.MULTILINE)


def default_cache_dir() -> Path:
    root = os.environ.get("EBN_CIRCUIT_CACHE") or Path(
        os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "ebn_circuit" / "sims"
    return Path(root)


def cache_key(netlist: str, simulator_version: str) -> str:
    """sha256 of the netlist text, the content of every file it includes, and the simulator."""
    digest = hashlib.sha256()
    digest.update(f"format {CACHE_FORMAT}\n{simulator_version}\n".encode())
    digest.update(netlist.encode())
    digest.update(tree_sha256(Path(target) for target in _INCLUDE.findall(netlist)).encode())
    return digest.hexdigest()


class ResultCache:
    """Stores SimResults under their key; a corrupt or unreadable entry reads as a miss."""

    def __init__(self, root: Path | None = None):
        self.root = Path(root) if root is not None else default_cache_dir()

    def path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.npz"

    def get(self, key: str) -> SimResult | None:
        path = self.path(key)
        if not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as data:
                header = json.loads(str(data["__header__"]))
                vectors = {name: data[f"v{index}"] for index, name in enumerate(header["names"])}
            if header.get("format") != CACHE_FORMAT or header.get("checksum") != _checksum(vectors):
                raise ValueError("checksum mismatch")
        except Exception:
            path.unlink(missing_ok=True)  # corrupt: drop it, the caller recomputes
            return None
        meta = SimMeta(**{**header["meta"], "cached": True})
        return SimResult(kind=header["kind"], vectors=vectors, units=header["units"], meta=meta)

    def put(self, key: str, result: SimResult) -> None:
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        names = list(result.vectors)
        header = {"format": CACHE_FORMAT, "kind": result.kind, "names": names, "units": dict(result.units),
                  "meta": result.meta.as_dict(), "checksum": _checksum(result.vectors)}
        arrays = {f"v{index}": np.asarray(result.vectors[name]) for index, name in enumerate(names)}
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                np.savez(handle, __header__=np.array(json.dumps(header)), **arrays)
            os.replace(tmp, path)  # atomic: readers see the old entry or the whole new one
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def _checksum(vectors) -> str:
    digest = hashlib.sha256()
    for name in sorted(vectors):
        array = np.ascontiguousarray(vectors[name])
        digest.update(name.encode())
        digest.update(str(array.dtype).encode())
        digest.update(array.tobytes())
    return digest.hexdigest()
