"""The closed learning loop of the IC experiments (SCIENCE.md §5.1) at transistor level: one DPI
neuron under a constant drive, one plastic synapse (weight DAC steered by the presynaptic pulse)
and the learning block whose counter holds the weight and drives the synapse's DAC bits.

``fixed_code_testbench``: neuron + synapse with the code held by voltage sources (calibrating I_Ω
per code). ``learning_loop_testbench``: the whole loop ("Simulation 1" and "2"; run definitions in
sims/). Observed: i(vimem) = I_mem, v(pulse), v(b0…b5), v(inc), v(dec), v(sl).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ebn_circuit.circuits.analysis import Transient
from ebn_circuit.circuits.codes import BITS, bit_names
from ebn_circuit.circuits.dac import DacParams, held_code
from ebn_circuit.circuits.learning_block import SIM_OPTIONS as LB_OPTIONS
from ebn_circuit.circuits.learning_block import LearningBlockParams, learning_block_biases, learning_block_cell
from ebn_circuit.circuits.neuron import DpiNeuronParams, dpi_neuron, neuron_biases
from ebn_circuit.circuits.plastic_synapse import (PlasticSynapseParams, default_dpi, plastic_synapse,
                                                  plastic_synapse_biases)
from ebn_circuit.circuits.schematic import SUBTHRESHOLD_OPTIONS, Schematic, Size
from ebn_circuit.circuits.synapse import DpiSynapseParams, pulse_train_pwl
from ebn_circuit.circuits.testbench import Testbench
from ebn_circuit.errors import ConfigError
from ebn_circuit.params import Params, param, positive
from ebn_circuit.technology.core import Technology


@dataclass(frozen=True)
class IcRun(Params):
    """One IC experiment (SI units). The drive is switched on at t = 0 so that I_mem starts from 0
    like the original run, or already on (``start_at_rest``: I_mem starts at its operating point)."""

    name: str = "sim1"
    drive: float = param(2.4e-9, unit="A", low=0.0, high=1e-6, low_inclusive=True,
                         doc="constant current sunk from the neuron input")
    pulses: int = param(100, integer=True, low=1, low_inclusive=True, doc="presynaptic pulses")
    first_pulse: float = param(4e-3, unit="s", low=0.0, low_inclusive=True, doc="first onset")
    period: float = positive(5e-3, "s", "pulse period")
    width: float = positive(1e-3, "s", "pulse width")
    t_stop: float = positive(0.5, "s", "end of the transient")
    initial_code: int = param(8, integer=True, low=-32, high=31, low_inclusive=True, doc="the counter's preset")
    i_rest: float = positive(9e-9, "A", "I_rest of the learning block")
    i_sl: float = positive(0.3e-9, "A", "I_SL of the learning block")
    i_lsb: float = positive(100e-12, "A", "the weight unit of the synapse DAC")
    counter: str = param("xspice", choices=("xspice", "cmos"), doc="counter variant")
    corner: str = "tt"
    max_step: float = positive(20e-6, "s", "the transient's largest step")
    reltol: float = positive(1e-4, "", "relative tolerance (1e-4 as the comparator's benches; 1e-3 halves the "
                                       "CPU time but let ngspice drop an XSPICE counter step)")
    start_at_rest: bool = False
    neuron: DpiNeuronParams = param(default_factory=DpiNeuronParams, kind=DpiNeuronParams)
    dpi: DpiSynapseParams = param(default_factory=default_dpi, kind=DpiSynapseParams,
                                  doc="the plastic synapse's DPI pair (τ_syn, gain)")

    def validate(self) -> None:
        if self.period <= self.width:
            raise ConfigError(f"IcRun {self.name}: need pulses >= 1 and period > width > 0")
        if self.first_pulse + (self.pulses - 1) * self.period + self.width > self.t_stop:
            raise ConfigError(f"IcRun {self.name}: the last pulse ends after t_stop={self.t_stop} s")

    @property
    def onsets(self) -> np.ndarray:
        return self.first_pulse + self.period * np.arange(self.pulses)

    @property
    def synapse(self) -> PlasticSynapseParams:
        return PlasticSynapseParams(dac=DacParams(polarity="offset", i_lsb=self.i_lsb), dpi=self.dpi)

    def shortened(self, pulses: int) -> "IcRun":
        """The same run with fewer pulses (for fast tests)."""
        return replace(self, pulses=pulses, t_stop=self.first_pulse + pulses * self.period)

    def learning_block(self, omega_per_code: float) -> LearningBlockParams:
        """The block of this run, for a calibrated I_Ω per code (A)."""
        return LearningBlockParams(i_rest=self.i_rest, i_sl=self.i_sl, omega_per_code=omega_per_code,
                                   initial_code=self.initial_code, counter_variant=self.counter)

    def options(self) -> tuple[tuple[str, str], ...]:
        merged = dict(SUBTHRESHOLD_OPTIONS)
        merged.update(dict(LB_OPTIONS))
        merged["reltol"] = f"{self.reltol:g}"
        return tuple(merged.items())


def neuron_and_synapse(run: IcRun, tech: Technology) -> Schematic:
    """Neuron, plastic synapse, drive, pulse source and biases. Nodes: ``pulse``; the code bits
    b0…b5; I_mem sensed by the 0 V source ``vimem`` (i(vimem) = I_mem) on its way into the pFET
    diode ``imem_p`` whose gate mirrors I_mem out (for the learning block)."""
    neuron, synapse = dpi_neuron(run.neuron, tech), plastic_synapse(run.synapse, tech)
    s = Schematic(tech, vss="0")
    s.define(neuron, synapse)
    s.voltage("dd", "vdd", "0", tech.vdd)
    s.voltage("ss", "vss", "0", 0)
    if run.start_at_rest:
        s.comment("drive: on from the operating point")
        s.current("drive", "iin", "0", run.drive)
    else:
        s.comment("drive: switched on at t = 0+, so I_mem starts from 0 like the original run")
        s.current("drive", "iin", "0", f"PWL(0 0 10u {run.drive:.6g})")
    s.voltage("pulse", "pulse", "0", pulse_train_pwl(tuple(run.onsets), run.width, tech.vdd))
    s.instance("xneuron", neuron, iin="iin", spk="spk", imem="imem", vtau="vtau", vthr="vthr", vspk="vspk",
               vpw="vpw", vref="vref", vdd="vdd", vss="vss")
    s.comment("I_mem sense and its pFET diode (the mirror input for the learning block)")
    s.voltage("imem", "imem_p", "imem", 0)
    s.diode("imem_d", "p", "imem_p", "vdd", run.neuron.unit)
    s.instance("xsyn", synapse, **{b: b for b in bit_names(BITS)}, pulse="pulse", iref="isyn_ref", iout="iin",
               vthr="svthr", vtau="svtau", vdd="vdd", vss="vss")
    s.reference("syn", "isyn_ref", run.i_lsb)
    plastic_synapse_biases(s, run.synapse)
    neuron_biases(s, run.neuron)
    s.line(".nodeset v(xneuron.vmem)=0.3")
    return s


def _corner_tech(run: IcRun, tech: Technology, seed: int | None) -> Technology:
    corner_tech = tech.with_corner(run.corner)
    return corner_tech.with_mismatch(True) if seed is not None else corner_tech


def fixed_code_testbench(run: IcRun, tech: Technology, code: int, seed: int | None = None) -> Testbench:
    """Neuron + synapse with the code held by voltage sources (calibrating I_Ω per code; the I_mem
    range the weight can reach); ``seed``: a Monte-Carlo instance."""
    s = neuron_and_synapse(run, tech)
    held_code(s, code, BITS, tech.vdd)
    return Testbench(f"{run.name}_fixed_code_{code}" + (f"_mc{seed}" if seed is not None else ""), s.text(),
                     Transient(step=20e-6, stop=run.t_stop, max_step=run.max_step), _corner_tech(run, tech, seed),
                     seed=seed, options=SUBTHRESHOLD_OPTIONS)


def learning_loop_testbench(run: IcRun, tech: Technology, omega_per_code: float,
                            seed: int | None = None) -> Testbench:
    """The whole experiment: neuron, plastic synapse, learning block (its counter drives the
    synapse's DAC bits)."""
    block = run.learning_block(omega_per_code)
    cell = learning_block_cell(block, tech)
    s = neuron_and_synapse(run, tech)
    s.define(cell)
    s.comment("I_mem copy for the learning block (sourced into its imem pin)")
    s.fet("imem_c", "p", "imem_lb", "imem_p", "vdd", run.neuron.unit)
    s.comment("counter preset: rst high for the first 20 µs loads the initial code")
    s.voltage("crst", "crst", "0", f"PWL(0 {tech.vdd:g} 20u {tech.vdd:g} 21u 0)")
    s.instance("xlb", cell, imem="imem_lb", pulse="pulse", rst="crst", inc="inc", dec="dec", sl="sl",
               **{b: b for b in bit_names(BITS)}, irest="irest", isl="isl", iomega="iomega", idelay="idelay",
               vcas="vcas", vdd="vdd", vss="vss")
    learning_block_biases(s, block, prefix="lb_")
    saves = ("time", "i(vimem)", "v(pulse)", "v(inc)", "v(dec)", "v(sl)", *(f"v({b})" for b in bit_names(BITS)))
    return Testbench(f"ic_{run.name}_{run.corner}" + (f"_mc{seed}" if seed is not None else ""), s.text(),
                     Transient(step=20e-6, stop=run.t_stop, max_step=run.max_step), _corner_tech(run, tech, seed),
                     seed=seed, options=run.options(), saves=saves)
