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

from dataclasses import dataclass, field

from ebn_circuit.circuits.bias import SUBTHRESHOLD_OPTIONS, check_positive, diode_bias
from ebn_circuit.circuits.dac import DacParams, code_bits, code_range, dac_subckt
from ebn_circuit.circuits.primitives import reference_current
from ebn_circuit.circuits.synapse import DpiSynapseParams, dpi_synapse, pulse_train_pwl
from ebn_circuit.errors import ConfigError
from ebn_circuit.spice.analysis import Transient
from ebn_circuit.spice.testbench import Testbench
from ebn_circuit.technology.core import Technology


@dataclass(frozen=True)
class SynapseDacParams:
    """DAC-weighted synapse driven by rectangular spikes.

    synapse: its i_w is ignored (the DAC sets it). dac: a polarity that sources current into the
    diode ("source": code·I_lsb); i_lsb (A) is the weight step per code. code: the weight code
    held on the bits during the run.
    spike_times, pulse_width, t_stop, max_step, print_step (s) as in ``SynapsePulseParams``.
    seed: Monte-Carlo instance (with ``tech.with_mismatch(True)``), None for none.
    """

    synapse: DpiSynapseParams = field(default_factory=DpiSynapseParams)
    dac: DacParams = field(default_factory=lambda: DacParams(i_lsb=0.5e-9, polarity="source"))
    code: int = 16
    spike_times: tuple[float, ...] = (2e-3,)
    pulse_width: float = 1e-3
    t_stop: float = 12e-3
    max_step: float = 50e-6
    print_step: float = 25e-6
    seed: int | None = None

    def __post_init__(self) -> None:
        if self.dac.polarity == "sink":
            raise ConfigError("SynapseDacParams.dac.polarity must source current (e.g. 'source'): the DAC "
                              "feeds the weight current into the synapse's vw diode; got 'sink'")
        lo, hi = code_range(self.dac.bits)
        if int(self.code) != self.code or not lo <= self.code <= hi:
            raise ConfigError(f"SynapseDacParams.code must be an integer in {lo}…{hi}, got {self.code}")
        for name in ("pulse_width", "t_stop", "max_step", "print_step"):
            check_positive("SynapseDacParams", name, getattr(self, name), "s")
        times = tuple(self.spike_times)
        if not times or times[-1] + self.pulse_width >= self.t_stop:
            raise ConfigError(f"SynapseDacParams: need at least one spike, all ending before t_stop={self.t_stop} s")


def synapse_dac_testbench(params: SynapseDacParams, tech: Technology) -> Testbench:
    """Weight DAC → vw diode → DPI synapse; I_syn is ``i(visyn)`` (A, > 0), the weight current
    ``i(vwsense)`` (A, sourced by the DAC into the diode)."""
    syn, dac = params.synapse, params.dac
    syn_sub, dac_sub = dpi_synapse(syn, tech), dac_subckt(dac, tech)
    bits = code_bits(params.code, dac.bits)
    dac_pins = [f"b{k}" for k in range(dac.bits)] + ["iref", "iout", "vdd", "vss"]
    body = [str(syn_sub).rstrip(), str(dac_sub).rstrip(),
            f"vdd vdd 0 {tech.vdd:g}",
            "vss vss 0 0",
            "* I_syn sense: 0 V source in the output branch",
            "visyn vdd isyn 0",
            f"vspk spk 0 {pulse_train_pwl(tuple(params.spike_times), params.pulse_width, tech.vdd)}",
            "* weight code held on the DAC bits",
            *[f"vb{k} b{k} 0 {tech.vdd * bit:g}" for k, bit in enumerate(bits)],
            *reference_current("ref", "iref", dac.i_lsb),
            f"xdac {' '.join(dac_pins)} {dac_sub.name}",
            "* the DAC output current sets vw through a unit nFET diode (0 V sense source in series)",
            "vwsense iout vw 0",
            tech.device_line("bw", "n", "vw", "vw", "0", "0", syn.unit_w, syn.unit_l),
            "* synapse biases: ideal reference currents into diode-connected devices",
            *diode_bias(tech, "tau", "n", "vtau", syn.i_tau, syn.leak),
            *diode_bias(tech, "thr", "n", "vthr", syn.i_gain * syn.pair_ratio, syn.unit),
            f"xsyn spk isyn vw vthr vtau vdd 0 {syn_sub.name}"]
    return Testbench(name=f"dpi_synapse_dac_code{params.code}", body="\n".join(body), technology=tech,
                     analysis=Transient(step=params.print_step, stop=params.t_stop, max_step=params.max_step),
                     options=SUBTHRESHOLD_OPTIONS, seed=params.seed)
