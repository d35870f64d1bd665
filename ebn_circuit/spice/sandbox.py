"""The second wall: ngspice runs where a command it was tricked into running can do no harm.

The netlist scan (technology/netlist_scan.py) is the first wall. Behind it, every ngspice process
that runs an untrusted netlist (the libngspice worker, and ``ngspice -b`` through this file run as
a launcher) is confined before it reads one:

- Landlock (Linux >= 5.13): no program may be executed (the batch launcher allows exactly the
  ngspice binary and its loader), files may be created or written only in the run folder, and,
  where the kernel supports it, no TCP connection and no signal to a process outside the sandbox;
- as root: the process switches to the unprivileged system user ``ebn-sandbox`` (created on first
  use with useradd), keeping only CAP_DAC_READ_SEARCH so that it still reads model files under
  /root; elsewhere it keeps the user's own rights;
- no_new_privs (no set-uid escalation) and a parent-death signal, so that a killed parent never
  leaves ngspice running.

A trusted run (``--allow-commands``) is not confined: its commands are meant to work.
``EBN_CIRCUIT_SANDBOX=off`` turns the wall off (debugging); ``EBN_CIRCUIT_SANDBOX_USER`` names
another user. This module imports only the standard library: it runs as the launcher script.
"""

from __future__ import annotations

# Only what the launcher needs is imported here (it starts before every ngspice -b run: each
# import costs milliseconds); the parent's helpers import theirs inside.
import ctypes
import os
import sys

DEFAULT_USER = "ebn-sandbox"
_SYS_CREATE_RULESET, _SYS_ADD_RULE, _SYS_RESTRICT_SELF = 444, 445, 446   # the same on every arch
_PR_SET_PDEATHSIG, _PR_SET_KEEPCAPS, _PR_CAPBSET_DROP, _PR_SET_NO_NEW_PRIVS = 1, 8, 24, 38
_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_RAISE = 47, 2
_CAP_DAC_READ_SEARCH = 2
_SIGKILL = 9
_EXECUTE, _WRITE_FILE = 1 << 0, 1 << 1
_WRITES_V1 = sum(1 << bit for bit in range(4, 13))   # remove dir/file, make char/dir/reg/sock/fifo/block/sym
_REFER, _TRUNCATE = 1 << 13, 1 << 14
_NET_TCP = (1 << 0) | (1 << 1)                       # bind, connect
_SCOPE_ALL = (1 << 0) | (1 << 1)                     # abstract unix sockets, signals


class Confinement:
    """What `confine` does in a process: the run folder, the programs it may execute, the user
    (uid, gid) to become (None: keep the current one) and the temporary folders where ngspice's
    unnamed tmpfile() may be written."""

    def __init__(self, workdir: str, executables: tuple[str, ...] = (), user: tuple[int, int] | None = None,
                 temp_dirs: tuple[str, ...] = ("/tmp",), parent: int | None = None):
        self.workdir, self.executables, self.user, self.temp_dirs = workdir, tuple(executables), user, tuple(temp_dirs)
        # The process that starts the confined one: if it is gone by the time the child arms its
        # parent-death signal (the child was reparented), the child must not run at all.
        self.parent = parent if parent is not None else os.getpid()

    def argv(self) -> list[str]:
        """Arguments that pass this confinement to the launcher."""
        user = f"{self.user[0]}:{self.user[1]}" if self.user else "-"
        return [self.workdir, user, os.pathsep.join(self.executables) or "-", os.pathsep.join(self.temp_dirs),
                str(self.parent)]

    @classmethod
    def from_argv(cls, args: list[str]) -> "Confinement":
        workdir, user, executables, temp_dirs, parent = args[:5]
        uid_gid = tuple(int(v) for v in user.split(":")) if user != "-" else None
        return cls(workdir, tuple(executables.split(os.pathsep)) if executables != "-" else (), uid_gid,
                   tuple(temp_dirs.split(os.pathsep)), int(parent))


def enabled() -> bool:
    return os.environ.get("EBN_CIRCUIT_SANDBOX", "on").lower() not in ("off", "0", "no", "false")


