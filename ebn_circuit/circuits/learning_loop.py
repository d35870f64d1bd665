"""The closed learning loop of the IC experiments (SCIENCE.md §5.1) at transistor level: one DPI
neuron under a constant drive, one plastic synapse (weight DAC steered by the presynaptic pulse)
and the learning block whose counter holds the weight and drives the synapse's DAC bits.

``fixed_code_testbench``: neuron + synapse with the code held by voltage sources (calibrating I_Ω
per code). ``learning_loop_testbench``: the whole loop ("Simulation 1" and "2"; run definitions in
sims/). Observed: i(vimem) = I_mem, v(pulse), v(b0…b5), v(inc), v(dec), v(sl).

``probe_testbench``: one block of the loop measured on the loop's own devices, in the loop's order,
with other sources (``LoopProbe``). ngspice draws a device's mismatch from the seed in the order
devices appear, whatever the sources: a probe with seed N measures the instance that the loop's
run with seed N is made of (tests/test_chip.py checks it).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ebn_circuit.circuits.analysis import Transient
from ebn_circuit.circuits.codes import BITS, bit_names
from ebn_circuit.circuits.counter import VARIANTS
from ebn_circuit.circuits.dac import DacParams, held_code, stepped_code
from ebn_circuit.circuits.learning_block import SIM_OPTIONS as LB_OPTIONS
from ebn_circuit.circuits.learning_block import LearningBlockParams, learning_block_biases, learning_block_cell
from ebn_circuit.circuits.learning_timing import PulseSchedule
from ebn_circuit.circuits.mismatch import DeviceGroup
from ebn_circuit.circuits.neuron import DpiNeuronParams, dpi_neuron, neuron_biases
from ebn_circuit.circuits.plastic_synapse import (PlasticSynapseParams, default_dpi, plastic_synapse,
                                                  plastic_synapse_biases)
from ebn_circuit.circuits.schematic import SUBTHRESHOLD_OPTIONS, Schematic
from ebn_circuit.circuits.synapse import DpiSynapseParams, pulse_train_pwl
from ebn_circuit.circuits.testbench import Testbench
from ebn_circuit.errors import ConfigError
from ebn_circuit.params import Params, param, positive
from ebn_circuit.technology.core import Technology


XSPICE_RELTOL = 1e-4


def switched_on(current: float) -> str:
    """A drive (A) switched on at t = 0+ in 10 µs: the operating point is found without it."""
    return f"PWL(0 0 10u {current:.6g})"


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
    i_sl: float = positive(0.75e-9, "A", "I_SL of the learning block (the built-in runs' value)")
    i_lsb: float = positive(100e-12, "A", "the weight unit of the synapse DAC")
    counter: str = param("behavioural", choices=VARIANTS, doc="counter variant (behavioural: no XSPICE event to "
                                                                 "lose in a rejected step, and ngspice keeps trtol)")
    corner: str = "tt"
    max_step: float = positive(15e-6, "s", "the transient's largest step (250 µs put I_before 0.1–0.2 nA off a "
                                           "tight reference; ≤ 17 µs within 3 pA)")
    reltol: float = positive(1e-3, "", "relative tolerance (1e-3: I_before within 3 pA of 1e-5 at a 15 µs step; "
                                       "with the XSPICE counter it let ngspice drop counter steps)")
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
        return PlasticSynapseParams(dac=DacParams(polarity="split", i_lsb=self.i_lsb), dpi=self.dpi)

    def shortened(self, pulses: int) -> "IcRun":
        """The same run with fewer pulses (for fast tests)."""
        return replace(self, pulses=pulses, t_stop=self.first_pulse + pulses * self.period)

    def with_xspice_counter(self) -> "IcRun":
        """The same run with the XSPICE counter at the tolerance it needs: at reltol 1e-3 ngspice
        rejected more steps and lost the counter's clock events with them (docs/ic.md)."""
        return replace(self, counter="xspice", reltol=min(self.reltol, XSPICE_RELTOL))

    def learning_block(self, omega_per_code: float) -> LearningBlockParams:
        """The block of this run, for a calibrated I_Ω per code (A)."""
        return LearningBlockParams(i_rest=self.i_rest, i_sl=self.i_sl, omega_per_code=omega_per_code,
                                   initial_code=self.initial_code, counter_variant=self.counter)

    def options(self) -> tuple[tuple[str, str], ...]:
        merged = dict(SUBTHRESHOLD_OPTIONS)
        merged.update(dict(LB_OPTIONS))
        merged["reltol"] = f"{self.reltol:g}"
        return tuple(merged.items())


