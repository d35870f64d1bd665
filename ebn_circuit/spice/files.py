"""A user's netlist file as a Testbench: read, checked so that it cannot run external commands,
relative includes made absolute so that it runs from any folder."""

from __future__ import annotations

from pathlib import Path

from ebn_circuit.circuits.testbench import Testbench
from ebn_circuit.errors import ConfigError
from ebn_circuit.spice.safety import check_netlist_safe
from ebn_circuit.technology.core import Technology


def load_netlist(path: str | Path, technology: Technology | None = None, allow_commands: bool = False) -> Testbench:
    """The netlist in ``path`` (its first line is the title; everything up to ``.end``)."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read netlist: {exc.strerror}") from None
    check_netlist_safe(text, str(path), allow_commands=allow_commands, base_dir=path.parent)
    lines = text.splitlines()
    if not lines:
        raise ConfigError(f"{path}: netlist is empty")
    name, body = lines[0].lstrip("*").strip() or path.stem, []
    for line in lines[1:]:
        if line.strip().lower() == ".end":
            break
        body.append(_absolute_include(line, path.parent))
    return Testbench(name=name, body="\n".join(body), analysis=None, technology=technology)


def _absolute_include(line: str, base: Path) -> str:
    parts = line.split(None, 1)
    if len(parts) == 2 and parts[0].lower() in (".include", ".inc", ".lib"):
        rest = parts[1].strip()
        quoted = rest[:1] in "'\""
        target = rest.strip("'\"").split()[0] if rest else ""
        tail = rest.strip("'\"")[len(target):] if not quoted else ""
        if target and not Path(target).is_absolute():
            return f'{parts[0]} "{(base / target).resolve()}"{tail}'
    return line
