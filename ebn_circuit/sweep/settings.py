"""Simulator settings as plain data: they travel with every job from the CLI to the last worker,
never rebuilt from defaults on the way."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from ebn_circuit.errors import ConfigError
from ebn_circuit.spice.simulator import BACKENDS, Simulator


@dataclass(frozen=True)
class SimSettings:
    """backend: "shared" (libngspice in a worker process) or "batch" (``ngspice -b``).
    cache: reuse results by netlist content hash; cache_dir: its folder (None: the user cache).
    timeout: seconds one simulation may take. threads: ngspice's ``num_threads`` for every run
    (None: what each testbench sets). allow_commands: trusted netlists whose `.control` commands
    may run programs or write files; ngspice then runs outside the sandbox (see Simulator)."""

    backend: str = "shared"
    cache: bool = True
    cache_dir: str | None = None
    timeout: float = 600.0
    threads: int | None = None
    allow_commands: bool = False

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ConfigError(f"unknown simulator backend {self.backend!r}; choose one of {', '.join(BACKENDS)}")
        if isinstance(self.timeout, bool) or not isinstance(self.timeout, (int, float)) or \
                not math.isfinite(self.timeout) or self.timeout <= 0:
            raise ConfigError(f"timeout must be a finite number of seconds > 0, got {self.timeout!r}")
        if self.threads is not None and (not isinstance(self.threads, int) or self.threads < 1):
            raise ConfigError(f"threads must be an integer >= 1, got {self.threads!r}")

    def simulator(self) -> Simulator:
        """A Simulator with these settings (close it, or use it as a context manager)."""
        return Simulator(backend=self.backend, cache=self.cache,
                         cache_dir=Path(self.cache_dir) if self.cache_dir else None,
                         timeout=self.timeout, threads=self.threads, allow_commands=self.allow_commands)
