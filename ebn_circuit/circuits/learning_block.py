"""Learning block (SCIENCE.md §3): sample I_before, compare it with the two bounds, step the counter.

    I_lower = I_rest − r·I_Ω − I_SL,  I_upper = I_rest − r·I_Ω + I_SL,  r = omega_ratio (1/2)
    I_before < I_lower → INC (code + 1);  I_before > I_upper → DEC (code − 1);  otherwise SL.

I_Ω is the jump of I_mem one presynaptic pulse causes at the present code: I_Ω = code·omega_per_code
(A per code unit, set by the synapse and neuron gain). A replica of the weight DAC driven by the
counter's own bits with i_lsb = r·omega_per_code produces r·I_Ω directly.

The rule is one comparison of one error current: I_before − (I_rest − r·I_Ω) against ±I_SL. The block
forms it by Kirchhoff's law at one node, from copies that no mirror ratio spoils, and compares only
that small difference (``window_comparator``)::

    imem  ─ pFET current memory (hold = pulse) ─ vheld ─┐      sources I_before
    irest ─ nFET current memory (hold = pulse) ─ vrest ─┤ x    sinks I_rest
    replica DAC (sign-magnitude, cascoded) ─── vomega ──┘      sources r·I_Ω (sinks for codes < 0)
    x ─ window comparator (isl; x held at vcas): dec = net > I_SL, inc = net < −I_SL, sl = neither
    clk = NOT pulse → counter (inc, dec, rst) → b0…b5 (pins; they also drive the replica DAC)
    crst = NOT(pulse delayed on both edges by t_delay) — see ``learning_timing``
    biases: vcas ← 2-nFET diode stack; vcasp ← 2-pFET stack fed by a copy of it; vcasn (the DAC's
    cascodes) ← a long nFET diode fed by a pFET copy; the comparator's OTA tail copies the pFET stack

Each current memory copies with the transistor that sampled (``current_memory``), so neither I_before
nor I_rest passes through a mirror: the decision no longer depends on mirror mismatch of 9 nA
currents (2–3 % each in sky130 at these sizes, bound offsets σ ≈ 0.3 nA in the mirror design that
this one replaces). Only currents of the order of I_SL and r·I_Ω are mirrored.

Timing (defaults; tt numbers measured by ``measure.learning_block.pulse_readout`` in the tests):

- pulse low: both memories track (I_mem, I_rest); crst is high (latches reset, inc = dec = sl = 0).
- pulse rises (t = 0): the memories hold I_before and I_rest and switch onto x; the synaptic jump of
  I_mem that follows reaches only the memory's dump diode. crst falls at t ≈ t_delay (the window
  comparator's OTA has settled x by then); a latch decides C·V_t/I later, ~40 µs for an error of
  I_SL, longer within a few % of it, and the flags stay latched.
- pulse falls (t = t_pulse; 300 µs in the decision map, 1 ms in the reference experiment): clk rises
  and the counter steps once on the latched inc / dec, so the whole pulse used the OLD code (old I_Ω,
  old weight); the code is checked unchanged just before the fall.
- t_pulse + t_delay/clear_ratio (9 µs): crst rises again (flags cleared). The replica DAC settles to
  the new code within ~100 µs; the next pulse should start ≥ 200 µs after the previous one ended
  (memory track, 5 τ at 2 nA).

Pins, in order (``PINS``): imem pulse rst inc dec sl b0 … b<bits−1> irest isl iomega idelay vcas vdd vss

- imem: I_mem itself, current *sunk from* the pin (the neuron's output transistor pulls it through
  the block's pFET memory).  pulse: presynaptic pulse (0 / vdd).
- rst: counter preset (high loads initial_code).  inc, dec, sl: decision flags (outputs, 0 / vdd).
- b0…: the counter's two's-complement code bits (outputs; drive the synapse DAC with them too).
- irest, isl, iomega, idelay, vcas: bias pins; force the ideal reference currents of
  ``LearningBlockParams.bias_currents()`` into them (irest: into the nFET memory; the others: nFET
  diodes; iomega is the replica DAC's unit current).

Inside the block, 0 V sources measure the currents at x: ``vheld`` (the held I_before), ``vrest`` (the
held I_rest) and ``vomega`` (r·I_Ω from the replica DAC), read as ``i(v.<instance>.vheld)`` etc.

``learning_block_cell`` returns the block with its children (``Cell.text()`` is the SPICE text of all
of them, children first). Simulate with ``SIM_OPTIONS`` (gear, reltol 1e-4, a low gmin for the hold
nodes, one thread).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ebn_circuit.circuits.analysis import Transient
from ebn_circuit.circuits.codes import bit_names, code_range
from ebn_circuit.circuits.counter import VARIANTS, CounterParams, counter_cell
from ebn_circuit.circuits.current_memory import (CASCODE_BIAS, PCASCODE_BIAS, CurrentMemoryParams, cascode_bias,
                                                 current_memory_cell)
from ebn_circuit.circuits.dac import DacParams, dac_cell
from ebn_circuit.circuits.learning_timing import PulseSchedule, delay_element, nominal_delay
from ebn_circuit.circuits.mismatch import DeviceGroup
from ebn_circuit.circuits.schematic import Cell, Schematic, Size, cell_name
from ebn_circuit.circuits.testbench import Testbench
from ebn_circuit.circuits.window_comparator import WindowComparatorParams, window_comparator_cell
from ebn_circuit.errors import ConfigError
from ebn_circuit.params import Params, param, positive
from ebn_circuit.rule import bounds
from ebn_circuit.technology.core import Technology

SIM_OPTIONS = (("method", "gear"), ("reltol", "1e-4"), ("gmin", "1e-15"), ("num_threads", "1"))
BIAS_PINS = ("irest", "isl", "iomega", "idelay", "vcas")
DAC_CASCODE_DIODE = Size(0.5e-6, 32e-6)   # weak: ≈ 0.5 V at 2 nA, the replica DAC's cascode gate
CLAMP = Size(1e-6, 1e-6)


@dataclass(frozen=True)
class LearningBlockParams(Params):
    """The learning block (SI units); the counter's code range is ±2^(bits−1)."""

    i_rest: float = positive(9e-9, "A", "I_rest, forced into irest")
    i_sl: float = param(0.75e-9, unit="A", low=0.0, low_inclusive=True, high=None,
                        doc="stop-learning half-width I_SL, forced into isl (the original IC: 0.3 nA; 0.75 nA "
                            "keeps the loop from cycling under mismatch, docs/robustness.md §4)")
    omega_per_code: float = positive(0.2e-9, "A", "I_mem jump one presynaptic pulse causes per code unit")
    omega_ratio: float = positive(0.5, "", "r, the fraction of I_Ω in the bounds (1/2: the literal rule, g = 2r = 1)")
    bits: int = param(6, integer=True, low=2, high=10, low_inclusive=True, doc="counter width, sign included")
    initial_code: int = param(8, integer=True, low=-512, high=511, low_inclusive=True, doc="the counter's preset")
    counter_variant: str = param("xspice", choices=VARIANTS, doc="counter: XSPICE code models, CMOS or behavioural")
    i_delay: float = positive(25e-9, "A", "current of the comparator-reset delay (t ≈ c·vdd/2 / i)")
    c_delay: float = positive(2e-12, "F", "capacitor of the comparator-reset delay (72 µs: the window comparator "
                                                 "settles x within ~40 µs of a pulse edge)")
    clear_ratio: int = param(8, integer=True, low=1, low_inclusive=True,
                             doc="the latches are cleared this many times sooner after the falling edge than they are "
                                 "released after the rising edge (the counter has stepped within ns)")
    i_bias: float = positive(2e-9, "A", "reference current of the cascode and OTA biases, forced into vcas")
    dac_unit_w: float = positive(2e-6, "m", "replica DAC: unit source width")
    dac_unit_l: float = positive(32e-6, "m", "replica DAC: unit source length (long: matching, and a V_gs that "
                                             "leaves room for its cascode)")
    memory: CurrentMemoryParams = param(default_factory=CurrentMemoryParams, kind=CurrentMemoryParams,
                                        doc="the pFET memory of I_before")
    rest_memory: CurrentMemoryParams = param(
        default_factory=lambda: CurrentMemoryParams(kind="n", c_hold=4e-12, sample_units=3, dummy_units=2),
        kind=CurrentMemoryParams, doc="the nFET memory of I_rest (I_rest is constant: a large hold capacitor, and a "
                                      "3:2 switch:dummy ratio that nulls its charge injection, 1 pF 2:1 left −0.5 %)")
    window: WindowComparatorParams = param(default_factory=WindowComparatorParams, kind=WindowComparatorParams)

    def validate(self) -> None:
        lo, hi = code_range(self.bits)
        if not lo <= self.initial_code <= hi:
            raise ConfigError(f"LearningBlockParams.initial_code must be an integer in {lo}…{hi} for bits="
                              f"{self.bits}, got {self.initial_code!r}")
        if self.i_rest - self.i_sl - self.omega_ratio * self.omega_per_code * hi <= 0:
            raise ConfigError(f"LearningBlockParams.omega_per_code={self.omega_per_code} A: at code {hi} the "
                              f"lower bound I_rest − r·I_Ω − I_SL is not positive; lower it or omega_ratio")
        if self.omega_ratio * self.omega_per_code * 2 ** self.bits > 1e-6:
            raise ConfigError(f"LearningBlockParams.omega_per_code={self.omega_per_code} A: the replica DAC's "
                              f"full scale leaves subthreshold")
        if self.memory.kind != "p" or self.rest_memory.kind != "n":
            raise ConfigError("LearningBlockParams: memory must be kind 'p' (I_before) and rest_memory kind 'n'")

    # derived sub-block params -------------------------------------------------------------
    @property
    def i_lsb_replica(self) -> float:
        """Unit current of the replica DAC: r·omega_per_code (A)."""
        return self.omega_ratio * self.omega_per_code

    @property
    def dac(self) -> DacParams:
        return DacParams(i_lsb=self.i_lsb_replica, bits=self.bits, polarity="signed", cascode=True,
                         unit_w=self.dac_unit_w, unit_l=self.dac_unit_l)

    @property
    def counter(self) -> CounterParams:
        return CounterParams(variant=self.counter_variant, bits=self.bits, initial_code=self.initial_code)

    @property
    def pins(self) -> tuple[str, ...]:
        return ("imem", "pulse", "rst", "inc", "dec", "sl", *bit_names(self.bits), *BIAS_PINS, "vdd", "vss")

    @property
    def name(self) -> str:
        return cell_name("learning_block", self)

    def bias_currents(self) -> dict[str, float]:
        """Pin → ideal reference current (A) to force into it (from vdd into the pin)."""
        return {"irest": self.i_rest, "isl": self.i_sl, "iomega": self.i_lsb_replica,
                "idelay": self.i_delay, "vcas": self.i_bias}

    def t_delay(self, vdd: float = 1.8) -> float:
        """Nominal comparator-reset delay (s) after each pulse edge."""
        return nominal_delay(self.c_delay, self.i_delay, vdd)

    def bounds(self, i_omega: float) -> tuple[float, float]:
        """Ideal (I_lower, I_upper) in A for a jump I_Ω (A)."""
        return bounds(i_omega, self.i_rest, self.i_sl, 2 * self.omega_ratio)

    def with_code(self, code: int) -> "LearningBlockParams":
        return replace(self, initial_code=code)


