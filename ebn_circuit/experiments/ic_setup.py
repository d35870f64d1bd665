"""Run definitions of the IC experiments (SCIENCE.md §5.1) from TOML files in sims/; the
transistor-level loop they describe is ``circuits.learning_loop``."""

from __future__ import annotations

from dataclasses import fields, replace
from pathlib import Path

from ebn_circuit.circuits.learning_loop import IcRun
from ebn_circuit.circuits.neuron import DpiNeuronParams
from ebn_circuit.circuits.plastic_synapse import default_dpi
from ebn_circuit.circuits.synapse import DpiSynapseParams
from ebn_circuit.errors import ConfigError
from ebn_circuit.tomlfile import read_toml

__all__ = ["IcRun", "load_run"]


def load_run(path: str | Path) -> IcRun:
    """An IcRun from a TOML file in sims/ (keys are IcRun's fields; [neuron] for the neuron's
    params, [synapse] for the plastic synapse's DPI pair, over its defaults)."""
    path = Path(path)
    data = read_toml(path, "run definition")
    run = data.pop("run", None)
    neuron = data.pop("neuron", {})
    synapse = data.pop("synapse", {})
    if run is None or data:
        raise ConfigError(f"{path}: expected a [run] table (and optionally [neuron], [synapse]); "
                          f"found {sorted(data) or 'no [run]'}")
    _check_keys(path, "run", run, {f.name for f in fields(IcRun)} - {"neuron", "dpi"})
    _check_keys(path, "neuron", neuron, {f.name for f in fields(DpiNeuronParams)})
    _check_keys(path, "synapse", synapse, {f.name for f in fields(DpiSynapseParams)} - {"i_w"})
    try:
        return IcRun(**run, neuron=DpiNeuronParams(**neuron), dpi=replace(default_dpi(), **synapse))
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def _check_keys(path: Path, table: str, given: dict, known: set[str]) -> None:
    for key in given:
        if key not in known:
            raise ConfigError(f"{path}: unknown key {table}.{key}; allowed: {', '.join(sorted(known))}")
