"""The transistor-level setup of the IC experiments (SCIENCE.md §5.1): one DPI neuron under a
constant drive, one plastic synapse (weight DAC steered by the presynaptic pulse), and — in the
full run — the learning block whose counter holds the weight. Run definitions live in sims/.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from pathlib import Path

import numpy as np

from ebn_circuit.circuits.bias import SUBTHRESHOLD_OPTIONS
from ebn_circuit.circuits.dac import DacParams, code_bits
from ebn_circuit.circuits.neuron import DpiNeuronParams, dpi_neuron, neuron_biases
from ebn_circuit.circuits.plastic_synapse import (PlasticSynapseParams, default_dpi, plastic_synapse,
                                                  plastic_synapse_biases)
from ebn_circuit.circuits.synapse import DpiSynapseParams
from ebn_circuit.circuits.primitives import reference_current
from ebn_circuit.circuits.synapse import pulse_train_pwl
from ebn_circuit.tomlfile import read_toml
from ebn_circuit.errors import ConfigError
from ebn_circuit.spice.analysis import Transient
from ebn_circuit.spice.testbench import Testbench
from ebn_circuit.technology.core import Technology


@dataclass(frozen=True)
class IcRun:
    """One IC experiment (SI units). ``drive``: constant current sunk from the neuron input,
    switched on at t = 0 so that I_mem starts from 0 like the original run, or already on
    (``start_at_rest``: I_mem starts at its operating point under the drive); pulses: count,
    first onset, period, width (s); the code starts at initial_code; reltol: the simulator's
    relative tolerance (1e-4 as the comparator's benches, which resolve ±10 pA with it; 1e-3
    halves the CPU time but let ngspice drop an XSPICE counter step after a rejected time step
    at the clock edge); i_lsb: the weight unit of
    the DAC (A); neuron: the DPI neuron; dpi: the plastic synapse's DPI pair (τ_syn, gain)."""

    name: str = "sim1"
    drive: float = 2.4e-9
    pulses: int = 100
    first_pulse: float = 4e-3
    period: float = 5e-3
    width: float = 1e-3
    t_stop: float = 0.5
    initial_code: int = 8
    i_rest: float = 9e-9
    i_sl: float = 0.3e-9
    i_lsb: float = 100e-12
    counter: str = "xspice"
    corner: str = "tt"
    max_step: float = 20e-6
    reltol: float = 1e-4
    start_at_rest: bool = False
    neuron: DpiNeuronParams = field(default_factory=DpiNeuronParams)
    dpi: DpiSynapseParams = field(default_factory=default_dpi)

    def __post_init__(self) -> None:
        if not 0 <= self.drive <= 1e-6:
            raise ConfigError(f"IcRun {self.name}: drive must be in [0, 1 µA], got {self.drive}")
        if self.pulses < 1 or self.width <= 0 or self.period <= self.width:
            raise ConfigError(f"IcRun {self.name}: need pulses >= 1 and period > width > 0")
        if self.first_pulse + (self.pulses - 1) * self.period + self.width > self.t_stop:
            raise ConfigError(f"IcRun {self.name}: the last pulse ends after t_stop={self.t_stop} s")
        if not -32 <= self.initial_code <= 31:
            raise ConfigError(f"IcRun {self.name}: initial_code must be in -32…31, got {self.initial_code}")
        for name in ("i_rest", "i_sl", "i_lsb", "max_step", "reltol"):
            if not getattr(self, name) > 0:
                raise ConfigError(f"IcRun {self.name}: {name} must be > 0, got {getattr(self, name)}")

    @property
    def onsets(self) -> np.ndarray:
        return self.first_pulse + self.period * np.arange(self.pulses)

    @property
    def synapse(self) -> PlasticSynapseParams:
        return PlasticSynapseParams(dac=DacParams(polarity="offset", i_lsb=self.i_lsb), dpi=self.dpi)

    def shortened(self, pulses: int) -> "IcRun":
        """The same run with fewer pulses (for fast tests)."""
        return replace(self, pulses=pulses, t_stop=self.first_pulse + pulses * self.period)


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
    return IcRun(**run, neuron=DpiNeuronParams(**neuron), dpi=replace(default_dpi(), **synapse))


def _check_keys(path: Path, table: str, given: dict, known: set[str]) -> None:
    for key in given:
        if key not in known:
            raise ConfigError(f"{path}: unknown key {table}.{key}; allowed: {', '.join(sorted(known))}")


def neuron_and_synapse_lines(run: IcRun, tech: Technology, bits: str = "b0 b1 b2 b3 b4 b5") -> list[str]:
    """Neuron, plastic synapse, drive, pulse source and biases. Nodes: ``pulse``; the code bits
    ``bits``; I_mem sensed by the 0 V source ``vimem`` (i(vimem) = I_mem) on its way into the
    pFET diode ``imem_p`` whose gate mirrors I_mem out (for the learning block)."""
    neuron = dpi_neuron(run.neuron, tech)
    synapse_defs = plastic_synapse(run.synapse, tech)
    lines = [str(neuron).rstrip(), *(str(s).rstrip() for s in synapse_defs),
             f"vdd vdd 0 {tech.vdd:g}", "vss vss 0 0",
             *drive_lines(run),
             f"vpulse pulse 0 {pulse_train_pwl(tuple(run.onsets), run.width, tech.vdd)}",
             f"xneuron iin spk imem vtau vthr vspk vpw vref vdd vss {neuron.name}",
             "* I_mem sense and its pFET diode (the mirror input for the learning block)",
             "vimem imem_p imem 0",
             tech.device_line("imem_d", "p", "imem_p", "imem_p", "vdd", "vdd", run.neuron.unit_w, run.neuron.unit_l),
             f"xsyn {bits} pulse isyn_ref iin svthr svtau vdd vss {synapse_defs[-1].name}",
             *reference_current("syn", "isyn_ref", run.i_lsb),
             *plastic_synapse_biases(run.synapse, tech),
             *neuron_biases(run.neuron, tech),
             ".nodeset v(xneuron.vmem)=0.3"]
    return lines


def drive_lines(run: IcRun) -> list[str]:
    if run.start_at_rest:
        return ["* drive: on from the operating point", f"idrive iin 0 DC {run.drive:.6g}"]
    return ["* drive: switched on at t = 0+, so I_mem starts from 0 like the original run",
            f"idrive iin 0 PWL(0 0 10u {run.drive:.6g})"]


def fixed_code_testbench(run: IcRun, tech: Technology, code: int, seed: int | None = None) -> Testbench:
    """Neuron + synapse with the code held by voltage sources (calibrating I_Ω per code; the I_mem
    range the weight can reach); ``seed``: a Monte-Carlo instance."""
    levels = code_bits(code)
    lines = neuron_and_synapse_lines(run, tech) + [f"vb{k} b{k} 0 {tech.vdd * bit:g}" for k, bit in enumerate(levels)]
    corner_tech = tech.with_corner(run.corner)
    if seed is not None:
        corner_tech = corner_tech.with_mismatch(True)
    return Testbench(f"{run.name}_fixed_code_{code}" + (f"_mc{seed}" if seed is not None else ""), "\n".join(lines),
                     Transient(step=20e-6, stop=run.t_stop, max_step=run.max_step), corner_tech, seed=seed,
                     options=SUBTHRESHOLD_OPTIONS)
