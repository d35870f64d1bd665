"""Simulator: run a Testbench through the chosen backend, with caching and typed errors."""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import time
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np

from ebn_circuit.errors import ConfigError, NetlistError, SimulationTimeoutError
from ebn_circuit.spice import sandbox
from ebn_circuit.spice.batch import _executables as batch_executables
from ebn_circuit.spice.batch import run_batch
from ebn_circuit.spice.safety import check_netlist_safe
from ebn_circuit.spice.cache import ResultCache, cache_key
from ebn_circuit.spice.diagnose import error_from_log
from ebn_circuit.spice.locate import ngspice_environment, ngspice_library, ngspice_program, simulator_version
from ebn_circuit.spice.rawfile import read_raw
from ebn_circuit.spice.result import UNIT_OF_TYPE, SimMeta, SimResult, kind_of_plot, normalise_vector_name
from ebn_circuit.spice.shared import SharedWorker
from ebn_circuit.circuits.testbench import Testbench

BACKENDS = ("shared", "batch")


class NgspiceWarning(UserWarning):
    """ngspice warned during a run that still gave a result (``result.meta.warnings`` has them all)."""


_NOISE_CARD = re.compile(r"^\s*\.noise\b", re.IGNORECASE | re.MULTILINE)
_WARNING = re.compile(r"^\s*warning\b|singular matrix", re.IGNORECASE)


class Simulator:
    """Runs testbenches in ngspice.

    backend: "shared" (libngspice in an isolated worker process, the default) or "batch"
        (``ngspice -b`` subprocess and its raw file). Both give the same vectors.
    cache: keep results in a content-addressed cache (False: always simulate).
    timeout: seconds one run may take before its process is killed.
    recycle_after: runs before the shared worker process is replaced (memory growth).
    failed_netlist_dir: where netlists of failed runs are kept for inspection (None: not kept).
    threads: ngspice's ``num_threads`` for every run (None: what each testbench sets).
    allow_commands: run netlists whose `.control` commands may start programs or write files, and
        run ngspice unconfined (trusted netlists only). Otherwise every netlist is scanned against
        the allow-list first (UnsafeNetlistError) and ngspice runs in the sandbox (sandbox.py).
    """

    def __init__(self, backend: str = "shared", cache: bool = True, cache_dir: Path | None = None,
                 timeout: float = 600.0, recycle_after: int = 50, failed_netlist_dir: Path | None = None,
                 threads: int | None = None, allow_commands: bool = False):
        if backend not in BACKENDS:
            raise ConfigError(f"unknown simulator backend {backend!r}; choose one of {', '.join(BACKENDS)}")
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not math.isfinite(timeout) \
                or timeout <= 0:
            raise ConfigError(f"timeout must be a finite number of seconds > 0, got {timeout!r}")
        self.backend = backend
        self.timeout = timeout
        self.threads = threads
        self.allow_commands = allow_commands
        self.cache = ResultCache(cache_dir) if cache else None
        self.failed_netlist_dir = failed_netlist_dir
        if backend == "shared":
            self._worker = SharedWorker(ngspice_library(), recycle_after=recycle_after, confined=not allow_commands)
        else:
            ngspice_program()  # fail now, with the install hint, if it is missing
            self._worker = None
        self.version = simulator_version(backend)

    def run(self, testbench: Testbench) -> SimResult:
        if self.threads is not None:
            options = tuple((k, v) for k, v in testbench.options if k != "num_threads")
            testbench = replace(testbench, options=(*options, ("num_threads", str(self.threads))))
        netlist = testbench.netlist()
        context = f"testbench {testbench.name!r}"
        check_netlist_safe(netlist, context, allow_commands=self.allow_commands)
        key = cache_key(netlist, self.version) if self.cache is not None else ""
        if self.cache is not None:
            hit = self.cache.get(key)
            if hit is not None:
                _warn_about(hit, context)
                return hit
        if _NOISE_CARD.search(netlist):
            # both backends keep ngspice's last plot, the integrated noise; the spectrum is the one before
            (plotname, vectors, units), log, wall = _run_noise(netlist, context, self.timeout,
                                                               confined=not self.allow_commands)
        elif self._worker is not None:
            (plotname, vectors, units), log, wall = self._worker.run(netlist, context, self.timeout)
        else:
            (plotname, vectors, units), log, wall = run_batch(netlist, context, self.timeout,
                                                              self.failed_netlist_dir, confined=not self.allow_commands)
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
            warnings=warnings_in(log),
        )
        empty = [name for name in vectors if name in ("v()", "i()", "")]
        if empty:
            raise NetlistError(f"{context}: ngspice returned a vector with no name ({empty[0]!r}); check the "
                               f"deck's .save/.print lines and node names", log=log)
        for name in ("time", "frequency"):
            if name in vectors:
                vectors[name] = np.real(vectors[name])   # libngspice gives AC frequency as complex
        for vector in vectors.values():
            vector.setflags(write=False)   # a result is frozen data, fresh or from the cache
        result = SimResult(kind=kind_of_plot(plotname), vectors=vectors, units=units, meta=meta)
        _warn_about(result, context)
        if self.cache is not None:
            self.cache.put(key, result)   # warns, never raises: the result is returned either way
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


