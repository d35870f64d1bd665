"""The batch backend: ``ngspice -b -r out.raw netlist`` in a subprocess, raw file parsed.

ngspice runs confined (sandbox.py, through its launcher) in a fresh run folder, which is removed
however the run ends (timeout included); it dies with its parent."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import time
from pathlib import Path

from ebn_circuit.errors import ConfigError, SimulationTimeoutError
from ebn_circuit.spice import sandbox
from ebn_circuit.spice.diagnose import error_from_log
from ebn_circuit.spice.rawfile import read_raw
from ebn_circuit.spice.result import UNIT_OF_TYPE, normalise_vector_name

RawVectors = tuple[str, dict, dict]  # (plot name, vectors, units)


def run_batch(netlist: str, context: str, timeout: float, keep_dir: Path | None = None,
              confined: bool = True) -> tuple[RawVectors, str, float]:
    """Run one netlist; returns ((plotname, vectors, units), log, wall time in s).
    confined: in the sandbox (False only for trusted netlists whose commands must work)."""
    from ebn_circuit.spice.locate import ngspice_environment, ngspice_program

    program = ngspice_program()
    workdir = Path(sandbox.make_workdir("batch"))
    try:
        netlist_path = workdir / "testbench.spice"
        raw_path = workdir / "out.raw"
        netlist_path.write_text(netlist)
        spec = sandbox.confinement(str(workdir), _executables(program)) if confined and sandbox.enabled() else None
        command = sandbox.launcher_command(spec, [program, "-b", "-r", str(raw_path), str(netlist_path)])
        start = time.perf_counter()
        try:
            proc = subprocess.run(command, capture_output=True, text=True, errors="replace", timeout=timeout,
                                  cwd=workdir, stdin=subprocess.DEVNULL, env=ngspice_environment())
        except subprocess.TimeoutExpired as exc:
            log = (exc.stdout or b"").decode(errors="replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
            raise SimulationTimeoutError(f"{context}: ngspice exceeded the {timeout:g} s time limit and was killed",
                                         log=log) from None
        wall = time.perf_counter() - start
        log = proc.stdout + proc.stderr
        if proc.returncode != 0 or not raw_path.is_file() or raw_path.stat().st_size == 0:
            saved = _keep(netlist_path, keep_dir)
            raise error_from_log(log, context, saved)
        plots = read_raw(raw_path)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    plot = plots[-1]
    vectors, units = {}, {}
    for name, vtype in plot.variables:
        key = normalise_vector_name(name, vtype)
        vectors[key] = plot.data[name]
        units[key] = UNIT_OF_TYPE.get(vtype, "")
    return (plot.plotname, vectors, units), log, wall


@functools.lru_cache(maxsize=4)
def _executables(program: str) -> tuple[str, ...]:
    """What the confined launcher may execute: the ngspice binary and its dynamic loader."""
    real = os.path.realpath(program)
    with open(real, "rb") as handle:
        if handle.read(2) == b"#!":
            raise ConfigError(f"ngspice program {program} is a script: the sandbox lets it execute nothing "
                              "else; point NGSPICE_PROGRAM at the ngspice binary, or set EBN_CIRCUIT_SANDBOX=off "
                              "to run it unconfined")
    return tuple(filter(None, (real, sandbox.elf_interpreter(real))))


def _keep(netlist_path: Path, keep_dir: Path | None) -> str | None:
    if keep_dir is None:
        return None
    keep_dir.mkdir(parents=True, exist_ok=True)
    target = keep_dir / f"failed-{int(time.time() * 1000)}.spice"
    target.write_text(netlist_path.read_text())
    return str(target)
