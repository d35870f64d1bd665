"""The shared-library backend: libngspice through PySpice, inside a worker process.

libngspice is not re-entrant, can crash or hang, and PySpice leaks memory over many runs, so
it never runs in the caller's process: a `SharedWorker` owns one child process with the
library loaded, kills it on timeout or crash, replaces it every ``recycle_after`` runs and after a
netlist that left the library unusable ("cannot recover"). The child runs confined (sandbox.py),
in a run folder that the parent removes whatever way the child ended, and dies with its parent.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time

from ebn_circuit.errors import SimulatorCrashError, SimulatorMissingError, SimulationTimeoutError
from ebn_circuit.spice import sandbox
from ebn_circuit.spice.diagnose import error_from_log
from ebn_circuit.spice.locate import ngspice_environment
from ebn_circuit.spice.pipe import receive as _receive
from ebn_circuit.spice.pipe import reply, stop
from ebn_circuit.spice.pipe import send as _send
from ebn_circuit.spice.result import UNIT_OF_TYPE, normalise_vector_name


# Messages after which ngspice -b exits non-zero; a partial plot left behind is not a result.
_FATAL = re.compile(r"simulation interrupted|circuit not parsed|aren't any circuits|"
                    r"timestep too small|run simulation\(s\) aborted|op failed", re.IGNORECASE)
# After this message every later run of the library fails: the worker must be replaced.
_UNRECOVERABLE = re.compile(r"cannot recover|awaits to be detached", re.IGNORECASE)


class SharedWorker:
    """One child process (``python -m ebn_circuit.spice.shared``) with libngspice loaded.

    A plain subprocess, not multiprocessing: no re-import of the caller's main module, so
    scripts need no ``if __name__ == "__main__"`` guard. Messages are length-prefixed pickles
    over the child's stdin/stdout.
    """

    def __init__(self, library: str, recycle_after: int = 50, start_timeout: float = 60.0, confined: bool = True):
        self.library = library
        self.recycle_after = recycle_after
        self.start_timeout = start_timeout
        self.confined = confined
        self.version = ""
        self._process: subprocess.Popen | None = None
        self._workdir: str | None = None
        self._runs = 0

    def _start(self) -> None:
        self._workdir = sandbox.make_workdir("worker")
        python = os.path.realpath(sys.executable)
        spec = sandbox.confinement(self._workdir, tuple(filter(None, (python, sandbox.elf_interpreter(python))))) \
            if self.confined else None
        command = sandbox.launcher_command(spec, [sys.executable, "-m", "ebn_circuit.spice.shared", self.library,
                                                  str(os.getpid()), "confined" if spec else "open"])
        self._process = subprocess.Popen(command, cwd=self._workdir, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.DEVNULL, env=ngspice_environment())
        try:
            status, payload = self._receive(self.start_timeout, "starting the libngspice worker")
        except SimulationTimeoutError:
            self.close()
            raise SimulatorCrashError(f"libngspice worker did not start within {self.start_timeout:g} s") from None
        if status != "ready":
            self.close()
            raise SimulatorMissingError(f"cannot load libngspice from {self.library}: {payload}")
        self.version = payload
        self._runs = 0

    @property
    def pid(self) -> int | None:
        """Process id of the live worker (None before the first run or after close)."""
        return self._process.pid if self._process is not None else None

    def run(self, netlist: str, context: str, timeout: float):
        """Returns ((plotname, vectors, units), log, wall time in s) or raises a typed error."""
        if self._process is None or self._process.poll() is not None or self._runs >= self.recycle_after:
            self.close()
            self._start()
        self._runs += 1
        try:
            _send(self._process.stdin, netlist)
        except (BrokenPipeError, OSError):
            self.close()
            raise SimulatorCrashError(f"{context}: libngspice worker is gone") from None
        status, payload = self._receive(timeout, context)
        if status == "error":
            if _UNRECOVERABLE.search(payload):
                self.close()   # the next run starts a fresh library
            raise error_from_log(payload, context)
        return payload

    def _receive(self, timeout: float, context: str):
        return reply(self._process, timeout, self.close,
                     f"{context}: ngspice exceeded the {timeout:g} s time limit; worker killed",
                     f"{context}: libngspice worker crashed (exit code {{code}})")

    def close(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            stop(process)
        workdir, self._workdir = self._workdir, None
        if workdir is not None:   # also after a kill: the child cannot clean up itself
            shutil.rmtree(workdir, ignore_errors=True)

    def __del__(self):  # best effort; explicit close() is the contract
        try:
            self.close()
        except Exception:
            pass


def _worker_main(library: str, parent: int, confined: bool) -> None:
    sandbox.die_with_parent(parent)
    if confined:
        sandbox.forbid_exec()   # Python has started: from here on, nothing may be executed
    # The protocol owns the real stdout; anything libngspice prints goes to stderr.
    out = os.fdopen(os.dup(1), "wb")
    inp = os.fdopen(os.dup(0), "rb")
    os.dup2(2, 1)
    # The working directory is the run folder the parent made: ngspice writes side files there
    # (bsim4v5.out model checks), and the parent removes it.
    os.environ["NGSPICE_LIBRARY_PATH"] = library
    import logging

    logging.disable(logging.CRITICAL)  # PySpice logs "Unsupported Ngspice version" and stderr chatter
    try:
        ngspice = _QuietNgSpice(ngspice_id=0, send_data=False)
    except Exception as exc:  # the library is missing or broken
        _send(out, ("missing", f"{type(exc).__name__}: {exc}"))
        return
    _send(out, ("ready", f"ngspice-{ngspice.ngspice_version}"))
    while True:
        try:
            netlist = _receive(inp)
        except EOFError:
            return
        if netlist is None:
            return
        _send(out, _run_one(ngspice, netlist))


def _run_one(ngspice, netlist: str):
    lib = ngspice._ngspice_shared
    ngspice.log_lines = []
    before = set(ngspice.plot_names)
    start = time.perf_counter()
    ngspice.load_circuit_quiet(netlist)
    lib.ngSpice_Command(b"run")
    wall = time.perf_counter() - start
    log = "\n".join(ngspice.log_lines)
    new_plots = [name for name in ngspice.plot_names if name not in before and name != "const"]
    if not new_plots or _FATAL.search(log):
        _cleanup(lib)
        return ("error", log)
    plotname = new_plots[0]
    vectors, units = {}, {}
    for name, vector in ngspice.plot(None, plotname).items():
        vtype = str(vector._type)
        key = normalise_vector_name(name, vtype)
        vectors[key] = vector._data
        units[key] = UNIT_OF_TYPE.get(vtype, "")
    _cleanup(lib)
    return ("ok", ((re.sub(r"\d+$", "", plotname), vectors, units), log, wall))


def _cleanup(lib) -> None:
    lib.ngSpice_Command(b"destroy all")
    lib.ngSpice_Command(b"remcirc")


def _make_quiet_class():
    from PySpice.Spice.NgSpice.Shared import NgSpiceShared, ffi

    class QuietNgSpice(NgSpiceShared):
        """NgSpiceShared that records every message instead of treating stderr as errors."""

        log_lines: list

        def send_char(self, message, ngspice_id):
            prefix, _, content = message.partition(" ")
            if hasattr(self, "log_lines"):
                self.log_lines.append(content if prefix in ("stdout", "stderr") else message)
            return 0

        def exec_command(self, command, join_lines=True):
            self.clear_output()
            self._ngspice_shared.ngSpice_Command(command.encode("ascii"))
            return self.stdout if join_lines else self._stdout

        def load_circuit_quiet(self, text: str) -> None:
            # Split on newlines only, as ngspice -b and the netlist scan do.
            lines = [line.rstrip("\r") for line in text.split("\n") if line.strip()] + [""]
            keep = [ffi.new("char[]", line.encode("utf8")) for line in lines] + [ffi.NULL]
            self._ngspice_shared.ngSpice_Circ(ffi.new("char *[]", keep))

    return QuietNgSpice


def _QuietNgSpice(**kwargs):
    return _make_quiet_class()(**kwargs)


if __name__ == "__main__":
    _worker_main(sys.argv[1], int(sys.argv[2]), sys.argv[3] == "confined")
