"""A DPI synapse whose weight current comes from the weight DAC (sky130, 1.8 V).

    bits b0…b5 (held at 0 / vdd) ─ DAC ─ iout = code·I_lsb sourced into vw
    vw ─ Mbw (nFET unit diode, like the synapse's Mw)  → vw carries I_w = code·I_lsb to Mw
    spk ─ DPI synapse (vtau, vthr from ideal references) ─ I_syn = i(visyn)

The DAC is the "source" polarity (its output sources current into the diode), so positive codes
give a weight current; a code ≤ 0 leaves the diode without current (no EPSC). The whole chain
(DAC mismatch, the mirror Mbw → Mw, the synapse) is in the one netlist, so a Monte-Carlo seed
draws all of it. The DAC's reference node is biased from the operating point at t = 0 (its
time constant is milliseconds, see ``circuits.dac``).
"""

from __future__ import annotations

from dataclasses import dataclass

from ebn_circuit.circuits import dpi
from ebn_circuit.circuits.analysis import Transient
from ebn_circuit.circuits.codes import code_range
from ebn_circuit.circuits.dac import DacParams, dac_cell, held_code
from ebn_circuit.circuits.schematic import SUBTHRESHOLD_OPTIONS, Schematic
from ebn_circuit.circuits.synapse import DpiSynapseParams, dpi_synapse, pulse_train_pwl
from ebn_circuit.circuits.testbench import Testbench
from ebn_circuit.errors import ConfigError
from ebn_circuit.params import Params, param, positive
from ebn_circuit.technology.core import Technology


@dataclass(frozen=True)
class SynapseDacParams(Params):
    """DAC-weighted synapse driven by rectangular spikes; the code is held on the bits during the
    run. seed: Monte-Carlo instance (with ``tech.with_mismatch(True)``), None for none."""

    synapse: DpiSynapseParams = param(default_factory=DpiSynapseParams, kind=DpiSynapseParams,
                                      doc="the DPI synapse (its i_w is ignored: the DAC sets it)")
    dac: DacParams = param(default_factory=lambda: DacParams(i_lsb=0.5e-9, polarity="source"), kind=DacParams,
                           doc="a polarity that sources current into the diode; i_lsb is the weight step per code")
    code: int = param(16, integer=True, low=-512, high=511, low_inclusive=True, doc="the weight code")
    spike_times: tuple[float, ...] = (2e-3,)
    pulse_width: float = positive(1e-3, "s", "width of each input pulse")
    t_stop: float = positive(12e-3, "s", "end of the transient")
    max_step: float = positive(50e-6, "s", "the simulator's largest internal step")
    print_step: float = positive(25e-6, "s", "print step")
    seed: int | None = None

    def validate(self) -> None:
        if self.dac.polarity == "sink":
            raise ConfigError("SynapseDacParams.dac.polarity must source current (e.g. 'source'): the DAC "
                              "feeds the weight current into the synapse's vw diode; got 'sink'")
        lo, hi = code_range(self.dac.bits)
        if not lo <= self.code <= hi:
            raise ConfigError(f"SynapseDacParams.code must be an integer in {lo}…{hi}, got {self.code}")
        times = tuple(self.spike_times)
        if not times or times[-1] + self.pulse_width >= self.t_stop:
            raise ConfigError(f"SynapseDacParams: need at least one spike, all ending before t_stop={self.t_stop} s")


def synapse_dac_testbench(params: SynapseDacParams, tech: Technology) -> Testbench:
    """Weight DAC → vw diode → DPI synapse; I_syn is ``i(visyn)`` (A, > 0), the weight current
    ``i(vwsense)`` (A, sourced by the DAC into the diode)."""
    syn, dac = params.synapse, params.dac
    syn_cell, dac_cell_ = dpi_synapse(syn, tech), dac_cell(dac, tech)
    s = Schematic(tech, vss="0")
    s.define(syn_cell, dac_cell_)
    s.voltage("dd", "vdd", "0", tech.vdd)
    s.voltage("ss", "vss", "0", 0)
    s.comment("I_syn sense: 0 V source in the output branch")
    s.voltage("isyn", "vdd", "isyn", 0)
    s.voltage("spk", "spk", "0", pulse_train_pwl(tuple(params.spike_times), params.pulse_width, tech.vdd))
    s.comment("weight code held on the DAC bits")
    held_code(s, params.code, dac.bits, tech.vdd)
    s.reference("ref", "iref", dac.i_lsb)
    s.instance("xdac", dac_cell_, **{p: p for p in dac_cell_.pins})
    s.comment("the DAC output current sets vw through a unit nFET diode (0 V sense source in series)")
    s.voltage("wsense", "iout", "vw", 0)
    s.diode("bw", "n", "vw", "0", syn.unit)
    s.comment("synapse biases: ideal reference currents into diode-connected devices")
    dpi.biases(s, syn.i_tau, syn.i_gain, syn.pair_ratio, syn.unit)
    s.instance("xsyn", syn_cell, spk="spk", isyn="isyn", vw="vw", vthr="vthr", vtau="vtau", vdd="vdd", vss="0")
    return Testbench(name=f"dpi_synapse_dac_code{params.code}", body=s.text(), technology=tech,
                     analysis=Transient(step=params.print_step, stop=params.t_stop, max_step=params.max_step),
                     options=SUBTHRESHOLD_OPTIONS, seed=params.seed)