PINS = LearningBlockParams().pins


def learning_block_cell(params: LearningBlockParams, tech: Technology) -> Cell:
    """The block with pins ``params.pins`` and its children (memories, window comparator, replica
    DAC, counter)."""
    mem, rest = current_memory_cell(params.memory, tech), current_memory_cell(params.rest_memory, tech)
    win, dac = window_comparator_cell(params.window, tech), dac_cell(params.dac, tech)
    cnt = counter_cell(params.counter, tech)
    code = {b: b for b in bit_names(params.bits)}
    s = Schematic(tech, params.name, params.pins)
    s.uses(mem, rest, win, dac, cnt)
    s.comment("biases: vcas (nFET stack, the reference into vcas), vcasp (pFET stack, fed by a copy of it),\n"
              "vcasn (a weak nFET diode fed by a pFET copy), the OTA tail (pFET copies of the stack's top)")
    cascode_bias(s, "n", "vcas")
    s.fet("mcb_cp", "n", "vcasp", "mcb_1", "vss", CASCODE_BIAS)
    cascode_bias(s, "p", "vcasp", name="mpcb")
    s.fet("mpcb_cp", "p", "vcasn", "mpcb_1", "vdd", PCASCODE_BIAS)
    s.diode("mdcas", "n", "vcasn", "vss", DAC_CASCODE_DIODE)
    s.comment("the two memories: I_before sourced into x, I_rest sunk from x, while pulse is high")
    s.instance("xmem", mem, iin="imem", out="x_held", hold="pulse", vcas="vcasp", vbias="mcb_1", vdd="vdd",
               vss="vss")
    s.voltage("held", "x_held", "x", 0)
    s.instance("xrest", rest, iin="irest", out="x_rest", hold="pulse", vcas="vcas", vbias="mpcb_1", vdd="vdd",
               vss="vss")
    s.voltage("rest", "x", "x_rest", 0)
    s.comment("replica DAC (i_lsb = r·omega_per_code): sources r·I_Ω into x")
    s.instance("xdac", dac, **code, iref="iomega", iout="x_dac", vcasn="vcasn", vcasp="vcasp", vdd="vdd", vss="vss")
    s.voltage("omega", "x_dac", "x", 0)
    s.comment("clamps: once a latch has decided, its follower stops carrying the net current and x would run\n"
              "to a rail, out of the memories' and the DAC's range (their nodes then took hundreds of µs to\n"
              "recover); x stays within ~0.35…1.05 V. Off (fA) in the window comparator's range vcas ± 0.1 V")
    s.fet("mclamp_n", "n", "vdd", "vcas", "x", CLAMP)
    s.fet("mclamp_p", "p", "vss", "vcasn", "x", CLAMP, bulk="x")
    s.comment("the decision on the net current into x")
    s.instance("xwin", win, x="x", isl="isl", vref="vcas", vtail="mpcb_1", rst="crst", inc="inc", dec="dec",
               sl="sl", vdd="vdd", vss="vss")
    s.comment("timing: the counter steps at the pulse's falling edge; comparator reset delayed on both edges")
    s.inverter("inv_clk", "pulse", "clk")
    delay_element(s, "pulse", "crst", "idelay", params.c_delay, params.clear_ratio)
    s.comment("weight counter; its bits are pins and drive the replica DAC")
    s.instance("xcnt", cnt, clk="clk", inc="inc", dec="dec", rst="rst", **code, vdd="vdd", vss="vss")
    return s.cell()


