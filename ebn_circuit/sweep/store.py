"""The sweep's Parquet dataset: one part file per finished point, written atomically.

Layout of the dataset folder::

    parts/<key>.parquet     one row per point or job (ok or failed), named by its content hash
    tables/<key>/<name>.parquet   a job's tables (written before its part)
    failed/<key>.spice      the netlist of each failed point
    summary.json            counts of the last run
    .lock                   held (POSIX record lock) by the run writing into the folder

A part is written to a temporary name and renamed into place, so a reader never sees half a
file, and only after the job's tables: a part on disk means the whole result is there. A part
that cannot be read (corrupted on disk, truncated copy) is found by `scan`, deleted, and its
point computed again.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import socket
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ebn_circuit.errors import ConfigError

PART_SUFFIX = ".parquet"
LOCK_NAME = ".lock"


class SweepStore:
    """Reads and writes the dataset folder ``root``."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.parts = self.root / "parts"
        self.failed = self.root / "failed"
        self.tables = self.root / "tables"

    def prepare(self) -> None:
        try:
            self.parts.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"cannot create the sweep output folder {self.root}: {exc.strerror}") from None
        for stale in self.parts.glob("*.tmp"):  # left by an interrupted write
            stale.unlink(missing_ok=True)

    @contextmanager
    def locked(self):
        """Hold the folder's lock while a run writes into it: a second run into the same folder (or an
        --overwrite of a running one) is a ConfigError instead of computing everything twice or
        deleting the other's results. A POSIX lock: released when the process ends, however it ends,
        and not inherited by forked pool workers."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.root / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise ConfigError(f"cannot create the sweep output folder {self.root}: {exc.strerror}") from None
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise ConfigError(f"{self.root} is in use by another run ({holder}); wait for it to finish, "
                              "or write into another folder (--out)") from None
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}, since "
                          f"{time.strftime('%Y-%m-%d %H:%M:%S')}\n".encode(), 0)
            yield self
        finally:
            os.close(fd)   # releases the lock

    def check_unlocked(self) -> None:
        """A ConfigError now when another run holds the folder (checked again when the run starts)."""
        if (self.root / LOCK_NAME).is_file():
            with self.locked():
                pass

    def part_path(self, key: str) -> Path:
        return self.parts / f"{key}{PART_SUFFIX}"

    def part_keys(self) -> list[str]:
        if not self.parts.is_dir():
            return []
        return sorted(p.name[:-len(PART_SUFFIX)] for p in self.parts.glob(f"*{PART_SUFFIX}"))

    def write(self, row: dict[str, Any]) -> Path:
        """Write one finished point; the failed netlist (``row["netlist"]``) goes to failed/."""
        row = dict(row)
        netlist = row.pop("netlist", None)
        tables = row.pop("tables", None) or {}
        key = row["key"]
        try:
            for name, table in tables.items():
                folder = self.tables / key
                folder.mkdir(parents=True, exist_ok=True)
                target = folder / f"{name}{PART_SUFFIX}"
                tmp = target.with_name(target.name + f".{os.getpid()}.tmp")
                table.to_parquet(tmp, index=False)
                os.replace(tmp, target)
            if netlist is not None:
                self.failed.mkdir(parents=True, exist_ok=True)
                target = self.failed / f"{key}.spice"
                _atomic_write(target, netlist.encode())
                row["netlist_path"] = str(target.resolve())
            target = self.part_path(key)
            tmp = target.with_name(target.name + f".{os.getpid()}.tmp")
            pq.write_table(pa.Table.from_pylist([row]), tmp)
            os.replace(tmp, target)
        except OSError as exc:
            raise ConfigError(f"cannot write sweep results into {self.root}: {exc.strerror or exc}") from None
        return target

    def read_part(self, key: str) -> dict[str, Any] | None:
        """The row of one part, or None when the file is unreadable or not this point's."""
        if not self.part_path(key).is_file():
            return None
        try:
            rows = pq.read_table(self.part_path(key)).to_pylist()
        except (OSError, pa.ArrowException, ValueError):
            return None
        if len(rows) != 1 or rows[0].get("key") != key:
            return None
        return rows[0]

    def read_tables(self, key: str) -> dict[str, pd.DataFrame]:
        """A job's tables (empty when it has none)."""
        folder = self.tables / key
        if not folder.is_dir():
            return {}
        return {path.name[:-len(PART_SUFFIX)]: pd.read_parquet(path) for path in sorted(folder.glob(f"*{PART_SUFFIX}"))}

    def read_result(self, key: str):
        """A job's row, tables and meta (a JobResult), or None when it has not finished."""
        from ebn_circuit.sweep.jobs import JobResult, loads_meta

        row = self.read_part(key)
        if row is None:
            return None
        return JobResult(row=row, tables=self.read_tables(key), meta=loads_meta(row.get("meta")))

    def scan(self, keys: Iterable[str], delete_corrupted: bool = True) -> tuple[dict[str, dict], list[str]]:
        """Rows of the given points found on disk, and the keys whose part is corrupted
        (deleted, unless ``delete_corrupted`` is False, so that those points run again)."""
        present = set(self.part_keys())
        rows, corrupted = {}, []
        for key in keys:
            if key not in present:
                continue
            row = self.read_part(key)
            if row is None:
                if delete_corrupted and self.part_path(key).is_dir():
                    raise ConfigError(f"{self.part_path(key)} is a folder, not a part file; move it out of "
                                      f"{self.parts} and run again with --resume")
                corrupted.append(key)
                if delete_corrupted:
                    self.part_path(key).unlink(missing_ok=True)
            else:
                rows[key] = row
        return rows, corrupted

    def load(self, keys: Iterable[str] | None = None) -> pd.DataFrame:
        """The readable rows as one table sorted by point index (only ``keys`` when given)."""
        rows, _ = self.scan(self.part_keys() if keys is None else keys, delete_corrupted=False)
        frame = pd.DataFrame(list(rows.values()))
        return frame.sort_values("index", ignore_index=True) if len(frame) else frame

    def clear(self) -> None:
        """Delete the dataset's parts, failed netlists and summary (a fresh run)."""
        for folder in (self.parts, self.failed, self.tables):
            if folder.is_dir():
                shutil.rmtree(folder)
        (self.root / "summary.json").unlink(missing_ok=True)

    def write_summary(self, summary: dict) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        target = self.root / "summary.json"
        _atomic_write(target, (json.dumps(summary, indent=2, sort_keys=True) + "\n").encode())
        return target

    def read_summary(self) -> dict:
        try:
            return json.loads((self.root / "summary.json").read_text())
        except (OSError, ValueError):
            return {}


def _atomic_write(target: Path, data: bytes) -> None:
    tmp = target.with_name(target.name + f".{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, target)

