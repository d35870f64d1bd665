"""The batch backend: ``ngspice -b -r out.raw netlist`` in a subprocess, raw file parsed."""

from __future__ import annotations

import subprocess
import tempfile
import time
from pathlib import Path

from ebn_circuit.errors import SimulationTimeoutError
from ebn_circuit.spice.diagnose import error_from_log
from ebn_circuit.spice.rawfile import read_raw
from ebn_circuit.spice.result import UNIT_OF_TYPE, normalise_vector_name

RawVectors = tuple[str, dict, dict]  # (plot name, vectors, units)


def run_batch(netlist: str, context: str, timeout: float, keep_dir: Path | None = None) -> tuple[RawVectors, str, float]:
    """Run one netlist; returns ((plotname, vectors, units), log, wall time in s)."""
    from ebn_circuit.spice.locate import ngspice_environment, ngspice_program

    program = ngspice_program()
    with tempfile.TemporaryDirectory(prefix="ebn_ngspice_") as tmp:
        workdir = Path(tmp)
        netlist_path = workdir / "testbench.spice"
        raw_path = workdir / "out.raw"
        netlist_path.write_text(netlist)
        start = time.perf_counter()
        try:
            proc = subprocess.run([program, "-b", "-r", str(raw_path), str(netlist_path)],
                                  capture_output=True, text=True, timeout=timeout, cwd=workdir,
                                  stdin=subprocess.DEVNULL, env=ngspice_environment())
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
    plot = plots[-1]
    vectors, units = {}, {}
    for name, vtype in plot.variables:
        key = normalise_vector_name(name, vtype)
        vectors[key] = plot.data[name]
        units[key] = UNIT_OF_TYPE.get(vtype, "")
    return (plot.plotname, vectors, units), log, wall


def _keep(netlist_path: Path, keep_dir: Path | None) -> str | None:
    if keep_dir is None:
        return None
    keep_dir.mkdir(parents=True, exist_ok=True)
    target = keep_dir / f"failed-{int(time.time() * 1000)}.spice"
    target.write_text(netlist_path.read_text())
    return str(target)
