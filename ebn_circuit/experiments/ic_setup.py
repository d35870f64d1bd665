"""Run definitions of the IC experiments (SCIENCE.md §5.1) from TOML files: the package's own
(Simulations 1 and 2, ``ebn_circuit/data/runs/``; by name, ``sim1``) or a user's; the
transistor-level loop they describe is ``circuits.learning_loop``."""

from __future__ import annotations

from dataclasses import fields, replace
from importlib import resources
from pathlib import Path

from ebn_circuit.circuits.learning_loop import IcRun
from ebn_circuit.circuits.neuron import DpiNeuronParams
from ebn_circuit.circuits.plastic_synapse import default_dpi
from ebn_circuit.circuits.synapse import DpiSynapseParams
from ebn_circuit.errors import ConfigError
from ebn_circuit.tomlfile import read_toml

__all__ = ["BUILT_IN_RUNS", "DEFAULT_RUNS", "IcRun", "load_run", "run_file"]

# the package's run definitions: found from any folder, in a checkout or an installed wheel
RUNS_DIR = Path(str(resources.files("ebn_circuit.data") / "runs"))
BUILT_IN_RUNS = {path.stem.removeprefix("ic_"): path for path in sorted(RUNS_DIR.glob("ic_*.toml"))}
DEFAULT_RUNS = tuple(BUILT_IN_RUNS[name] for name in ("sim1", "sim2"))


def run_file(name_or_path: str | Path) -> Path:
    """A built-in run's file (``sim1``, ``sim2``) or the path given."""
    return BUILT_IN_RUNS.get(str(name_or_path), Path(name_or_path))


def load_run(path: str | Path) -> IcRun:
    """An IcRun from a built-in name (``sim1``) or a TOML file (keys are IcRun's fields; [neuron]
    for the neuron's params, [synapse] for the plastic synapse's DPI pair, over its defaults)."""
    path = run_file(path)
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
