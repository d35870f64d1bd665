"""Jobs: any unit of simulation work as data — a function of (simulator, technology, payload) named
by import path, its payload (frozen params), the Technology and the simulator settings it runs
with. Decision-map columns, IC runs, extractions and Monte-Carlo instances are jobs; they run on the
sweep executors (local processes or Dask), their results stream into a sweep store and a run that
was interrupted resumes from it.

    def column(simulator, tech, spec: ColumnSpec) -> JobOutput: ...
    jobs = [make_job("ebn_circuit.experiments.decision_map:column", ColumnSpec(...), tech, settings)]
    results = run_jobs(jobs, "results/decision_map/runs", workers=2)
    results[0].tables["pulses"]

A job function never writes files (a Dask worker may be another machine): it returns a
``JobOutput`` (one row of scalars, tables, JSON-able metadata) and the caller writes artefacts.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

import pandas as pd

from ebn_circuit.errors import ConfigError, RunFailedError, SimulationError
from ebn_circuit.sweep.settings import SimSettings
from ebn_circuit.sweep.spec import import_path, resolve
from ebn_circuit.technology.core import Technology

JOB_FORMAT = 1  # bump when the meaning of a job key changes
LOG_TAIL_LINES = 40


@dataclass(frozen=True)
class Job:
    """One unit of work. key: content hash of (function, payload, technology); index: position."""

    key: str
    index: int
    function: str
    payload: Any
    technology: Technology
    settings: SimSettings
    label: str = ""


@dataclass
class JobOutput:
    """What a job function returns: row (scalars: numbers, strings, bools, None), tables
    (DataFrames) and meta (JSON-able: conditions, lists)."""

    row: dict = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    meta: dict = field(default_factory=dict)


@dataclass
class JobResult:
    """A finished job read back: its row (with status, technology, backend, wall time …),
    tables and meta."""

    row: dict
    tables: dict[str, pd.DataFrame]
    meta: dict

    @property
    def ok(self) -> bool:
        return self.row.get("status") == "ok"


def make_job(function: Callable | str, payload: Any, technology: Technology, settings: SimSettings,
             label: str = "", index: int = 0) -> Job:
    """A job; its key identifies (function, payload, technology) whatever the settings."""
    path = import_path(function)
    resolve(path, "job function")
    digest = hashlib.sha256(json.dumps([JOB_FORMAT, path, repr(payload), technology.cache_key()]).encode())
    return Job(key=digest.hexdigest(), index=index, function=path, payload=payload, technology=technology,
               settings=settings, label=label or path.rsplit(":", 1)[-1])


def numbered(jobs: list[Job]) -> list[Job]:
    """The jobs with their index set to their position (and their keys checked unique)."""
    from dataclasses import replace

    if len({j.key for j in jobs}) != len(jobs):
        raise ConfigError("some jobs are identical (same function, payload and technology); each must differ")
    return [replace(j, index=k) for k, j in enumerate(jobs)]


def job_row(job: Job, error: str = "", message: str = "") -> dict[str, Any]:
    """The identity columns of a job's row; ``error`` set: a failed job."""
    return {"key": job.key, "index": job.index, "label": job.label, "function": job.function,
            "technology": job.technology.name, "tech_corner": job.technology.corner,
            "tech_mismatch": job.technology.mismatch, "backend": job.settings.backend,
            "status": "failed" if error else "ok", "error": error, "message": message, "log_tail": "",
            "wall_time": 0.0, "worker": f"{socket.gethostname()}:{os.getpid()}"}


def run_job(job: Job) -> dict[str, Any]:
    """Run one job in this process; never raises for a failure (it becomes a failed row)."""
    from ebn_circuit.sweep.worker import simulator_for

    row = job_row(job)
    start = time.perf_counter()
    try:
        output = resolve(job.function, "job function")(simulator_for(job.settings), job.technology, job.payload)
        if not isinstance(output, JobOutput):
            raise TypeError(f"job function {job.function} returned {type(output).__name__}, not a JobOutput")
        clash = sorted(set(output.row) & set(row))
        if clash:
            raise ValueError(f"job function {job.function}: row column(s) {', '.join(clash)} clash with the job's own")
        row.update(output.row)
        row["tables"] = dict(output.tables)
        row["meta"] = json.dumps(output.meta, default=_plain, sort_keys=True)
    except Exception as exc:  # noqa: BLE001 — every failure becomes a recorded row
        row.update(status="failed", error=type(exc).__name__, message=str(exc))
        if isinstance(exc, SimulationError):
            row["log_tail"] = "\n".join(exc.log.splitlines()[-LOG_TAIL_LINES:])
    row["wall_time"] = time.perf_counter() - start
    return row


def run_jobs(jobs: list[Job], out: str | Path, name: str = "jobs", executor=None, workers: int | None = None,
             resume: bool = False, progress: bool = True, log: Callable[[str], None] | None = None) -> list[JobResult]:
    """Run ``jobs`` (a process pool of ``workers`` unless an executor is given), their results
    stored in the sweep store ``out``; returns them in job order. resume: keep finished jobs found
    in ``out`` (else ``out`` is started afresh). A failed job raises RunFailedError after every
    other job finished (and was stored)."""
    from ebn_circuit.sweep.runner import execute
    from ebn_circuit.sweep.store import SweepStore

    jobs = numbered(list(jobs))
    store = SweepStore(out)
    with store.locked():   # another run writing into ``out`` is a ConfigError, not a race
        if not resume:
            store.clear()
        execute(name, jobs, store, executor, workers, progress, log)
    results = [store.read_result(job.key) for job in jobs]
    failed = [(job, r) for job, r in zip(jobs, results) if r is None or not r.ok]
    if failed:
        job, result = failed[0]
        reason = f"{result.row['error']}: {result.row['message']}" if result else "no result stored"
        raise RunFailedError(f"{name}: {len(failed)} of {len(jobs)} jobs failed; first, {job.label}: {reason} "
                             f"(finished jobs are kept in {Path(out)}; run again with --resume to retry "
                             f"only the failed ones)")
    return results


def _plain(value):
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"job meta value {value!r} is not JSON-able")


def loads_meta(text: str | None) -> Mapping:
    return json.loads(text) if text else {}

