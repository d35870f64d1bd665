"""TransferCurve: a tidy table plus the conditions it was measured under, saved as Parquet and
CSV with the same metadata (the Parquet schema carries it; the CSV gets a ``.meta.json`` twin)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ebn_circuit.errors import ConfigError
from ebn_circuit.spice.result import SimResult

META_KEY = b"ebn_circuit.conditions"
REQUIRED_CONDITIONS = ("technology", "corner", "mc_seed", "netlist_hash")


@dataclass(frozen=True)
class TransferCurve:
    """``name``: what was measured (file stem, e.g. ``neuron_fi``); ``table``: tidy, one row per
    point, SI units with the unit in the column name (``i_in_A``); ``conditions``: technology,
    corner, mc_seed, netlist_hash (one hash, or several joined by ','), bias values (SI)."""

    name: str
    table: pd.DataFrame
    conditions: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        missing = [key for key in REQUIRED_CONDITIONS if key not in self.conditions]
        if missing:
            raise ConfigError(f"TransferCurve {self.name}: conditions lack {', '.join(missing)}")

    def save(self, folder: str | Path) -> list[Path]:
        """Write ``<name>.parquet``, ``<name>.csv`` and ``<name>.meta.json``; returns the paths."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        meta = json.dumps(_plain(self.conditions), sort_keys=True)
        arrow = pa.Table.from_pandas(self.table, preserve_index=False)
        arrow = arrow.replace_schema_metadata({**(arrow.schema.metadata or {}), META_KEY: meta.encode()})
        paths = [folder / f"{self.name}.parquet", folder / f"{self.name}.csv", folder / f"{self.name}.meta.json"]
        pq.write_table(arrow, paths[0])
        self.table.to_csv(paths[1], index=False)
        paths[2].write_text(meta + "\n")
        return paths

    def with_conditions_as_columns(self) -> pd.DataFrame:
        """The table with scalar conditions repeated as columns (for concatenating instances)."""
        frame = self.table.copy()
        for key, value in self.conditions.items():
            if key not in frame.columns and not isinstance(value, (list, dict, tuple)):
                frame[key] = value
        return frame


def load_curve(path: str | Path) -> TransferCurve:
    """A TransferCurve from its ``.parquet`` (or ``.csv`` with the ``.meta.json`` beside it)."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{path}: no such table")
    if path.suffix == ".parquet":
        arrow = pq.read_table(path)
        raw = (arrow.schema.metadata or {}).get(META_KEY)
        if raw is None:
            raise ConfigError(f"{path}: no ebn_circuit conditions in the Parquet metadata")
        return TransferCurve(path.stem, arrow.to_pandas(), json.loads(raw))
    meta = path.with_suffix(".meta.json")
    if not meta.exists():
        raise ConfigError(f"{path}: its conditions file {meta.name} is missing")
    return TransferCurve(path.stem, pd.read_csv(path), json.loads(meta.read_text()))


def conditions_of(results: SimResult | list[SimResult], **biases: Any) -> dict[str, Any]:
    """Conditions from the results' metadata (technology, corner, seed, netlist hashes) + biases."""
    results = [results] if isinstance(results, SimResult) else list(results)
    if not results:
        raise ConfigError("conditions_of needs at least one SimResult")
    first = results[0].meta
    hashes = sorted({r.meta.netlist_hash for r in results})
    return {"technology": first.technology, "corner": first.corner,
            "mc_seed": first.seed if first.mismatch else None,
            "netlist_hash": ",".join(hashes), "simulator": first.simulator_version, **biases}


def _plain(value: Any) -> Any:
    """JSON-safe copy (numpy scalars → Python)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item"):
        return value.item()
    return value