def mismatch_groups(params: LearningBlockParams) -> tuple[DeviceGroup, ...]:
    """The block's devices by role, for ``verify mismatch`` (the rest: logic, delay, counter)."""
    return (DeviceGroup("I_before memory", ("current_memory_p*",), ("mmem", "mcas", "mdump")),
            DeviceGroup("I_before memory switches", ("current_memory_p*",), ("msample", "mdummy", "min",
                                                                             "mdump_sw", "mout")),
            DeviceGroup("I_rest memory", ("current_memory_n*",), ("mmem", "mcas", "mdump", "mbleed")),
            DeviceGroup("I_rest memory switches", ("current_memory_n*",), ("msample", "mdummy", "min",
                                                                           "mdump_sw", "mout")),
            DeviceGroup("window OTAs and followers", ("window_comparator*",), ("mt?", "m1?", "m2?", "m3?", "m4?",
                                                                               "mfp", "mfn")),
            DeviceGroup("window I_SL mirrors", ("window_comparator*",), ("msl_in", "msl_l", "msl_p", "psl_*")),
            DeviceGroup("window race latches", ("window_comparator*",), ("mll_*", "mlu_*", "mrl_*", "mru_*")),
            DeviceGroup("replica DAC unit sources", ("weight_dac*",), ("mref", "mcs_*", "mcc_*")),
            DeviceGroup("replica DAC pFET mirror", ("weight_dac*",), ("mp_*", "mpc_*")),
            DeviceGroup("replica DAC switches", ("weight_dac*",)),
            DeviceGroup("bias generators and clamps", ("learning_block*",), ("mcb*", "mpcb*", "mdcas", "mclamp_*")))


