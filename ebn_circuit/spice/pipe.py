"""The framing both ngspice worker processes speak over their stdin/stdout (spice/shared.py, the
plain runs; spice/lockstep.py, the lock-stepped ones): length-prefixed pickles, and a reply awaited
with a time limit, the worker killed on a timeout or a broken frame."""

from __future__ import annotations

import pickle
import select
import struct
import subprocess

from ebn_circuit.errors import SimulationTimeoutError, SimulatorCrashError


def send(stream, obj) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(struct.pack("<Q", len(data)) + data)
    stream.flush()


def receive(stream):
    header = stream.read(8)
    if len(header) < 8:
        raise EOFError
    (length,) = struct.unpack("<Q", header)
    data = stream.read(length)
    if len(data) < length:
        raise EOFError
    return pickle.loads(data)


def reply(process, timeout: float, close, timed_out: str, crashed: str):
    """The worker's next message within ``timeout`` seconds. ``close()`` stops the worker before
    SimulationTimeoutError(timed_out) or SimulatorCrashError(crashed, ``{code}`` its exit code)."""
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    if not ready:
        close()
        raise SimulationTimeoutError(timed_out)
    try:
        return receive(process.stdout)
    except (EOFError, pickle.UnpicklingError, struct.error):
        code = process.wait(timeout=5)
        close()
        raise SimulatorCrashError(crashed.format(code=code)) from None


def stop(process) -> None:
    """Say goodbye and wait 2 s; a worker that does not leave (mid-transient) is killed."""
    try:
        send(process.stdin, None)
        process.stdin.close()
        process.wait(timeout=2)
    except (OSError, subprocess.TimeoutExpired, ValueError):
        process.kill()
        process.wait()
    if process.stdout:
        process.stdout.close()
