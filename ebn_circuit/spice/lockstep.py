"""Lock-stepped ngspice transients: a caller advances the circuit one period at a time.

``LockstepSession`` runs one transient (``EngineSpec``) in a child process that owns libngspice
(``lockstep_engine.Engine``), so a crash or a hang of the library kills the child, not the
caller, and the caller's network keeps its state. Per period the caller sends the EXTERNAL
sources' waveforms (``Command``) and receives the saved vectors at the period's end, their
extrema over it and samples at chosen offsets (``StepReadings``): one pipe round trip per period.

Why a child and not the caller's process: libngspice is not re-entrant and can crash or hang on a
bad circuit; the existing shared backend (spice/shared.py) never loads it in the caller either.
The pipe costs one round trip per period; benchmarks/bench_cosim.py measures it against the same
engine run in-process (docs/cosim.md).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass

from ebn_circuit.errors import ConfigError, SimulationError, SimulatorCrashError
from ebn_circuit.spice.diagnose import error_from_log
from ebn_circuit.spice.lockstep_engine import Command, EngineSpec
from ebn_circuit.spice.locate import ngspice_library
from ebn_circuit.spice.pipe import receive as _read
from ebn_circuit.spice.pipe import reply, stop
from ebn_circuit.spice.pipe import send as _write

__all__ = ["Command", "EngineSpec", "LockstepSession", "StepReadings", "command", "hold", "pulse"]


@dataclass(frozen=True)
class StepReadings:
    """What the circuit did in one period (SI units; vectors in ``EngineSpec.vectors`` order).

    time: the period's end (s). values: each vector there. maxima, minima: over the period's
    accepted time points. integrals: each vector's time integral over the period (trapezoids on
    the accepted points; V·s, A·s = C). samples: the vectors at each requested offset. points: accepted time
    points in the period; source_calls: EXTERNAL source evaluations (ngspice asks at every Newton
    iteration).
    """

    time: float
    values: tuple[float, ...]
    maxima: tuple[float, ...]
    minima: tuple[float, ...]
    integrals: tuple[float, ...]
    samples: tuple[tuple[float, ...], ...]
    points: int
    source_calls: int
    wall_s: float
    callback_s: float
    cpu_s: float


def hold(value: float) -> tuple[tuple[float, float], ...]:
    """A waveform that steps to ``value`` at the period's start and holds it."""
    return ((0.0, float(value)),)


def command(waves, samples=(), windows=()):
    """A period's ``Command``: per source a waveform (``hold``, ``pulse`` or corners), the offsets
    to sample the vectors at, and (start, end, largest step) windows of short steps (all in s from
    the period's start)."""
    return tuple(tuple(wave) for wave in waves), tuple(samples), tuple(tuple(w) for w in windows)


def pulse(low: float, high: float, start: float, width: float, edge: float) -> tuple[tuple[float, float], ...]:
    """A trapezoidal pulse inside the period: rises from ``start`` over ``edge``, falls after
    ``width`` over ``edge`` (offsets in s from the period's start)."""
    return ((0.0, low), (start, low), (start + edge, high), (start + width, high), (start + width + edge, low))


