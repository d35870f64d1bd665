"""Small technology-free testbenches for sweeps: an RC ladder transient (benchmarks, fault
tests) and a behavioural source that can be made not to converge (failure handling)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ebn_circuit.errors import ConfigError
from ebn_circuit.params import Params, param, positive
from ebn_circuit.circuits.analysis import Transient
from ebn_circuit.spice.result import SimResult
from ebn_circuit.circuits.testbench import Testbench
from ebn_circuit.technology.core import Technology


@dataclass(frozen=True)
class RcLadderParams(Params):
    """``sections`` RC sections (r ohms, c farads each) driven by a 1 V pulse train of ``period``
    seconds; transient to ``stop`` seconds with internal steps of at most ``max_step`` seconds
    (the run time in ngspice grows as stop / max_step)."""

    # bounded: each section is two netlist lines, and a sweep point must stay a small netlist
    sections: int = param(10, integer=True, low=1, low_inclusive=True, high=10_000, doc="RC sections")
    r: float = positive(1e3, "ohm", "resistance per section")
    c: float = positive(1e-12, "F", "capacitance per section")
    period: float = positive(10e-6, "s", "input pulse period")
    stop: float = positive(20e-6, "s", "end of the transient")
    max_step: float = positive(1e-9, "s", "largest internal step")

    def validate(self) -> None:
        if not self.max_step < self.stop:
            raise ConfigError(f"RcLadderParams: need 0 < max_step < stop and period > 0 s; got {self}")


def rc_ladder_testbench(params: RcLadderParams, tech: Technology) -> Testbench:
    """Input ``in``, sections ``n1 … n<k>``, output ``out`` (the last node); saves v(out) only."""
    nodes = ["in"] + [f"n{k}" for k in range(1, params.sections)] + ["out"]
    half = params.period / 2
    lines = [f"vin in 0 pulse(0 1 0 1n 1n {half:g} {params.period:g})"]
    for k in range(params.sections):
        lines.append(f"r{k + 1} {nodes[k]} {nodes[k + 1]} {params.r:g}")
        lines.append(f"c{k + 1} {nodes[k + 1]} 0 {params.c:g}")
    return Testbench(name=f"rc_ladder_{params.sections}", body="\n".join(lines),
                     analysis=Transient(step=params.max_step, stop=params.stop, max_step=params.max_step),
                     technology=None, saves=("v(out)",))


def rc_ladder_metrics(result: SimResult, params: RcLadderParams) -> dict[str, float]:
    """t50: first time v(out) reaches 0.5 V (s, NaN if never); v_max: its peak (V)."""
    time, out = result.time, np.real(result.v("out"))
    above = np.flatnonzero(out >= 0.5)
    t50 = float(np.interp(0.5, out[above[0] - 1:above[0] + 1], time[above[0] - 1:above[0] + 1])) \
        if above.size and above[0] > 0 else float("nan")
    return {"t50": t50, "v_max": float(out.max())}


@dataclass(frozen=True)
class RunawayParams:
    """A behavioural current source ``gain·exp(exponent·v(b))`` (A) into node b, which has
    ``r`` ohms and 1 fF to ground. With gain=1e3 and exponent=200 the transient never
    converges (ngspice: "timestep too small"); gain ≤ 1e-9 with r=1e3 runs."""

    gain: float = 1e-12
    exponent: float = 1.0
    r: float = 1e3


def runaway_testbench(params: RunawayParams, tech: Technology) -> Testbench:
    body = "\n".join([
        "v1 a 0 pulse(0 1 0 1p 1p 1n 2n)",
        "ra a 0 1k",
        f"b1 0 b i={params.gain:g}*exp(v(b)*{params.exponent:g})",
        f"r1 b 0 {params.r:g}",
        "c1 b 0 1f",
    ])
    return Testbench(name="runaway_source", body=body, analysis=Transient(1e-12, 1e-8), technology=None)
