"""Sample-and-hold of I_mem: tracks an input current while ``hold`` is low, holds it on a gate
capacitor from the rising edge of ``hold`` (the presynaptic pulse) and reproduces it as output
currents for the comparators.

Topology (cascoded nFET mirror whose output gate is sampled)::

    iin ─ mcas_in (gate vcas) ─ nin ─ min (gate = iin)          input diode via its cascode
    iin ─ msample (gate trk) ─ vh ─ Chold ;  mdummy (gate hld, drain = source = vh, half width)
    iout<j> ─ mcas_out<j> (gate vcas) ─ nout<j> ─ mout<j> (gate vh)      j = 1 … outputs
    vcas ─ 2-nFET diode stack (cascode bias ≈ 0.8 V)             (ideal reference current into vcas)
    hold → inv → trk → inv → hld

The cascodes pin the drains of min and of every mout at the same voltage (vcas − V_gs,cas), so
the held copy does not depend on the output pin voltage (sky130's subthreshold DIBL would
otherwise give ~10 %/V). Charge injection: msample is two minimum switches in parallel; when it
opens (trk falls) the dummy (one minimum switch), driven one inverter later by hld, absorbs its
channel charge; the remaining error scales as 1/C_hold. Droop: the switch is off with V_ds ≈ 0 and its gate at vss.

Pins ``iin iout1 … iout<n> hold vcas vdd vss``. ``iin`` takes the current *sourced into* it
(I_mem as a pFET copy; pin at one nFET V_gs ≈ 0.45 V). Each ``iout<j>`` *sinks* the sampled
current from the pin (connect to a comparator input; keep the pin above ~0.5 V). ``hold`` at vdd
= hold, 0 = track (the presynaptic pulse itself). ``vcas``: force the reference current
i_bias into it (the cascode-bias diode stack sets its voltage). Track settling:
τ = (C_hold + gates)·U_T/(κ·I_in) ≈ 15 µs at 9 nA (≈ 30 µs at 5 nA): track ≥ 150 µs between pulses.
"""

from __future__ import annotations

from dataclasses import dataclass

from ebn_circuit.circuits.analysis import Transient
from ebn_circuit.circuits.comparator import pwl
from ebn_circuit.circuits.schematic import SWITCH, Cell, Schematic, Size, cell_name
from ebn_circuit.circuits.testbench import Testbench
from ebn_circuit.circuits.track_hold import TrackHoldCycles
from ebn_circuit.errors import ConfigError
from ebn_circuit.params import Params, param, positive
from ebn_circuit.technology.core import Technology


@dataclass(frozen=True)
class SampleHoldParams(Params):
    """The mirror is sized for mismatch: 4×32 µm gives a Monte-Carlo sampling error σ ≈ 2 % per
    output (2×8 µm: σ ≈ 5 %); its gate capacitance adds to c_hold."""

    c_hold: float = positive(1e-12, "F", "hold capacitor (ideal)")
    mirror_w: float = positive(4e-6, "m", "min, mout and the cascodes")
    mirror_l: float = positive(32e-6, "m", "length of min, mout and the cascodes")
    bias_w: float = positive(4e-6, "m", "the cascode-bias diode stack")
    bias_l: float = positive(1e-6, "m", "length of the cascode-bias diode stack")
    i_bias: float = positive(2e-9, "A", "reference current of the cascode bias")
    outputs: int = param(2, integer=True, low=1, low_inclusive=True, doc="held copies (pins iout1 …)")

    @property
    def pins(self) -> tuple[str, ...]:
        return ("iin", *(f"iout{j}" for j in range(1, self.outputs + 1)), "hold", "vcas", "vdd", "vss")

    @property
    def name(self) -> str:
        return cell_name("sample_hold", self)


