"""A user technology from a TOML file, for users with their own PDK.

Example (paths relative to the TOML file)::

    name = "myproc"
    vdd = 1.8
    nfet = "nch"            # subcircuit or model name
    pfet = "pch"
    devices_are_subcircuits = false
    scale = 1e-6            # device w, l written in µm
    mismatch_param = "mismatch_on"   # optional
    [params]                # optional extra .param lines
    temp_corr = 0
    [corners]
    tt = ["models/tt.lib"]
    ff = ["models/ff.lib"]
"""

from __future__ import annotations

from pathlib import Path

from ebn_circuit.tomlfile import read_toml
from ebn_circuit.errors import ConfigError, UnsafeNetlistError
from ebn_circuit.technology.core import Technology
from ebn_circuit.technology.netlist_scan import check_file

_REQUIRED = {"name": str, "vdd": (int, float), "nfet": str, "pfet": str, "corners": dict}
_OPTIONAL = {"scale": (int, float), "mismatch_param": str, "params": dict,
             "devices_are_subcircuits": bool, "default_corner": str, "prune_bins": bool}


def load_technology_toml(path: str | Path, corner: str | None = None, mismatch: bool = False) -> Technology:
    """The technology described by ``path``. Its strings must be identifiers (they are written into
    every netlist) and its model files pass the same allow-list scan as imported netlists (no
    `.control`, no unknown cards): a ConfigError names the key or the model file's line."""
    path = Path(path)
    data = read_toml(path, "technology file")
    for key in data:
        if key not in _REQUIRED and key not in _OPTIONAL:
            raise ConfigError(f"{path}: unknown key {key!r}; allowed: {', '.join([*_REQUIRED, *_OPTIONAL])}")
    for key, kind in _REQUIRED.items():
        if key not in data:
            raise ConfigError(f"{path}: missing required key {key!r}")
    for key, kind in {**_REQUIRED, **_OPTIONAL}.items():
        if key in data and (not isinstance(data[key], kind) or (isinstance(data[key], bool) and kind is not bool)):
            raise ConfigError(f"{path}: key {key!r} has the wrong type ({type(data[key]).__name__})")
    corners = []
    for name, files in data["corners"].items():
        if not isinstance(files, list) or not files or not all(isinstance(f, str) for f in files):
            raise ConfigError(f"{path}: corners.{name} must be a non-empty list of model file paths")
        resolved = []
        for f in files:
            model = (path.parent / f).resolve()
            if not model.is_file():
                raise ConfigError(f"{path}: corners.{name}: model file {f!r} not found at {model}")
            try:
                check_file(model)
            except UnsafeNetlistError as exc:
                raise UnsafeNetlistError(f"{path}: corners.{name}: model file refused: {exc}") from None
            resolved.append(str(model))
        corners.append((name, tuple(resolved)))
    params = data.get("params", {})
    for key, value in params.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{path}: params.{key} must be a number")
    chosen = corner or data.get("default_corner") or corners[0][0] if corners else None
    if chosen is None:
        raise ConfigError(f"{path}: corners table is empty")
    try:
        return _technology(data, corners, chosen, mismatch, params)
    except ConfigError as exc:
        raise type(exc)(f"{path}: {exc}") from None


def _technology(data: dict, corners: list, chosen: str, mismatch: bool, params: dict) -> Technology:
    return Technology(
        name=data["name"], vdd=float(data["vdd"]), nfet=data["nfet"], pfet=data["pfet"],
        corner_files=tuple(corners), corner=chosen, mismatch=mismatch,
        scale=float(data.get("scale", 1.0)), params=tuple(params.items()),
        mismatch_param=data.get("mismatch_param", ""),
        devices_are_subcircuits=data.get("devices_are_subcircuits", True),
        prune_bins=data.get("prune_bins", True),
    )
