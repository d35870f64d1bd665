"""Find the ngspice program and its shared library."""

from __future__ import annotations

import functools
import glob
import os
import re
import shutil
import subprocess
from pathlib import Path

from ebn_circuit.errors import SimulatorMissingError

INSTALL_HINT = "install it with: apt-get install -y ngspice libngspice0"
_LIBRARY_GLOBS = ("/usr/lib/x86_64-linux-gnu/libngspice.so*", "/usr/lib/aarch64-linux-gnu/libngspice.so*",
                  "/usr/lib64/libngspice.so*", "/usr/lib/libngspice.so*", "/usr/local/lib/libngspice.so*")


def ngspice_program() -> str:
    """Path of the ``ngspice`` executable ($NGSPICE_PROGRAM or PATH)."""
    explicit = os.environ.get("NGSPICE_PROGRAM")
    found = explicit if explicit and Path(explicit).is_file() else shutil.which(explicit or "ngspice")
    if not found:
        raise SimulatorMissingError(f"ngspice program not found; {INSTALL_HINT}")
    return found


def ngspice_library() -> str:
    """Path of ``libngspice.so.0`` ($NGSPICE_LIBRARY_PATH, then the usual library folders)."""
    explicit = os.environ.get("NGSPICE_LIBRARY_PATH")
    if explicit:
        if Path(explicit).is_file():
            return explicit
        raise SimulatorMissingError(f"NGSPICE_LIBRARY_PATH={explicit} does not exist; {INSTALL_HINT}")
    for pattern in _LIBRARY_GLOBS:
        for candidate in sorted(glob.glob(pattern)):
            if candidate.endswith((".so", ".so.0")) and Path(candidate).is_file():
                return candidate
    raise SimulatorMissingError(f"libngspice shared library not found; {INSTALL_HINT}")


def ngspice_environment() -> dict[str, str]:
    """The environment ngspice processes run in. OpenMP threads that wait for work must sleep, not
    spin: on a busy machine (a sweep's other workers, other users) spinning threads made DPI
    neuron transients 10–300× slower (a 0.3 s run took up to 110 s at load 5 on 2 cores). A
    user's own OMP_WAIT_POLICY is kept."""
    env = dict(os.environ)
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    return env


@functools.lru_cache(maxsize=8)
def _program_version(program: str) -> str:
    try:
        out = subprocess.run([program, "-v"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return ""
    match = re.search(r"ngspice-(\d+(?:\.\d+)?)", out)
    return f"ngspice-{match.group(1)}" if match else ""


def simulator_version(backend: str) -> str:
    """A version string for cache keys: the program's version plus the library file."""
    if backend == "batch":
        return _program_version(ngspice_program())
    library = Path(ngspice_library()).resolve()
    program = shutil.which("ngspice")
    version = _program_version(program) if program else ""
    return f"{version} {library.name}".strip()
