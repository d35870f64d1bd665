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

import numpy as np
from PySpice.Spice.Netlist import SubCircuit

from ebn_circuit.circuits.primitives import (SWITCH, Size, add, device, diode_stack, ideal_capacitor, inverter,
                                             reference_current, switch)
from ebn_circuit.errors import ConfigError
from ebn_circuit.spice.analysis import Transient
from ebn_circuit.spice.result import SimResult
from ebn_circuit.spice.testbench import Testbench
from ebn_circuit.technology.core import Technology


@dataclass(frozen=True)
class SampleHoldParams:
    """c_hold: hold capacitor (F, ideal). mirror_w, mirror_l: min, mout and the cascodes (m).
    bias_w, bias_l: the cascode-bias diode stack (m). i_bias: its reference current (A).
    outputs: number of held copies (pins iout1 …).
    The mirror is sized for mismatch: 4×32 µm gives a Monte-Carlo sampling error σ ≈ 2 % per
    output (2×8 µm: σ ≈ 5 %); its gate capacitance adds to c_hold."""

    c_hold: float = 1e-12
    mirror_w: float = 4e-6
    mirror_l: float = 32e-6
    bias_w: float = 4e-6
    bias_l: float = 1e-6
    i_bias: float = 2e-9
    outputs: int = 2

    def __post_init__(self) -> None:
        for field in ("c_hold", "mirror_w", "mirror_l", "bias_w", "bias_l", "i_bias"):
            if not getattr(self, field) > 0:
                raise ConfigError(f"SampleHoldParams.{field} must be > 0, got {getattr(self, field)}")
        if int(self.outputs) != self.outputs or self.outputs < 1:
            raise ConfigError(f"SampleHoldParams.outputs must be an integer >= 1, got {self.outputs}")

    @property
    def pins(self) -> tuple[str, ...]:
        return ("iin", *(f"iout{j}" for j in range(1, self.outputs + 1)), "hold", "vcas", "vdd", "vss")


def sample_hold_subckt(params: SampleHoldParams, tech: Technology, name: str = "sample_hold") -> SubCircuit:
    """The S&H as a PySpice SubCircuit with pins ``params.pins``."""
    mirror = Size(params.mirror_w, params.mirror_l)
    sub = SubCircuit(name, *params.pins)
    add(sub,
        diode_stack(tech, "mbias", "n", "vcas", "vss", Size(params.bias_w, params.bias_l), n=2),
        device(tech, "mcas_in", "n", "iin", "vcas", "nin", mirror),
        device(tech, "min", "n", "nin", "iin", "vss", mirror),
        inverter(tech, "inv_trk", "hold", "trk"),
        inverter(tech, "inv_hld", "trk", "hld"),
        switch(tech, "msample", "n", "iin", "vh", "trk", SWITCH.times(2)),
        device(tech, "mdummy", "n", "vh", "hld", "vh", SWITCH),
        ideal_capacitor("hold", "vh", "vss", params.c_hold))
    for j in range(1, params.outputs + 1):
        add(sub,
            device(tech, f"mout{j}", "n", f"nout{j}", "vh", "vss", mirror),
            device(tech, f"mcas_out{j}", "n", f"iout{j}", "vcas", f"nout{j}", mirror))
    return sub


@dataclass(frozen=True)
class SampleHoldBenchParams:
    """Track/hold cycles, one per input current (A): the input tracks ``currents[k]`` for t_track,
    ``hold`` rises (edge t_edge) and, t_jump_delay later, the input jumps by ``jump`` (fraction)
    as the synaptic current would; the hold lasts t_hold. Outputs held at v_out (V).
    seed: Monte-Carlo instance (with ``tech.with_mismatch(True)``); None for none."""

    sample_hold: SampleHoldParams = SampleHoldParams()
    currents: tuple[float, ...] = (5e-9, 9e-9, 20e-9)
    t_track: float = 300e-6
    t_hold: float = 1e-3
    t_edge: float = 100e-9
    t_jump_delay: float = 5e-6
    jump: float = 0.3
    v_out: float = 1.0
    gmin: float = 1e-15
    seed: int | None = None

    def __post_init__(self) -> None:
        if not self.currents or any(not i > 0 for i in self.currents):
            raise ConfigError(f"SampleHoldBenchParams.currents must be positive amperes, got {self.currents}")
        for field in ("t_track", "t_hold", "t_edge", "t_jump_delay"):
            if not getattr(self, field) > 0:
                raise ConfigError(f"SampleHoldBenchParams.{field} must be > 0 s, got {getattr(self, field)}")
        if self.t_jump_delay + 2 * self.t_edge >= self.t_hold:
            raise ConfigError("SampleHoldBenchParams.t_jump_delay must be inside the hold phase")
        if not -1 < self.jump:
            raise ConfigError(f"SampleHoldBenchParams.jump must be > -1, got {self.jump}")
        if not 0.5 <= self.v_out < 1.8:
            raise ConfigError(f"SampleHoldBenchParams.v_out must be in [0.5, 1.8) V, got {self.v_out}")
        if not 0 < self.gmin <= 1e-12:
            raise ConfigError(f"SampleHoldBenchParams.gmin must be in (0, 1e-12] S, got {self.gmin}")

    @property
    def period(self) -> float:
        return self.t_track + self.t_hold

    def hold_edges(self) -> np.ndarray:
        """Times (s) at which hold crosses vdd/2, one per cycle."""
        return np.arange(len(self.currents)) * self.period + self.t_track + self.t_edge / 2