def landlock_abi() -> int:
    """The kernel's Landlock ABI version; 0 when Landlock is not available."""
    libc = ctypes.CDLL(None, use_errno=True)
    version = libc.syscall(_SYS_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    return max(version, 0)


def sandbox_user() -> tuple[int, int] | None:
    """(uid, gid) of the unprivileged user to run ngspice as: only when running as root; the user
    is created on first use. None when not root, or when it cannot be created."""
    import fcntl
    import pwd
    import subprocess

    if os.geteuid() != 0:
        return None
    name = os.environ.get("EBN_CIRCUIT_SANDBOX_USER", DEFAULT_USER)
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        # Workers start together: one creates the user, the others wait for it (two useradd at
        # once were measured to give two processes two different uids).
        with open(os.path.join("/run/lock" if os.path.isdir("/run/lock") else "/tmp",
                               "ebn_circuit_sandbox_user.lock"), "w") as lock:
            fcntl.lockf(lock, fcntl.LOCK_EX)
            try:
                entry = pwd.getpwnam(name)
            except KeyError:
                subprocess.run(["useradd", "--system", "--user-group", "--no-create-home", "--home-dir",
                                "/nonexistent", "--shell", "/usr/sbin/nologin", name],
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                try:
                    entry = pwd.getpwnam(name)
                except KeyError:   # no useradd, or /etc is read-only: Landlock alone confines ngspice
                    return None
    return entry.pw_uid, entry.pw_gid


def confinement(workdir: str, executables: tuple[str, ...] = ()) -> Confinement | None:
    """The confinement for a run folder (None when the sandbox is turned off). The folder is
    handed to the sandbox user, who must write into it."""
    import tempfile

    if not enabled():
        return None
    user = sandbox_user()
    if user is not None:
        os.chown(workdir, *user)
    # ngspice -b opens an unnamed tmpfile() in /tmp (glibc ignores TMPDIR)
    return Confinement(workdir, executables, user, tuple(sorted({"/tmp", tempfile.gettempdir()})))


def confine(spec: Confinement, keep_caps_across_exec: bool = False) -> None:
    """Confine this process (a fresh child, single-threaded); raises OSError when a step fails."""
    libc = ctypes.CDLL(None, use_errno=True)

    def prctl(*args) -> None:
        if libc.prctl(*(ctypes.c_ulong(a) for a in args)) != 0:
            raise OSError(ctypes.get_errno(), f"prctl{args}: {os.strerror(ctypes.get_errno())}")

    if os.geteuid() == 0:
        last = int(open("/proc/sys/kernel/cap_last_cap").read())
        for cap in range(last + 1):
            if cap != _CAP_DAC_READ_SEARCH:
                prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0)
        if spec.user is not None:
            uid, gid = spec.user
            prctl(_PR_SET_KEEPCAPS, 1, 0, 0, 0)
            os.setgroups([])
            os.setresgid(gid, gid, gid)
            os.setresuid(uid, uid, uid)
        _set_caps(libc, _CAP_DAC_READ_SEARCH, inheritable=keep_caps_across_exec)
        if keep_caps_across_exec and spec.user is not None:
            prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_RAISE, _CAP_DAC_READ_SEARCH, 0, 0)
    # After the change of user: a credential change clears the parent-death signal.
    prctl(_PR_SET_PDEATHSIG, _SIGKILL, 0, 0, 0)
    if os.getppid() != spec.parent:   # the parent died before the signal was armed
        os._exit(1)
    prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    abi = landlock_abi()
    if abi:
        _landlock(libc, abi, spec)


def forbid_exec() -> None:
    """One more Landlock layer on this thread and the threads it starts: no program at all may be
    executed (the libngspice worker, once Python has started)."""
    abi = landlock_abi()
    if not abi:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    attr = (ctypes.c_uint64 * 3)(_EXECUTE, 0, 0)
    ruleset = libc.syscall(_SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(8), ctypes.c_uint32(0))
    if ruleset < 0 or libc.prctl(ctypes.c_ulong(_PR_SET_NO_NEW_PRIVS), ctypes.c_ulong(1), ctypes.c_ulong(0),
                                 ctypes.c_ulong(0), ctypes.c_ulong(0)) != 0 \
            or libc.syscall(_SYS_RESTRICT_SELF, ruleset, 0) != 0:
        raise OSError(ctypes.get_errno(), f"landlock (no exec): {os.strerror(ctypes.get_errno())}")
    os.close(ruleset)


