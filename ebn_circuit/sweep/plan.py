"""Expand a SweepSpec into point tasks: plain, picklable data that any worker can run.

Every testbench is built here, in the caller, before anything runs: a bad parameter value
fails now with the builder's own message, and each point gets its content hash. The expansion is
lazy (`iter_points`): the point count comes from the spec alone, a sample of points gives the
time and memory the whole plan will take, and a sweep above MAX_POINTS is refused unless forced.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import time
import tracemalloc
from dataclasses import dataclass
from typing import Any, Iterator

from ebn_circuit.circuits.testbench import Testbench
from ebn_circuit.errors import ConfigError, EbnCircuitError
from ebn_circuit.spice.simulator import BACKENDS
from ebn_circuit.sweep.settings import SimSettings
from ebn_circuit.sweep.spec import SweepSpec, display_name, make_params, params_class_of, resolve
from ebn_circuit.technology import Technology, get_technology

POINT_FORMAT = 1  # bump when the meaning of a point key changes
MAX_POINTS = 100_000  # above this a sweep needs force=True (--force): every point is held and stored


@dataclass(frozen=True)
class PointTask:
    """One simulation of a sweep, as plain data (sent to process-pool or Dask workers).

    key: content hash of (builder, measurement, params, corner, mismatch, seed, netlist);
        the point's identity in the dataset, independent of grid order.
    index: position in the spec's expansion order (grid → corner → Monte-Carlo run).
    technology: the Technology at the point's corner, mismatch on or off (travels with the task).
    mc_run: Monte-Carlo instance number, -1 when mismatch is off.
    seed: ngspice's random seed (None without Monte-Carlo).
    settings: the simulator settings the worker uses.
    """

    key: str
    index: int
    builder: str
    measure: str
    params: tuple[tuple[str, Any], ...]
    technology: Technology
    mc_run: int
    seed: int | None
    settings: SimSettings = SimSettings(cache=False)
    retry: bool = False

    @property
    def corner(self) -> str:
        return self.technology.corner

    @property
    def mismatch(self) -> bool:
        return self.technology.mismatch


def mc_seed(base: int, run: int) -> int:
    """ngspice seed of Monte-Carlo instance ``run``: a hash of (base, run), in [1, 2^31)."""
    digest = hashlib.sha256(f"ebn_circuit.sweep seed {base} {run}".encode()).digest()
    return int.from_bytes(digest[:4], "little") % (2**31 - 1) + 1


def point_key(builder: str, measure: str, params: tuple, corner: str, mismatch: bool,
              seed: int | None, netlist_hash: str) -> str:
    payload = json.dumps([POINT_FORMAT, builder, measure, [list(p) for p in params], corner,
                          mismatch, seed, netlist_hash], sort_keys=True, default=repr)
    return hashlib.sha256(payload.encode()).hexdigest()


def build_testbench(builder, params, tech, seed: int | None, where: str) -> Testbench:
    try:
        testbench = builder(params, tech)
    except EbnCircuitError:
        raise
    except (ArithmeticError, LookupError, TypeError, ValueError) as exc:   # a builder's own bad-input error
        raise ConfigError(f"{where}: the builder failed: {type(exc).__name__}: {exc}") from None
    if not isinstance(testbench, Testbench):
        raise ConfigError(f"{where}: the builder returned {type(testbench).__name__}, not a Testbench")
    return dataclasses.replace(testbench, seed=seed) if seed is not None else testbench


@dataclass(frozen=True)
class PlanEstimate:
    """What planning a sweep will take, from a sample of its points."""

    points: int
    seconds: float
    bytes: float

    def describe(self) -> str:
        return (f"{self.points} point{'s' if self.points != 1 else ''}; planning takes ≈ {_duration(self.seconds)} "
                f"and ≈ {_size(self.bytes)}")


def check_point_count(spec: SweepSpec, force: bool = False) -> int:
    """The spec's point count (from its grid alone, nothing expanded); a ConfigError above
    MAX_POINTS unless ``force``."""
    points = spec.n_points
    if points > MAX_POINTS and not force:
        grid = " × ".join(f"{len(values)} {name}" for name, values in spec.grid) or "no grid"
        raise ConfigError(f"{spec.source or f'sweep {spec.name!r}'}: {points} points ({grid}, {len(spec.corners)} "
                          f"corner(s), {max(spec.mc_runs, 1)} run(s)) exceed the limit of {MAX_POINTS}; make the "
                          "grid smaller, or pass --force (force=True) if you mean it")
    return points


def estimate_plan(spec: SweepSpec, technology: Technology | None = None, settings: SimSettings | None = None,
                  sample: int = 8) -> PlanEstimate:
    """Time and memory of planning the whole spec, measured on its first ``sample`` points."""
    tracemalloc.start()
    try:
        start, before = time.perf_counter(), tracemalloc.get_traced_memory()[0]
        taken = list(itertools.islice(iter_points(spec, technology, settings), sample))
        seconds, size = time.perf_counter() - start, tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    per_point = len(taken) or 1
    return PlanEstimate(spec.n_points, seconds / per_point * spec.n_points, size / per_point * spec.n_points)


def plan_sweep(spec: SweepSpec, technology: Technology | None = None,
               settings: SimSettings | None = None, force: bool = False) -> list[PointTask]:
    """All points of the spec, checked; raises ConfigError before anything runs. ``technology``
    and ``settings`` (from the CLI) override the spec's technology and [simulator] table; more
    than MAX_POINTS points need ``force``."""
    check_point_count(spec, force)
    where = spec.source or f"sweep {spec.name!r}"
    tasks = list(iter_points(spec, technology, settings))
    keys = {t.key for t in tasks}
    if len(keys) != len(tasks):
        raise ConfigError(f"{where}: some points are identical (repeated grid values?); each point must differ")
    return tasks


def iter_points(spec: SweepSpec, technology: Technology | None = None,
                settings: SimSettings | None = None) -> Iterator[PointTask]:
    """The points of the spec one by one, each checked as it is made (the spec as a whole first)."""
    builder = resolve(spec.builder, "builder")
    resolve(spec.measure, "measurement function")
    cls = params_class_of(builder, spec.builder)
    known = [f.name for f in dataclasses.fields(cls)]
    where = spec.source or f"sweep {spec.name!r}"
    for table, names in (("grid", dict(spec.grid)), ("params", dict(spec.params))):
        unknown = sorted(set(names) - set(known))
        if unknown:
            raise ConfigError(f"{where}: unknown parameter(s) in [{table}]: {', '.join(unknown)}; "
                              f"{display_name(spec.builder)} takes {cls.__name__} with: {', '.join(known)}")
    if spec.backend not in BACKENDS:
        raise ConfigError(f"{where}: unknown simulator backend {spec.backend!r}; choose one of {', '.join(BACKENDS)}")
    tech = technology or get_technology(spec.technology)
    settings = settings or SimSettings(backend=spec.backend, cache=spec.cache, timeout=spec.timeout)
    bad = [c for c in spec.corners if c not in tech.corners]
    if bad:
        raise ConfigError(f"{where}: technology {tech.name!r} has no corner(s) {', '.join(bad)}; "
                          f"known corners: {', '.join(tech.corners)}")
    mismatch = spec.mc_runs > 0
    if mismatch and not tech.mismatch_param:
        raise ConfigError(f"{where}: technology {tech.name!r} has no mismatch switch; set monte_carlo runs = 0")
    runs = [(k, mc_seed(spec.seed, k)) for k in range(spec.mc_runs)] or [(-1, None)]
    techs = {c: tech.with_corner(c).with_mismatch(mismatch) for c in spec.corners}
    index = 0
    for values in spec.grid_points():
        params = make_params(cls, values, where)
        items = tuple((f.name, getattr(params, f.name)) for f in dataclasses.fields(cls))
        for corner in spec.corners:
            for run, seed in runs:
                label = f"{where}: point {index} ({_describe(values)}, corner {corner})"
                try:
                    netlist_hash = build_testbench(builder, params, techs[corner], seed, label).netlist_hash()
                except EbnCircuitError as exc:
                    raise ConfigError(f"{label}: {exc}") from None
                key = point_key(spec.builder, spec.measure, items, corner, mismatch, seed, netlist_hash)
                yield PointTask(key=key, index=index, builder=spec.builder, measure=spec.measure, params=items,
                                technology=techs[corner], mc_run=run, seed=seed, settings=settings, retry=spec.retry)
                index += 1


def _describe(values: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in values.items()) or "default params"


def _duration(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.1f} s"


def _size(nbytes: float) -> str:
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if nbytes >= size:
            return f"{nbytes / size:.1f} {unit}"
    return f"{nbytes / 1e3:.0f} kB"
