"""Circuit-derived mode: build a Substrate from per-instance transfer curves.

The DAC curves come as a tidy table with columns (instance, code, current), current in
amperes = the jump of I_mem one spike causes at that code (units.py maps it to potential).
Neuron gains/leaks and learning-block offsets come as arrays (or from the synthetic
generator in mismatch.py until the extraction layer provides them).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ebn_circuit.errors import ConfigError
from ebn_circuit.network.mismatch import SyntheticMismatch, synthetic_substrate
from ebn_circuit.network.params import NetworkParams
from ebn_circuit.network.substrate import Substrate
from ebn_circuit.network.units import Units

DAC_COLUMNS = ("instance", "code", "current")


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


def substrate_from_dac_table(
    table: pd.DataFrame,
    params: NetworkParams,
    rng: np.random.Generator,
    *,
    units: Units = Units(),
    gain: np.ndarray | None = None,
    lambda_v: np.ndarray | None = None,
    bound_lo: np.ndarray | None = None,
    bound_hi: np.ndarray | None = None,
) -> Substrate:
    """One chip instance whose synapses use the table's DAC curves: instances are assigned
    to the N×N synapses in row-major order if there are at least N² of them, otherwise
    drawn with replacement from `rng`. Missing gain/leak/offsets are ideal."""
    curves = dac_curves_from_table(table, params, units)
    n = params.n_neurons
    names = list(curves)
    if len(names) >= n * n:
        chosen = names[: n * n]
    else:
        chosen = [names[i] for i in rng.integers(0, len(names), n * n)]
    dac = np.stack([curves[c] for c in chosen]).reshape(n, n, -1)
    return Substrate(
        lambda_v=np.full(n, params.lambda_v) if lambda_v is None else np.asarray(lambda_v, float),
        gain=np.ones(n) if gain is None else np.asarray(gain, float),
        dac=dac,
        bound_lo=bound_lo,
        bound_hi=bound_hi,
    )


def circuit_substrates(
    params: NetworkParams,
    n_instances: int,
    rng: np.random.Generator,
    *,
    mismatch: SyntheticMismatch = SyntheticMismatch(),
    units: Units = Units(),
    dac_table: pd.DataFrame | None = None,
) -> list[Substrate]:
    """n_instances chips: synthetic mismatch everywhere, or the DAC curves of `dac_table`
    with synthetic neuron and learning-block spreads."""
    if n_instances < 1:
        raise ConfigError(f"circuit_substrates: n_instances must be >= 1, got {n_instances}")
    subs = []
    for _ in range(n_instances):
        synth = synthetic_substrate(params, mismatch, rng, units)
        if dac_table is not None:
            synth = substrate_from_dac_table(
                dac_table, params, rng, units=units, gain=synth.gain, lambda_v=synth.lambda_v,
                bound_lo=synth.bound_lo, bound_hi=synth.bound_hi)
        subs.append(synth)
    return subs


MODES = ("ideal", "circuit")


def substrate_for_mode(
    mode: str,
    params: NetworkParams,
    rng: np.random.Generator,
    *,
    mismatch: SyntheticMismatch = SyntheticMismatch(),
    units: Units = Units(),
    dac_table: pd.DataFrame | None = None,
) -> Substrate:
    """'ideal' → the ideal substrate; 'circuit' → one chip instance (synthetic or table)."""
    if mode == "ideal":
        return Substrate.ideal(params)
    if mode == "circuit":
        return circuit_substrates(params, 1, rng, mismatch=mismatch, units=units, dac_table=dac_table)[0]
    raise ConfigError(f"unknown network mode {mode!r}; choose one of {', '.join(MODES)}")


def read_dac_table(path) -> pd.DataFrame:
    """A DAC table from CSV or Parquet (columns instance, code, current [A])."""
    from pathlib import Path

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