def die_with_parent(parent: int) -> None:
    """SIGKILL this process when ``parent`` (the process that started it) dies."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(ctypes.c_ulong(_PR_SET_PDEATHSIG), ctypes.c_ulong(_SIGKILL), ctypes.c_ulong(0),
               ctypes.c_ulong(0), ctypes.c_ulong(0))
    if os.getppid() != parent:
        os._exit(1)


def make_workdir(kind: str) -> str:
    """A fresh run folder ``<tmp>/ebn_ngspice_<kind>_<pid>_*``; folders of dead processes (killed
    before they could clean up) are removed on the way."""
    import glob
    import shutil
    import tempfile

    root = tempfile.gettempdir()
    for stale in glob.glob(os.path.join(root, "ebn_ngspice_*_*_*")):
        parts = os.path.basename(stale).split("_")
        if len(parts) > 4 and parts[3].isdigit() and not _alive(int(parts[3])):
            shutil.rmtree(stale, ignore_errors=True)
    return tempfile.mkdtemp(prefix=f"ebn_ngspice_{kind}_{os.getpid()}_")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _set_caps(libc, cap: int, inheritable: bool) -> None:
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)          # _LINUX_CAPABILITY_VERSION_3, this process
    bit = 1 << cap
    data = (ctypes.c_uint32 * 6)(bit, bit, bit if inheritable else 0, 0, 0, 0)
    if libc.capset(header, data) != 0:
        raise OSError(ctypes.get_errno(), f"capset: {os.strerror(ctypes.get_errno())}")


def _landlock(libc, abi: int, spec: Confinement) -> None:
    writes = _WRITE_FILE | _WRITES_V1 | (_REFER if abi >= 2 else 0) | (_TRUNCATE if abi >= 3 else 0)
    attr = (ctypes.c_uint64 * 3)(_EXECUTE | writes, _NET_TCP if abi >= 4 else 0, _SCOPE_ALL if abi >= 6 else 0)
    size = 24 if abi >= 6 else 16 if abi >= 4 else 8
    ruleset = libc.syscall(_SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    if ruleset < 0:
        raise OSError(ctypes.get_errno(), f"landlock_create_ruleset: {os.strerror(ctypes.get_errno())}")
    file_writes = _WRITE_FILE | (_TRUNCATE if abi >= 3 else 0)
    # ngspice's unnamed tmpfile() takes writing to files in /tmp, not creating, removing or linking them.
    rules = [(spec.workdir, writes), ("/dev/null", file_writes)] + [(d, _WRITE_FILE) for d in spec.temp_dirs] + \
        [(path, _EXECUTE) for path in spec.executables]
    try:
        for path, access in rules:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            try:
                _add_rule(libc, ruleset, fd, access, path)
            finally:
                os.close(fd)
        if libc.syscall(_SYS_RESTRICT_SELF, ruleset, 0) != 0:
            raise OSError(ctypes.get_errno(), f"landlock_restrict_self: {os.strerror(ctypes.get_errno())}")
    finally:
        os.close(ruleset)


def _add_rule(libc, ruleset: int, fd: int, access: int, path: str) -> None:
    rule = (ctypes.c_uint8 * 12).from_buffer_copy(access.to_bytes(8, "little") + fd.to_bytes(4, "little", signed=True))
    if libc.syscall(_SYS_ADD_RULE, ruleset, 1, ctypes.byref(rule), 0) != 0:   # LANDLOCK_RULE_PATH_BENEATH
        raise OSError(ctypes.get_errno(), f"landlock_add_rule {path}: {os.strerror(ctypes.get_errno())}")


def elf_interpreter(path: str) -> str | None:
    """The dynamic loader named in an ELF executable's PT_INTERP header (None if static)."""
    with open(path, "rb") as handle:
        data = handle.read(1 << 16)
    if data[:4] != b"\x7fELF" or data[4] != 2:   # 64-bit only
        return None
    order = "little" if data[5] == 1 else "big"
    phoff, phentsize, phnum = (int.from_bytes(data[32:40], order), int.from_bytes(data[54:56], order),
                               int.from_bytes(data[56:58], order))
    for k in range(phnum):
        entry = data[phoff + k * phentsize: phoff + (k + 1) * phentsize]
        if int.from_bytes(entry[0:4], order) == 3:   # PT_INTERP
            offset, size = int.from_bytes(entry[8:16], order), int.from_bytes(entry[32:40], order)
            with open(path, "rb") as handle:
                handle.seek(offset)
                return handle.read(size).rstrip(b"\0").decode()
    return None


def launcher_command(spec: Confinement | None, program: list[str]) -> list[str]:
    """The command that runs ``program`` confined (``program`` itself when ``spec`` is None).
    The launcher is this file run by the same Python, isolated: it imports nothing of ours."""
    if spec is None:
        return program
    return [sys.executable, "-I", "-S", os.path.abspath(__file__), *spec.argv(), "--", *program]


def _launch(argv: list[str]) -> None:
    split = argv.index("--")
    spec, program = Confinement.from_argv(argv[:split]), argv[split + 1:]
    try:
        confine(spec, keep_caps_across_exec=True)
    except OSError as exc:
        sys.stderr.write(f"ebn_circuit sandbox: cannot confine ngspice: {exc}\n")
        os._exit(126)
    os.execv(program[0], program)


if __name__ == "__main__":
    _launch(sys.argv[1:])
