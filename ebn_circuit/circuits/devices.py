"""Single-device testbenches: the Id–Vg sweep that characterises a technology's transistors."""

from __future__ import annotations

from dataclasses import dataclass

from ebn_circuit.errors import ConfigError
from ebn_circuit.spice.analysis import DcSweep
from ebn_circuit.spice.testbench import Testbench
from ebn_circuit.technology.core import Technology


@dataclass(frozen=True)
class IdVgParams:
    """One transistor, source and bulk at its rail, drain at |vds|; gate swept 0 → vdd.

    kind: "n" or "p". w, l: metres. vds: drain–source magnitude in volts. vg_step: volts.
    """

    kind: str = "n"
    w: float = 1e-6
    l: float = 1e-6
    vds: float = 1.8
    vg_step: float = 0.005

    def __post_init__(self) -> None:
        if self.kind not in ("n", "p"):
            raise ConfigError(f"IdVgParams.kind must be 'n' or 'p', got {self.kind!r}")
        if self.w <= 0 or self.l <= 0:
            raise ConfigError(f"IdVgParams: w and l must be > 0 m, got w={self.w}, l={self.l}")
        if self.vds <= 0 or self.vg_step <= 0:
            raise ConfigError("IdVgParams: vds and vg_step must be > 0 V")


def idvg_testbench(params: IdVgParams, tech: Technology) -> Testbench:
    """Sweep ``vsg`` (the gate drive magnitude |Vgs|) from 0 to vdd; the drain current is
    ``i(vdrain)`` (negative for the nFET, whose source sinks it; sign per ngspice convention)."""
    vdd = tech.vdd
    if params.vds > vdd + 1e-9:
        raise ConfigError(f"IdVgParams.vds={params.vds} V exceeds the supply {vdd} V of {tech.name}")
    if params.kind == "n":
        lines = [
            f"vdrain d 0 {params.vds:g}",
            "vgs g 0 0",
            tech.device_line("dut", "n", "d", "g", "0", "0", params.w, params.l),
        ]
    else:
        # pFET: source and bulk at vdd, gate at vdd - |vgs|, drain at vdd - |vds|.
        lines = [
            f"vsupply s 0 {vdd:g}",
            f"vdrain d 0 {vdd - params.vds:g}",
            "vgs s g 0",
            tech.device_line("dut", "p", "d", "g", "s", "s", params.w, params.l),
        ]
    name = f"idvg_{params.kind}fet_w{params.w * 1e6:g}u_l{params.l * 1e6:g}u"
    return Testbench(name=name, body="\n".join(lines), analysis=DcSweep("vgs", 0.0, vdd, params.vg_step),
                     technology=tech)


NETLISTS = {
    "device_idvg_nfet": (IdVgParams(kind="n"), idvg_testbench, ("i(vdrain)",)),
    "device_idvg_pfet": (IdVgParams(kind="p"), idvg_testbench, ("i(vdrain)",)),
}
