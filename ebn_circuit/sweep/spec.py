"""A sweep spec: parameter grid × corners × Monte-Carlo runs over one testbench builder.

Builders (``params, tech → Testbench``) and measurement functions (``result, params →
{name: scalar}``) are named by dotted import path, ``"package.module:function"``, so that a
TOML spec and a remote worker can resolve them. A function that no worker could import — defined
in a notebook, a script's ``__main__`` or inside another function — travels by value instead: it
is pickled with cloudpickle into the spec (``"by-value:<module>:<name>:<data>"``), so local and
Dask workers run the very same function (TOML specs take import paths only). A spec is checked
completely — imports, parameter names, grid values, corners — before anything runs.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import importlib
import inspect
import itertools
import math
import pickle
import typing
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from ebn_circuit.tomlfile import read_toml
from ebn_circuit.errors import ConfigError, EbnCircuitError

_SCALARS = (bool, int, float, str)
BY_VALUE = "by-value:"


def _is_int(value) -> bool:
    """An integer and not a boolean (TOML `runs = true` is not 1 run)."""
    return isinstance(value, int) and not isinstance(value, bool)


def import_path(obj: Callable | str) -> str:
    """The ``"module:qualname"`` of a module-level function (strings pass through, checked); a
    function that workers could not import (notebook, ``__main__``, nested) goes by value."""
    if isinstance(obj, str):
        if ":" not in obj:
            raise ConfigError(f"import path {obj!r} must look like 'package.module:function'")
        return obj
    if not callable(obj):
        raise ConfigError(f"{obj!r} is neither a function nor a 'package.module:function' path")
    module, name = getattr(obj, "__module__", None), getattr(obj, "__qualname__", "")
    if module and "<" not in name and module != "__main__" and _imports_as(module, name, obj):
        return f"{module}:{name}"
    return by_value(obj)


def _imports_as(module_name: str, qualname: str, obj) -> bool:
    try:
        found = importlib.import_module(module_name)
        for part in qualname.split("."):
            found = getattr(found, part)
    except (ImportError, AttributeError):
        return False
    return found is obj


def by_value(obj: Callable) -> str:
    """``obj`` pickled with cloudpickle into a reference string that `resolve` turns back into it."""
    try:
        import cloudpickle
    except ImportError:   # a runtime dependency; only a broken install lacks it
        raise ConfigError(f"{obj!r} is not importable by workers and cloudpickle is missing to send "
                          "it by value; pip install cloudpickle") from None
    try:
        blob = cloudpickle.dumps(obj, protocol=pickle.DEFAULT_PROTOCOL)
    except Exception as exc:  # noqa: BLE001 — anything cloudpickle cannot serialise
        raise ConfigError(f"{obj!r} cannot be sent to workers by value ({type(exc).__name__}: {exc}); "
                          "define it in an importable module") from None
    data = base64.b64encode(zlib.compress(blob)).decode()
    return f"{BY_VALUE}{getattr(obj, '__module__', '?')}:{getattr(obj, '__qualname__', '?')}:{data}"


def display_name(path: str) -> str:
    """A reference for messages: the import path, or ``module:name (by value)``."""
    if path.startswith(BY_VALUE):
        module, name, _ = path[len(BY_VALUE):].split(":", 2)
        return f"{module}:{name} (by value)"
    return path


@functools.lru_cache(maxsize=64)
def _from_value(path: str) -> Callable:
    try:
        return pickle.loads(zlib.decompress(base64.b64decode(path.rsplit(":", 1)[1])))
    except Exception as exc:  # noqa: BLE001 — a corrupt reference or a missing module on this worker
        raise ConfigError(f"{display_name(path)}: cannot be restored here ({type(exc).__name__}: {exc})") from None


def resolve(path: str, what: str = "function") -> Callable:
    """Import ``"package.module:function"`` (or restore a by-value function); a clear
    ConfigError when it is not there."""
    if path.startswith(BY_VALUE):
        obj = _from_value(path)
        if not callable(obj):
            raise ConfigError(f"{what} {display_name(path)} is not callable")
        return obj
    module_name, _, attr = import_path(path).partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(f"{what} {path!r}: cannot import module {module_name!r} ({exc})") from None
    obj = module
    for part in attr.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            raise ConfigError(f"{what} {path!r}: module {module_name!r} has no {attr!r}")
    if not callable(obj):
        raise ConfigError(f"{what} {path!r} is not callable")
    return obj


def params_class_of(builder: Callable, path: str) -> type:
    """The frozen params dataclass a builder takes as its first argument (from its annotation)."""
    path = display_name(path)
    try:
        hints = typing.get_type_hints(builder)
    except Exception as exc:  # unresolvable annotations
        raise ConfigError(f"builder {path!r}: cannot read its annotations ({exc})") from None
    first = next(iter(inspect.signature(builder).parameters), None)
    cls = hints.get(first) if first else None
    if cls is None or not dataclasses.is_dataclass(cls):
        raise ConfigError(f"builder {path!r}: its first argument must be annotated with a params "
                          f"dataclass (def builder(params: MyParams, tech: Technology) -> Testbench)")
    return cls


def make_params(cls: type, values: Mapping[str, Any], where: str):
    """An instance of the params dataclass; ints become floats where the field is a float."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise ConfigError(f"{where}: unknown parameter(s) {', '.join(unknown)} for {cls.__name__}; "
                          f"known: {', '.join(fields)}")
    hints = typing.get_type_hints(cls)
    coerced = {}
    for name, value in values.items():
        if hints.get(name) is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        elif hints.get(name) is int and isinstance(value, float) and value.is_integer():
            value = int(value)   # TOML `1e3` for an integer field
        coerced[name] = value
    try:
        return cls(**coerced)
    except EbnCircuitError as exc:
        raise type(exc)(f"{where}: {exc}") from None
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: bad parameters for {cls.__name__}: {exc}") from None