def neuron_and_synapse(run: IcRun, tech: Technology, probe: "LoopProbe | None" = None,
                       load: bool = True) -> Schematic:
    """Neuron, plastic synapse, drive, pulse source and biases. Nodes: ``pulse``; the code bits
    b0…b5; I_mem sensed by the 0 V source ``vimem`` (i(vimem) = I_mem) on its way from node
    ``imem_p``, where the learning block's input (or, with ``load``, a pFET diode) supplies it. A
    ``probe`` changes sources and senses only (see ``LoopProbe``)."""
    neuron, synapse = dpi_neuron(run.neuron, tech), plastic_synapse(run.synapse, tech)
    # a learning-block probe gives pulse, imem and vimem to the block's own ideal sources
    lb_probe = probe is not None and probe.schedule is not None
    pulse, imem = ("npulse", "imem_n") if lb_probe else ("pulse", "imem")
    onsets = run.onsets if probe is None or probe.pulse_times is None else probe.pulse_times
    s = Schematic(tech, vss="0")
    s.define(neuron, synapse)
    s.voltage("dd", "vdd", "0", tech.vdd)
    s.voltage("ss", "vss", "0", 0)
    if probe is not None and probe.drive:
        s.comment("drive: the probe's")
        s.current("drive", "iin", "0", probe.drive)
    elif run.start_at_rest:
        s.comment("drive: on from the operating point")
        s.current("drive", "iin", "0", run.drive)
    else:
        s.comment("drive: switched on at t = 0+, so I_mem starts from 0 like the original run")
        s.current("drive", "iin", "0", switched_on(run.drive))
    s.voltage(pulse, pulse, "0", pulse_train_pwl(tuple(onsets), run.width, tech.vdd) if len(onsets) else 0)
    s.instance("xneuron", neuron, iin="iin", spk="spk", imem=imem, vtau="vtau", vthr="vthr", vspk="vspk",
               vpw="vpw", vref="vref", vdd="vdd", vss="vss")
    s.comment("I_mem sense" + (" and a pFET diode that supplies it" if load else ""))
    s.voltage(imem, "imem_p", imem, 0)
    if load:
        s.diode("imem_d", "p", "imem_p", "vdd", run.neuron.unit)
    syn_out = "isyn_out" if probe is not None and probe.sense_synapse else "iin"
    s.instance("xsyn", synapse, **{b: b for b in bit_names(BITS)}, pulse=pulse, iref="isyn_ref", iout=syn_out,
               vthr="svthr", vtau="svtau", vdd="vdd", vss="vss")
    if syn_out != "iin":
        s.comment("the synapse pair's net output current into the neuron input: i(vsyn)")
        s.voltage("syn", syn_out, "iin", 0)
    s.reference("syn", "isyn_ref", run.i_lsb)
    plastic_synapse_biases(s, run.synapse)
    neuron_biases(s, run.neuron)
    if run.start_at_rest:
        s.line(".nodeset v(xneuron.vmem)=0.3")
    else:
        s.comment("the membrane starts discharged (the drive is off at t = 0); .ic pins it during the operating\n"
                  "point, where the neuron's positive feedback also admits a state at ~28 nA that Newton found\n"
                  "in some netlists")
        s.line(".ic v(xneuron.vmem)=0")
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


@dataclass(frozen=True)
class LoopProbe(Params):
    """A measurement on the loop's devices: other sources, the same devices in the same order.

    drive: the drive's waveform (SPICE text, A), "" for the run's. pulse_times: the presynaptic
    onsets (s; the run's width), None for the run's. code: held by the counter's preset (rst high
    throughout), unless ``schedule``. sense_synapse: a 0 V source ``vsyn`` in series with the synapse
    pair's output (i(vsyn) = its net current into the neuron input). sense_copy: a 0 V source
    ``vimem_copy`` in series with the learning block's input (i(vimem_copy): what the block receives;
    the block takes I_mem itself, so it equals i(vimem)). schedule: the learning block measured as in
    the decision-map bench — its imem, pulse and rst from ideal sources, one pulse per I_before
    level, the code re-loaded between pulses — while a pFET diode after every loop device supplies
    the neuron's I_mem. t_stop, max_step, print_step: the transient (s). code_steps: ((time s, code), …)
    driven onto the synapse's DAC bits by ideal sources, several codes in one transient; the block's
    counter keeps ``code`` on bit nets of its own. block_idle: the block's pulse input held low, so it
    makes no decision; a probe that reads only the neuron and synapse then skips the decisions' fast
    edges (a synapse train: 1.9 s of transient instead of 7.4 s)."""

    drive: str = ""
    pulse_times: tuple[float, ...] | None = None
    code: int = param(0, integer=True, low=-32, high=31, low_inclusive=True, doc="the code held")
    sense_synapse: bool = False
    sense_copy: bool = False
    code_steps: tuple[tuple[float, int], ...] = ()
    block_idle: bool = False
    schedule: PulseSchedule | None = None
    t_stop: float = positive(50e-3, "s", "end of the transient")
    max_step: float = positive(20e-6, "s", "the transient's largest step")
    print_step: float = positive(20e-6, "s", "print step")


