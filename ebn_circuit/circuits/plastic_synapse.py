"""Plastic synapse: the counter's signed code sets the weight of a DPI synapse pair whose
filtered output enters the neuron input.

A DPI synapse takes a positive weight current, so the signed weight is split the way the DAC
already works (offset binary): an excitatory DPI gets the DAC's unsigned current
(code + 32)·I_lsb, an identical inhibitory DPI gets a fixed 32·I_lsb, and their outputs are
subtracted at the neuron input (the excitatory one sinks from ``iout``, the inhibitory one is
mirrored to source into it). Both see the same presynaptic pulse, so with matched devices the
net synaptic current is the DPI response to code·I_lsb: τ_syn·dI/dt + I = (I_gain/I_τ)·code·I_lsb
while the pulse is high.

Why a DPI and not the raw pulse: a weight current steered into the neuron only during the 1 ms
pulse must exceed the drive to inhibit and then clips at zero input, so inhibition could remove
at most the pulse's duty (20 % at 200 Hz) of the drive. The DPI spreads each pulse over τ_syn,
so inhibition can cancel the whole drive, and the weight range can move I_mem by many nA.

Pins ``b0 … b5 pulse iref iout vthr vtau vdd vss`` (iref: the DAC's unit-current input; iout:
the neuron's input node; vthr, vtau: the DPI biases, from ``plastic_synapse_biases``).
"""

from __future__ import annotations

from dataclasses import dataclass

from ebn_circuit.circuits.analysis import Transient
from ebn_circuit.circuits.codes import bit_names, code_range
from ebn_circuit.circuits.dac import DacParams, dac_cell, held_code
from ebn_circuit.circuits.mismatch import DeviceGroup
from ebn_circuit.circuits.schematic import SUBTHRESHOLD_OPTIONS, Cell, Schematic, Size, cell_name, leak_size
from ebn_circuit.circuits.synapse import DpiSynapseParams, dpi_synapse, pulse_train_pwl
from ebn_circuit.circuits.testbench import Testbench
from ebn_circuit.errors import ConfigError
from ebn_circuit.params import Params, param, positive
from ebn_circuit.technology.core import Technology

OUT_MIRROR = Size(2e-6, 4e-6)        # inhibitory output mirror: large for matching


def default_dpi() -> DpiSynapseParams:
    """τ_syn ≈ 2 ms (I_τ = 36 pA on 2 pF), gain I_gain/I_τ = 5: smooth at 200 Hz, not sluggish."""
    return DpiSynapseParams(c_syn=2e-12, i_tau=36e-12, i_gain=180e-12, i_w=1e-9)


@dataclass(frozen=True)
class PlasticSynapseParams(Params):
    """The weight DAC (polarity "offset"; its i_lsb is the weight unit) and the DPI pair (its i_w is
    unused: the DAC sets the weight)."""

    dac: DacParams = param(default_factory=lambda: DacParams(polarity="offset", i_lsb=100e-12), kind=DacParams)
    dpi: DpiSynapseParams = param(default_factory=default_dpi, kind=DpiSynapseParams)

    def validate(self) -> None:
        if self.dac.polarity != "offset":
            raise ConfigError("PlasticSynapseParams.dac.polarity must be 'offset': the DPI weight input is unsigned")

    @property
    def pins(self) -> tuple[str, ...]:
        return (*bit_names(self.dac.bits), "pulse", "iref", "iout", "vthr", "vtau", "vdd", "vss")

    @property
    def name(self) -> str:
        return cell_name("plastic_synapse", self)

    @property
    def offset_code(self) -> int:
        return 2 ** (self.dac.bits - 1)


def plastic_synapse(params: PlasticSynapseParams, tech: Technology) -> Cell:
    """The synapse subcircuit with its DAC and DPI children."""
    dac, syn = dac_cell(params.dac, tech), dpi_synapse(params.dpi, tech)
    unit = Size(params.dac.unit_w, params.dac.unit_l)
    weight_diode = params.dpi.unit  # like the DPI's Mw, whose gate it biases
    dac_mirror = Size(params.dac.mirror_w, params.dac.mirror_l)
    s = Schematic(tech, params.name, params.pins)
    s.instance("xdac", dac, **{b: b for b in bit_names(params.dac.bits)}, iref="iref", iout="vw_exc", vdd="vdd",
               vss="vss")
    s.instance("xexc", syn, spk="pulse", isyn="iout", vw="vw_exc", vthr="vthr", vtau="vtau", vdd="vdd", vss="vss")
    s.instance("xinh", syn, spk="pulse", isyn="inh_out", vw="vw_inh", vthr="vthr", vtau="vtau", vdd="vdd", vss="vss")
    s.comment("weight gates: the DAC's (code + 32)·I_lsb and a fixed 32·I_lsb into unit diodes like Mw")
    s.diode("mw_exc", "n", "vw_exc", "vss", weight_diode)
    s.fet("mcs_inh", "n", "inh_sum", "iref", "vss", unit.times(params.offset_code))
    s.diode("mpi_in", "p", "inh_sum", "vdd", dac_mirror)
    s.fet("mpi_out", "p", "vw_inh", "inh_sum", "vdd", dac_mirror)
    s.diode("mw_inh", "n", "vw_inh", "vss", weight_diode)
    s.comment("inhibition: the second DPI's output mirrored to source into the neuron input")
    s.diode("mio_in", "p", "inh_out", "vdd", OUT_MIRROR)
    s.fet("mio_out", "p", "iout", "inh_out", "vdd", OUT_MIRROR)
    return s.cell()


