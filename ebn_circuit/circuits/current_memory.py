"""Current memory (a dynamic current mirror, Wegmann & Vittoz 1990): one transistor carries the
input current while it tracks and keeps carrying it, from its gate held on a capacitor, while it
holds. The copy is made by the same device that sampled, so its threshold and slope mismatch do
not enter; what remains is the charge the sampling switch leaves on the gate (mostly the same in
every instance) and the leakage of the hold node.

Topology, ``kind`` "p" (sources the held current; its input pin is pulled by an nFET sink such as
the neuron's output transistor) — "n" is the mirror image on vss::

    vdd ─ mmem (gate vg) ─ a ─ mcas (gate vcas) ─ xm           memory device, cascoded
    xm ─ msample (track) ─ vg ;  mdummy (half size, drain = source = vg)    vg ─ Chold ─ rail
    iin ─ min (track) ─ xm ;   iin ─ mdump_sw (hold) ─ dump (diode like mmem) ─ mbleed (gate vbias)
    xm ─ mout (hold) ─ out

Track (``hold`` low): the memory is a cascoded diode carrying the input current. Hold: the sample
switch opens first, its dummy turns on one gate delay later and absorbs about half its channel
charge; then the input is steered into the dump diode and the memory's drain onto ``out``. The
cascode keeps the memory's drain at the same voltage in both phases, so ``out`` may sit anywhere
within the cascode's range. Each edge of ``hold`` ripples through five inverters (h1…h5), which
order the switches. A bleed current (a bias-generator copy, ~2 nA) keeps the dump diode biased
while it idles, so the input node only moves by ~60 mV when it is switched over (from an idle dump
it jumped by 0.4 V, and the neuron's output transistor, whose drain that is, glitched by 0.4 nA).

Pins ``iin out hold vcas vbias vdd vss``: ``vcas`` is the cascode gate (an nFET cascode near 0.75 V;
a pFET cascode about 0.2 V + one pFET V_gs below vdd); ``vbias`` the bleed device's gate (the
complementary kind's bias diode: an nFET one for "p"). Track settling: τ = C·U_T/(κ·I) with C the
hold capacitor and the memory's gate (~2 pF): 8 µs at 9 nA, 40 µs at 2 nA.
"""

from __future__ import annotations

from dataclasses import dataclass

from ebn_circuit.circuits.analysis import Transient
from ebn_circuit.circuits.comparator import pwl
from ebn_circuit.circuits.schematic import SWITCH, Cell, Schematic, Size, cell_name
from ebn_circuit.circuits.testbench import Testbench
from ebn_circuit.circuits.track_hold import TrackHoldCycles
from ebn_circuit.params import Params, param, positive
from ebn_circuit.technology.core import Technology

PINS = ("iin", "out", "hold", "vcas", "vbias", "vdd", "vss")
CASCODE_BIAS = Size(4e-6, 1e-6)      # wide, short diodes: a low V_gs each (and the bleed devices)
PCASCODE_BIAS = Size(8e-6, 0.5e-6)


@dataclass(frozen=True)
class CurrentMemoryParams(Params):
    """A current memory: device kind and sizes, hold capacitor (ideal)."""

    kind: str = param("p", choices=("n", "p"), doc="p: sources the held current; n: sinks it")
    w: float = positive(4e-6, "m", "memory device, its cascode and the dump diode: width")
    l: float = positive(16e-6, "m", "their length (long: output resistance, little DIBL)")
    c_hold: float = positive(1e-12, "F", "hold capacitor (ideal) from the memory's gate to its rail",
                             high=1e-9)
    sample_units: int = param(2, integer=True, low=1, low_inclusive=True, doc="minimum switches in the sample switch")
    dummy_units: int = param(1, integer=True, low=1, low_inclusive=True, doc="minimum switches in its dummy")

    @property
    def name(self) -> str:
        return cell_name(f"current_memory_{self.kind}", self)


def current_memory_cell(params: CurrentMemoryParams, tech: Technology) -> Cell:
    """The memory with pins ``PINS`` (see the module docstring)."""
    k, size = params.kind, Size(params.w, params.l)
    rail = "vdd" if k == "p" else "vss"
    # switch gates: on while high for nFET switches, while low for pFET ones (h1 = NOT hold, …)
    sample, dummy, track, hold = ("h1", "h2", "h3", "h4") if k == "n" else ("h2", "h3", "h4", "h5")
    s = Schematic(tech, params.name, PINS)
    s.comment("hold → h1 … h5: each edge ripples through five inverters and orders the switches")
    for j in range(1, 6):
        s.inverter(f"inv_h{j}", "hold" if j == 1 else f"h{j - 1}", f"h{j}")
    s.fet("mmem", k, "a", "vg", rail, size)
    s.fet("mcas", k, "xm", "vcas", "a", size)
    s.switch("msample", k, "xm", "vg", sample, SWITCH.times(params.sample_units))
    s.fet("mdummy", k, "vg", dummy, "vg", SWITCH.times(params.dummy_units))
    s.comment("ideal capacitor")
    s.capacitor("hold", "vg", rail, params.c_hold)
    s.switch("min", k, "iin", "xm", track)
    s.switch("mdump_sw", k, "iin", "dump", hold)
    s.diode("mdump", k, "dump", rail, size)
    s.fet("mbleed", "n" if k == "p" else "p", "dump", "vbias", "vss" if k == "p" else "vdd",
          CASCODE_BIAS if k == "p" else PCASCODE_BIAS)
    s.switch("mout", k, "xm", "out", hold)
    return s.cell()



