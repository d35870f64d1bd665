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
(``Schematic.bias``): vtau ← I_τ (long device, like Mtau), vthr ← pair_ratio·I_gain, vw ← I_w
(all nFET). Testbenches use ``schematic.SUBTHRESHOLD_OPTIONS`` (gmin, gear). The pair and its
mirror are the DPI core of ``circuits.dpi``, shared with the neuron.
"""

from __future__ import annotations

from dataclasses import dataclass

from ebn_circuit.circuits import dpi
from ebn_circuit.circuits.analysis import Transient
from ebn_circuit.circuits.schematic import (SUBTHRESHOLD_OPTIONS, SWITCH, Cell, Schematic, Size, cell_name)
from ebn_circuit.circuits.testbench import Testbench
from ebn_circuit.errors import ConfigError
from ebn_circuit.params import Params, param, positive
from ebn_circuit.technology.core import Technology

UNIT = Size(1e-6, 1e-6)          # output, leak, weight, mirror and bias-diode devices
PINS = ("spk", "isyn", "vw", "vthr", "vtau", "vdd", "vss")


def matched_size(default: float, doc: str):
    """A matched device's width or length: 0.42 … 20 µm."""
    return param(default, unit="m", low=0.42e-6, high=20e-6, low_inclusive=True, doc=doc)


def subthreshold_current(default: float, doc: str):
    """A bias current above the fA leakage floor and below strong inversion (≤ 1 µA)."""
    return positive(default, "A", doc, high=1e-6)


def on_chip_capacitor(default: float, doc: str):
    return positive(default, "F", doc, high=1e-9)


@dataclass(frozen=True)
class DpiSynapseParams(Params):
    """One DPI synapse and its bias currents. Mismatch falls as 1/sqrt(w·l) of the matched devices."""

    c_syn: float = on_chip_capacitor(2e-12, "synaptic capacitor (ideal)")
    i_tau: float = subthreshold_current(7.2e-12, "leak current; τ = C·U_T/(κ·I_τ)")
    i_gain: float = subthreshold_current(180e-12, "threshold current of the pair; gain I_gain/I_τ")
    i_w: float = subthreshold_current(10e-9, "weight current: the tail current while a spike is high")
    pair_ratio: int = param(50, integer=True, low=1, low_inclusive=True, high=None,
                            doc="unit devices in parallel in the pair partner (headroom of the tail)")
    unit_w: float = matched_size(UNIT.w, "width of every matched device (weight, pair units, mirror, "
                                         "output, bias diodes; the leak is unit_w × 4·unit_l)")
    unit_l: float = matched_size(UNIT.l, "length of every matched device")

    @property
    def unit(self) -> Size:
        return Size(self.unit_w, self.unit_l)

    @property
    def name(self) -> str:
        return cell_name("dpi_synapse", self)


def dpi_synapse(params: DpiSynapseParams, tech: Technology) -> Cell:
    """The DPI synapse subcircuit; pins ``spk isyn vw vthr vtau vdd vss``.

    spk: spike input, active high (0/vdd). isyn: output, the synapse sinks I_syn into this pin
    (connect it to a neuron input or a 0 V sense source). vw, vthr, vtau: bias gates.
    """
    unit = params.unit
    s = Schematic(tech, params.name, PINS)
    s.comment("tail: spike switch and weight current")
    s.fet("pre", "n", "ws", "spk", "vss", SWITCH)
    s.fet("w", "n", "v1", "vw", "ws", unit)
    s.comment("differential pair; the Mthr share charges vsyn through the pFET mirror while spk is high")
    dpi.pair_and_mirror(s, "vsyn", "mo", unit, params.pair_ratio)
    s.fet("on", "n", "mo", "spk", "vsyn", SWITCH)
    dpi.leak(s, "vsyn", unit)
    s.fet("syn", "n", "isyn", "vsyn", "vss", unit)
    s.comment("ideal capacitor")
    s.capacitor("syn", "vsyn", "vss", params.c_syn)
    return s.cell()


