"""Content hashes of model files and what they include (memoised: the files are MBs)."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path


def file_sha256(path: str | Path) -> str:
    """sha256 of a file's content; '' when it cannot be read."""
    path = Path(path)
    try:
        stat = path.stat()
    except OSError:
        return ""
    return _file_sha256(str(path), stat.st_mtime_ns, stat.st_size)


def with_includes(path: str | Path) -> tuple[Path, ...]:
    """The file plus the files it ``.include``s (one level: what sky130 corner files use)."""
    path = Path(path)
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        return (path,)
    return _with_includes(str(path), mtime)


def tree_sha256(paths) -> str:
    """One hash over the contents of the files and everything they include."""
    digest = hashlib.sha256()
    for path in paths:
        for included in with_includes(path):
            digest.update(f"{included}:{file_sha256(included) or 'missing'}\n".encode())
    return digest.hexdigest()


@functools.lru_cache(maxsize=256)
def _file_sha256(path: str, mtime_ns: int, size: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@functools.lru_cache(maxsize=256)
def _with_includes(path_str: str, mtime_ns: int) -> tuple[Path, ...]:
    path = Path(path_str)
    found = [path]
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return tuple(found)
    for line in text.splitlines():
        parts = line.strip().split(None, 1)
        if len(parts) == 2 and parts[0].lower() == ".include":
            nested = (path.parent / parts[1].strip().strip("'\"")).resolve()
            if nested.exists():
                found.append(nested)
    return tuple(found)
