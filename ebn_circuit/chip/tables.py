"""The chip artefact: one table per block, one row per Monte-Carlo instance, each parameter beside
its 1σ, with the conditions it was measured under; written as Parquet + CSV + metadata, read back
with every column checked.

    chips/NAME/neuron.parquet|.csv|.meta.json          i_mem_rest, gain, gain_exponent, tau, …
    chips/NAME/synapse.*  learning_block.*  dac.*       one row per instance
    chips/NAME/synapse_points.*  lb_bounds.*  dac_curve.*   the measured points behind them
    chips/NAME/chip.json                                 build conditions and summary
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ebn_circuit.errors import ConfigError
from ebn_circuit.extract.tables import TransferCurve, load_curve

# block → its parameters (each has a column of that name, and most a <name>_sigma)
BLOCKS = {
    "neuron": ("i_mem_rest", "gain", "gain_exponent", "tau", "tau_exponent", "copy_gain", "i_threshold",
               "t_refractory", "rate", "feedthrough"),
    "synapse": ("gain", "offset", "tau"),
    "learning_block": ("i_rest", "i_sl", "gain", "sl_gain", "offset_lower", "offset_upper"),
    "dac": ("lsb", "offset", "dnl_max", "inl_max"),
}
# each parameter's SI unit ("" for a ratio or exponent; DNL/INL in LSB)
UNITS = {
    "neuron": {"i_mem_rest": "A", "gain": "A", "gain_exponent": "", "tau": "s", "tau_exponent": "", "copy_gain": "",
               "i_threshold": "A", "t_refractory": "s", "rate": "Hz", "feedthrough": ""},
    "synapse": {"gain": "A", "offset": "A", "tau": "s"},
    "learning_block": {"i_rest": "A", "i_sl": "A", "gain": "", "sl_gain": "", "offset_lower": "A", "offset_upper": "A"},
    "dac": {"lsb": "A", "offset": "A", "dnl_max": "", "inl_max": ""},
}
PREFIX = {"neuron": "neuron", "synapse": "synapse", "learning_block": "lb", "dac": "dac"}
POINTS = ("synapse_points", "lb_bounds", "dac_curve")
MIN_INSTANCES = 3


@dataclass(frozen=True)
class Chip:
    """blocks: block → table (column ``instance`` + parameters); points: the measured points;
    conditions: technology, corner, the run whose blocks they are, I_Ω per code, seeds."""

    blocks: dict[str, pd.DataFrame]
    points: dict[str, pd.DataFrame] = field(default_factory=dict)
    conditions: dict = field(default_factory=dict)

    @property
    def instances(self) -> list[int]:
        return [int(i) for i in self.blocks["neuron"]["instance"]]

    def save(self, folder: str | Path) -> Path:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        base = {k: v for k, v in self.conditions.items() if k in ("technology", "corner", "netlist_hash")}
        for name, table in {**self.blocks, **self.points}.items():
            TransferCurve(name, table, {**base, "mc_seed": self.instances, **self.conditions}).save(folder)
        (folder / "chip.json").write_text(json.dumps(self.conditions, indent=1, default=str) + "\n")
        return folder


def chip_from_rows(rows: list[dict], points: dict[str, list[pd.DataFrame]], conditions: dict) -> Chip:
    """A Chip from the instance jobs' rows (columns ``<prefix>_<parameter>``) and point tables."""
    frame = pd.DataFrame(rows).sort_values("instance", ignore_index=True)
    blocks = {}
    for block, params in BLOCKS.items():
        prefix = PREFIX[block] + "_"
        columns = [c for c in frame.columns if c.startswith(prefix)]
        blocks[block] = frame[["instance", *columns]].rename(columns=lambda c: c.removeprefix(prefix))
    joined = {name: pd.concat(tables, ignore_index=True) for name, tables in points.items() if tables}
    return Chip(blocks, joined, conditions)


def load_chip(folder: str | Path, min_instances: int = MIN_INSTANCES) -> Chip:
    """A chip folder, checked: every block table present, its parameter columns there and finite,
    at least ``min_instances`` instances. Bad input: one ConfigError naming the file."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ConfigError(f"{folder}: no such chip folder (make one with `ebn-circuit chip build --out {folder}`)")
    blocks, n = {}, None
    for block, params in BLOCKS.items():
        path = folder / f"{block}.parquet"
        if not path.is_file():
            path = folder / f"{block}.csv"
        if not path.is_file():
            raise ConfigError(f"{folder / (block + '.parquet')}: block table missing from the chip")
        try:
            table = load_curve(path).table
        except ConfigError:
            raise
        except Exception as exc:  # pyarrow / pandas raise many kinds for a damaged file
            raise ConfigError(f"{path}: cannot read the chip table ({type(exc).__name__}: {exc})") from None
        missing = [c for c in ("instance", *params) if c not in table.columns]
        if missing:
            raise ConfigError(f"{path}: missing column(s) {', '.join(missing)}")
        values = table[list(params)].to_numpy(dtype=float)
        if not np.all(np.isfinite(values)):
            bad = [c for c in params if not np.all(np.isfinite(table[c].to_numpy(dtype=float)))]
            raise ConfigError(f"{path}: non-finite values in {', '.join(bad)}")
        if len(table) < min_instances:
            raise ConfigError(f"{path}: {len(table)} instance(s); the mismatch model needs at least {min_instances}")
        if n is not None and len(table) != n:
            raise ConfigError(f"{path}: {len(table)} instances, the other blocks have {n}")
        n = len(table)
        blocks[block] = table
    points = {name: load_curve(folder / f"{name}.parquet").table for name in POINTS
              if (folder / f"{name}.parquet").is_file()}
    try:
        conditions = json.loads((folder / "chip.json").read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{folder / 'chip.json'}: cannot read the chip's conditions ({exc})") from None
    return Chip(blocks, points, conditions)