def learning_block_biases(s: Schematic, block: LearningBlockParams, prefix: str = "ref_",
                          pins: dict[str, str] | None = None) -> None:
    """Ideal reference currents into the block's bias pins (nodes ``pins[pin]``, default the pin names)."""
    for pin, current in block.bias_currents().items():
        s.reference(f"{prefix}{pin}", (pins or {}).get(pin, pin), current)


# --- testbench ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LearningBenchParams(Params):
    """The block driven by a ``PulseSchedule`` (one pulse per I_before level), biased by ideal
    reference currents. seed: Monte-Carlo instance (with ``tech.with_mismatch(True)``)."""

    block: LearningBlockParams = param(default_factory=LearningBlockParams, kind=LearningBlockParams)
    schedule: PulseSchedule = param(default_factory=lambda: PulseSchedule(levels=(7e-9, 9e-9, 11e-9)),
                                    kind=PulseSchedule)
    max_step: float = positive(1e-6, "s", "the transient's largest step (the comparators need ≲ 1 µs while "
                                          "they regenerate)", high=1e-3)
    seed: int | None = None


def learning_block_testbench(params: LearningBenchParams, tech: Technology) -> Testbench:
    """Vectors: v(pulse), v(rst), v(inc), v(dec), v(sl), v(b*), v(crst) (= v(xlb.crst)), i(vimem) and
    the block's senses i(v.xlb.vheld), i(v.xlb.vrest), i(v.xlb.vomega); read them with
    ``measure.learning_block.readout``."""
    block, vdd = params.block, tech.vdd
    cell = learning_block_cell(block, tech)
    s = Schematic(tech, vss="0")
    s.define(cell)
    s.voltage("dd", "vdd", "0", vdd)
    s.voltage("ss", "vss", "0", 0)
    learning_block_biases(s, block)
    params.schedule.draw_sources(s, vdd)
    s.instance("xlb", cell, **{p: p for p in cell.pins})
    saves = ("v(pulse)", "v(rst)", "v(inc)", "v(dec)", "v(sl)", *(f"v({b})" for b in bit_names(block.bits)),
             "v(xlb.crst)", "i(vimem)", *(f"i(v.xlb.{s})" for s in ("vheld", "vrest", "vomega")))
    name = f"learning_block_{len(params.schedule.levels)}pulses_code{block.initial_code}"
    return Testbench(name=name, body=s.text(), technology=tech, options=SIM_OPTIONS, seed=params.seed,
                     analysis=Transient(step=1e-6, stop=params.schedule.stop, max_step=params.max_step),
                     saves=saves)


def _demo_bench() -> LearningBenchParams:
    """Catalogue bench: code +8, I_before well below, inside and above the band, code held."""
    block = LearningBlockParams()
    lower, upper = block.bounds(block.initial_code * block.omega_per_code)
    return LearningBenchParams(block, PulseSchedule(levels=(lower - 1e-9, (lower + upper) / 2, upper + 1e-9),
                                                    i_omega=(block.initial_code * block.omega_per_code,)))


NETLISTS = {
    "learning_block_decisions": (_demo_bench(), learning_block_testbench,
                                 ("v(pulse)", "v(inc)", "v(dec)", "v(sl)", "v(b0)", "v(b3)", "v(b5)")),
}
