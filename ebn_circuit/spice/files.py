"""A user's netlist file as a Testbench: read (any encoding), checked against the allow-list so that
it cannot run external commands or write files, relative includes made absolute so that it runs
from any folder."""

from __future__ import annotations

import re
from pathlib import Path

from ebn_circuit.circuits.testbench import Testbench
from ebn_circuit.errors import ConfigError
from ebn_circuit.spice.safety import check_netlist_safe
from ebn_circuit.technology.core import Technology
from ebn_circuit.technology.netlist_scan import parse_include

_PRINT = re.compile(r"^\s*\.print\s+\w+\s+(.*)$", re.IGNORECASE)


def read_netlist_text(path: Path) -> str:
    """The file as text: UTF-8, else Latin-1 (any byte is a character; comments of old decks)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read netlist: {exc.strerror}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def load_netlist(path: str | Path, technology: Technology | None = None, allow_commands: bool = False) -> Testbench:
    """The netlist in ``path`` (its first line is the title; everything up to ``.end``)."""
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"{path}: is a folder, not a netlist file")
    text = read_netlist_text(path)
    check_netlist_safe(text, str(path), allow_commands=allow_commands, base_dir=path.parent)
    lines = text.split("\n")
    if not text.strip():
        raise ConfigError(f"{path}: netlist is empty")
    name, body = lines[0].lstrip("*").strip() or path.stem, []
    for line in lines[1:]:
        line = line.rstrip("\r")
        if line.strip().lower() == ".end":
            break
        body.append(_absolute_include(line, path.parent))
    return Testbench(name=name, body="\n".join(body), analysis=None, technology=technology)


def printed_vectors(testbench: Testbench) -> list[str]:
    """The vectors the netlist's ``.print`` cards ask for (lower case, as results name them)."""
    names = []
    for line in testbench.body.split("\n"):
        match = _PRINT.match(line)
        if match:
            names += [n for n in re.findall(r"[vi]\([^)]*\)|\S+", match.group(1).lower()) if n != "all"]
    return names


def _absolute_include(line: str, base: Path) -> str:
    parsed = parse_include(line)
    if parsed is None:
        return line
    keyword, target, tail = parsed
    if target and not Path(target).expanduser().is_absolute():
        return f'{keyword} "{(base / target).resolve()}"{tail}'
    return line