def cascode_bias(s: Schematic, kind: str, node: str, name: str = "mcb") -> None:
    """A cascode gate bias at ``node``: two diodes in series from the rail, biased by a reference
    current forced through them (into ``node`` for "n": ≈ 0.75 V at 2 nA; out of it for "p":
    ≈ vdd − 1.25 V). The reference current is drawn by the caller."""
    rail = "vss" if kind == "n" else "vdd"
    s.diode_stack(name, kind, node, rail, CASCODE_BIAS if kind == "n" else PCASCODE_BIAS, n=2)


@dataclass(frozen=True)
class CurrentMemoryBenchParams(TrackHoldCycles, Params):
    """Track/hold cycles, one per input current (A): the input tracks ``currents[k]`` for t_track,
    ``hold`` rises and, t_jump_delay later, the input jumps by ``jump`` (fraction); the output is
    held at v_out. seed: Monte-Carlo instance (mismatch on)."""

    memory: CurrentMemoryParams = param(default_factory=CurrentMemoryParams, kind=CurrentMemoryParams)
    currents: tuple[float, ...] = (3e-9, 9e-9, 18e-9)
    t_track: float = positive(300e-6, "s", "track phase")
    t_hold: float = positive(300e-6, "s", "hold phase")
    t_edge: float = positive(100e-9, "s", "edge time of hold")
    t_jump_delay: float = positive(5e-6, "s", "input jump after the hold edge")
    jump: float = param(0.3, low=-1.0, high=None, doc="relative input jump during the hold")
    v_out: float = param(0.75, unit="V", low=0.2, high=1.6, doc="output pin voltage")
    i_bias: float = positive(2e-9, "A", "reference current of the cascode bias")
    seed: int | None = None

    def validate(self) -> None:
        self.check_currents()


def current_memory_testbench(params: CurrentMemoryBenchParams, tech: Technology) -> Testbench:
    """Vectors: v(hold); i(vin) the input current, i(vout) the held output (both positive in the
    direction the memory conducts them)."""
    vdd, mem = tech.vdd, params.memory
    hold_pts, in_pts = params.waveform_points(vdd)
    cell = current_memory_cell(mem, tech)
    s = Schematic(tech, vss="0")
    s.define(cell)
    s.voltage("dd", "vdd", "0", vdd)
    s.voltage("ss", "vss", "0", 0)
    s.reference("bias", "vcas", params.i_bias, kind=mem.kind)
    cascode_bias(s, mem.kind, "vcas")
    other = "n" if mem.kind == "p" else "p"
    s.comment("the bleed bias: a diode of the other kind at i_bias")
    s.reference("bleed", "vbias", params.i_bias, kind=other)
    s.diode("mbleed_ref", other, "vbias", "vss" if other == "n" else "vdd",
            CASCODE_BIAS if other == "n" else PCASCODE_BIAS)
    s.voltage("hold", "hold", "0", pwl(hold_pts))
    if mem.kind == "p":
        s.comment("the input: an ideal sink of the tracked current; the output held at v_out")
        s.voltage("in", "iin", "iin_s", 0)
        s.current("in", "iin_s", "0", pwl(in_pts))
        s.voltage("out", "iout", "0", params.v_out)
    else:
        s.comment("the input: an ideal source of the tracked current; the output held at v_out")
        s.current("in", "vdd", "iin_s", pwl(in_pts))
        s.voltage("in", "iin_s", "iin", 0)
        s.voltage("out", "vdd_out", "iout", 0)
        s.voltage("outsup", "vdd_out", "0", params.v_out)
    s.instance("xmem", cell, iin="iin", out="iout", hold="hold", vcas="vcas", vbias="vbias", vdd="vdd", vss="vss")
    return Testbench(name=f"current_memory_{mem.kind}", body=s.text(), technology=tech,
                     analysis=Transient(step=1e-6, stop=len(params.currents) * params.period, max_step=2e-6),
                     options=(("gmin", "1e-15"), ("method", "gear"), ("reltol", "1e-4")), seed=params.seed,
                     saves=("v(hold)", "i(vin)", "i(vout)"))

