"""Analyses as plain data; each renders its own SPICE card."""

from __future__ import annotations

from dataclasses import dataclass

from ebn_circuit.errors import ConfigError


@dataclass(frozen=True)
class Op:
    """DC operating point."""

    def card(self) -> str:
        return ".op"


@dataclass(frozen=True)
class DcSweep:
    """DC sweep of one source: start, stop, step in volts or amperes."""

    source: str
    start: float
    stop: float
    step: float

    def __post_init__(self) -> None:
        if self.step == 0 or (self.stop - self.start) / self.step < 0:
            raise ConfigError(f"dc sweep of {self.source}: step {self.step} does not go from "
                              f"{self.start} to {self.stop}")

    def card(self) -> str:
        return f".dc {self.source} {self.start:.12g} {self.stop:.12g} {self.step:.12g}"


@dataclass(frozen=True)
class Transient:
    """Transient from 0 to ``stop`` seconds; ``step`` is the print step, ``max_step`` the
    simulator's largest internal step (None: ngspice's default)."""

    step: float
    stop: float
    start: float = 0.0
    max_step: float | None = None
    uic: bool = False

    def __post_init__(self) -> None:
        if not (self.step > 0 and self.stop > self.start >= 0):
            raise ConfigError(f"transient: need step > 0 and stop > start >= 0, got "
                              f"step={self.step}, start={self.start}, stop={self.stop}")
        if self.max_step is not None and self.max_step <= 0:
            raise ConfigError(f"transient: max_step must be > 0, got {self.max_step}")

    def card(self) -> str:
        card = f".tran {self.step:.12g} {self.stop:.12g}"
        if self.start or self.max_step is not None:
            card += f" {self.start:.12g}"
        if self.max_step is not None:
            card += f" {self.max_step:.12g}"
        if self.uic:
            card += " uic"
        return card


VARIATIONS = ("dec", "oct", "lin")


def _check_sweep(what: str, start: float, stop: float, points: int, variation: str) -> None:
    if variation not in VARIATIONS:
        raise ConfigError(f"{what}: variation must be one of {', '.join(VARIATIONS)}, got {variation!r}")
    if not (isinstance(points, int) and points >= 1):
        raise ConfigError(f"{what}: points must be an integer >= 1, got {points!r}")
    if not (0 < start < stop):
        raise ConfigError(f"{what}: need 0 < start < stop (Hz), got start={start}, stop={stop}")


def _frequency_sweep(variation: str, points: int, start: float, stop: float) -> str:
    return f"{variation} {points} {start:.12g} {stop:.12g}"


@dataclass(frozen=True)
class Ac:
    """Small-signal AC sweep from ``start`` to ``stop`` Hz: ``points`` per decade (``dec``), per
    octave (``oct``) or in all (``lin``). Sources need an ``ac`` magnitude; the vectors are
    complex (``result.v("out")`` is the phasor)."""

    start: float
    stop: float
    points: int = 10
    variation: str = "dec"

    def __post_init__(self) -> None:
        _check_sweep("ac analysis", self.start, self.stop, self.points, self.variation)

    def card(self) -> str:
        return ".ac " + _frequency_sweep(self.variation, self.points, self.start, self.stop)


@dataclass(frozen=True)
class Noise:
    """Noise spectral density at ``v(output[, reference])``, also referred to the input source
    ``source``, from ``start`` to ``stop`` Hz (``points`` per decade, octave or in all). The
    result holds ``onoise_spectrum`` (V/√Hz) and ``inoise_spectrum`` (V/√Hz or A/√Hz: the
    input source's unit) against ``frequency``."""

    output: str
    source: str
    start: float
    stop: float
    points: int = 10
    variation: str = "dec"
    reference: str | None = None

    def __post_init__(self) -> None:
        _check_sweep("noise analysis", self.start, self.stop, self.points, self.variation)
        for label, name in (("output", self.output), ("source", self.source), ("reference", self.reference)):
            if name is not None and (not name or any(c in name for c in " ,()\n")):
                raise ConfigError(f"noise analysis: {label} must be a bare node or source name, got {name!r}")

    def card(self) -> str:
        node = f"{self.output},{self.reference}" if self.reference else self.output
        return f".noise v({node}) {self.source} " + _frequency_sweep(self.variation, self.points, self.start,
                                                                      self.stop)


@dataclass(frozen=True)
class Custom:
    """Any other analysis card, passed through as written (``.tf v(out) vin``, ``.pz …``)."""

    text: str

    def __post_init__(self) -> None:
        if not self.text.startswith(".") or "\n" in self.text or self.text.lower().startswith(".control"):
            raise ConfigError(f"custom analysis must be one dot-card line, got {self.text!r}")

    def card(self) -> str:
        return self.text


Analysis = Op | DcSweep | Transient | Ac | Noise | Custom
