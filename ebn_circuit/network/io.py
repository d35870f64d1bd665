"""Reading and writing weight matrices and metrics."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ebn_circuit.errors import ConfigError
from ebn_circuit.network.params import NetworkParams, to_codes


def read_weights(path: str | Path, params: NetworkParams) -> np.ndarray:
    """Weights (weight units) from .npy or CSV → grid codes (rounded to the nearest ω step)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"weights file {path} does not exist")
    try:
        w = np.load(path) if path.suffix == ".npy" else np.loadtxt(path, delimiter=",", ndmin=2)
    except Exception as exc:  # numpy raises several types for a malformed file
        raise ConfigError(f"cannot read weights from {path}: {exc}") from exc
    w = np.asarray(w, dtype=float)
    n = params.n_neurons
    if w.shape != (n, n):
        raise ConfigError(f"weights in {path} have shape {w.shape}, expected N×N = {n}×{n}")
    if not np.all(np.isfinite(w)):
        raise ConfigError(f"weights in {path} contain non-finite values")
    limit = max(abs(params.code_min), params.code_max) * params.omega
    if np.any(np.abs(w) > limit + params.omega / 2):
        raise ConfigError(f"weights in {path} exceed the {params.code_bits}-bit counter range ±{limit:g}")
    return to_codes(w, params)


def write_weights(path: str | Path, codes: np.ndarray, params: NetworkParams) -> Path:
    """Weights in weight units (codes·ω) as .npy, or CSV for any other suffix."""
    path = Path(path)
    w = np.asarray(codes) * params.omega
    if path.suffix == ".npy":
        np.save(path, w)
    else:
        np.savetxt(path, w, delimiter=",", fmt="%g")
    return path


def write_json(path: str | Path, data) -> Path:
    path = Path(path)
    path.write_text(json.dumps(data, indent=2, default=_jsonable) + "\n")
    return path


def _jsonable(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value)}")
