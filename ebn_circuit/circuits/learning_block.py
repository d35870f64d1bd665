"""Learning block (SCIENCE.md §3): sample I_before, compare it with the two bounds, step the counter.

    I_lower = I_rest − r·I_Ω − I_SL,  I_upper = I_rest − r·I_Ω + I_SL,  r = omega_ratio (1/2)
    I_before < I_lower → INC (code + 1);  I_before > I_upper → DEC (code − 1);  otherwise SL.

I_Ω is the jump of I_mem one presynaptic pulse causes at the present code: I_Ω = code·omega_per_code
(A per code unit, set by the synapse and neuron gain). A replica of the weight DAC driven by the
counter's own bits with i_lsb = r·omega_per_code produces r·I_Ω directly.

Schematic (blocks from sample_hold, comparator, dac, counter; all sized in those modules)::

    imem ─ S&H (hold = pulse) ─ iout1 ─ vheld_l ─ ial ─ comparator L (ia)
                                iout2 ─ vheld_u ─ iau ─ comparator U (ia)
    irest ─ cascode (gate vcas) ─ nFET diode; cascoded copies sink I_rest from ibl and from ibu
    isl   ─ cascode ─ nFET diode; cascoded copy sinks I_SL from ibu; copy → pFET mirror sources
          I_SL into ibl  (cascodes: the mirrors' drains sit at the diodes' drain voltage)
    replica DAC L: b0…b5 ─ iout ─ vomega_l ─ ibl   (sources +r·I_Ω for positive codes)
    replica DAC U: b0…b5 ─ iout ─ vomega_u ─ ibu
    ⇒ net current sunk from ibl = I_lower, from ibu = I_upper
    comparator L: ia = I_before, ib = I_lower → outb = inc (I_before < I_lower), out = above_l
    comparator U: ia = I_before, ib = I_upper → out = dec (I_before > I_upper), outb = below_u
    sl = above_l · below_u (NAND + inverter; 0 while the comparators are reset)
    clk = NOT pulse → counter (inc, dec, rst) → b0…b5 (pins; they also drive the replica DACs)
    crst = NOT(pulse delayed on both edges by t_delay) — see ``learning_timing``

Timing (defaults; tt numbers measured by ``learning_timing.pulse_readout`` in the tests):

- pulse low: the S&H tracks I_mem; crst is high (comparators reset, inc = dec = sl = 0); clk high.
- pulse rises (t = 0): the S&H holds I_before; the synaptic jump of I_mem that follows does not reach
  the comparators. crst falls at t ≈ t_delay: 34 µs simulated (36 µs = C·(vdd/2)/I nominal,
  i_delay = 25 nA on c_delay = 1 pF); the first flag rises 42–45 µs after the edge (the comparator
  decides in 8–11 µs) and stays latched.
- pulse falls (t = t_pulse, ≥ 80 µs; 150 µs in the decision map, 1 ms in the reference experiment):
  clk rises and the counter steps once on the latched inc / dec, so the whole pulse used the OLD code
  (old I_Ω, old weight); the code is checked unchanged just before the fall.
- t_pulse + 34 µs: crst rises again (flags cleared). The replica DACs settle to the new code within
  ~60 µs; the next pulse should start ≥ 150 µs after the previous one ended (S&H track, 10 τ).

Pins, in order (``PINS``): imem pulse rst inc dec sl b0 … b<bits−1> irest isl iomega idelay vcas vdd vss

- imem: I_mem copy, current *sourced into* the pin.  pulse: presynaptic pulse (0 / vdd).
- rst: counter preset (high loads initial_code).  inc, dec, sl: decision flags (outputs, 0 / vdd).
- b0…: the counter's two's-complement code bits (outputs; drive the synapse DAC with them too).
- irest, isl, iomega, idelay, vcas: bias pins; force the ideal reference currents of
  ``LearningBlockParams.bias_currents()`` into them (nFET diodes; iomega feeds the two replica DACs'
  unit diodes in parallel, so it takes 2·r·omega_per_code).

Inside the block, 0 V sources measure the comparison currents: ``vheld_l``/``vheld_u`` (the held
I_before copies) and ``vomega_l``/``vomega_u`` (r·I_Ω from each replica DAC), read as
``i(v.<instance>.vheld_l)`` etc.

The subcircuit needs its children's definitions: ``learning_block_definitions`` returns all of them
(children first), ``learning_block_text`` their SPICE text. Simulate with ``SIM_OPTIONS``
(the comparator's gear + reltol, and a low gmin for the S&H hold node).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace

from PySpice.Spice.Netlist import SubCircuit

from ebn_circuit.circuits import comparator as comparator_mod
from ebn_circuit.circuits.comparator import ComparatorParams, comparator_subckt
from ebn_circuit.circuits.counter import VARIANTS, CounterParams, code_range, counter_subcircuit
from ebn_circuit.circuits.dac import DacParams, dac_subckt
from ebn_circuit.circuits.learning_timing import PulseSchedule, delay_element, nominal_delay, pulse_readout
from ebn_circuit.circuits.primitives import (LOGIC_N, LOGIC_P, Size, add, device, diode, inverter, mirror_out,
                                             reference_current)
from ebn_circuit.circuits.sample_hold import SampleHoldParams, sample_hold_subckt
from ebn_circuit.errors import ConfigError
from ebn_circuit.spice.analysis import Transient
from ebn_circuit.spice.testbench import Testbench
from ebn_circuit.technology.core import Technology

SIM_OPTIONS = (*comparator_mod.SIM_OPTIONS, ("gmin", "1e-15"), ("num_threads", "1"))
BIAS_PINS = ("irest", "isl", "iomega", "idelay", "vcas")


@dataclass(frozen=True)
class LearningBlockParams:
    """The learning block (SI units).

    i_rest, i_sl: I_rest and the stop-learning half-width I_SL (A), forced into irest / isl.
    omega_per_code: I_mem jump one presynaptic pulse causes per code unit (A).
    omega_ratio: r, the fraction of I_Ω in the bounds (1/2: the literal rule, g = 2r = 1).
    bits, initial_code, counter_variant: the counter ("xspice" or "cmos"); code range ±2^(bits−1).
    i_delay (A), c_delay (F): the current-starved delay of the comparator reset (t ≈ c·vdd/2 / i).
    bias_w, bias_l: unit device of the I_rest / I_SL mirrors (m); the I_rest mirror uses 2 units.
    sample_hold, comparator: the sub-blocks' params (the S&H must have 2 outputs).
    """

    i_rest: float = 9e-9
    i_sl: float = 0.3e-9
    omega_per_code: float = 0.2e-9
    omega_ratio: float = 0.5
    bits: int = 6
    initial_code: int = 8
    counter_variant: str = "xspice"
    i_delay: float = 25e-9
    c_delay: float = 1e-12
    bias_w: float = 4e-6
    bias_l: float = 16e-6
    sample_hold: SampleHoldParams = field(default_factory=SampleHoldParams)
    comparator: ComparatorParams = field(default_factory=ComparatorParams)

    def __post_init__(self) -> None:
        for name in ("i_rest", "omega_per_code", "omega_ratio", "i_delay", "c_delay", "bias_w", "bias_l"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and value > 0):
                raise ConfigError(f"LearningBlockParams.{name} must be > 0 (SI units), got {value!r}")
        if not (isinstance(self.i_sl, (int, float)) and self.i_sl >= 0):
            raise ConfigError(f"LearningBlockParams.i_sl must be >= 0 A, got {self.i_sl!r}")
        if not isinstance(self.bits, int) or isinstance(self.bits, bool) or not 2 <= self.bits <= 10:
            raise ConfigError(f"LearningBlockParams.bits must be an integer in 2…10 (sign included), "
                              f"got {self.bits!r}")
        lo, hi = code_range(self.bits)
        if not isinstance(self.initial_code, int) or not lo <= self.initial_code <= hi:
            raise ConfigError(f"LearningBlockParams.initial_code must be an integer in {lo}…{hi} for bits="
                              f"{self.bits}, got {self.initial_code!r}")
        if self.counter_variant not in VARIANTS:
            raise ConfigError(f"LearningBlockParams.counter_variant must be one of {', '.join(VARIANTS)}, "
                              f"got {self.counter_variant!r}")
        if self.i_rest - self.i_sl - self.omega_ratio * self.omega_per_code * hi <= 0:
            raise ConfigError(f"LearningBlockParams.omega_per_code={self.omega_per_code} A: at code {hi} the "
                              f"lower bound I_rest − r·I_Ω − I_SL is not positive; lower it or omega_ratio")
        if self.omega_ratio * self.omega_per_code * 2 ** self.bits > 1e-6:
            raise ConfigError(f"LearningBlockParams.omega_per_code={self.omega_per_code} A: the replica DAC's "
                              f"full scale leaves subthreshold")
        if not isinstance(self.sample_hold, SampleHoldParams) or self.sample_hold.outputs != 2:
            raise ConfigError("LearningBlockParams.sample_hold must be SampleHoldParams with outputs=2")
        if not isinstance(self.comparator, ComparatorParams):
            raise ConfigError("LearningBlockParams.comparator must be a ComparatorParams")

    # derived sub-block params -------------------------------------------------------------
    @property
    def i_lsb_replica(self) -> float:
        """Unit current of each replica DAC: r·omega_per_code (A)."""
        return self.omega_ratio * self.omega_per_code

    @property
    def dac(self) -> DacParams:
        return DacParams(i_lsb=self.i_lsb_replica, bits=self.bits)

    @property
    def counter(self) -> CounterParams:
        return CounterParams(variant=self.counter_variant, bits=self.bits, initial_code=self.initial_code)

    @property
    def pins(self) -> tuple[str, ...]:
        return ("imem", "pulse", "rst", "inc", "dec", "sl", *(f"b{k}" for k in range(self.bits)),
                *BIAS_PINS, "vdd", "vss")

    def bias_currents(self) -> dict[str, float]:
        """Pin → ideal reference current (A) to force into it (from vdd into the pin's nFET diode)."""
        return {"irest": self.i_rest, "isl": self.i_sl, "iomega": 2 * self.i_lsb_replica,
                "idelay": self.i_delay, "vcas": self.sample_hold.i_bias}

    def t_delay(self, vdd: float = 1.8) -> float:
        """Nominal comparator-reset delay (s) after each pulse edge."""
        return nominal_delay(self.c_delay, self.i_delay, vdd)

    def bounds(self, i_omega: float) -> tuple[float, float]:
        """Ideal (I_lower, I_upper) in A for a jump I_Ω (A)."""
        centre = self.i_rest - self.omega_ratio * i_omega
        return centre - self.i_sl, centre + self.i_sl

    def with_code(self, code: int) -> "LearningBlockParams":
        return replace(self, initial_code=code)

    def digest(self) -> str:
        return hashlib.sha256(repr(replace(self, initial_code=0)).encode()).hexdigest()[:6]


PINS = LearningBlockParams().pins


def learning_block_definitions(params: LearningBlockParams, tech: Technology,
                               name: str = "learning_block") -> list[SubCircuit]:
    """Every subcircuit the block needs, children first, the block itself last. Child names carry
    a hash of the params, so blocks with different params can share one netlist."""
    base = f"lb{params.digest()}"
    sh = sample_hold_subckt(params.sample_hold, tech, name=f"{base}_sh")
    cmp = comparator_subckt(params.comparator, tech, name=f"{base}_cmp")
    dac = dac_subckt(params.dac, tech, name=f"{base}_dac")
    cnt = counter_subcircuit(params.counter, tech)
    return [sh, cmp, dac, cnt, _top(params, tech, name, sh.name, cmp.name, dac.name, cnt.name)]


def learning_block_subckt(params: LearningBlockParams, tech: Technology, name: str = "learning_block") -> SubCircuit:
    """The block as a PySpice SubCircuit with pins ``params.pins``; it instantiates its children
    (see ``learning_block_definitions`` / ``learning_block_text`` for a complete netlist)."""
    return learning_block_definitions(params, tech, name)[-1]


def learning_block_text(params: LearningBlockParams, tech: Technology, name: str = "learning_block") -> str:
    """SPICE text of the block and all its children's definitions."""
    return "\n".join(str(sub).rstrip() for sub in learning_block_definitions(params, tech, name))


def _top(params: LearningBlockParams, tech: Technology, name: str, sh: str, cmp: str, dac: str,
         cnt: str) -> SubCircuit:
    bits = " ".join(f"b{k}" for k in range(params.bits))
    bias = Size(params.bias_w, params.bias_l)
    sub = SubCircuit(name, *params.pins)
    add(sub,
        "* sample-and-hold: hold = the presynaptic pulse; two held copies of I_before",
        f"xsh imem ial_s iau_s pulse vcas vdd vss {sh}",
        "vheld_l ial ial_s 0", "vheld_u iau iau_s 0",
        "* bounds, cascoded at vcas like the S&H (sky130 subthreshold DIBL ~10 %/V): I_rest sunk from",
        "* both ib nodes, I_SL sunk from ibu and sourced into ibl (pFET mirror)",
        device(tech, "mcas_rest", "n", "irest", "vcas", "nrest", bias.times(2)),
        device(tech, "mrest_in", "n", "nrest", "irest", "vss", bias.times(2)),
        device(tech, "mcas_l", "n", "ibl", "vcas", "nbl", bias.times(2)),
        mirror_out(tech, "mrest_l", "n", "nbl", "irest", "vss", bias.times(2)),
        device(tech, "mcas_u", "n", "ibu", "vcas", "nbu", bias.times(2)),
        mirror_out(tech, "mrest_u", "n", "nbu", "irest", "vss", bias.times(2)),
        device(tech, "mcas_sl", "n", "isl", "vcas", "nsl", bias),
        device(tech, "msl_in", "n", "nsl", "isl", "vss", bias),
        mirror_out(tech, "msl_u", "n", "nbu", "isl", "vss", bias),
        device(tech, "mcas_slp", "n", "slp", "vcas", "nslp", bias),
        mirror_out(tech, "msl_p", "n", "nslp", "isl", "vss", bias),
        diode(tech, "psl_in", "p", "slp", "vdd", bias),
        mirror_out(tech, "psl_l", "p", "ibl", "slp", "vdd", bias),
        "* replica DACs (i_lsb = r·omega_per_code): source r·I_Ω into ibl / ibu",
        f"xdac_l {bits} iomega ibl_dac vdd vss {dac}", "vomega_l ibl_dac ibl 0",
        f"xdac_u {bits} iomega ibu_dac vdd vss {dac}", "vomega_u ibu_dac ibu 0",
        "* comparators: L decides I_before < I_lower (inc), U decides I_before > I_upper (dec)",
        f"xcmp_l ial ibl crst above_l inc vdd vss {cmp}",
        f"xcmp_u iau ibu crst dec below_u vdd vss {cmp}",
        "* sl = above_l AND below_u",
        device(tech, "msl_np1", "p", "sl_n", "above_l", "vdd", LOGIC_P),
        device(tech, "msl_np2", "p", "sl_n", "below_u", "vdd", LOGIC_P),
        device(tech, "msl_nn1", "n", "sl_n", "above_l", "sl_x", LOGIC_N),
        device(tech, "msl_nn2", "n", "sl_x", "below_u", "vss", LOGIC_N),
        inverter(tech, "inv_sl", "sl_n", "sl"),
        "* timing: the counter steps at the pulse's falling edge; comparator reset delayed on both edges",
        inverter(tech, "inv_clk", "pulse", "clk"),
        delay_element(tech, "pulse", "crst", "idelay", params.c_delay),
        "* weight counter; its bits are pins and drive the replica DACs",
        f"xcnt clk inc dec rst {bits} vdd vss {cnt}")
    return sub


# --- testbench ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LearningBenchParams:
    """The block driven by a ``PulseSchedule`` (one pulse per I_before level), biased by ideal
    reference currents. max_step: the transient's largest step (s; the comparators need ≲ 1 µs
    while they regenerate). seed: Monte-Carlo instance (with ``tech.with_mismatch(True)``)."""

    block: LearningBlockParams = field(default_factory=LearningBlockParams)
    schedule: PulseSchedule = field(default_factory=lambda: PulseSchedule(levels=(7e-9, 9e-9, 11e-9)))
    max_step: float = 1e-6
    seed: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.block, LearningBlockParams) or not isinstance(self.schedule, PulseSchedule):
            raise ConfigError("LearningBenchParams: block must be LearningBlockParams, schedule a PulseSchedule")
        if not 0 < self.max_step <= 5e-6:
            raise ConfigError(f"LearningBenchParams.max_step must be in (0, 5 µs], got {self.max_step}")


