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
(``Schematic.bias``): vtau ← I_τ, vthr ← pair_ratio·I_th, vref ← I_ref (nFET); vspk ← I_spk_thr,
vpw ← I_pw (pFET). Testbenches (and any testbench instantiating this neuron) should use
``schematic.SUBTHRESHOLD_OPTIONS``: gmin 1e-15 (I_τ is a few pA) and gear integration
(trapezoidal rings on the clamped membrane during the refractory time). The pair, its mirror and
the leak are the DPI core of ``circuits.dpi``, shared with the synapse.

Measured at the defaults (tests/test_circuit_neuron.py, sky130 tt): I_mem ≈ 8.3 nA under a
2.25 nA drive (DPI prediction 9.0 nA), incremental gain ≈ 3.1 (I_th/I_τ = 4: the leak and the
input mirrors grow a little with vmem), τ_mem ≈ 19 ms, spike threshold I_in ≈ 10–15 nA, rate
≈ 35 Hz at 15 nA up to ≈ 230 Hz at 100 nA, spike pulse ≈ 12.5 µs, refractory ≈ 0.9 ms.
"""

from __future__ import annotations

from dataclasses import dataclass

from ebn_circuit.circuits import dpi
from ebn_circuit.circuits.analysis import Transient
from ebn_circuit.circuits.schematic import (LOGIC_N, LOGIC_P, SUBTHRESHOLD_OPTIONS, SWITCH, Cell, Schematic, Size,
                                            cell_name)
from ebn_circuit.circuits.synapse import (DpiSynapseParams, check_pulses, dpi_synapse, matched_size,
                                          on_chip_capacitor, pulse_train_pwl, subthreshold_current, synapse_biases)
from ebn_circuit.circuits.testbench import Testbench
from ebn_circuit.errors import ConfigError
from ebn_circuit.params import Params, param, positive
from ebn_circuit.technology.core import Technology

UNIT = Size(1e-6, 1e-6)           # the default matched device (DpiNeuronParams.unit_w/unit_l)
FEEDBACK = Size(0.42e-6, 2e-6)    # Ma3: limits the positive-feedback current to ~µA
RESET = Size(0.42e-6, 1e-6)       # Mrst: beats Ma3, yet slower than Mfast charging vrst
PINS = ("iin", "spk", "imem", "vtau", "vthr", "vspk", "vpw", "vref", "vdd", "vss")


@dataclass(frozen=True)
class DpiNeuronParams(Params):
    """One DPI neuron and its bias currents (SI units). Mismatch falls as 1/sqrt(w·l) of the
    matched devices: I_mem under a fixed input spreads with log-σ ≈ 0.7 at 1×1 µm in sky130
    Monte Carlo."""

    c_mem: float = on_chip_capacitor(2e-12, "membrane capacitor (ideal); τ_mem = C_mem·U_T/(κ·I_τ)")
    i_tau: float = subthreshold_current(3.6e-12, "leak")
    i_th: float = subthreshold_current(14.4e-12, "DPI threshold current; membrane gain I_th/I_τ")
    i_spk_thr: float = subthreshold_current(30e-9, "I_mem at which the positive feedback takes over")
    i_pw: float = subthreshold_current(70e-9, "charging current of the reset node during a spike (pulse width)")
    i_ref: float = subthreshold_current(0.7e-9, "discharge current of the reset node (refractory time)")
    c_rst: float = on_chip_capacitor(1e-12, "reset/refractory capacitor (ideal)")
    pair_ratio: int = param(50, integer=True, low=1, low_inclusive=True, high=None,
                            doc="unit devices in parallel in the pair partner")
    unit_w: float = matched_size(UNIT.w, "width of every matched device (input mirrors, pair units, the "
                                         "mirror into C_mem, output, feedback copy, pulse-width and refractory "
                                         "sources, bias diodes; the leak is unit_w × 4·unit_l)")
    unit_l: float = matched_size(UNIT.l, "length of every matched device")

    def validate(self) -> None:
        if self.i_th * self.pair_ratio > 1e-6:
            raise ConfigError(f"DpiNeuronParams: i_th·pair_ratio = {self.i_th * self.pair_ratio:g} A leaves "
                              "subthreshold; lower i_th or pair_ratio")
        if self.i_pw <= 10 * self.i_ref:
            raise ConfigError(f"DpiNeuronParams.i_pw={self.i_pw} A must exceed 10·i_ref={10 * self.i_ref} A, "
                              "else the reset node never charges during a spike")

    @property
    def gain(self) -> float:
        """Membrane gain I_th/I_τ."""
        return self.i_th / self.i_tau

    @property
    def unit(self) -> Size:
        return Size(self.unit_w, self.unit_l)

    @property
    def name(self) -> str:
        return cell_name("dpi_neuron", self)


def dpi_neuron(params: DpiNeuronParams, tech: Technology) -> Cell:
    """The DPI neuron subcircuit; pins ``iin spk imem vtau vthr vspk vpw vref vdd vss``.

    iin: input summing node (sink the input currents from it). spk: spike output. imem: the
    neuron sinks I_mem into this pin. The others are bias gates and rails.
    """
    unit = params.unit
    s = Schematic(tech, params.name, PINS)
    s.comment("input: currents sunk from iin, mirrored twice into the DPI tail")
    s.fet("ind", "p", "iin", "iin", "vdd", unit)
    s.fet("inc", "p", "vin", "iin", "vdd", unit)
    s.fet("tnd", "n", "vin", "vin", "vss", unit)
    s.fet("tail", "n", "v1", "vin", "vss", unit)
    s.comment("DPI: differential pair, pFET mirror into C_mem, leak")
    dpi.pair_and_mirror(s, "vmem", "vmem", unit, params.pair_ratio)
    dpi.leak(s, "vmem", unit)
    s.comment("output I_mem")
    s.fet("mem", "n", "imem", "vmem", "vss", unit)
    s.comment("positive feedback: I_mem copy against I_spk_thr; vfb falls and Ma3 drives vmem up")
    s.fet("a1", "n", "vfb", "vmem", "vss", unit)
    s.fet("a2", "p", "vfb", "vspk", "vdd", unit)
    s.fet("a3", "p", "vmem", "vfb", "vdd", FEEDBACK)
    s.comment("spike output")
    s.inverter("i1", "vmem", "spkb")
    s.inverter("i2", "spkb", "spk")
    s.comment("reset: during a spike vrst ramps up with I_pw; past the inverter threshold rst goes high,\n"
              "Mrst resets vmem and Mfast pulls vrst to vdd; after the spike vrst decays with I_ref\n"
              "and rst holds the reset until vrst falls back through the threshold (refractory)")
    s.fet("pw1", "p", "pw", "spkb", "vdd", SWITCH)
    s.fet("pw2", "p", "vrst", "vpw", "pw", unit)
    s.fet("fast", "p", "vrst", "rstb", "pw", SWITCH)
    s.fet("ref", "n", "vrst", "vref", "vss", unit)
    s.inverter("i3", "vrst", "rstb")
    s.inverter("i4", "rstb", "rst")
    s.fet("rst", "n", "vmem", "rst", "vss", RESET)
    s.comment("ideal capacitors")
    s.capacitor("mem", "vmem", "vss", params.c_mem)
    s.capacitor("rst", "vrst", "vss", params.c_rst)
    return s.cell()


def neuron_biases(s: Schematic, params: DpiNeuronParams) -> None:
    """Bias lines on a testbench: ideal reference currents into unit diodes for every bias gate."""
    unit = params.unit
    dpi.biases(s, params.i_tau, params.i_th, params.pair_ratio, unit)
    s.bias("ref", "n", "vref", params.i_ref, unit)
    s.bias("spk", "p", "vspk", params.i_spk_thr, unit)
    s.bias("pw", "p", "vpw", params.i_pw, unit)


NEURON_PINS_AT = dict(iin="iin", spk="spk", imem="imem", vtau="vtau", vthr="vthr", vspk="vspk", vpw="vpw",
                      vref="vref", vdd="vdd")


def below_threshold_start(s: Schematic, instance: str = "xneuron") -> None:
    s.comment("start the operating point below the spike threshold: with positive feedback the\n"
              "membrane also has an unstable equilibrium near it, which the DC solver can land on")
    s.line(f".nodeset v({instance}.vmem)=0.3")


@dataclass(frozen=True)
class NeuronStepParams(Params):
    """Transient testbench: a DC input current ``i_in`` from t = 0 (the operating point includes
    it), plus ``i_step`` added at ``t_step`` (10 µs ramp). I_mem is ``i(vimem)`` (> 0), the spike
    output ``v(spk)``, the membrane ``v(xneuron.vmem)``."""

    neuron: DpiNeuronParams = param(default_factory=DpiNeuronParams, kind=DpiNeuronParams)
    i_in: float = param(2.25e-9, unit="A", low=0.0, high=1e-6, low_inclusive=True, doc="DC input current")
    i_step: float = param(0.5e-9, unit="A", doc="step added at t_step")
    t_step: float = param(10e-3, unit="s", low=0.0, low_inclusive=True, doc="time of the step")
    t_stop: float = positive(0.1, "s", "end of the transient")
    max_step: float = positive(100e-6, "s", "the simulator's largest internal step")
    print_step: float = positive(50e-6, "s", "print step")

    def validate(self) -> None:
        if not 0 <= self.i_in + self.i_step <= 1e-6:
            raise ConfigError(f"NeuronStepParams: input currents must stay in [0, 1 µA], got i_in={self.i_in}, "
                              f"i_in + i_step={self.i_in + self.i_step}")
        if not self.t_step < self.t_stop:
            raise ConfigError(f"NeuronStepParams.t_step={self.t_step} s must lie in [0, t_stop={self.t_stop} s)")


def neuron_step_testbench(params: NeuronStepParams, tech: Technology) -> Testbench:
    """DPI neuron with bias diodes and an ideal input current sunk from ``iin``; I_mem is sensed
    by the 0 V source ``vimem`` (output drain at vdd)."""
    neuron = dpi_neuron(params.neuron, tech)
    i0, i1, t0 = params.i_in, params.i_in + params.i_step, params.t_step
    s = Schematic(tech, vss="0")
    s.comment("vimem: 0 V source at the I_mem output, i(vimem) = I_mem; iin: input current sunk from iin")
    s.current("in", "iin", "0", f"PWL(0 {i0:.6g} {t0:.9g} {i0:.6g} {t0 + 10e-6:.9g} {i1:.6g})")
    s.comment("biases: ideal reference currents into diode-connected devices")
    neuron_biases(s, params.neuron)
    below_threshold_start(s)
    s.define(neuron)
    s.voltage("dd", "vdd", "0", tech.vdd)
    s.voltage("imem", "vdd", "imem", 0)
    s.instance("Xneuron", neuron, **NEURON_PINS_AT, vss="0")
    return Testbench(f"dpi_neuron_step_{params.i_in * 1e9:g}n_{params.i_step * 1e9:+g}n", s.text(),
                     Transient(step=params.print_step, stop=params.t_stop, max_step=params.max_step),
                     tech, options=SUBTHRESHOLD_OPTIONS)


@dataclass(frozen=True)
class NeuronSynapseParams(Params):
    """Transient testbench: a DPI neuron under a constant drive ``i_in`` with one DPI synapse
    whose output is summed into the neuron's input node; spikes on the synapse at
    ``spike_times`` (s), ``pulse_width`` each. I_mem is ``i(vimem)``."""

    neuron: DpiNeuronParams = param(default_factory=DpiNeuronParams, kind=DpiNeuronParams)
    synapse: DpiSynapseParams = param(default_factory=lambda: DpiSynapseParams(i_w=2e-9), kind=DpiSynapseParams)
    i_in: float = param(2.25e-9, unit="A", low=0.0, high=1e-6, low_inclusive=True, doc="constant drive")
    spike_times: tuple[float, ...] = (20e-3,)
    pulse_width: float = positive(1e-3, "s", "width of each input pulse")
    t_stop: float = positive(80e-3, "s", "end of the transient")
    max_step: float = positive(100e-6, "s", "the simulator's largest internal step")
    print_step: float = positive(50e-6, "s", "print step")

    def validate(self) -> None:
        check_pulses("NeuronSynapseParams", tuple(self.spike_times), self.pulse_width, self.t_stop)


def neuron_synapse_testbench(params: NeuronSynapseParams, tech: Technology) -> Testbench:
    """DPI synapse → DPI neuron: the synapse output drain sits on the neuron input node ``iin``
    next to the constant drive; synapse biases are the ``*_syn`` nodes."""
    neuron, synapse = dpi_neuron(params.neuron, tech), dpi_synapse(params.synapse, tech)
    s = Schematic(tech, vss="0")
    s.comment("vimem: 0 V source at the I_mem output, i(vimem) = I_mem; iin: constant drive sunk from iin")
    s.current("in", "iin", "0", params.i_in)
    s.voltage("spk", "spk_in", "0", pulse_train_pwl(tuple(params.spike_times), params.pulse_width, tech.vdd))
    s.comment("biases: ideal reference currents into diode-connected devices")
    neuron_biases(s, params.neuron)
    synapse_biases(s, params.synapse, suffix="_syn")
    s.comment("start the operating point below the spike threshold")
    s.line(".nodeset v(xneuron.vmem)=0.3")
    s.define(neuron, synapse)
    s.voltage("dd", "vdd", "0", tech.vdd)
    s.voltage("imem", "vdd", "imem", 0)
    s.instance("Xneuron", neuron, **NEURON_PINS_AT, vss="0")
    s.instance("Xsyn", synapse, spk="spk_in", isyn="iin", vw="vw_syn", vthr="vthr_syn", vtau="vtau_syn",
               vdd="vdd", vss="0")
    return Testbench(f"dpi_neuron_synapse_n{len(params.spike_times)}", s.text(),
                     Transient(step=params.print_step, stop=params.t_stop, max_step=params.max_step),
                     tech, options=SUBTHRESHOLD_OPTIONS)


NETLISTS = {
    "neuron_dpi_rest_step": (NeuronStepParams(), neuron_step_testbench, ("i(vimem)", "v(spk)")),
    "neuron_dpi_spiking": (NeuronStepParams(i_in=0.0, i_step=30e-9, t_step=1e-3, t_stop=50e-3),
                           neuron_step_testbench, ("i(vimem)", "v(spk)")),
    "neuron_dpi_synaptic_input": (NeuronSynapseParams(), neuron_synapse_testbench, ("i(vimem)", "v(spk_in)")),
}
