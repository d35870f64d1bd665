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


@dataclass(frozen=True)
class Custom:
    """Any other analysis card, passed through as written (``.ac dec 10 1 1e6``, ``.noise …``)."""

    text: str

    def __post_init__(self) -> None:
        if not self.text.startswith(".") or "\n" in self.text or self.text.lower().startswith(".control"):
            raise ConfigError(f"custom analysis must be one dot-card line, got {self.text!r}")

    def card(self) -> str:
        return self.text


Analysis = Op | DcSweep | Transient | Custom