def sample_hold_cell(params: SampleHoldParams, tech: Technology) -> Cell:
    """The S&H subcircuit with pins ``params.pins``."""
    mirror = Size(params.mirror_w, params.mirror_l)
    s = Schematic(tech, params.name, params.pins)
    s.diode_stack("mbias", "n", "vcas", "vss", Size(params.bias_w, params.bias_l), n=2)
    s.fet("mcas_in", "n", "iin", "vcas", "nin", mirror)
    s.fet("min", "n", "nin", "iin", "vss", mirror)
    s.inverter("inv_trk", "hold", "trk")
    s.inverter("inv_hld", "trk", "hld")
    s.switch("msample", "n", "iin", "vh", "trk", SWITCH.times(2))
    s.fet("mdummy", "n", "vh", "hld", "vh", SWITCH)
    s.comment("ideal capacitor")
    s.capacitor("hold", "vh", "vss", params.c_hold)
    for j in range(1, params.outputs + 1):
        s.fet(f"mout{j}", "n", f"nout{j}", "vh", "vss", mirror)
        s.fet(f"mcas_out{j}", "n", f"iout{j}", "vcas", f"nout{j}", mirror)
    return s.cell()


@dataclass(frozen=True)
class SampleHoldBenchParams(TrackHoldCycles, Params):
    """Track/hold cycles, one per input current (A): the input tracks ``currents[k]`` for t_track,
    ``hold`` rises (edge t_edge) and, t_jump_delay later, the input jumps by ``jump`` (fraction) as
    the synaptic current would; the hold lasts t_hold. Outputs held at v_out.
    seed: Monte-Carlo instance (with ``tech.with_mismatch(True)``); None for none."""

    sample_hold: SampleHoldParams = param(default_factory=SampleHoldParams, kind=SampleHoldParams)
    currents: tuple[float, ...] = (5e-9, 9e-9, 20e-9)
    t_track: float = positive(300e-6, "s", "track phase")
    t_hold: float = positive(1e-3, "s", "hold phase")
    t_edge: float = positive(100e-9, "s", "edge time of hold")
    t_jump_delay: float = positive(5e-6, "s", "input jump after the hold edge")
    jump: float = param(0.3, low=-1.0, high=None, doc="relative input jump during the hold")
    v_out: float = param(1.0, unit="V", low=0.5, high=1.8, low_inclusive=True, high_inclusive=False,
                         doc="output pin voltage")
    gmin: float = param(1e-15, unit="S", low=0.0, high=1e-12)
    seed: int | None = None

    def validate(self) -> None:
        self.check_currents()
        if self.t_jump_delay + 2 * self.t_edge >= self.t_hold:
            raise ConfigError("SampleHoldBenchParams.t_jump_delay must be inside the hold phase")


def sample_hold_testbench(params: SampleHoldBenchParams, tech: Technology) -> Testbench:
    """Vectors: v(hold); the held copies are the currents sunk from vout1 … (−i(vout<j>)).
    gmin is lowered from ngspice's 1e-12 S: at 1e-12 S the three junctions on the hold node
    leak ~1.4 pA (a numerical aid, not device physics), a droop of ~4 %/ms on 1 pF."""
    vdd, sh = tech.vdd, params.sample_hold
    hold_pts, iin_pts = params.waveform_points(vdd)
    cell = sample_hold_cell(sh, tech)
    outputs = [f"iout{j}" for j in range(1, sh.outputs + 1)]
    s = Schematic(tech, vss="0")
    s.define(cell)
    s.voltage("dd", "vdd", "0", vdd)
    s.voltage("ss", "vss", "0", 0)
    s.reference("bias", "vcas", sh.i_bias)   # into the cascode-bias diode stack
    s.comment("I_mem, sourced into the input")
    s.current("in_src", "vdd", "iin", pwl(iin_pts))
    s.voltage("hold", "hold", "0", pwl(hold_pts))
    for out in outputs:
        s.voltage(out, out, "0", params.v_out)
    s.instance("xsh", cell, **{p: p for p in cell.pins})
    stop = len(params.currents) * params.period
    return Testbench(name="sample_hold_droop", body=s.text(), technology=tech,
                     analysis=Transient(step=1e-6, stop=stop, max_step=2e-6),
                     options=(("gmin", f"{params.gmin:g}"),), seed=params.seed,
                     saves=("v(hold)", "v(iin)", *(f"i(v{out})" for out in outputs)))


NETLISTS = {
    "sample_hold_droop": (SampleHoldBenchParams(), sample_hold_testbench, ("v(hold)", "i(viout1)")),
}