def learning_block_testbench(params: LearningBenchParams, tech: Technology) -> Testbench:
    """Vectors: v(pulse), v(rst), v(inc), v(dec), v(sl), v(b*), v(crst) (= v(xlb.crst)), i(vimem) and
    the block's senses i(v.xlb.vheld_l|u), i(v.xlb.vomega_l|u); read them with ``pulse_readout``."""
    block, vdd = params.block, tech.vdd
    bits = [f"b{k}" for k in range(block.bits)]
    refs = [line for pin, current in block.bias_currents().items()
            for line in reference_current(f"ref_{pin}", pin, current)]
    body = [learning_block_text(block, tech), f"vdd vdd 0 {vdd:g}", "vss vss 0 0", *refs,
            *params.schedule.source_lines(vdd),
            f"xlb {' '.join(block.pins)} learning_block"]
    saves = ("v(pulse)", "v(rst)", "v(inc)", "v(dec)", "v(sl)", *(f"v({b})" for b in bits), "v(xlb.crst)",
             "i(vimem)", *(f"i(v.xlb.{s})" for s in ("vheld_l", "vheld_u", "vomega_l", "vomega_u")))
    name = f"learning_block_{len(params.schedule.levels)}pulses_code{block.initial_code}"
    return Testbench(name=name, body="\n".join(body), technology=tech, options=SIM_OPTIONS, seed=params.seed,
                     analysis=Transient(step=1e-6, stop=params.schedule.stop, max_step=params.max_step),
                     saves=saves)


def readout(params: LearningBenchParams, result, vdd: float = 1.8):
    """Per-pulse table of a ``learning_block_testbench`` run (see ``learning_timing.pulse_readout``)."""
    return pulse_readout(params.schedule, result, vdd, params.block.bits, "xlb", params.block.omega_ratio)


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
