"""Netlists from user files must not run external commands through ngspice."""

from __future__ import annotations

import re
from pathlib import Path

from ebn_circuit.errors import UnsafeNetlistError

# ngspice control-language commands that start programs, load code or talk to other hosts.
_FORBIDDEN = ("shell", "edit", "gnuplot", "aspice", "rspice", "codemodel", "load", "sh", "system", "!")
_INCLUDE = re.compile(r"^\s*\.(include|inc|lib)\s+['\"]?([^'\"\s]+)", re.IGNORECASE)


def check_netlist_safe(text: str, origin: str, allow_commands: bool = False,
                       base_dir: Path | None = None, _seen: set | None = None) -> None:
    """Raise UnsafeNetlistError if a ``.control`` section (here or in an included file) holds
    a command that runs an external program, unless ``allow_commands``."""
    if allow_commands:
        return
    seen = _seen if _seen is not None else set()
    in_control = False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        lowered = line.lower()
        if lowered.startswith(".control"):
            in_control = True
            continue
        if lowered.startswith(".endc"):
            in_control = False
            continue
        if lowered.startswith(("pre_", "*ng_script")):
            raise UnsafeNetlistError(f"{origin}:{number}: refused {line!r}: pre-load control lines "
                                     "are not allowed in an imported netlist (pass --allow-commands to override)")
        if in_control and lowered:
            command = lowered.split()[0]
            if command.startswith("!") or command in _FORBIDDEN:
                raise UnsafeNetlistError(
                    f"{origin}:{number}: refused control command {line!r}: an imported netlist may not "
                    "run external commands (pass --allow-commands if you trust it)"
                )
        match = _INCLUDE.match(raw)
        if match and base_dir is not None:
            target = (base_dir / match.group(2)).resolve()
            if target.is_file() and target not in seen and target.stat().st_size < 64 * 2**20:
                seen.add(target)
                check_netlist_safe(target.read_text(errors="replace"), str(target), False,
                                   target.parent, seen)
