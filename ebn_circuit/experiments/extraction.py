"""`ebn-circuit extract`: transfer-curve extraction and behavioural fits for each block, into one
folder with one ``summary.json`` and a ``report.md`` (the tables: ``*.parquet`` / ``*.csv`` with
their ``*.meta.json`` conditions)."""

from __future__ import annotations

import json
import time
from pathlib import Path

from ebn_circuit.errors import ConfigError
from ebn_circuit.sweep.settings import SimSettings
from ebn_circuit.technology.core import Technology

BLOCKS = ("neuron", "synapse", "dac", "learning-block")
QUICK_BOUNDS = {"codes": (-8, 8), "holdout_codes": (0,), "holdout_levels": 12}


def run_extraction(tech: Technology, settings: SimSettings, out: Path, blocks=BLOCKS, quick: bool = False,
                   mc: int = 0, corners=("tt",), executor=None, workers: int | None = None, resume: bool = False,
                   log=print) -> dict:
    """Extract and fit ``blocks`` (each into ``out/<block>/``); returns {block: measured numbers}.
    mc: Monte-Carlo instances (DAC curves: at least 2; synapse refits; learning-block bounds)."""
    from ebn_circuit.extract.dac import run_dac_extraction
    from ebn_circuit.extract.learning_block import run_bounds_extraction
    from ebn_circuit.extract.neuron import run_neuron_extraction
    from ebn_circuit.extract.synapse import run_synapse_extraction

    unknown = [b for b in blocks if b not in BLOCKS]
    if unknown or mc < 0:
        raise ConfigError(f"extract: unknown block(s) {', '.join(unknown)} (choose from {', '.join(BLOCKS)})"
                          if unknown else f"extract: --mc must be >= 0, got {mc}")
    jobs = dict(executor=executor, workers=workers, resume=resume)
    stages = {
        "neuron": lambda folder: run_neuron_extraction(tech, settings, folder, quick=quick, log=log, **jobs),
        "synapse": lambda folder: run_synapse_extraction(tech, settings, folder, quick=quick, mc_instances=mc, **jobs),
        "dac": lambda folder: run_dac_extraction(tech, settings, folder, instances=max(mc, 2 if quick else 8), **jobs),
        "learning-block": lambda folder: _bounds(run_bounds_extraction(tech, settings, folder, corners=corners, mc=mc,
                                                                       log=log, **jobs,
                                                                       **(QUICK_BOUNDS if quick else {}))),
    }
    out.mkdir(parents=True, exist_ok=True)
    summary = {}
    for block in blocks:
        log(f"== extract {block}")
        started = time.perf_counter()
        summary[block] = {**stages[block](out / block), "wall_time_s": time.perf_counter() - started}
        (out / "summary.json").write_text(json.dumps(summary, indent=1, default=_plain) + "\n")  # kept current
    (out / "report.md").write_text(markdown(summary))
    return summary


def _bounds(result: dict) -> dict:
    """The JSON-able numbers of the bounds extraction (it also returns tables and the model)."""
    return {key: value for key, value in result.items() if isinstance(value, (int, float, str, bool, type(None)))}


def _plain(value):
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "to_dict"):
        return value.to_dict()
    return str(value)


def markdown(summary: dict) -> str:
    lines = ["# Transfer-curve extraction and behavioural fits", ""]
    for block, numbers in summary.items():
        lines += [f"## {block}", ""]
        for key, value in numbers.items():
            if isinstance(value, (int, float, str, bool)):
                lines.append(f"- {key}: {value:.4g}" if isinstance(value, float) else f"- {key}: {value}")
        lines.append("")
    return "\n".join(lines)