def _check_scalar(value: Any, where: str) -> Any:
    if not isinstance(value, _SCALARS):
        raise ConfigError(f"{where}: parameter values must be numbers, strings or booleans, got {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{where}: parameter value {value!r} is not finite")
    return value


@dataclass(frozen=True)
class SweepSpec:
    """What to sweep. Mappings and lists given to the constructor are stored as tuples.

    name: names the progress bar and the summary.
    builder, measure: ``"package.module:function"`` (or the module-level function itself).
    grid: parameter name → list of values; the points are their Cartesian product (in the
        order given). An empty grid sweeps only corners and Monte-Carlo runs.
    params: fixed parameters for every point (the dataclass defaults fill the rest).
    corners: technology corners; each grid point runs in each corner.
    mc_runs: Monte-Carlo mismatch instances per point (0: mismatch off, no seed). Instance k
        uses the same ngspice seed at every grid point and corner (the same "die").
    seed: base of the Monte-Carlo seeds.
    technology: built-in name or a technology ``.toml`` path.
    out: the Parquet dataset folder.
    backend, timeout, cache: passed to each worker's Simulator (timeout in seconds).
    retry: re-run a non-converging or timed-out point once with relaxed options.
    """

    name: str
    builder: str
    measure: str
    grid: tuple[tuple[str, tuple], ...] = ()
    params: tuple[tuple[str, Any], ...] = ()
    corners: tuple[str, ...] = ("tt",)
    mc_runs: int = 0
    seed: int = 0
    technology: str = "sky130"
    out: Path = Path("results/sweeps/sweep")
    backend: str = "shared"
    timeout: float = 600.0
    cache: bool = False
    retry: bool = False
    source: str = field(default="", compare=False)  # where the spec came from, for messages

    def __post_init__(self) -> None:
        where = self.source or f"sweep {self.name!r}"
        set_ = lambda k, v: object.__setattr__(self, k, v)  # noqa: E731 (frozen dataclass)
        set_("builder", import_path(self.builder))
        set_("measure", import_path(self.measure))
        grid = self.grid.items() if isinstance(self.grid, Mapping) else self.grid
        checked = []
        for name, values in grid:
            if isinstance(values, (str, bytes)) or not isinstance(values, typing.Iterable):
                raise ConfigError(f"{where}: grid.{name} must be a list of values, got {values!r}")
            values = tuple(_check_scalar(v, f"{where}: grid.{name}") for v in values)
            if not values:
                raise ConfigError(f"{where}: grid.{name} is empty; give at least one value")
            checked.append((str(name), values))
        set_("grid", tuple(checked))
        params = self.params.items() if isinstance(self.params, Mapping) else self.params
        set_("params", tuple((str(k), _check_scalar(v, f"{where}: params.{k}")) for k, v in params))
        both = sorted(set(dict(self.grid)) & set(dict(self.params)))
        if both:
            raise ConfigError(f"{where}: {', '.join(both)} given both as fixed params and in the grid")
        corners = (self.corners,) if isinstance(self.corners, str) else tuple(self.corners)
        if not corners:
            raise ConfigError(f"{where}: no corners given")
        if len(set(corners)) != len(corners):
            raise ConfigError(f"{where}: corners repeat: {', '.join(corners)}")
        set_("corners", corners)
        if not _is_int(self.mc_runs) or self.mc_runs < 0:
            raise ConfigError(f"{where}: monte_carlo runs must be an integer >= 0, got {self.mc_runs!r}")
        if not _is_int(self.seed) or self.seed < 0:
            raise ConfigError(f"{where}: seed must be an integer >= 0, got {self.seed!r}")
        if isinstance(self.timeout, bool) or not isinstance(self.timeout, (int, float)) \
                or not math.isfinite(self.timeout) or self.timeout <= 0:
            raise ConfigError(f"{where}: timeout must be a finite number of seconds > 0, got {self.timeout!r}")
        set_("out", Path(self.out))

    @property
    def n_points(self) -> int:
        return math.prod(len(v) for _, v in self.grid) * len(self.corners) * max(self.mc_runs, 1)

    def grid_points(self):
        """Each grid point's full parameter mapping (fixed params merged in), in grid order."""
        names = [name for name, _ in self.grid]
        for combo in itertools.product(*(values for _, values in self.grid)):
            yield {**dict(self.params), **dict(zip(names, combo))}

    def replace(self, **changes) -> "SweepSpec":
        return dataclasses.replace(self, **changes)


