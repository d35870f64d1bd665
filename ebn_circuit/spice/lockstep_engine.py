"""libngspice bound with ctypes, held in lock step with a caller at a fixed period.

PySpice registers no synchronisation callback, so this module binds the few calls that lock step
needs itself (sharedspice.h): ``ngSpice_Init`` (output, status, exit, per-point data),
``ngSpice_Init_Sync`` (EXTERNAL source values and the time-step hook ``GetSyncData``),
``ngSpice_Circ``, ``ngSpice_Command`` and ``ngSpice_SetBkpt``.

How one period [t0, t1] runs (t1 = t0 + period):

- at t0 ngspice calls ``GetSyncData`` (location 0, after the point at t0 was accepted and sent
  through ``SendData``): the engine hands the readings of the period that ended to ``exchange``
  and receives the source waveforms of the next period; it sets breakpoints at t1 and at every
  corner of those waveforms (ngspice then lands on them and restarts with first order there);
- at every later location-0 call it clips the proposed step so that no corner and not t1 is
  stepped over (a guard: the breakpoints already do it);
- ``GetVSRCData``/``GetISRCData`` return each EXTERNAL source's piecewise-linear waveform at
  the time ngspice asks for (every Newton iteration);
- ``SendData`` updates the vectors' values, their extrema over the period and the samples at
  requested offsets.

A source is written ``Vname n+ n- external`` (``dc 0 external`` crashes ngspice 39). Not
re-entrant: one engine per process (spice/lockstep.py runs it in a child process).
"""

from __future__ import annotations

import ctypes
import time as _time
from dataclasses import dataclass

_c_int, _c_double, _c_bool, _c_char_p, _c_void_p = (ctypes.c_int, ctypes.c_double, ctypes.c_bool,
                                                    ctypes.c_char_p, ctypes.c_void_p)


class _VecValues(ctypes.Structure):
    _fields_ = [("name", _c_char_p), ("creal", _c_double), ("cimag", _c_double),
                ("is_scale", _c_bool), ("is_complex", _c_bool)]


class _VecValuesAll(ctypes.Structure):
    _fields_ = [("veccount", _c_int), ("vecindex", _c_int),
                ("vecsa", ctypes.POINTER(ctypes.POINTER(_VecValues)))]


_SEND_CHAR = ctypes.CFUNCTYPE(_c_int, _c_char_p, _c_int, _c_void_p)
_SEND_STAT = ctypes.CFUNCTYPE(_c_int, _c_char_p, _c_int, _c_void_p)
_EXIT = ctypes.CFUNCTYPE(_c_int, _c_int, _c_bool, _c_bool, _c_int, _c_void_p)
_SEND_DATA = ctypes.CFUNCTYPE(_c_int, ctypes.POINTER(_VecValuesAll), _c_int, _c_int, _c_void_p)
_SEND_INIT = ctypes.CFUNCTYPE(_c_int, _c_void_p, _c_int, _c_void_p)
_BG_RUNNING = ctypes.CFUNCTYPE(_c_int, _c_bool, _c_int, _c_void_p)
# the source name arrives as a raw pointer: it is the same pointer on every call, so it keys a cache
_GET_SOURCE = ctypes.CFUNCTYPE(_c_int, ctypes.POINTER(_c_double), _c_double, _c_void_p, _c_int, _c_void_p)
_GET_SYNC = ctypes.CFUNCTYPE(_c_int, _c_double, ctypes.POINTER(_c_double), _c_double, _c_int, _c_int, _c_int,
                             _c_void_p)


@dataclass(frozen=True)
class EngineSpec:
    """One lock-stepped transient, as plain data (it crosses a process boundary).

    netlist: the complete netlist; its ``.tran`` stops at ``periods·period`` and it ``.save``s
    ``vectors``. sources: names of its EXTERNAL sources (lower case); initial: their values at
    the operating point and until the first command. vectors: saved vectors read back, in
    libngspice's spelling of ``normalise_vector_name`` (``v(node)``, ``i(vsource)``).
    """

    netlist: str
    period: float
    periods: int
    sources: tuple[str, ...]
    initial: tuple[float, ...]
    vectors: tuple[str, ...]


# A period's command: per source a tuple of (offset in s from the period's start, value) corners,
# the waveform linear between corners and flat outside them; the offsets to sample at; and
# windows (start offset, end offset, largest step in s) inside which steps are kept short.
Command = tuple[tuple[tuple[tuple[float, float], ...], ...], tuple[float, ...],
                tuple[tuple[float, float, float], ...]]
# Readings of a period: (time, values at its end, maxima, minima, time integrals over the period,
# samples, accepted points, source calls, seconds in the period, seconds of it inside this
# module's callbacks, CPU seconds of this process in the period)
Readings = tuple[float, tuple[float, ...], tuple[float, ...], tuple[float, ...], tuple[float, ...],
                 tuple[tuple[float, ...], ...], int, int, float, float, float]


