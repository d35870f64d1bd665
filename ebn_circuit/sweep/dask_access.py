"""Who may reach a Dask cluster, and checking a scheduler address before a Client is made.

Anyone who can connect to a Dask scheduler can run code as the user of its workers. So:

- a LocalCluster binds to 127.0.0.1, with no dashboard unless asked for; when the `cryptography`
  package is installed it also speaks TLS with a throwaway certificate that only this process
  holds (`Security.temporary()`), so that other local users cannot submit work to it;
- a remote scheduler is reached with ``tcp://`` (trusted network or an SSH tunnel) or ``tls://``
  with certificates (`security_from_files`, the CLI's ``--tls-*`` options, or Dask's own
  ``distributed.comm.tls`` configuration).

A bad address fails here, fast and in one line: distributed's own Client, when it fails to
connect, leaves a finaliser that hangs 10 s and prints a traceback at exit.
"""

from __future__ import annotations

import asyncio
import re
import socket
from pathlib import Path

from ebn_circuit.errors import ConfigError

_ADDRESS = re.compile(r"(tcp|tls)://(\[[0-9a-fA-F:]+\]|[A-Za-z0-9_.-]+):(\d{1,5})")
# HTTP routes of a LocalCluster's scheduler when the dashboard is off: a health check only.
QUIET_HTTP_ROUTES = ["distributed.http.health"]


def parse_address(address: str) -> tuple[str, str, int]:
    """(protocol, host, port) of a scheduler address; a ConfigError that shows the form otherwise."""
    match = _ADDRESS.fullmatch(address.strip())
    if match is None or not 0 < int(match.group(3)) < 65536:
        raise ConfigError(f"--scheduler {address!r} is not a Dask scheduler address; write tcp://HOST:PORT "
                          "(e.g. tcp://head:8786) or tls://HOST:PORT with certificates")
    return match.group(1), match.group(2).strip("[]"), int(match.group(3))


def security_from_files(ca_file: str | None = None, cert: str | None = None, key: str | None = None):
    """A distributed.Security for TLS from certificate files (None when none is given); each file must
    exist. Without files, ``tls://`` falls back to Dask's configuration (distributed.comm.tls.*)."""
    files = {"--tls-ca-file": ca_file, "--tls-cert": cert, "--tls-key": key}
    given = {option: path for option, path in files.items() if path}
    if not given:
        return None
    missing = [option for option in files if option not in given and option != "--tls-key"]
    if missing:
        raise ConfigError(f"TLS needs {' and '.join(missing)} as well (the CA that signed the scheduler's "
                          "certificate, and this client's certificate)")
    for option, path in given.items():
        if not Path(path).is_file():
            raise ConfigError(f"{option} {path}: file not found")
    from distributed.security import Security

    return Security(tls_ca_file=ca_file, tls_client_cert=cert, tls_client_key=key, require_encryption=True)


def check_scheduler(address: str, security, timeout: float) -> None:
    """Reach the scheduler and check that it answers as Dask does, before any Client exists."""
    protocol, host, port = parse_address(address)
    if protocol == "tls":
        if security is None:
            from distributed.security import Security

            security = Security()   # Dask's configuration, if it has certificates
        if not (security.tls_ca_file and security.tls_client_cert):
            raise ConfigError(f"--scheduler {address}: tls:// needs certificates: --tls-ca-file and --tls-cert "
                              "(and --tls-key), or Dask's distributed.comm.tls configuration")
    try:
        socket.create_connection((host, port), timeout=min(timeout, 2.0)).close()
    except OSError as exc:
        raise ConfigError(f"cannot reach the Dask scheduler at {address!r} ({exc.strerror or exc}); check the "
                          "address, or leave out --scheduler to use a local cluster") from None
    try:
        asyncio.run(asyncio.wait_for(_handshake(address, security, timeout), timeout + 1))
    except Exception as exc:  # noqa: BLE001 — garbage answers raise anything (MemoryError: a huge "size")
        raise ConfigError(f"{address} answers, but not as a Dask scheduler ({type(exc).__name__}); check the "
                          "address and port (and the TLS certificates)") from None


async def _handshake(address: str, security, timeout: float) -> None:
    from distributed.comm import connect

    args = security.get_connection_args("client") if security is not None else {}
    comm = await connect(address, timeout=timeout, **args)
    try:
        await comm.write({"op": "identity", "reply": True})
        identity = await comm.read()
    finally:
        await comm.close()
    if not isinstance(identity, dict) or identity.get("type") != "Scheduler":
        raise ValueError(f"identity {identity!r}")


def local_security():
    """A throwaway TLS identity for a LocalCluster (None without the `cryptography` package)."""
    try:
        import cryptography  # noqa: F401
        from distributed.security import Security
    except ImportError:
        return None
    return Security.temporary()