class LockstepSession:
    """One lock-stepped transient in a child process.

    ``first`` holds the readings at t = 0 (the operating point); each ``step(command)`` advances
    one period. Errors: ``ConvergenceError`` / ``NetlistError`` / ``SimulationError`` when ngspice
    stops (the message names the period), ``SimulationTimeoutError`` when a period takes longer
    than ``step_timeout`` s, ``SimulatorCrashError`` when the child dies. After any error the
    session is closed; what the caller recorded before stays valid.
    """

    def __init__(self, spec: EngineSpec, context: str, step_timeout: float = 300.0,
                 start_timeout: float = 120.0, library: str | None = None):
        if spec.periods < 1 or not spec.period > 0:
            raise ConfigError(f"{context}: a lock-stepped run needs periods >= 1 and period > 0 s")
        if len(spec.initial) != len(spec.sources):
            raise ConfigError(f"{context}: {len(spec.sources)} sources but {len(spec.initial)} initial values")
        self.spec = spec
        self.context = context
        self.step_timeout = step_timeout
        self.periods_done = 0
        self.version = ""
        self._process = subprocess.Popen([sys.executable, "-m", "ebn_circuit.spice.lockstep",
                                          library or ngspice_library()],
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        status, payload = self._receive(start_timeout, "starting the lock-step worker")
        if status != "ready":
            self.close()
            raise SimulatorCrashError(f"{context}: cannot load libngspice: {payload}")
        self.version = payload
        self._send(spec)
        self.first = self._readings(start_timeout, "the operating point")

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def step(self, command: Command) -> StepReadings:
        """Advance one period with the sources' waveforms ``command``."""
        if self._process is None:
            raise SimulationError(f"{self.context}: the lock-step session is closed")
        if self.periods_done >= self.spec.periods:
            raise ConfigError(f"{self.context}: all {self.spec.periods} periods are done")
        self._send(command)
        readings = self._readings(self.step_timeout, f"period {self.periods_done + 1}")
        self.periods_done += 1
        return readings

    def _readings(self, timeout: float, where: str) -> StepReadings:
        status, payload = self._receive(timeout, where)
        if status == "readings":
            return StepReadings(*payload)
        self.close()
        message, log = payload
        error = error_from_log(log, f"{self.context}, {where}")
        if type(error) is SimulationError and message:
            error = SimulationError(f"{self.context}, {where}: {message}", log=log)
        raise error

    def _send(self, obj) -> None:
        try:
            _write(self._process.stdin, obj)
        except (BrokenPipeError, OSError, AttributeError):
            self.close()
            raise SimulatorCrashError(f"{self.context}: the lock-step worker is gone") from None

    def _receive(self, timeout: float, where: str):
        return reply(self._process, timeout, self.close,
                     f"{self.context}, {where}: no answer within {timeout:g} s; worker killed",
                     f"{self.context}, {where}: the lock-step worker died (exit code {{code}})")

    def close(self) -> None:
        """Stop the child (it may be mid-transient: it is killed, nothing is left running)."""
        if self._process is None:
            return
        process, self._process = self._process, None
        stop(process)

    def __enter__(self) -> "LockstepSession":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


def _child_main(library: str) -> None:
    """The worker: load libngspice, run one lock-stepped transient, answer each period."""
    import shutil
    import tempfile

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the caller handles Ctrl-C and closes us
    out = os.fdopen(os.dup(1), "wb")
    inp = os.fdopen(os.dup(0), "rb")
    os.dup2(2, 1)  # ngspice's own prints must not reach the protocol stream
    workdir = tempfile.mkdtemp(prefix="ebn_lockstep_")
    os.chdir(workdir)  # ngspice writes side files (model checks) into the working directory
    from ebn_circuit.spice.lockstep_engine import Engine

    try:
        engine = Engine(library)
    except OSError as exc:
        _write(out, ("missing", str(exc)))
        return
    _write(out, ("ready", f"ngspice-{engine.version()}"))
    spec = _read(inp)
    if spec is None:
        return

    def leave(code: int) -> None:
        out.flush()
        shutil.rmtree(workdir, ignore_errors=True)
        os._exit(code)

    def exchange(readings):
        _write(out, ("readings", readings))
        if engine.done >= spec.periods:
            return None
        command = _read(inp)
        if command is None:
            leave(0)
        return command

    def abort(message: str) -> None:
        _write(out, ("error", (message, "\n".join(engine.log))))
        leave(3)

    done = engine.run(spec, exchange, abort)
    if done < spec.periods:
        _write(out, ("error", ("ngspice stopped before the end of the run", "\n".join(engine.log))))
        leave(2)
    try:
        _read(inp)  # the caller's goodbye
    except EOFError:
        pass
    leave(0)


if __name__ == "__main__":
    _child_main(sys.argv[1])
