"""Netlists must not run external commands or write files through ngspice unless the user allowed
it: the allow-list scan of technology/netlist_scan.py, applied to users' netlist files (with their
line numbers) and to every netlist the simulator runs. Behind it, ngspice runs in the sandbox
(sandbox.py), in case anything gets past the scan."""

from __future__ import annotations

from pathlib import Path

from ebn_circuit.technology.netlist_scan import check_text


def check_netlist_safe(text: str, origin: str, allow_commands: bool = False, base_dir: Path | None = None,
                       title: bool = True) -> None:
    """Raise UnsafeNetlistError (naming ``origin`` and the line) if the netlist, or a file it
    includes, holds anything outside the allow-list, unless ``allow_commands``. base_dir: where
    its relative includes live (None: they are refused); title: its first line is the title."""
    check_text(text, origin, base_dir=base_dir, allow_commands=allow_commands, title=title)