def synapse_biases(s: Schematic, params: DpiSynapseParams, suffix: str = "") -> None:
    """Bias lines on a testbench: vtau, vthr, vw (+ ``suffix``) from ideal currents into nFET
    diodes (the vthr diode carries pair_ratio·I_gain), so that several blocks can share one."""
    dpi.biases(s, params.i_tau, params.i_gain, params.pair_ratio, params.unit, suffix)
    s.bias(f"w{suffix}", "n", f"vw{suffix}", params.i_w, params.unit)


def pulse_train_pwl(times: tuple[float, ...], width: float, high: float, edge: float = 1e-6) -> str:
    """PWL text of rectangular pulses (0 → high) starting at ``times``, ``width`` seconds each."""
    points = [(0.0, 0.0)]
    for start in times:
        points += [(start, 0.0), (start + edge, high), (start + width, high), (start + width + edge, 0.0)]
    return "PWL(" + " ".join(f"{t:.9g} {v:.6g}" for t, v in points) + ")"


def check_pulses(owner: str, times: tuple[float, ...], width: float, t_stop: float) -> None:
    """Pulse onsets must be >= 0, increasing, non-overlapping and end before t_stop."""
    if any(t < 0 for t in times) or any(b < a + width + 2e-6 for a, b in zip(times, times[1:])):
        raise ConfigError(f"{owner}.spike_times must be >= 0, increasing, and pulses ({width} s wide) must not "
                          f"overlap; got {times}")
    if times and times[-1] + width >= t_stop:
        raise ConfigError(f"{owner}.t_stop={t_stop} s ends before the last pulse")


@dataclass(frozen=True)
class SynapsePulseParams(Params):
    """Transient testbench of one DPI synapse driven by rectangular input pulses. The output
    current is ``i(visyn)`` (A, > 0)."""

    synapse: DpiSynapseParams = param(default_factory=DpiSynapseParams, kind=DpiSynapseParams)
    spike_times: tuple[float, ...] = (5e-3,)
    pulse_width: float = positive(1e-3, "s", "width of each input pulse")
    t_stop: float = positive(50e-3, "s", "end of the transient")
    max_step: float = positive(50e-6, "s", "the simulator's largest internal step")
    print_step: float = positive(20e-6, "s", "print step")

    def validate(self) -> None:
        check_pulses("SynapsePulseParams", tuple(self.spike_times), self.pulse_width, self.t_stop)


def synapse_pulse_testbench(params: SynapsePulseParams, tech: Technology) -> Testbench:
    """DPI synapse with its bias diodes, spikes on ``spk``; I_syn is ``i(visyn)`` (output drain
    held at vdd through the 0 V source ``visyn``)."""
    syn = dpi_synapse(params.synapse, tech)
    s = Schematic(tech, vss="0")
    s.comment("visyn: 0 V source in the output branch, i(visyn) = I_syn")
    s.voltage("spk", "spk", "0", pulse_train_pwl(tuple(params.spike_times), params.pulse_width, tech.vdd))
    s.comment("biases: ideal reference currents into diode-connected devices")
    synapse_biases(s, params.synapse)
    s.define(syn)
    s.voltage("dd", "vdd", "0", tech.vdd)
    s.voltage("isyn", "vdd", "isyn", 0)
    s.instance("Xsyn", syn, spk="spk", isyn="isyn", vw="vw", vthr="vthr", vtau="vtau", vdd="vdd", vss="0")
    return Testbench(f"dpi_synapse_pulses_n{len(params.spike_times)}", s.text(),
                     Transient(step=params.print_step, stop=params.t_stop, max_step=params.max_step),
                     tech, options=SUBTHRESHOLD_OPTIONS)


NETLISTS = {
    "synapse_dpi_two_spikes": (SynapsePulseParams(spike_times=(5e-3, 15e-3)), synapse_pulse_testbench,
                               ("i(visyn)", "v(spk)")),
}
