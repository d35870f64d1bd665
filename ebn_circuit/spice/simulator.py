"""Simulator: run a Testbench through the chosen backend, with caching and typed errors."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from ebn_circuit.errors import ConfigError
from ebn_circuit.spice.batch import run_batch
from ebn_circuit.spice.cache import ResultCache, cache_key
from ebn_circuit.spice.locate import ngspice_library, ngspice_program, simulator_version
from ebn_circuit.spice.result import SimMeta, SimResult, kind_of_plot
from ebn_circuit.spice.shared import SharedWorker
from ebn_circuit.circuits.testbench import Testbench

BACKENDS = ("shared", "batch")


class Simulator:
    """Runs testbenches in ngspice.

    backend: "shared" (libngspice in an isolated worker process, the default) or "batch"
        (``ngspice -b`` subprocess and its raw file). Both give the same vectors.
    cache: keep results in a content-addressed cache (False: always simulate).
    timeout: seconds one run may take before its process is killed.
    recycle_after: runs before the shared worker process is replaced (memory growth).
    failed_netlist_dir: where netlists of failed runs are kept for inspection (None: not kept).
    threads: ngspice's ``num_threads`` for every run (None: what each testbench sets).
    """

    def __init__(self, backend: str = "shared", cache: bool = True, cache_dir: Path | None = None,
                 timeout: float = 600.0, recycle_after: int = 50, failed_netlist_dir: Path | None = None,
                 threads: int | None = None):
        if backend not in BACKENDS:
            raise ConfigError(f"unknown simulator backend {backend!r}; choose one of {', '.join(BACKENDS)}")
        if timeout <= 0:
            raise ConfigError(f"timeout must be > 0 s, got {timeout}")
        self.backend = backend
        self.timeout = timeout
        self.threads = threads
        self.cache = ResultCache(cache_dir) if cache else None
        self.failed_netlist_dir = failed_netlist_dir
        if backend == "shared":
            self._worker = SharedWorker(ngspice_library(), recycle_after=recycle_after)
        else:
            ngspice_program()  # fail now, with the install hint, if it is missing
            self._worker = None
        self.version = simulator_version(backend)

    def run(self, testbench: Testbench) -> SimResult:
        if self.threads is not None:
            options = tuple((k, v) for k, v in testbench.options if k != "num_threads")
            testbench = replace(testbench, options=(*options, ("num_threads", str(self.threads))))
        netlist = testbench.netlist()
        key = cache_key(netlist, self.version) if self.cache is not None else ""
        if self.cache is not None:
            hit = self.cache.get(key)
            if hit is not None:
                return hit
        context = f"testbench {testbench.name!r}"
        if self._worker is not None:
            (plotname, vectors, units), log, wall = self._worker.run(netlist, context, self.timeout)
        else:
            (plotname, vectors, units), log, wall = run_batch(netlist, context, self.timeout,
                                                              self.failed_netlist_dir)
        tech = testbench.technology
        meta = SimMeta(
            netlist_hash=key or cache_key(netlist, self.version),
            technology=tech.name if tech else "",
            corner=tech.corner if tech else "",
            mismatch=bool(tech and tech.mismatch),
            seed=testbench.seed,
            simulator_version=self.version,
            backend=self.backend,
            wall_time=wall,
            log=log,
            analysis=testbench.analysis.card() if testbench.analysis is not None else "",
        )
        for vector in vectors.values():
            vector.setflags(write=False)   # a result is frozen data, fresh or from the cache
        result = SimResult(kind=kind_of_plot(plotname), vectors=vectors, units=units, meta=meta)
        if self.cache is not None:
            self.cache.put(key, result)
        return result

    @property
    def worker_pid(self) -> int | None:
        """The libngspice worker's process id (shared backend), e.g. to watch its memory."""
        return self._worker.pid if self._worker is not None else None

    def close(self) -> None:
        if self._worker is not None:
            self._worker.close()

    def __enter__(self) -> "Simulator":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def simulate(testbench: Testbench, backend: str = "shared", cache: bool = True, **kwargs) -> SimResult:
    """One-off run (starts and stops a worker; use a Simulator for many runs)."""
    with Simulator(backend=backend, cache=cache, **kwargs) as simulator:
        return simulator.run(testbench)


def write_netlist(testbench: Testbench, path: str | Path, header: str = "", prints: tuple[str, ...] = ()) -> Path:
    """Write a portable netlist that runs standalone (``cd netlists && ngspice -b FILE``): its
    model include is ``pdk/<tech>_<corner>.spice``, written beside it with this machine's paths."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if testbench.technology is not None:
        testbench.technology.write_portable_include(path.parent, testbench.body, path.stem)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(testbench.netlist(portable=True, header=header, prints=prints, stem=path.stem))
    os.replace(tmp, path)
    return path
