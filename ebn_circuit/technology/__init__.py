"""Technology layer: model files, device names, supply, scale, corners, mismatch."""

from __future__ import annotations

from pathlib import Path

from ebn_circuit.errors import UnknownTechnologyError
from ebn_circuit.technology.core import Technology
from ebn_circuit.technology.pdk_sky130 import sky130
from ebn_circuit.technology.user import load_technology_toml

BUILTIN = {"sky130": sky130}


def get_technology(name: str = "sky130", corner: str | None = None, mismatch: bool = False) -> Technology:
    """A built-in technology by name, or a user technology from a ``.toml`` path."""
    if name in BUILTIN:
        return BUILTIN[name](corner=corner or "tt", mismatch=mismatch)
    if name.endswith(".toml"):
        return load_technology_toml(Path(name), corner=corner, mismatch=mismatch)
    raise UnknownTechnologyError(
        f"unknown technology {name!r}; built-in: {', '.join(BUILTIN)}, or give a .toml file"
    )


__all__ = ["Technology", "get_technology", "load_technology_toml", "sky130"]
