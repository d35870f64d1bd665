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

from dataclasses import dataclass, field

from PySpice.Spice.Netlist import SubCircuit

from ebn_circuit.circuits.bias import diode_bias
from ebn_circuit.circuits.dac import DacParams, dac_subckt
from ebn_circuit.circuits.primitives import Size, add, diode, mirror_out
from ebn_circuit.circuits.synapse import DpiSynapseParams, dpi_synapse
from ebn_circuit.errors import ConfigError
from ebn_circuit.technology.core import Technology

OUT_MIRROR = Size(2e-6, 4e-6)        # inhibitory output mirror: large for matching


def default_dpi() -> DpiSynapseParams:
    """τ_syn ≈ 2 ms (I_τ = 36 pA on 2 pF), gain I_gain/I_τ = 5: smooth at 200 Hz, not sluggish."""
    return DpiSynapseParams(c_syn=2e-12, i_tau=36e-12, i_gain=180e-12, i_w=1e-9)


@dataclass(frozen=True)
class PlasticSynapseParams:
    """dac: the weight DAC (polarity "offset"; its i_lsb is the weight unit, A). dpi: the DPI
    synapse pair's capacitor and biases (its i_w is unused: the DAC sets the weight)."""

    dac: DacParams = field(default_factory=lambda: DacParams(polarity="offset", i_lsb=100e-12))
    dpi: DpiSynapseParams = field(default_factory=default_dpi)

    def __post_init__(self) -> None:
        if self.dac.polarity != "offset":
            raise ConfigError("PlasticSynapseParams.dac.polarity must be 'offset': the DPI weight input is unsigned")

    @property
    def pins(self) -> tuple[str, ...]:
        return tuple(f"b{k}" for k in range(self.dac.bits)) + ("pulse", "iref", "iout", "vthr", "vtau", "vdd", "vss")

    @property
    def subckt_name(self) -> str:
        return f"plastic_synapse_{self.dac.bits}b"

    @property
    def offset_code(self) -> int:
        return 2 ** (self.dac.bits - 1)


def plastic_synapse(params: PlasticSynapseParams, tech: Technology) -> list[SubCircuit]:
    """The synapse subcircuit and the DAC and DPI subcircuits it instantiates (define all)."""
    dac = dac_subckt(params.dac, tech, name=f"{params.subckt_name}_dac")
    dpi = dpi_synapse(params.dpi, tech)
    unit = Size(params.dac.unit_w, params.dac.unit_l)
    weight_diode = Size(params.dpi.unit_w, params.dpi.unit_l)  # like the DPI's Mw, whose gate it biases
    dac_mirror = Size(params.dac.mirror_w, params.dac.mirror_l)
    sub = SubCircuit(params.subckt_name, *params.pins)
    bits = " ".join(f"b{k}" for k in range(params.dac.bits))
    sub.raw_spice = "\n".join([
        f"xdac {bits} iref vw_exc vdd vss {dac.name}",
        f"xexc pulse iout vw_exc vthr vtau vdd vss {dpi.name}",
        f"xinh pulse inh_out vw_inh vthr vtau vdd vss {dpi.name}"]) + "\n"
    add(sub,
        "* weight gates: the DAC's (code + 32)·I_lsb and a fixed 32·I_lsb into unit diodes like Mw",
        diode(tech, "mw_exc", "n", "vw_exc", "vss", weight_diode),
        mirror_out(tech, "mcs_inh", "n", "inh_sum", "iref", "vss", unit.times(params.offset_code)),
        diode(tech, "mpi_in", "p", "inh_sum", "vdd", dac_mirror),
        mirror_out(tech, "mpi_out", "p", "vw_inh", "inh_sum", "vdd", dac_mirror),
        diode(tech, "mw_inh", "n", "vw_inh", "vss", weight_diode),
        "* inhibition: the second DPI's output mirrored to source into the neuron input",
        diode(tech, "mio_in", "p", "inh_out", "vdd", OUT_MIRROR),
        mirror_out(tech, "mio_out", "p", "iout", "inh_out", "vdd", OUT_MIRROR))
    return [dac, dpi, sub]


def plastic_synapse_biases(params: PlasticSynapseParams, tech: Technology, vtau: str = "svtau",
                           vthr: str = "svthr") -> list[str]:
    """Testbench lines for the DPI pair's ``vtau`` and ``vthr`` nodes (as ``synapse_biases``,
    without the weight bias, which the DAC provides)."""
    dpi = params.dpi
    return (diode_bias(tech, vtau, "n", vtau, dpi.i_tau, dpi.leak)
            + diode_bias(tech, vthr, "n", vthr, dpi.i_gain * dpi.pair_ratio, dpi.unit))