_TABLES = {
    "sweep": {"name", "builder", "measure", "technology", "corners", "out"},
    "grid": None, "params": None,
    "monte_carlo": {"runs", "seed"},
    "simulator": {"backend", "timeout", "cache", "retry"},
}


def load_spec(path: str | Path, out: str | Path | None = None) -> SweepSpec:
    """A SweepSpec from a TOML file (format in docs/sweep.md); ``out`` overrides ``sweep.out``."""
    path = Path(path)
    data = read_toml(path, "sweep spec")
    for table, value in data.items():
        if table not in _TABLES:
            raise ConfigError(f"{path}: unknown table [{table}]; known: {', '.join(_TABLES)}")
        if not isinstance(value, dict):
            raise ConfigError(f"{path}: {table} must be a table")
        allowed = _TABLES[table]
        extra = sorted(set(value) - allowed) if allowed is not None else []
        if extra:
            raise ConfigError(f"{path}: unknown key(s) {', '.join(extra)} in [{table}]; "
                              f"known: {', '.join(sorted(allowed))}")
    sweep = data.get("sweep", {})
    for key in ("builder", "measure"):
        if key not in sweep:
            raise ConfigError(f"{path}: [sweep] needs {key} = \"package.module:function\"")
        if isinstance(sweep[key], str) and sweep[key].startswith(BY_VALUE):
            raise ConfigError(f"{path}: [sweep] {key} must be an import path; a TOML spec cannot carry code")
    mc, sim = data.get("monte_carlo", {}), data.get("simulator", {})
    timeout = sim.get("timeout", 600.0)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise ConfigError(f"{path}: [simulator] timeout must be a number of seconds, got {timeout!r}")
    for key in ("retry", "cache"):
        if not isinstance(sim.get(key, False), bool):
            raise ConfigError(f"{path}: [simulator] {key} must be true or false, got {sim[key]!r}")
    for key in ("name", "builder", "measure", "technology", "out"):
        if key in sweep and not isinstance(sweep[key], str):
            raise ConfigError(f"{path}: [sweep] {key} must be a string, got {sweep[key]!r}")
    return SweepSpec(
        name=sweep.get("name", path.stem), builder=sweep["builder"], measure=sweep["measure"],
        grid=data.get("grid", {}), params=data.get("params", {}),
        corners=sweep.get("corners", ("tt",)), technology=sweep.get("technology", "sky130"),
        out=Path(out) if out is not None else Path(sweep.get("out", f"results/sweeps/{path.stem}")),
        mc_runs=mc.get("runs", 0), seed=mc.get("seed", 0),
        backend=sim.get("backend", "shared"), timeout=float(timeout),
        cache=sim.get("cache", False), retry=sim.get("retry", False),
        source=str(path),
    )
