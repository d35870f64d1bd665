"""DPI synapse (differential-pair integrator, Bartolozzi & Indiveri 2007), sky130 1.8 V devices.

A log-domain low-pass filter of the spike train, in current mode:

    τ·dI_syn/dt + I_syn = (I_gain/I_τ)·I_w   while a spike is high (I_syn ≫ I_gain),
    τ = C_syn·U_T/(κ·I_τ),                     κ of the nFET output (and leak) device.

Topology (nFET output; C_syn to vss)::

    spk ─ Mpre ─ Mw(vw)            tail: sinks I_w from v1 while spk is high
    v1 ─ Mthr(vthr) ─ vg           pair branch that feeds the capacitor …
    v1 ─ Mpair(vsyn) ─ vdd         … and its partner, gated by the capacitor voltage
    vg ─ Mmd (pFET diode), Mmc     pFET mirror: the Mthr current …
    mo ─ Mon(spk) ─ vsyn           … charges vsyn, switched off between spikes
    vsyn ─ Mtau(vtau) ─ vss        leak I_τ
    isyn ─ Msyn(vsyn) ─ vss        output: sinks I_syn from the ``isyn`` pin

The pair splits I_w as I_gain : I_syn, so the capacitor current is I_w·I_gain/(I_gain+I_syn):
with both pair devices nFETs like the output, the split is exact in κ and the filter is linear
for I_syn ≫ I_gain. The pair devices are ``pair_ratio`` unit devices in parallel, so the common
node v1 stays high enough to keep the tail saturated (I_gain then is the current of one unit
nFET at gate ``vthr``; the ``vthr`` bias diode carries pair_ratio·I_gain). The mirror output
is switched rather than its gate pulled up, so the mirror needs no re-charging at each spike.

Design limits (measured, see tests/test_circuit_synapse.py): the response to a spike from rest
starts with a charge-up of vsyn from 0 V to the level of I_gain, at about I_w/C_syn; linearity
(superposition within 10 %) needs that to take a small part of the pulse and the peak to be
≫ I_gain. With sky130 leakage (pA) and C_syn = 2 pF, that sets the defaults: I_τ = 7.2 pA
(τ ≈ 10 ms), I_gain = 180 pA (gain 25, not ~100), I_w = 10 nA (≈ 20 nA peak per 1 ms spike).

Bias voltages come from ideal reference currents into diode-connected unit devices
(`ebn_circuit.circuits.bias.diode_bias`): vtau ← I_τ (long device, like Mtau), vthr ←
pair_ratio·I_gain, vw ← I_w (all nFET). Testbenches use `bias.SUBTHRESHOLD_OPTIONS` (gmin, gear).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySpice.Spice.Netlist import Circuit, SubCircuit
from PySpice.Unit import u_F, u_V

from ebn_circuit.circuits.bias import (SUBTHRESHOLD_OPTIONS, DeviceSize, check_current, check_matched_size,
                                       check_positive, diode_bias, fet, leak_size)
from ebn_circuit.errors import ConfigError
from ebn_circuit.spice.analysis import Transient
from ebn_circuit.spice.testbench import Testbench
from ebn_circuit.technology.core import Technology

UNIT = DeviceSize(1e-6, 1e-6)          # output, leak, weight, mirror and bias-diode devices
SWITCH = DeviceSize(0.42e-6, 0.15e-6)  # spike switch
PINS = ("spk", "isyn", "vw", "vthr", "vtau", "vdd", "vss")


@dataclass(frozen=True)
class DpiSynapseParams:
    """One DPI synapse and its bias currents.

    c_syn: synaptic capacitor (F, ideal). i_tau: leak current (A), sets τ = C·U_T/(κ·I_τ).
    i_gain: threshold current (A) of the pair, synaptic gain I_gain/I_τ. i_w: weight current (A),
    the tail current while a spike is high. pair_ratio: unit devices in parallel in the pair
    partner (headroom of the tail). unit_w, unit_l: size of every matched device (weight, pair
    units, mirror, output, bias diodes; the leak is unit_w × 4·unit_l); mismatch falls as
    1/sqrt(w·l).
    """

    c_syn: float = 2e-12
    i_tau: float = 7.2e-12
    i_gain: float = 180e-12
    i_w: float = 10e-9
    pair_ratio: int = 50
    unit_w: float = UNIT.w
    unit_l: float = UNIT.l

    def __post_init__(self) -> None:
        check_matched_size("DpiSynapseParams", self)
        check_positive("DpiSynapseParams", "c_syn", self.c_syn, "F")
        if self.c_syn > 1e-9:
            raise ConfigError(f"DpiSynapseParams.c_syn={self.c_syn} F is not an on-chip capacitor (> 1 nF)")
        for name in ("i_tau", "i_gain", "i_w"):
            # subthreshold bias currents: above the fA leakage floor, below strong inversion
            check_current("DpiSynapseParams", name, getattr(self, name), low=0.0, high=1e-6)
        if int(self.pair_ratio) != self.pair_ratio or self.pair_ratio < 1:
            raise ConfigError(f"DpiSynapseParams.pair_ratio must be an integer >= 1, got {self.pair_ratio}")

    @property
    def unit(self) -> DeviceSize:
        return DeviceSize(self.unit_w, self.unit_l)

    @property
    def leak(self) -> DeviceSize:
        return leak_size(self.unit)

    @property
    def subckt_name(self) -> str:
        size = "" if self.unit == UNIT else f"_u{self.unit_w * 1e6:g}x{self.unit_l * 1e6:g}"
        return f"dpi_synapse_c{self.c_syn * 1e12:g}p_m{self.pair_ratio}{size}"


def dpi_synapse(params: DpiSynapseParams, tech: Technology) -> SubCircuit:
    """The DPI synapse subcircuit; pins ``spk isyn vw vthr vtau vdd vss``.

    spk: spike input, active high (0/vdd). isyn: output, the synapse sinks I_syn into this pin
    (connect it to a neuron input or a 0 V sense source). vw, vthr, vtau: bias gates.
    """
    unit, leak = params.unit, params.leak
    pair = DeviceSize(unit.w, unit.l, params.pair_ratio)
    sub = SubCircuit(params.subckt_name, *PINS)
    sub.raw_spice = "\n".join([
        "* tail: spike switch and weight current",
        fet(tech, "pre", "n", "ws", "spk", "vss", SWITCH),
        fet(tech, "w", "n", "v1", "vw", "ws", unit),
        "* differential pair; the Mthr share charges vsyn through the pFET mirror while spk is high",
        fet(tech, "thr", "n", "vg", "vthr", "v1", unit),
        fet(tech, "pair", "n", "vdd", "vsyn", "v1", pair),
        fet(tech, "md", "p", "vg", "vg", "vdd", unit),
        fet(tech, "mc", "p", "mo", "vg", "vdd", unit),
        fet(tech, "on", "n", "mo", "spk", "vsyn", SWITCH),
        fet(tech, "tau", "n", "vsyn", "vtau", "vss", leak),
        fet(tech, "syn", "n", "isyn", "vsyn", "vss", unit),
        "* ideal capacitor",
    ]) + "\n"
    sub.C("syn", "vsyn", "vss", params.c_syn @ u_F)
    return sub


def synapse_biases(params: DpiSynapseParams, tech: Technology, vdd: str = "vdd", suffix: str = "") -> list[str]:
    """Testbench bias lines: vtau, vthr, vw from ideal currents into nFET unit diodes (the vthr
    diode carries pair_ratio·I_gain: Mthr is one unit against pair_ratio units in parallel).
    ``suffix`` is appended to the bias node and element names (``vtau<suffix>`` …), so that
    several blocks can share a testbench."""
    return (diode_bias(tech, f"tau{suffix}", "n", f"vtau{suffix}", params.i_tau, params.leak, vdd=vdd)
            + diode_bias(tech, f"thr{suffix}", "n", f"vthr{suffix}", params.i_gain * params.pair_ratio, params.unit,
                         vdd=vdd)
            + diode_bias(tech, f"w{suffix}", "n", f"vw{suffix}", params.i_w, params.unit, vdd=vdd))


def pulse_train_pwl(times: tuple[float, ...], width: float, high: float, edge: float = 1e-6) -> str:
    """PWL text of rectangular pulses (0 → high) starting at ``times``, ``width`` seconds each."""
    points = [(0.0, 0.0)]
    for start in times:
        points += [(start, 0.0), (start + edge, high), (start + width, high), (start + width + edge, 0.0)]
    return "PWL(" + " ".join(f"{t:.9g} {v:.6g}" for t, v in points) + ")"


@dataclass(frozen=True)
class SynapsePulseParams:
    """Transient testbench of one DPI synapse driven by rectangular input pulses.

    spike_times: pulse onsets (s); pulse_width (s); t_stop (s); max_step: the simulator's
    largest internal step (s); print_step (s). The output current is ``i(visyn)`` (A, > 0).
    """

    synapse: DpiSynapseParams = field(default_factory=DpiSynapseParams)
    spike_times: tuple[float, ...] = (5e-3,)
    pulse_width: float = 1e-3
    t_stop: float = 50e-3
    max_step: float = 50e-6
    print_step: float = 20e-6

    def __post_init__(self) -> None:
        for name in ("pulse_width", "t_stop", "max_step", "print_step"):
            check_positive("SynapsePulseParams", name, getattr(self, name), "s")
        times = tuple(self.spike_times)
        if any(t < 0 for t in times) or any(b < a + self.pulse_width + 2e-6 for a, b in zip(times, times[1:])):
            raise ConfigError("SynapsePulseParams.spike_times must be >= 0, increasing, and pulses "
                              f"({self.pulse_width} s wide) must not overlap; got {times}")
        if times and times[-1] + self.pulse_width >= self.t_stop:
            raise ConfigError(f"SynapsePulseParams.t_stop={self.t_stop} s ends before the last pulse")


def synapse_pulse_testbench(params: SynapsePulseParams, tech: Technology) -> Testbench:
    """DPI synapse with its bias diodes, spikes on ``spk``; I_syn is ``i(visyn)`` (output
    drain held at vdd through the 0 V source ``visyn``)."""
    syn = params.synapse
    circuit = Circuit(f"dpi_synapse_pulses_n{len(params.spike_times)}")
    circuit.subcircuit(dpi_synapse(syn, tech))
    circuit.V("dd", "vdd", circuit.gnd, tech.vdd @ u_V)
    circuit.V("isyn", "vdd", "isyn", 0 @ u_V)  # I_syn sense
    circuit.raw_spice = "\n".join(
        ["* visyn: 0 V source in the output branch, i(visyn) = I_syn",
         f"vspk spk 0 {pulse_train_pwl(tuple(params.spike_times), params.pulse_width, tech.vdd)}",
         "* biases: ideal reference currents into diode-connected devices"]
        + synapse_biases(syn, tech)) + "\n"
    circuit.X("syn", syn.subckt_name, "spk", "isyn", "vw", "vthr", "vtau", "vdd", circuit.gnd)
    return Testbench.from_circuit(circuit, Transient(step=params.print_step, stop=params.t_stop,
                                                     max_step=params.max_step),
                                  tech, options=SUBTHRESHOLD_OPTIONS)


NETLISTS = {
    "synapse_dpi_two_spikes": (SynapsePulseParams(spike_times=(5e-3, 15e-3)), synapse_pulse_testbench,
                               ("i(visyn)", "v(spk)")),
}