def _pwl(points) -> str:
    return "pwl(" + " ".join(f"{t:.9g} {v:.9g}" for t, v in points) + ")"


def sample_hold_testbench(params: SampleHoldBenchParams, tech: Technology) -> Testbench:
    """Vectors: v(hold); the held copies are the currents sunk from vout1 … (−i(vout<j>)).
    gmin is lowered from ngspice's 1e-12 S: at 1e-12 S the three junctions on the hold node
    leak ~1.4 pA (a numerical aid, not device physics), a droop of ~4 %/ms on 1 pF."""
    vdd, sh = tech.vdd, params.sample_hold
    hold_pts, iin_pts = [], []
    for k, current in enumerate(params.currents):
        t0 = k * params.period
        t_edge = t0 + params.t_track
        t_jump = t_edge + params.t_jump_delay
        t_end = t0 + params.period - params.t_edge
        hold_pts += [(t0, 0.0), (t_edge, 0.0), (t_edge + params.t_edge, vdd), (t_end, vdd)]
        iin_pts += [(t0, current), (t_jump, current), (t_jump + 1e-6, current * (1 + params.jump)),
                    (t_end, current * (1 + params.jump))]
    sub = sample_hold_subckt(sh, tech)
    outputs = [f"iout{j}" for j in range(1, sh.outputs + 1)]
    body = [str(sub).rstrip(),
            f"vdd vdd 0 {vdd:g}",
            "vss vss 0 0",
            *reference_current("bias", "vcas", sh.i_bias),   # into the cascode-bias diode stack
            "* I_mem, sourced into the input",
            f"iin_src vdd iin {_pwl(iin_pts)}",
            f"vhold hold 0 {_pwl(hold_pts)}",
            *(f"v{out} {out} 0 {params.v_out:g}" for out in outputs),
            f"xsh iin {' '.join(outputs)} hold vcas vdd vss {sub.name}"]
    stop = len(params.currents) * params.period
    return Testbench(name="sample_hold_droop", body="\n".join(body), technology=tech,
                     analysis=Transient(step=1e-6, stop=stop, max_step=2e-6),
                     options=(("gmin", f"{params.gmin:g}"),), seed=params.seed,
                     saves=("v(hold)", "v(iin)", *(f"i(v{out})" for out in outputs)))


@dataclass(frozen=True)
class HoldErrors:
    """Per cycle (A, or fraction of the sampled current): the input at the hold edge, the held
    output t_settle after it, the output just before hold ends, the sampling error
    (held − input)/input and the droop over the hold (late − early)/early."""

    sampled: np.ndarray
    held: np.ndarray
    held_late: np.ndarray
    hold_time: float

    @property
    def sampling_error(self) -> np.ndarray:
        return (self.held - self.sampled) / self.sampled

    @property
    def droop(self) -> np.ndarray:
        return (self.held_late - self.held) / self.held


def hold_errors(params: SampleHoldBenchParams, result: SimResult, output: int = 1,
                t_settle: float = 20e-6) -> HoldErrors:
    """Measure the sampling error and droop of output ``output`` in every cycle."""
    t, iout = result.time, -result.i(f"viout{output}")
    edges = params.hold_edges()
    early = edges + t_settle
    late = edges - params.t_edge / 2 + params.t_hold - 2 * params.t_edge
    return HoldErrors(sampled=np.asarray(params.currents, float), held=np.interp(early, t, iout),
                      held_late=np.interp(late, t, iout), hold_time=float(late[0] - early[0]))


NETLISTS = {
    "sample_hold_droop": (SampleHoldBenchParams(), sample_hold_testbench, ("v(hold)", "i(viout1)")),
}
