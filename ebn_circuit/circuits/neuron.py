"""DPI neuron: adaptive-exponential integrate-and-fire in current mode (Indiveri et al. 2011,
Chicca et al. 2014), sky130 1.8 V devices. No adaptation stage (the EBN neuron does not adapt).

Membrane: the same differential-pair integrator as the DPI synapse, driven continuously by the
input current. Its state is I_mem, the current of a unit nFET at the membrane voltage:

    τ·(1 + I_th/I_mem)·dI_mem/dt + I_mem = (I_th/I_τ)·(I_in - I_τ)   (below the spike threshold)
    τ = C_mem·U_T/(κ·I_τ),  gain I_th/I_τ.

Stages (one line per device in the netlist):

- input: external currents are *sunk* from the ``iin`` pin (a pFET diode at about vdd - 0.5 V,
  so synapse outputs and DACs sum there); a pFET → nFET mirror makes the DPI tail current I_in.
- DPI: pair Mthr(vthr)/Mpair(vmem) splits I_in as I_th : I_mem; the Mthr share charges C_mem
  through a pFET mirror; Mtau(vtau) leaks I_τ. Mpair is ``pair_ratio`` unit devices in
  parallel and the vthr diode carries pair_ratio·I_th (headroom of the tail after a reset;
  I_th is the equivalent unit current).
- output: Mmem, a unit nFET at vmem, sinks I_mem from the ``imem`` pin (sense or mirror it there).
- positive feedback (the exponential term): Ma1 copies I_mem against I_spk_thr from Ma2; once
  I_mem exceeds it the comparator node vfb falls and Ma3 injects current into vmem: a spike.
- spike: two inverters, vmem → spkb → spk (active high, 0/vdd).
- pulse width and refractory: during a spike vrst is charged by I_pw (Mpw1 switch, Mpw2
  source); when it crosses the threshold V_inv of the inverter pair on vrst, rst goes high, Mrst
  resets vmem and Mfast pulls vrst to vdd (so the refractory always starts from vdd). After the
  spike vrst decays with I_ref (Mref) and rst holds vmem at 0 until vrst is back below V_inv:
  t_pw ≈ C_rst·V_inv/I_pw, t_ref ≈ C_rst·(vdd - V_inv)/I_ref.

Bias voltages come from ideal reference currents into diode-connected unit devices
(`ebn_circuit.circuits.bias.diode_bias`): vtau ← I_τ, vthr ← pair_ratio·I_th, vref ← I_ref
(nFET); vspk ← I_spk_thr, vpw ← I_pw (pFET). Testbenches (and any testbench instantiating this
neuron) should use ``bias.SUBTHRESHOLD_OPTIONS``: gmin 1e-15 (I_τ is a few pA) and gear
integration (trapezoidal rings on the clamped membrane during the refractory time).

Measured at the defaults (tests/test_circuit_neuron.py, sky130 tt): I_mem ≈ 8.3 nA under a
2.25 nA drive (DPI prediction 9.0 nA), incremental gain ≈ 3.1 (I_th/I_τ = 4: the leak and the
input mirrors grow a little with vmem), τ_mem ≈ 19 ms, spike threshold I_in ≈ 10–15 nA, rate
≈ 35 Hz at 15 nA up to ≈ 230 Hz at 100 nA, spike pulse ≈ 12.5 µs, refractory ≈ 0.9 ms.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySpice.Spice.Netlist import Circuit, SubCircuit
from PySpice.Unit import u_F, u_V

from ebn_circuit.circuits.bias import (SUBTHRESHOLD_OPTIONS, DeviceSize, check_current, check_matched_size,
                                       check_positive, diode_bias, fet, leak_size)
from ebn_circuit.circuits.synapse import DpiSynapseParams, dpi_synapse, pulse_train_pwl, synapse_biases
from ebn_circuit.errors import ConfigError
from ebn_circuit.spice.analysis import Transient
from ebn_circuit.spice.testbench import Testbench
from ebn_circuit.technology.core import Technology

UNIT = DeviceSize(1e-6, 1e-6)           # the default matched device (DpiNeuronParams.unit_w/unit_l)
FEEDBACK = DeviceSize(0.42e-6, 2e-6)    # Ma3: limits the positive-feedback current to ~µA
SWITCH = DeviceSize(0.42e-6, 0.15e-6)
RESET = DeviceSize(0.42e-6, 1e-6)      # Mrst: beats Ma3, yet slower than Mfast charging vrst
LOGIC_N = DeviceSize(0.42e-6, 0.15e-6)
LOGIC_P = DeviceSize(0.84e-6, 0.15e-6)
PINS = ("iin", "spk", "imem", "vtau", "vthr", "vspk", "vpw", "vref", "vdd", "vss")


@dataclass(frozen=True)
class DpiNeuronParams:
    """One DPI neuron and its bias currents (SI units).

    c_mem: membrane capacitor (F, ideal). i_tau: leak (A), τ_mem = C_mem·U_T/(κ·I_τ).
    i_th: DPI threshold current (A), membrane gain I_th/I_τ. i_spk_thr: I_mem at which the
    positive feedback takes over, the spike threshold (A). i_pw: charging current of the reset
    node during a spike (A), sets the pulse width. i_ref: its discharge current (A), sets the
    refractory time. c_rst: reset/refractory capacitor (F, ideal). pair_ratio: unit devices in
    parallel in the pair partner. unit_w, unit_l: size of every matched device (input mirrors,
    pair units, the mirror into C_mem, output, positive-feedback copy, pulse-width and refractory
    sources, bias diodes; the leak is unit_w × 4·unit_l). Mismatch falls as 1/sqrt(w·l): I_mem
    under a fixed input spreads with log-σ ≈ 0.7 at 1×1 µm in sky130 Monte Carlo.
    """

    c_mem: float = 2e-12
    i_tau: float = 3.6e-12
    i_th: float = 14.4e-12
    i_spk_thr: float = 30e-9
    i_pw: float = 70e-9
    i_ref: float = 0.7e-9
    c_rst: float = 1e-12
    pair_ratio: int = 50
    unit_w: float = UNIT.w
    unit_l: float = UNIT.l

    def __post_init__(self) -> None:
        check_matched_size("DpiNeuronParams", self)
        for name in ("c_mem", "c_rst"):
            check_positive("DpiNeuronParams", name, getattr(self, name), "F")
            if getattr(self, name) > 1e-9:
                raise ConfigError(f"DpiNeuronParams.{name}={getattr(self, name)} F is not an on-chip capacitor")
        for name in ("i_tau", "i_th", "i_spk_thr", "i_pw", "i_ref"):
            check_current("DpiNeuronParams", name, getattr(self, name), low=0.0, high=1e-6)
        if self.i_th * self.pair_ratio > 1e-6:
            raise ConfigError(f"DpiNeuronParams: i_th·pair_ratio = {self.i_th * self.pair_ratio:g} A leaves "
                              "subthreshold; lower i_th or pair_ratio")
        if self.i_pw <= 10 * self.i_ref:
            raise ConfigError(f"DpiNeuronParams.i_pw={self.i_pw} A must exceed 10·i_ref={10 * self.i_ref} A, "
                              "else the reset node never charges during a spike")
        if int(self.pair_ratio) != self.pair_ratio or self.pair_ratio < 1:
            raise ConfigError(f"DpiNeuronParams.pair_ratio must be an integer >= 1, got {self.pair_ratio}")

    @property
    def gain(self) -> float:
        """Membrane gain I_th/I_τ."""
        return self.i_th / self.i_tau

    @property
    def unit(self) -> DeviceSize:
        return DeviceSize(self.unit_w, self.unit_l)

    @property
    def leak(self) -> DeviceSize:
        return leak_size(self.unit)

    @property
    def subckt_name(self) -> str:
        size = "" if self.unit == UNIT else f"_u{self.unit_w * 1e6:g}x{self.unit_l * 1e6:g}"
        return f"dpi_neuron_c{self.c_mem * 1e12:g}p_r{self.c_rst * 1e12:g}p_m{self.pair_ratio}{size}"


def dpi_neuron(params: DpiNeuronParams, tech: Technology) -> SubCircuit:
    """The DPI neuron subcircuit; pins ``iin spk imem vtau vthr vspk vpw vref vdd vss``.

    iin: input summing node (sink the input currents from it). spk: spike output. imem: the
    neuron sinks I_mem into this pin. The others are bias gates and rails.
    """
    unit, leak = params.unit, params.leak
    pair = DeviceSize(unit.w, unit.l, params.pair_ratio)
    sub = SubCircuit(params.subckt_name, *PINS)
    sub.raw_spice = "\n".join([
        "* input: currents sunk from iin, mirrored twice into the DPI tail",
        fet(tech, "ind", "p", "iin", "iin", "vdd", unit),
        fet(tech, "inc", "p", "vin", "iin", "vdd", unit),
        fet(tech, "tnd", "n", "vin", "vin", "vss", unit),
        fet(tech, "tail", "n", "v1", "vin", "vss", unit),
        "* DPI: differential pair, pFET mirror into C_mem, leak",
        fet(tech, "thr", "n", "vg", "vthr", "v1", unit),
        fet(tech, "pair", "n", "vdd", "vmem", "v1", pair),
        fet(tech, "md", "p", "vg", "vg", "vdd", unit),
        fet(tech, "mc", "p", "vmem", "vg", "vdd", unit),
        fet(tech, "tau", "n", "vmem", "vtau", "vss", leak),
        "* output I_mem",
        fet(tech, "mem", "n", "imem", "vmem", "vss", unit),
        "* positive feedback: I_mem copy against I_spk_thr; vfb falls and Ma3 drives vmem up",
        fet(tech, "a1", "n", "vfb", "vmem", "vss", unit),
        fet(tech, "a2", "p", "vfb", "vspk", "vdd", unit),
        fet(tech, "a3", "p", "vmem", "vfb", "vdd", FEEDBACK),
        "* spike output",
        fet(tech, "i1p", "p", "spkb", "vmem", "vdd", LOGIC_P),
        fet(tech, "i1n", "n", "spkb", "vmem", "vss", LOGIC_N),
        fet(tech, "i2p", "p", "spk", "spkb", "vdd", LOGIC_P),
        fet(tech, "i2n", "n", "spk", "spkb", "vss", LOGIC_N),
        "* reset: during a spike vrst ramps up with I_pw; past the inverter threshold rst goes high,",
        "* Mrst resets vmem and Mfast pulls vrst to vdd; after the spike vrst decays with I_ref",
        "* and rst holds the reset until vrst falls back through the threshold (refractory)",
        fet(tech, "pw1", "p", "pw", "spkb", "vdd", SWITCH),
        fet(tech, "pw2", "p", "vrst", "vpw", "pw", unit),
        fet(tech, "fast", "p", "vrst", "rstb", "pw", SWITCH),
        fet(tech, "ref", "n", "vrst", "vref", "vss", unit),
        fet(tech, "i3p", "p", "rstb", "vrst", "vdd", LOGIC_P),
        fet(tech, "i3n", "n", "rstb", "vrst", "vss", LOGIC_N),
        fet(tech, "i4p", "p", "rst", "rstb", "vdd", LOGIC_P),
        fet(tech, "i4n", "n", "rst", "rstb", "vss", LOGIC_N),
        fet(tech, "rst", "n", "vmem", "rst", "vss", RESET),
        "* ideal capacitors",
    ]) + "\n"
    sub.C("mem", "vmem", "vss", params.c_mem @ u_F)
    sub.C("rst", "vrst", "vss", params.c_rst @ u_F)
    return sub


def neuron_biases(params: DpiNeuronParams, tech: Technology, vdd: str = "vdd") -> list[str]:
    """Testbench bias lines: ideal reference currents into unit diodes for every bias gate."""
    unit = params.unit
    return (diode_bias(tech, "tau", "n", "vtau", params.i_tau, params.leak, vdd=vdd)
            + diode_bias(tech, "thr", "n", "vthr", params.i_th * params.pair_ratio, unit, vdd=vdd)
            + diode_bias(tech, "ref", "n", "vref", params.i_ref, unit, vdd=vdd)
            + diode_bias(tech, "spk", "p", "vspk", params.i_spk_thr, unit, vdd=vdd)
            + diode_bias(tech, "pw", "p", "vpw", params.i_pw, unit, vdd=vdd))


@dataclass(frozen=True)
class NeuronStepParams:
    """Transient testbench: a DC input current ``i_in`` from t = 0 (the operating point
    includes it), plus ``i_step`` added at ``t_step`` (10 µs ramp). Currents in A, times in s.

    I_mem is ``i(vimem)`` (> 0), the spike output ``v(spk)``, the membrane ``v(xneuron.vmem)``.
    """

    neuron: DpiNeuronParams = field(default_factory=DpiNeuronParams)
    i_in: float = 2.25e-9
    i_step: float = 0.5e-9
    t_step: float = 10e-3
    t_stop: float = 0.1
    max_step: float = 100e-6
    print_step: float = 50e-6

    def __post_init__(self) -> None:
        if not (0 <= self.i_in <= 1e-6 and 0 <= self.i_in + self.i_step <= 1e-6):
            raise ConfigError(f"NeuronStepParams: input currents must stay in [0, 1 µA], got i_in={self.i_in}, "
                              f"i_in + i_step={self.i_in + self.i_step}")
        for name in ("t_stop", "max_step", "print_step"):
            check_positive("NeuronStepParams", name, getattr(self, name), "s")
        if not 0 <= self.t_step < self.t_stop:
            raise ConfigError(f"NeuronStepParams.t_step={self.t_step} s must lie in [0, t_stop={self.t_stop} s)")


def neuron_step_testbench(params: NeuronStepParams, tech: Technology) -> Testbench:
    """DPI neuron with bias diodes and an ideal input current sunk from ``iin``; I_mem is sensed
    by the 0 V source ``vimem`` (output drain at vdd)."""
    neuron = params.neuron
    circuit = Circuit(f"dpi_neuron_step_{params.i_in * 1e9:g}n_{params.i_step * 1e9:+g}n")
    circuit.subcircuit(dpi_neuron(neuron, tech))
    circuit.V("dd", "vdd", circuit.gnd, tech.vdd @ u_V)
    circuit.V("imem", "vdd", "imem", 0 @ u_V)  # I_mem sense
    i0, i1, t0 = params.i_in, params.i_in + params.i_step, params.t_step
    circuit.raw_spice = "\n".join(
        ["* vimem: 0 V source at the I_mem output, i(vimem) = I_mem; iin: input current sunk from iin",
         f"iin iin 0 PWL(0 {i0:.6g} {t0:.9g} {i0:.6g} {t0 + 10e-6:.9g} {i1:.6g})",
         "* biases: ideal reference currents into diode-connected devices"]
        + neuron_biases(neuron, tech)
        + ["* start the operating point below the spike threshold: with positive feedback the",
           "* membrane also has an unstable equilibrium near it, which the DC solver can land on",
           ".nodeset v(xneuron.vmem)=0.3"]) + "\n"
    circuit.X("neuron", neuron.subckt_name, "iin", "spk", "imem", "vtau", "vthr", "vspk", "vpw", "vref",
              "vdd", circuit.gnd)
    return Testbench.from_circuit(circuit, Transient(step=params.print_step, stop=params.t_stop,
                                                     max_step=params.max_step),
                                  tech, options=SUBTHRESHOLD_OPTIONS)


@dataclass(frozen=True)
class NeuronSynapseParams:
    """Transient testbench: a DPI neuron under a constant drive ``i_in`` (A) with one DPI
    synapse whose output is summed into the neuron's input node; spikes on the synapse at
    ``spike_times`` (s), ``pulse_width`` (s) each. I_mem is ``i(vimem)``."""

    neuron: DpiNeuronParams = field(default_factory=DpiNeuronParams)
    synapse: DpiSynapseParams = field(default_factory=lambda: DpiSynapseParams(i_w=2e-9))
    i_in: float = 2.25e-9
    spike_times: tuple[float, ...] = (20e-3,)
    pulse_width: float = 1e-3
    t_stop: float = 80e-3
    max_step: float = 100e-6
    print_step: float = 50e-6

    def __post_init__(self) -> None:
        check_current("NeuronSynapseParams", "i_in", self.i_in, low=-1e-30, high=1e-6)
        for name in ("pulse_width", "t_stop", "max_step", "print_step"):
            check_positive("NeuronSynapseParams", name, getattr(self, name), "s")
        times = tuple(self.spike_times)
        if any(t < 0 for t in times) or any(b < a + self.pulse_width + 2e-6 for a, b in zip(times, times[1:])):
            raise ConfigError(f"NeuronSynapseParams.spike_times must be >= 0, increasing, without overlapping "
                              f"pulses; got {times}")
        if times and times[-1] + self.pulse_width >= self.t_stop:
            raise ConfigError(f"NeuronSynapseParams.t_stop={self.t_stop} s ends before the last pulse")


def neuron_synapse_testbench(params: NeuronSynapseParams, tech: Technology) -> Testbench:
    """DPI synapse → DPI neuron: the synapse output drain sits on the neuron input node ``iin``
    next to the constant drive; synapse biases are the ``*_syn`` nodes."""
    neuron, synapse = params.neuron, params.synapse
    circuit = Circuit(f"dpi_neuron_synapse_n{len(params.spike_times)}")
    circuit.subcircuit(dpi_neuron(neuron, tech))
    circuit.subcircuit(dpi_synapse(synapse, tech))
    circuit.V("dd", "vdd", circuit.gnd, tech.vdd @ u_V)
    circuit.V("imem", "vdd", "imem", 0 @ u_V)  # I_mem sense
    circuit.raw_spice = "\n".join(
        ["* vimem: 0 V source at the I_mem output, i(vimem) = I_mem; iin: constant drive sunk from iin",
         f"iin iin 0 DC {params.i_in:.6g}",
         f"vspk spk_in 0 {pulse_train_pwl(tuple(params.spike_times), params.pulse_width, tech.vdd)}",
         "* biases: ideal reference currents into diode-connected devices"]
        + neuron_biases(neuron, tech) + synapse_biases(synapse, tech, suffix="_syn")
        + ["* start the operating point below the spike threshold", ".nodeset v(xneuron.vmem)=0.3"]) + "\n"
    circuit.X("neuron", neuron.subckt_name, "iin", "spk", "imem", "vtau", "vthr", "vspk", "vpw", "vref",
              "vdd", circuit.gnd)
    circuit.X("syn", synapse.subckt_name, "spk_in", "iin", "vw_syn", "vthr_syn", "vtau_syn", "vdd", circuit.gnd)
    return Testbench.from_circuit(circuit, Transient(step=params.print_step, stop=params.t_stop,
                                                     max_step=params.max_step),
                                  tech, options=SUBTHRESHOLD_OPTIONS)


NETLISTS = {
    "neuron_dpi_rest_step": (NeuronStepParams(), neuron_step_testbench, ("i(vimem)", "v(spk)")),
    "neuron_dpi_spiking": (NeuronStepParams(i_in=0.0, i_step=30e-9, t_step=1e-3, t_stop=50e-3),
                           neuron_step_testbench, ("i(vimem)", "v(spk)")),
    "neuron_dpi_synaptic_input": (NeuronSynapseParams(), neuron_synapse_testbench, ("i(vimem)", "v(spk_in)")),
}
