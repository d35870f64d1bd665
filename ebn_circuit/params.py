"""Declarative parameters: one description per field (unit, range, doc), checked at construction.

    @dataclass(frozen=True)
    class SynapseParams(Params):
        c_syn: float = param(2e-12, unit="F", low=0, high=1e-9, doc="synaptic capacitor (ideal)")
        pair_ratio: int = param(50, integer=True, low=1, low_inclusive=True, doc="units in the pair partner")

        def validate(self):          # checks that involve several fields
            ...

Every field declared with ``param`` is checked by ``Params.__post_init__``; a bad value raises
ConfigError with one line naming the class, the field, the allowed range with its unit, and the
value given. ``describe(cls)`` lists the fields (for documentation and help texts).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from ebn_circuit.errors import ConfigError

_MISSING = dataclasses.MISSING


@dataclass(frozen=True)
class Spec:
    """What one field accepts. low/high: bounds (exclusive unless *_inclusive); integer: whole
    numbers only; choices: the allowed values; kind: the required type (nested params)."""

    unit: str = ""
    low: float | None = None
    high: float | None = None
    low_inclusive: bool = False
    high_inclusive: bool = True
    integer: bool = False
    choices: tuple = ()
    kind: type | None = None
    doc: str = ""

    def describe(self) -> str:
        """The allowed values in words: 'a value in (0, 1e-06] A', 'one of cmos, xspice'."""
        if self.choices:
            return "one of " + ", ".join(str(c) for c in self.choices)
        if self.kind is not None:
            return f"a {self.kind.__name__}"
        what = "an integer" if self.integer else "a number"
        unit = f" {self.unit}" if self.unit else ""
        if self.low is not None and self.high is not None:
            left, right = "[" if self.low_inclusive else "(", "]" if self.high_inclusive else ")"
            return f"{what} in {left}{self.low:g}, {self.high:g}{right}{unit}"
        if self.low is not None:
            return f"{what} {'>=' if self.low_inclusive else '>'} {self.low:g}{unit}"
        if self.high is not None:
            return f"{what} {'<=' if self.high_inclusive else '<'} {self.high:g}{unit}"
        return f"{what}{unit}"

    def accepts(self, value: Any) -> bool:
        if self.choices:
            return value in self.choices
        if self.kind is not None:
            return isinstance(value, self.kind)
        if isinstance(value, bool) or not isinstance(value, (int, float)) and not hasattr(value, "__index__"):
            return False
        value = float(value)
        if not math.isfinite(value) or (self.integer and value != int(value)):
            return False
        if self.low is not None and not (value >= self.low if self.low_inclusive else value > self.low):
            return False
        if self.high is not None and not (value <= self.high if self.high_inclusive else value < self.high):
            return False
        return True

    def check(self, owner: str, name: str, value: Any) -> None:
        if not self.accepts(value):
            raise ConfigError(f"{owner}.{name} must be {self.describe()}, got {value!r}")


def param(default: Any = _MISSING, *, unit: str = "", low: float | None = None, high: float | None = None,
          low_inclusive: bool = False, high_inclusive: bool = True, integer: bool = False, choices=(),
          kind: type | None = None, doc: str = "", default_factory: Any = _MISSING) -> Any:
    """A dataclass field with its description (see the module docstring)."""
    spec = Spec(unit, low, high, low_inclusive, high_inclusive, integer, tuple(choices), kind, doc)
    if default_factory is not _MISSING:
        return dataclasses.field(default_factory=default_factory, metadata={"spec": spec})
    return dataclasses.field(default=default, metadata={"spec": spec})


def positive(default: Any, unit: str, doc: str = "", high: float | None = None) -> Any:
    """A value > 0 (and <= high when given): the most common kind of field."""
    return param(default, unit=unit, low=0.0, high=high, doc=doc)


class Params:
    """Base of frozen params dataclasses: ``param`` fields are checked, then ``validate()``."""

    def __post_init__(self) -> None:
        owner = type(self).__name__
        for f in dataclasses.fields(self):
            spec = f.metadata.get("spec")
            if spec is not None:
                spec.check(owner, f.name, getattr(self, f.name))
        self.validate()

    def validate(self) -> None:
        """Checks that involve several fields (override); raise ConfigError."""


def describe(cls: type) -> list[dict]:
    """One row per field: name, default, unit, allowed values, doc."""
    rows = []
    for f in dataclasses.fields(cls):
        spec = f.metadata.get("spec") or Spec()
        default = f.default if f.default is not _MISSING else (
            f.default_factory() if f.default_factory is not _MISSING else None)
        rows.append({"name": f.name, "default": default, "unit": spec.unit, "allowed": spec.describe(),
                     "doc": spec.doc})
    return rows
