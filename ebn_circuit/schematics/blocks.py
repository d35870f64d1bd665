"""The generated blocks by name, each its cell at the default params (the learning block brings
its XSPICE counter, the plastic synapse its DAC and DPI synapses)."""

from __future__ import annotations

from typing import Callable

from ebn_circuit.circuits.comparator import ComparatorParams, comparator_cell
from ebn_circuit.circuits.counter import CounterParams, counter_cell
from ebn_circuit.circuits.dac import DacParams, dac_cell
from ebn_circuit.circuits.learning_block import LearningBlockParams, learning_block_cell
from ebn_circuit.circuits.neuron import DpiNeuronParams, dpi_neuron
from ebn_circuit.circuits.plastic_synapse import PlasticSynapseParams, plastic_synapse
from ebn_circuit.circuits.sample_hold import SampleHoldParams, sample_hold_cell
from ebn_circuit.circuits.schematic import Cell
from ebn_circuit.circuits.synapse import DpiSynapseParams, dpi_synapse
from ebn_circuit.errors import ConfigError
from ebn_circuit.technology.core import Technology

BLOCKS: dict[str, Callable[[Technology], Cell]] = {
    "neuron": lambda tech: dpi_neuron(DpiNeuronParams(), tech),
    "synapse": lambda tech: dpi_synapse(DpiSynapseParams(), tech),
    "dac": lambda tech: dac_cell(DacParams(), tech),
    "comparator": lambda tech: comparator_cell(ComparatorParams(), tech),
    "sample_hold": lambda tech: sample_hold_cell(SampleHoldParams(), tech),
    "counter": lambda tech: counter_cell(CounterParams(), tech),
    "learning_block": lambda tech: learning_block_cell(LearningBlockParams(), tech),
    "plastic_synapse": lambda tech: plastic_synapse(PlasticSynapseParams(), tech),
}
MAIN_BLOCKS = ("neuron", "synapse", "dac", "learning_block")   # the report's drawings


def block_cell(name: str, tech: Technology) -> Cell:
    if name not in BLOCKS:
        raise ConfigError(f"no block {name!r}; blocks: {', '.join(BLOCKS)}")
    return BLOCKS[name](tech)
