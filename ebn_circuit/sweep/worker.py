"""Run one point: rebuild its testbench, simulate, measure → one row (a plain dict).

Runs inside a process-pool worker or a Dask worker. Each worker process (and thread) keeps
one `Simulator` — one libngspice child — for all the points it runs; a libngspice crash
surfaces as SimulatorCrashError and the next point starts a fresh child.

A failure never raises out of `run_point`: it becomes a row with ``status="failed"``, the
error class, its message, the tail of the ngspice log, and the netlist text (the caller
writes it into the dataset folder).
"""

from __future__ import annotations

import dataclasses
import functools
import os
import socket
import threading
import time
from multiprocessing import util as mp_util
from typing import Any

import numpy as np

from ebn_circuit.circuits.analysis import Transient
from ebn_circuit.errors import ConvergenceError, SimulationError, SimulationTimeoutError
from ebn_circuit.spice.simulator import Simulator
from ebn_circuit.sweep.jobs import Job, job_row, run_job
from ebn_circuit.sweep.plan import PointTask, build_testbench
from ebn_circuit.sweep.settings import SimSettings
from ebn_circuit.sweep.spec import make_params, params_class_of, resolve

LOG_TAIL_LINES = 40
# Relaxed options for the retry of a non-converging point: larger gmin (gmin stepping starts
# from it), looser relative tolerance, Gear integration; transients also get a smaller max step.
RELAXED_OPTIONS = (("gmin", "1e-10"), ("reltol", "1e-3"), ("method", "gear"))
RELAXED_MAX_STEP_FACTOR = 0.1  # × ngspice's default max step, min(step, (stop - start) / 50)

# Columns every row has; params and measurements add their own.
META_COLUMNS = ("key", "index", "corner", "mismatch", "mc_run", "seed", "status", "error", "message",
                "log_tail", "netlist_path", "retried", "retry_options", "wall_time", "worker")

# One Simulator per (process, thread, settings): worker processes live for the whole sweep.
_SIMULATORS: dict[tuple, Simulator] = {}
_LOCK = threading.Lock()


def simulator_for(settings: SimSettings) -> Simulator:
    """This process's (and thread's) Simulator for ``settings``, started on first use."""
    key = (os.getpid(), threading.get_ident(), settings)
    with _LOCK:
        simulator = _SIMULATORS.get(key)
        if simulator is None:
            simulator = settings.simulator()
            _SIMULATORS[key] = simulator
            # multiprocessing workers leave through os._exit: atexit would not run, Finalize does.
            mp_util.Finalize(simulator, simulator.close, exitpriority=10)
    return simulator


def run_task(task: PointTask | Job) -> dict[str, Any]:
    """Run a sweep point or a job (what the executors call)."""
    return run_job(task) if isinstance(task, Job) else run_point(task)


def failed_row(task: PointTask | Job, error: str, message: str) -> dict[str, Any]:
    """The row of a task that did not run to the end (its worker died, it could not be sent)."""
    return job_row(task, error, message) if isinstance(task, Job) else base_row(task, error, message)


def close_simulators() -> None:
    """Close this process's simulators (their libngspice children)."""
    with _LOCK:
        for key in [k for k in _SIMULATORS if k[0] == os.getpid()]:
            _SIMULATORS.pop(key).close()


def relaxed(testbench):
    """The testbench with convergence aids: RELAXED_OPTIONS and, for a transient, a smaller max step."""
    options = tuple((k, v) for k, v in testbench.options if k not in dict(RELAXED_OPTIONS)) + RELAXED_OPTIONS
    analysis = testbench.analysis
    if isinstance(analysis, Transient):
        default = min(analysis.step, (analysis.stop - analysis.start) / 50)
        current = analysis.max_step if analysis.max_step is not None else default
        analysis = dataclasses.replace(analysis, max_step=current * RELAXED_MAX_STEP_FACTOR)
    return dataclasses.replace(testbench, options=options, analysis=analysis), \
        ";".join(f"{k}={v}" for k, v in options) + (
            f";max_step={analysis.max_step:g}" if isinstance(analysis, Transient) else "")


def base_row(task: PointTask, error: str = "", message: str = "") -> dict[str, Any]:
    """A row with the point's identity and parameters; ``error`` set: a failed point."""
    row: dict[str, Any] = {
        "key": task.key, "index": task.index, "corner": task.corner, "mismatch": task.mismatch,
        "mc_run": task.mc_run, "seed": task.seed, "status": "failed" if error else "ok",
        "error": error, "message": message, "log_tail": "", "netlist_path": "", "retried": False,
        "retry_options": "", "wall_time": 0.0, "worker": f"{socket.gethostname()}:{os.getpid()}",
    }
    row.update(dict(task.params))
    return row


def run_point(task: PointTask) -> dict[str, Any]:
    """Simulate and measure one point; never raises for a failed simulation or measurement."""
    row = base_row(task)
    testbench = None
    try:
        builder = resolve(task.builder, "builder")
        params = make_params(params_class_of(builder, task.builder), dict(task.params), task.builder)
        testbench = build_testbench(builder, params, task.technology, task.seed, f"point {task.index}")
        simulator = simulator_for(task.settings)
        start = time.perf_counter()
        try:
            result = simulator.run(testbench)
        except (ConvergenceError, SimulationTimeoutError):
            if not task.retry:
                raise
            testbench, row["retry_options"] = relaxed(testbench)
            row["retried"] = True
            result = simulator.run(testbench)
        row["wall_time"] = time.perf_counter() - start
        values = resolve(task.measure, "measurement function")(result, params)
        row.update(_measurements(values, row, task.measure))
    except Exception as exc:  # noqa: BLE001 — every failure becomes a recorded row
        row.update(status="failed", error=type(exc).__name__, message=str(exc))
        if isinstance(exc, SimulationError):
            row["log_tail"] = "\n".join(exc.log.splitlines()[-LOG_TAIL_LINES:])
        if testbench is not None:
            row["netlist"] = testbench.netlist()
    return row


def _measurements(values, row: dict, measure: str) -> dict[str, Any]:
    if not isinstance(values, dict):
        raise TypeError(f"measurement function {measure} returned {type(values).__name__}, not a dict")
    out = {}
    for name, value in values.items():
        if not isinstance(name, str) or name in row or name == "netlist":
            raise ValueError(f"measurement function {measure}: column name {name!r} is not a string "
                             f"or clashes with a parameter or a sweep column")
        if isinstance(value, np.generic):
            value = value.item()
        if value is not None and not isinstance(value, (bool, int, float, str)):
            raise TypeError(f"measurement function {measure}: {name} is {type(value).__name__}, "
                            f"not a number, string or bool")
        if isinstance(value, int) and not isinstance(value, bool):
            value = float(value)  # one column type whatever the point
        out[name] = value
    return out
