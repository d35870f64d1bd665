"""ebn_circuit: on-chip learning circuits of efficient balanced networks, on an open PDK.

Layers (top to bottom, see docs/architecture.md): technology, circuits, spice, sweep, measure,
extract/behavioural, network, cosim, experiments, cli. The names below are the toolkit's
surface for scripts and notebooks (imported on first use, so ``import ebn_circuit`` stays quick):

    import ebn_circuit as ebn
    tech = ebn.get_technology("sky130")
    with ebn.Simulator() as sim:
        run = ebn.run_neuron(sim, i_in=30e-9)          # a neuron that spikes out of the box
    run.rate, run.result.to_dataframe()
"""

from __future__ import annotations

import importlib

from ebn_circuit.errors import EbnCircuitError

__version__ = "0.1.0"

_SURFACE = {
    "ebn_circuit.errors": ("ConfigError", "WaveformError", "SimulationError"),
    "ebn_circuit.technology": ("Technology", "get_technology", "load_technology_toml"),
    "ebn_circuit.spice": ("Simulator", "Testbench", "SimResult", "Op", "DcSweep", "Transient", "Ac", "Noise",
                          "Custom", "load_netlist", "simulate", "write_netlist"),
    "ebn_circuit.spice.simulator": ("NgspiceWarning",),
    # the blocks: params and builders (params, tech → Cell)
    "ebn_circuit.circuits.neuron": ("DpiNeuronParams", "dpi_neuron"),
    "ebn_circuit.circuits.synapse": ("DpiSynapseParams", "dpi_synapse"),
    "ebn_circuit.circuits.plastic_synapse": ("PlasticSynapseParams", "plastic_synapse"),
    "ebn_circuit.circuits.dac": ("DacParams", "dac_cell"),
    "ebn_circuit.circuits.comparator": ("ComparatorParams", "comparator_cell"),
    "ebn_circuit.circuits.sample_hold": ("SampleHoldParams", "sample_hold_cell"),
    "ebn_circuit.circuits.counter": ("CounterParams", "counter_cell"),
    "ebn_circuit.circuits.learning_block": ("LearningBlockParams", "learning_block_cell"),
    "ebn_circuit.circuits.schematic": ("Schematic", "Size", "SUBTHRESHOLD_OPTIONS"),
    # ready testbenches and the neuron's readout
    "ebn_circuit.blocks": ("neuron_bench", "synapse_bench", "dac_bench", "comparator_bench", "sample_hold_bench",
                           "counter_bench", "learning_block_bench", "device_bench", "neuron_spikes",
                           "neuron_rheobase", "run_neuron", "NeuronRun", "NeuronSilentWarning"),
    # the run engine
    "ebn_circuit.sweep": ("SweepSpec", "run_sweep", "load_results", "make_job", "run_jobs", "JobOutput",
                          "SimSettings", "ProcessExecutor", "DaskExecutor"),
    # waveforms of any simulator, and readouts
    "ebn_circuit.measure": ("read_waveforms", "align", "spike_times", "firing_rate", "crossings"),
}
_HOME = {name: module for module, names in _SURFACE.items() for name in names}

__all__ = ["EbnCircuitError", "__version__", *sorted(_HOME)]


def __getattr__(name: str):
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'ebn_circuit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value   # later look-ups are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOME))
