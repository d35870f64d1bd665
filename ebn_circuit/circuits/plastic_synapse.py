"""Plastic synapse: the weight DAC's signed current steered into the neuron input during each
presynaptic pulse.

The weight is the counter's code; a "sink"-polarity DAC turns it into I_w = code·I_lsb sunk
from its output (the DPI neuron's ``iin`` excites by sinking), and a pFET steering pair sends
that current to the neuron while ``pulse`` is high and to a dummy diode (the same pFET-diode
load as the neuron input, so the DAC output barely moves) while it is low. The neuron's DPI
membrane then filters the pulse: one pulse raises I_mem by I_Ω ≈ (I_th/I_τ)·I_w·t_pulse/τ_mem.

Pins ``b0 … b5 pulse iref iout vdd vss`` (iref: the DAC's unit-current input; iout: to the
neuron's input node).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySpice.Spice.Netlist import SubCircuit

from ebn_circuit.circuits.dac import DacParams, dac_subckt
from ebn_circuit.circuits.primitives import LOGIC_N, LOGIC_P, Size, add, device, diode, inverter
from ebn_circuit.errors import ConfigError
from ebn_circuit.technology.core import Technology

STEER = Size(1e-6, 0.5e-6)     # pFET steering switches
DUMMY = Size(1e-6, 1e-6)       # the dummy load: like the neuron's input diode


@dataclass(frozen=True)
class PlasticSynapseParams:
    """dac: the weight DAC (its polarity must be "sink"); i_lsb there is the weight unit (A)."""

    dac: DacParams = field(default_factory=lambda: DacParams(polarity="sink", i_lsb=300e-12))

    def __post_init__(self) -> None:
        if self.dac.polarity != "sink":
            raise ConfigError("PlasticSynapseParams.dac.polarity must be 'sink': the neuron input excites by sinking")

    @property
    def pins(self) -> tuple[str, ...]:
        return tuple(f"b{k}" for k in range(self.dac.bits)) + ("pulse", "iref", "iout", "vdd", "vss")

    @property
    def subckt_name(self) -> str:
        return f"plastic_synapse_{self.dac.bits}b"


def plastic_synapse(params: PlasticSynapseParams, tech: Technology) -> list[SubCircuit]:
    """The synapse subcircuit and the DAC subcircuit it instantiates (define both)."""
    dac = dac_subckt(params.dac, tech, name=f"{params.subckt_name}_dac")
    sub = SubCircuit(params.subckt_name, *params.pins)
    bits = " ".join(f"b{k}" for k in range(params.dac.bits))
    sub.raw_spice = f"xdac {bits} iref idac vdd vss {dac.name}\n"
    add(sub,
        inverter(tech, "inv_pulse", "pulse", "pulse_b", LOGIC_N, LOGIC_P),
        "* steering: to the neuron while pulse is high, to the dummy load otherwise",
        device(tech, "msel_on", "p", "idac", "pulse_b", "iout", STEER, bulk="vdd"),
        device(tech, "msel_off", "p", "idac", "pulse", "idump", STEER, bulk="vdd"),
        diode(tech, "mdump", "p", "idump", "vdd", DUMMY))
    return [dac, sub]
