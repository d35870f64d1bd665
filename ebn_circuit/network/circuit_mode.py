"""Circuit-derived mode: DAC curves from a measured table, and the two network modes.

The DAC curves come as a tidy table with columns (instance, code, current), current in
amperes = the jump of I_mem one spike causes at that code (units.py maps it to potential).
`Substrate.from_dac_table` and `Substrate.synthetic(…, dac_table=…)` build chips from it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ebn_circuit.errors import ConfigError
from ebn_circuit.network.params import NetworkParams
from ebn_circuit.network.units import Units

DAC_COLUMNS = ("instance", "code", "current")
MODES = ("ideal", "circuit")


def dac_curves_from_table(table: pd.DataFrame, params: NetworkParams, units: Units = Units()) -> dict:
    """Curves per instance on the counter's full code range, in potential units. Codes
    between measured ones are interpolated linearly; beyond them the DAC saturates at the
    end values."""
    missing = [c for c in DAC_COLUMNS if c not in table.columns]
    if missing:
        raise ConfigError(f"DAC table lacks column(s) {missing}; expected columns {list(DAC_COLUMNS)}")
    if table.empty:
        raise ConfigError("DAC table is empty")
    values = table[["code", "current"]].to_numpy(dtype=float)
    if not np.all(np.isfinite(values)):
        raise ConfigError("DAC table: non-finite code or current values")
    grid = np.arange(params.code_min, params.code_max + 1, dtype=float)
    curves = {}
    for inst, group in table.groupby("instance", sort=True):
        g = group.sort_values("code")
        codes = g["code"].to_numpy(float)
        if np.unique(codes).size != codes.size:
            raise ConfigError(f"DAC table: instance {inst!r} lists a code twice")
        curves[inst] = units.jump_from_current(np.interp(grid, codes, g["current"].to_numpy(float)))
    return curves


def read_dac_table(path) -> pd.DataFrame:
    """A DAC table from CSV or Parquet (columns instance, code, current [A])."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"DAC table file {path} does not exist")
    try:
        table = pd.read_parquet(path) if path.suffix in (".parquet", ".pq") else pd.read_csv(path)
    except Exception as exc:  # pandas raises many types for a bad file
        raise ConfigError(f"cannot read DAC table {path}: {exc}") from exc
    missing = [c for c in DAC_COLUMNS if c not in table.columns]
    if missing:
        raise ConfigError(f"DAC table {path} lacks column(s) {missing}; expected {list(DAC_COLUMNS)}")
    return table


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise ConfigError(f"unknown network mode {mode!r} (--mode); choose one of {', '.join(MODES)}")
    return mode