def _warn_about(result: SimResult, context: str) -> None:
    found = result.meta.warnings
    if found:
        more = f" (+{len(found) - 1} more in result.meta.warnings)" if len(found) > 1 else ""
        warnings.warn(f"{context}: ngspice: {found[0]}{more}", NgspiceWarning, stacklevel=3)


def warnings_in(log: str) -> tuple[str, ...]:
    """ngspice's warning lines (``Warning: …``, ``singular matrix``), each once, in order."""
    found: dict[str, None] = {}
    for line in log.splitlines():
        if _WARNING.search(line):
            start = line.lower().find("warning")   # drop a progress prefix ("Trying gmin = … Warning: …")
            found.setdefault(" ".join(line[max(start, 0):].split()), None)
    return tuple(found)


def _run_noise(netlist: str, context: str, timeout: float, confined: bool = True):
    """A noise run in ``ngspice -b``, confined like the batch backend; returns its spectrum plot
    (ngspice's 'Noise Spectral Density Curves'), not the integrated totals that follow it."""
    program = ngspice_program()
    workdir = Path(sandbox.make_workdir("noise"))
    try:
        deck, raw = workdir / "noise.spice", workdir / "noise.raw"
        deck.write_text(netlist)
        spec = sandbox.confinement(str(workdir), batch_executables(program)) if confined and sandbox.enabled() \
            else None
        command = sandbox.launcher_command(spec, [program, "-b", "-r", str(raw), str(deck)])
        start = time.perf_counter()
        try:
            proc = subprocess.run(command, capture_output=True, text=True, errors="replace", timeout=timeout,
                                  cwd=workdir, stdin=subprocess.DEVNULL, env=ngspice_environment())
        except subprocess.TimeoutExpired:
            raise SimulationTimeoutError(f"{context}: ngspice exceeded the {timeout:g} s time limit and was "
                                         "killed") from None
        wall, log = time.perf_counter() - start, proc.stdout + proc.stderr
        spectra = [p for p in read_raw(raw) if p.plotname.lower().startswith("noise spectral")] \
            if proc.returncode == 0 and raw.is_file() and raw.stat().st_size else []
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if not spectra:
        raise error_from_log(log, context)
    plot = spectra[-1]
    vectors = {normalise_vector_name(n, t): plot.data[n] for n, t in plot.variables}
    units = {normalise_vector_name(n, t): UNIT_OF_TYPE.get(t, "") for n, t in plot.variables}
    return (plot.plotname, vectors, units), log, wall


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