class Engine:
    """Loads libngspice once and runs lock-stepped transients; ``exchange(readings) -> command``
    is called at every period boundary (None ends the run early: the caller then discards the
    process). ``log`` keeps every line ngspice printed."""

    def __init__(self, library: str):
        self.lib = ctypes.CDLL(library)
        self.lib.ngSpice_Command.argtypes = [_c_char_p]
        self.lib.ngSpice_Circ.argtypes = [ctypes.POINTER(_c_char_p)]
        self.lib.ngSpice_SetBkpt.argtypes = [_c_double]
        self.lib.ngSpice_SetBkpt.restype = _c_bool
        self.log: list[str] = []
        self.exited = False
        self._callbacks = (_SEND_CHAR(self._on_char), _SEND_STAT(lambda *_: 0), _EXIT(self._on_exit),
                           _SEND_DATA(self._on_data), _SEND_INIT(lambda *_: 0), _BG_RUNNING(lambda *_: 0))
        self._sync_callbacks = (_GET_SOURCE(self._on_source), _GET_SOURCE(self._on_source),
                                _GET_SYNC(self._on_sync))
        self.lib.ngSpice_Init(*self._callbacks, None)
        ident = _c_int(0)
        self.lib.ngSpice_Init_Sync(*self._sync_callbacks, ctypes.byref(ident), None)
        self.spec: EngineSpec | None = None

    # --- public ------------------------------------------------------------------------------
    def version(self) -> str:
        self.log.clear()
        self.lib.ngSpice_Command(b"version -s")
        for line in self.log:
            if "ngspice-" in line:
                return line.split("ngspice-")[1].split()[0].rstrip(",")
        return ""

    def run(self, spec: EngineSpec, exchange, abort=None) -> int:
        """Load ``spec.netlist`` and run it; returns the number of completed periods (fewer than
        ``spec.periods`` when ngspice stopped, e.g. no convergence: see ``log``). ``abort(message)``
        is called when the engine itself fails inside a callback (it should not return)."""
        self.spec = spec
        self._exchange = exchange
        self._abort = abort
        self.failure: str | None = None
        self._reset_state(spec)
        self.log.clear()
        lines = [line for line in spec.netlist.splitlines() if line.strip()]
        keep = (_c_char_p * (len(lines) + 1))(*[line.encode() for line in lines], None)
        self.lib.ngSpice_Circ(keep)
        if any(word in line.lower() for line in self.log for word in ("error", "circuit not parsed")):
            return -1
        self.lib.ngSpice_Command(b"run")
        if self.done == spec.periods - 1 and self._at_boundary(self.time):
            self._close_period()
        self.lib.ngSpice_Command(b"destroy all")
        self.lib.ngSpice_Command(b"remcirc")
        return self.done

    # --- state ---------------------------------------------------------------------------------
    def _reset_state(self, spec: EngineSpec) -> None:
        self.done = -1                      # the last finished period (-1: the operating point)
        self.t0 = 0.0
        self.t1 = 0.0                       # the boundary the running period ends at
        self.tolerance = 1e-9 * spec.period
        self.waves = [((0.0, value),) for value in spec.initial]
        self.corners: list[float] = []      # absolute times still to land on in this period
        self.sample_times: list[float] = []
        self.samples: list[tuple[float, ...]] = []
        self.time = 0.0
        n = len(spec.vectors)
        self.values = [0.0] * n
        self.maxima = [float("-inf")] * n
        self.minima = [float("inf")] * n
        self.integrals = [0.0] * n
        self.windows: list[tuple[float, float, float]] = []
        self.points = 0
        self.source_calls = 0
        self.callback_seconds = 0.0
        self.period_started = _time.perf_counter()
        self.period_cpu = _time.process_time()
        self._source_index: dict[int, int] = {}
        self._vector_index: list[int] | None = None
        self._stopped = False

    def _at_boundary(self, time: float) -> bool:
        return abs(time - self.t1) <= self.tolerance

    def _close_period(self) -> None:
        now = _time.perf_counter()
        readings: Readings = (self.time, tuple(self.values), tuple(self.maxima), tuple(self.minima),
                              tuple(self.integrals), tuple(self.samples), self.points, self.source_calls, now - self.period_started,
                              self.callback_seconds, _time.process_time() - self.period_cpu)
        self.done += 1
        if self.done >= self.spec.periods:
            self._exchange(readings)
            return
        command = self._exchange(readings)
        if command is None:
            self._stopped = True
            return
        self._start_period(command)

    def _start_period(self, command: Command) -> None:
        waves, sample_offsets, windows = command
        self.t0 = self.t1
        self.t1 = self.t0 + self.spec.period
        self.waves = [tuple((self.t0 + offset, value) for offset, value in wave) for wave in waves]
        corners = {self.t0 + offset for wave in waves for offset, _ in wave if 0 < offset < self.spec.period}
        self.sample_times = sorted(self.t0 + offset for offset in sample_offsets)
        corners.update(self.sample_times)
        corners.update(self.t0 + start for start, _, _ in windows if 0 < start < self.spec.period)
        self.corners = sorted(corners) + [self.t1]
        for time in self.corners:
            self.lib.ngSpice_SetBkpt(time)
        self.windows = [(self.t0 + start, self.t0 + end, largest) for start, end, largest in windows]
        self.samples = []
        n = len(self.spec.vectors)
        self.maxima = [float("-inf")] * n
        self.minima = [float("inf")] * n
        self.integrals = [0.0] * n
        self.points = 0
        self.source_calls = 0
        self.callback_seconds = 0.0
        self.period_started = _time.perf_counter()
        self.period_cpu = _time.process_time()

    # --- callbacks -----------------------------------------------------------------------------
    def _on_char(self, text, ident, user) -> int:
        message = text.decode(errors="replace") if text else ""
        prefix, _, content = message.partition(" ")
        self.log.append(content if prefix in ("stdout", "stderr") else message)
        return 0

    def _on_exit(self, status, immediate, quit_exit, ident, user) -> int:
        self.exited = True
        self.log.append(f"ngspice requested exit (status {status})")
        return 0

    def _on_source(self, value, time, name, ident, user) -> int:
        entered = _time.perf_counter()
        self._source_value(value, time, name)
        self.callback_seconds += _time.perf_counter() - entered
        return 0

    def _source_value(self, value, time, name) -> None:
        self.source_calls += 1
        index = self._source_index.get(name)
        if index is None:
            index = self._source_index[name] = self._lookup_source(name)
            if index < 0:
                value[0] = 0.0
                return
        wave = self.waves[index]
        if len(wave) == 1 or time <= wave[0][0]:
            value[0] = wave[0][1]
            return
        previous = wave[0]
        for corner in wave[1:]:
            if time <= corner[0]:
                span = corner[0] - previous[0]
                value[0] = corner[1] if span <= 0 else previous[1] + (corner[1] - previous[1]) * (time - previous[0]) / span
                return
            previous = corner
        value[0] = previous[1]
        return

    def _lookup_source(self, pointer: int) -> int:
        name = ctypes.string_at(pointer).decode().lower()
        if name in self.spec.sources:
            return self.spec.sources.index(name)
        self._fail(f"the netlist's EXTERNAL source {name!r} is not among the declared {self.spec.sources}")
        return -1

    def _fail(self, message: str) -> None:
        self.failure = message
        self.log.append(f"lockstep error: {message}")
        self._stopped = True
        if self._abort is not None:
            self._abort(message)

    def _on_data(self, data, count, ident, user) -> int:
        entered = _time.perf_counter()
        self._record(data)
        self.callback_seconds += _time.perf_counter() - entered
        return 0

    def _record(self, data) -> None:
        everything = data.contents
        if self._vector_index is None:
            self._vector_index = self._index_vectors(everything)
            if self._vector_index is None:
                return
        vecs = everything.vecsa
        previous_time = self.time
        self.time = time = vecs[self._time_index].contents.creal
        half_step = 0.5 * (time - previous_time) if time > self.t0 else 0.0
        values, maxima, minima, integrals = self.values, self.maxima, self.minima, self.integrals
        for slot, index in enumerate(self._vector_index):
            value = vecs[index].contents.creal
            integrals[slot] += half_step * (values[slot] + value)
            values[slot] = value
            if value > maxima[slot]:
                maxima[slot] = value
            if value < minima[slot]:
                minima[slot] = value
        self.points += 1
        if self.sample_times and abs(time - self.sample_times[0]) <= self.tolerance:
            self.sample_times.pop(0)
            self.samples.append(tuple(values))

    def _index_vectors(self, everything) -> list[int] | None:
        from ebn_circuit.spice.result import normalise_vector_name

        names = {normalise_vector_name(everything.vecsa[index].contents.name.decode(), ""): index
                 for index in range(everything.veccount)}
        self._time_index = names["time"]
        missing = [name for name in self.spec.vectors if name not in names]
        if missing:
            self._fail(f"vectors {missing} are not saved; saved: {sorted(names)}")
            return None
        return [names[name] for name in self.spec.vectors]

    def _on_sync(self, time, delta, old_delta, redo, ident, location, user) -> int:
        if location != 0 or self._stopped:
            return 0
        if time >= self.t1 - self.tolerance:
            if time > self.t1 + self.tolerance:
                self._fail(f"ngspice stepped over the boundary {self.t1:.12g} s to {time:.12g} s")
                return 0
            self._close_period()
            if self._stopped:
                return 0
        self._clip_step(time, delta)
        return 0

    def _clip_step(self, time: float, delta) -> None:
        """Shorten ngspice's next step to land on the next source corner and to stay within the
        short-step windows."""
        corners = self.corners
        while corners and corners[0] <= time + self.tolerance:
            corners.pop(0)
        if corners and time + delta[0] > corners[0]:
            delta[0] = corners[0] - time
        for start, end, largest in self.windows:
            if start - self.tolerance <= time < end and delta[0] > largest:
                delta[0] = largest
