"""Single-device testbenches: the Id–Vg sweep that characterises a technology's transistors."""

from __future__ import annotations

from dataclasses import dataclass

from ebn_circuit.circuits.analysis import DcSweep
from ebn_circuit.circuits.schematic import Schematic, Size
from ebn_circuit.circuits.testbench import Testbench
from ebn_circuit.errors import ConfigError
from ebn_circuit.params import Params, param, positive
from ebn_circuit.technology.core import Technology


@dataclass(frozen=True)
class IdVgParams(Params):
    """One transistor, source and bulk at its rail, drain at |vds|; gate swept 0 → vdd."""

    kind: str = param("n", choices=("n", "p"), doc="nFET or pFET")
    w: float = positive(1e-6, "m", "width")
    l: float = positive(1e-6, "m", "length")
    vds: float = positive(1.8, "V", "drain–source magnitude")
    vg_step: float = positive(0.005, "V", "gate sweep step")


def idvg_testbench(params: IdVgParams, tech: Technology) -> Testbench:
    """Sweep ``vsg`` (the gate drive magnitude |Vgs|) from 0 to vdd; the drain current is
    ``i(vdrain)`` (negative for the nFET, whose source sinks it; sign per ngspice convention)."""
    vdd = tech.vdd
    if params.vds > vdd + 1e-9:
        raise ConfigError(f"IdVgParams.vds={params.vds} V exceeds the supply {vdd} V of {tech.name}")
    s = Schematic(tech, vss="0")
    size = Size(params.w, params.l)
    if params.kind == "n":
        s.voltage("drain", "d", "0", params.vds)
        s.voltage("gs", "g", "0", 0)
        s.fet("dut", "n", "d", "g", "0", size, bulk="0")
    else:
        # pFET: source and bulk at vdd, gate at vdd - |vgs|, drain at vdd - |vds|.
        s.voltage("supply", "s", "0", vdd)
        s.voltage("drain", "d", "0", vdd - params.vds)
        s.voltage("gs", "s", "g", 0)
        s.fet("dut", "p", "d", "g", "s", size, bulk="s")
    name = f"idvg_{params.kind}fet_w{params.w * 1e6:g}u_l{params.l * 1e6:g}u"
    return Testbench(name=name, body=s.text(), analysis=DcSweep("vgs", 0.0, vdd, params.vg_step), technology=tech)


NETLISTS = {
    "device_idvg_nfet": (IdVgParams(kind="n"), idvg_testbench, ("i(vdrain)",)),
    "device_idvg_pfet": (IdVgParams(kind="p"), idvg_testbench, ("i(vdrain)",)),
}