def probe_testbench(run: IcRun, tech: Technology, omega_per_code: float, probe: LoopProbe,
                    seed: int | None = None) -> Testbench:
    """A ``LoopProbe`` of the loop of ``run`` (its learning block for ``omega_per_code``): the code
    is ``probe.code`` (or the schedule's), mismatch instance ``seed``. Vectors: i(vimem) (I_mem,
    or the block's I_before with a schedule), i(vsyn) with sense_synapse, v(pulse), v(inc), v(dec),
    v(sl), v(b0…b5); with a schedule also what ``measure.learning_block.pulse_readout`` reads."""
    block = replace(run.learning_block(omega_per_code), initial_code=int(probe.code))
    cell = learning_block_cell(block, tech)
    s = neuron_and_synapse(run, tech, probe, load=False)   # the loop's devices: no diode, the block loads I_mem
    s.define(cell)
    lb_probe = probe.schedule is not None
    if lb_probe and (probe.code_steps or probe.block_idle):
        raise ConfigError("LoopProbe: code_steps and block_idle are for neuron and synapse probes, not a schedule")
    times = [t for t, _ in probe.code_steps]
    if times and (times[0] != 0 or any(b <= a for a, b in zip(times, times[1:]))):
        raise ConfigError(f"LoopProbe.code_steps must start at t = 0 and rise, got times {times}")
    if lb_probe:
        probe.schedule.draw_sources(s, tech.vdd)
    else:
        s.comment("counter preset held: the code stays probe.code")
        s.voltage("crst", "crst", "0", tech.vdd)
        if probe.sense_copy:
            s.comment("what the block receives: I_mem itself (no copy mirror); a 0 V sense adds no device")
            s.voltage("imem_copy", "imem_lb", "imem_p", 0)
    block_in = "imem" if lb_probe else "imem_lb" if probe.sense_copy else "imem_p"
    block_bits = {b: f"lb_{b}" if probe.code_steps else b for b in bit_names(BITS)}
    s.instance("xlb", cell, imem=block_in, pulse="lb_pulse" if probe.block_idle else "pulse",
               rst="rst" if lb_probe else "crst", inc="inc", dec="dec", sl="sl", **block_bits, irest="irest",
               isl="isl", iomega="iomega", idelay="idelay", vcas="vcas", vdd="vdd", vss="vss")
    learning_block_biases(s, block, prefix="lb_")
    if probe.block_idle:
        s.comment("the block idle: its pulse input held low")
        s.voltage("lb_pulse", "lb_pulse", "0", 0)
    if probe.code_steps:
        s.comment("the synapse's code stepped by ideal sources; the block's counter drives nets of its own")
        stepped_code(s, probe.code_steps, BITS, tech.vdd)
    if lb_probe:
        # after every loop device, so that the seed still draws the loop's instance for them
        s.comment("the neuron's I_mem supplied by a pFET diode (the block's imem is an ideal source)")
        s.diode("imem_d", "p", "imem_p", "vdd", run.neuron.unit)
    saves = ["time", "i(vimem)", "v(pulse)", "v(inc)", "v(dec)", "v(sl)", *(f"v({b})" for b in bit_names(BITS)),
             "v(spk)", "v(xneuron.vmem)"]
    if probe.sense_synapse:
        saves.append("i(vsyn)")
    if probe.sense_copy and not lb_probe:
        saves.append("i(vimem_copy)")
    if lb_probe:
        saves += ["v(rst)", "v(xlb.crst)", *(f"i(v.xlb.{n})" for n in ("vheld", "vrest", "vomega"))]
    held = "codes" if probe.code_steps else f"code{probe.code}"
    name = f"probe_{run.name}_{held}" + ("_lb" if lb_probe else "") + (f"_mc{seed}" if seed is not None else "")
    return Testbench(name, s.text(), Transient(step=probe.print_step, stop=probe.t_stop, max_step=probe.max_step),
                     _corner_tech(run, tech, seed), seed=seed, options=run.options(), saves=tuple(saves))