def mismatch_groups(params: PlasticSynapseParams) -> tuple[DeviceGroup, ...]:
    """The synapse's devices by role, for ``verify mismatch`` (DPI groups cover both DPIs)."""
    return (DeviceGroup("DAC unit sources", ("weight_dac*",), ("mref", "mcs_*")),
            DeviceGroup("DAC pFET mirror", ("weight_dac*",), ("mp_*",)),
            DeviceGroup("DAC switches", ("weight_dac*",)),
            DeviceGroup("inhibitory 32-unit source and mirror", ("plastic_synapse*",), ("mcs_inh", "mpi_*")),
            DeviceGroup("weight diodes", ("plastic_synapse*",), ("mw_*",)),
            DeviceGroup("inhibitory output mirror", ("plastic_synapse*",), ("mio_*",)),
            DeviceGroup("DPI weight and pair", ("dpi_synapse*",), ("w", "thr", "pair")),
            DeviceGroup("DPI pFET mirror", ("dpi_synapse*",), ("md", "mc")),
            DeviceGroup("DPI leak", ("dpi_synapse*",), ("tau",)),
            DeviceGroup("DPI output", ("dpi_synapse*",), ("syn",)),
            DeviceGroup("DPI bias diodes", ("",), ("bsv*",)))


def plastic_synapse_biases(s: Schematic, params: PlasticSynapseParams, vtau: str = "svtau",
                           vthr: str = "svthr") -> None:
    """Bias lines for the DPI pair's ``vtau`` and ``vthr`` nodes (as ``synapse_biases``, without
    the weight bias, which the DAC provides)."""
    syn = params.dpi
    s.bias(vtau, "n", vtau, syn.i_tau, leak_size(syn.unit))
    s.bias(vthr, "n", vthr, syn.i_gain * syn.pair_ratio, syn.unit)


@dataclass(frozen=True)
class PlasticSynapseBenchParams(Params):
    """The synapse with a code held on its bits, a 200 Hz train of 1 ms pulses, the output pin held
    at ``v_out`` (the neuron input sits one pFET V_gs below vdd). The net current it sinks from the
    output is ``i(vout)`` (A; > 0 excites). seed: Monte-Carlo instance (mismatch on)."""

    synapse: PlasticSynapseParams = param(default_factory=PlasticSynapseParams, kind=PlasticSynapseParams)
    code: int = param(0, integer=True, low=-512, high=511, low_inclusive=True, doc="the code held")
    pulses: int = param(6, integer=True, low=1, low_inclusive=True, doc="presynaptic pulses")
    period: float = positive(5e-3, "s", "pulse period")
    width: float = positive(1e-3, "s", "pulse width")
    v_out: float = param(1.3, unit="V", low=0.0, high=1.8, doc="output pin voltage")
    seed: int | None = None

    def validate(self) -> None:
        lo, hi = code_range(self.synapse.dac.bits)
        if not lo <= self.code <= hi:
            raise ConfigError(f"PlasticSynapseBenchParams.code must be in {lo}…{hi}, got {self.code}")
        if self.width >= self.period:
            raise ConfigError("PlasticSynapseBenchParams: need width < period")

    @property
    def onsets(self) -> tuple[float, ...]:
        return tuple(self.period * (k + 0.5) for k in range(self.pulses))

    @property
    def stop(self) -> float:
        return self.period * (self.pulses + 0.5)


def plastic_synapse_testbench(params: PlasticSynapseBenchParams, tech: Technology) -> Testbench:
    """Vectors: i(vout) (the net current sunk from the output, A) and v(pulse)."""
    syn = params.synapse
    cell = plastic_synapse(syn, tech)
    s = Schematic(tech, vss="0")
    s.define(cell)
    s.voltage("dd", "vdd", "0", tech.vdd)
    s.voltage("ss", "vss", "0", 0)
    held_code(s, params.code, syn.dac.bits, tech.vdd)
    s.voltage("pulse", "pulse", "0", pulse_train_pwl(params.onsets, params.width, tech.vdd))
    s.comment("the neuron input: a fixed voltage; i(vout) is the current the synapse sinks from it")
    s.voltage("out", "vout_node", "0", params.v_out)
    s.reference("syn", "isyn_ref", syn.dac.i_lsb)
    plastic_synapse_biases(s, syn)
    s.instance("xsyn", cell, **{b: b for b in bit_names(syn.dac.bits)}, pulse="pulse", iref="isyn_ref",
               iout="vout_node", vthr="svthr", vtau="svtau", vdd="vdd", vss="vss")
    return Testbench(f"plastic_synapse_code{params.code}", s.text(),
                     Transient(step=20e-6, stop=params.stop, max_step=50e-6), tech, seed=params.seed,
                     options=SUBTHRESHOLD_OPTIONS, saves=("i(vout)", "v(pulse)"))
