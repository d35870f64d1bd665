"""Reading the toolkit's TOML files (technologies, sweep specs, run definitions) with one
clear error for an unreadable or malformed file."""

from __future__ import annotations

import tomllib
from pathlib import Path

from ebn_circuit.errors import ConfigError


def read_toml(path: str | Path, what: str) -> dict:
    """The parsed file; ``what`` names it in errors ("sweep spec", "technology file", …)."""
    path = Path(path)
    try:
        return tomllib.loads(path.read_text())
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read {what}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