def learning_loop_testbench(run: IcRun, tech: Technology, omega_per_code: float,
                            seed: int | None = None) -> Testbench:
    """The whole experiment: neuron, plastic synapse, learning block (its counter drives the
    synapse's DAC bits)."""
    block = run.learning_block(omega_per_code)
    cell = learning_block_cell(block, tech)
    s = neuron_and_synapse(run, tech, load=False)
    s.define(cell)
    s.comment("counter preset: rst high for the first 20 µs loads the initial code")
    s.voltage("crst", "crst", "0", f"PWL(0 {tech.vdd:g} 20u {tech.vdd:g} 21u 0)")
    s.comment("the learning block supplies I_mem itself to the neuron's output transistor (no copy)")
    s.instance("xlb", cell, imem="imem_p", pulse="pulse", rst="crst", inc="inc", dec="dec", sl="sl",
               **{b: b for b in bit_names(BITS)}, irest="irest", isl="isl", iomega="iomega", idelay="idelay",
               vcas="vcas", vdd="vdd", vss="vss")
    learning_block_biases(s, block, prefix="lb_")
    saves = ("time", "i(vimem)", "v(pulse)", "v(inc)", "v(dec)", "v(sl)", *(f"v({b})" for b in bit_names(BITS)))
    return Testbench(f"ic_{run.name}_{run.corner}" + (f"_mc{seed}" if seed is not None else ""), s.text(),
                     Transient(step=20e-6, stop=run.t_stop, max_step=run.max_step), _corner_tech(run, tech, seed),
                     seed=seed, options=run.options(), saves=saves)


def drive_testbench(run: IcRun, tech: Technology, seed: int | None = None, t_stop: float = 0.2) -> Testbench:
    """The loop's neuron alone under the run's constant drive (switched on at t = 0, the membrane
    discharged; I_mem settles within ~10 τ_mem), its output supplied by a pFET diode as the learning
    block's memory would: i(vimem) = I_mem. ``seed``: a Monte-Carlo instance."""
    neuron = dpi_neuron(run.neuron, tech)
    s = Schematic(tech, vss="0")
    s.define(neuron)
    s.voltage("dd", "vdd", "0", tech.vdd)
    s.voltage("ss", "vss", "0", 0)
    s.current("drive", "iin", "0", switched_on(run.drive))
    s.instance("xneuron", neuron, iin="iin", spk="spk", imem="imem", vtau="vtau", vthr="vthr", vspk="vspk",
               vpw="vpw", vref="vref", vdd="vdd", vss="vss")
    s.voltage("imem", "imem_p", "imem", 0)
    s.diode("imem_d", "p", "imem_p", "vdd", run.neuron.unit)
    neuron_biases(s, run.neuron)
    s.line(".ic v(xneuron.vmem)=0")
    return Testbench(f"{run.name}_drive" + (f"_mc{seed}" if seed is not None else ""), s.text(),
                     Transient(step=1e-3, stop=t_stop, max_step=1e-3), _corner_tech(run, tech, seed),
                     seed=seed, options=SUBTHRESHOLD_OPTIONS, saves=("i(vimem)",))


def neuron_mismatch_groups(run: IcRun) -> tuple[DeviceGroup, ...]:
    """The loop neuron's devices by role (and the diode that supplies I_mem), for ``verify mismatch``."""
    return (DeviceGroup("neuron input mirrors", ("dpi_neuron*",), ("ind", "inc", "tnd", "tail")),
            DeviceGroup("neuron DPI pair", ("dpi_neuron*",), ("thr", "pair")),
            DeviceGroup("neuron DPI pFET mirror", ("dpi_neuron*",), ("md", "mc")),
            DeviceGroup("neuron leak", ("dpi_neuron*",), ("tau",)),
            DeviceGroup("neuron output", ("dpi_neuron*",), ("mem",)),
            DeviceGroup("neuron spike feedback, reset", ("dpi_neuron*",)),
            DeviceGroup("neuron bias diodes", ("",), ("btau", "bthr", "bref", "bspk", "bpw")),
            DeviceGroup("I_mem supply diode", ("",), ("imem_d",)))
