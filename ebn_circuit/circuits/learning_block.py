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

Timing (defaults; tt numbers measured by ``measure.learning_block.pulse_readout`` in the tests):

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

``learning_block_cell`` returns the block with its children (``Cell.text()`` is the SPICE text of all
of them, children first). Simulate with ``SIM_OPTIONS`` (the comparator's gear + reltol, and a low
gmin for the S&H hold node).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ebn_circuit.circuits import comparator as comparator_mod
from ebn_circuit.circuits.analysis import Transient
from ebn_circuit.circuits.codes import bit_names, code_range
from ebn_circuit.circuits.comparator import ComparatorParams, comparator_cell
from ebn_circuit.circuits.counter import VARIANTS, CounterParams, counter_cell
from ebn_circuit.circuits.dac import DacParams, dac_cell
from ebn_circuit.circuits.learning_timing import PulseSchedule, delay_element, nominal_delay
from ebn_circuit.circuits.mismatch import DeviceGroup
from ebn_circuit.circuits.sample_hold import SampleHoldParams, sample_hold_cell
from ebn_circuit.circuits.schematic import LOGIC_N, LOGIC_P, Cell, Schematic, Size, cell_name
from ebn_circuit.circuits.testbench import Testbench
from ebn_circuit.errors import ConfigError
from ebn_circuit.params import Params, param, positive
from ebn_circuit.rule import bounds
from ebn_circuit.technology.core import Technology

SIM_OPTIONS = (*comparator_mod.SIM_OPTIONS, ("gmin", "1e-15"), ("num_threads", "1"))
BIAS_PINS = ("irest", "isl", "iomega", "idelay", "vcas")


@dataclass(frozen=True)
class LearningBlockParams(Params):
    """The learning block (SI units); the counter's code range is ±2^(bits−1)."""

    i_rest: float = positive(9e-9, "A", "I_rest, forced into irest")
    i_sl: float = param(0.3e-9, unit="A", low=0.0, low_inclusive=True, high=None,
                        doc="stop-learning half-width I_SL, forced into isl")
    omega_per_code: float = positive(0.2e-9, "A", "I_mem jump one presynaptic pulse causes per code unit")
    omega_ratio: float = positive(0.5, "", "r, the fraction of I_Ω in the bounds (1/2: the literal rule, g = 2r = 1)")
    bits: int = param(6, integer=True, low=2, high=10, low_inclusive=True, doc="counter width, sign included")
    initial_code: int = param(8, integer=True, low=-512, high=511, low_inclusive=True, doc="the counter's preset")
    counter_variant: str = param("xspice", choices=VARIANTS, doc="counter: XSPICE code models or CMOS")
    i_delay: float = positive(25e-9, "A", "current of the comparator-reset delay (t ≈ c·vdd/2 / i)")
    c_delay: float = positive(1e-12, "F", "capacitor of the comparator-reset delay")
    bias_w: float = positive(4e-6, "m", "unit device of the I_rest / I_SL mirrors (I_rest uses 2 units)")
    bias_l: float = positive(16e-6, "m", "length of that unit device")
    sample_hold: SampleHoldParams = param(default_factory=SampleHoldParams, kind=SampleHoldParams)
    comparator: ComparatorParams = param(default_factory=ComparatorParams, kind=ComparatorParams)

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
        if self.sample_hold.outputs != 2:
            raise ConfigError("LearningBlockParams.sample_hold must have outputs=2")

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
        return ("imem", "pulse", "rst", "inc", "dec", "sl", *bit_names(self.bits), *BIAS_PINS, "vdd", "vss")

    @property
    def name(self) -> str:
        return cell_name("learning_block", self)

    def bias_currents(self) -> dict[str, float]:
        """Pin → ideal reference current (A) to force into it (from vdd into the pin's nFET diode)."""
        return {"irest": self.i_rest, "isl": self.i_sl, "iomega": 2 * self.i_lsb_replica,
                "idelay": self.i_delay, "vcas": self.sample_hold.i_bias}

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
    """The block with pins ``params.pins`` and its children (S&H, comparator, replica DAC, counter)."""
    sh, cmp = sample_hold_cell(params.sample_hold, tech), comparator_cell(params.comparator, tech)
    dac, cnt = dac_cell(params.dac, tech), counter_cell(params.counter, tech)
    code = {b: b for b in bit_names(params.bits)}
    bias = Size(params.bias_w, params.bias_l)
    s = Schematic(tech, params.name, params.pins)
    s.uses(sh, cmp, dac, cnt)
    s.comment("sample-and-hold: hold = the presynaptic pulse; two held copies of I_before")
    s.instance("xsh", sh, iin="imem", iout1="ial_s", iout2="iau_s", hold="pulse", vcas="vcas", vdd="vdd", vss="vss")
    s.voltage("held_l", "ial", "ial_s", 0)
    s.voltage("held_u", "iau", "iau_s", 0)
    s.comment("bounds, cascoded at vcas like the S&H (sky130 subthreshold DIBL ~10 %/V): I_rest sunk from\n"
              "both ib nodes, I_SL sunk from ibu and sourced into ibl (pFET mirror)")
    s.fet("mcas_rest", "n", "irest", "vcas", "nrest", bias.times(2))
    s.fet("mrest_in", "n", "nrest", "irest", "vss", bias.times(2))
    s.fet("mcas_l", "n", "ibl", "vcas", "nbl", bias.times(2))
    s.fet("mrest_l", "n", "nbl", "irest", "vss", bias.times(2))
    s.fet("mcas_u", "n", "ibu", "vcas", "nbu", bias.times(2))
    s.fet("mrest_u", "n", "nbu", "irest", "vss", bias.times(2))
    s.fet("mcas_sl", "n", "isl", "vcas", "nsl", bias)
    s.fet("msl_in", "n", "nsl", "isl", "vss", bias)
    s.fet("msl_u", "n", "nbu", "isl", "vss", bias)
    s.fet("mcas_slp", "n", "slp", "vcas", "nslp", bias)
    s.fet("msl_p", "n", "nslp", "isl", "vss", bias)
    s.diode("psl_in", "p", "slp", "vdd", bias)
    s.fet("psl_l", "p", "ibl", "slp", "vdd", bias)
    s.comment("replica DACs (i_lsb = r·omega_per_code): source r·I_Ω into ibl / ibu")
    s.instance("xdac_l", dac, **code, iref="iomega", iout="ibl_dac", vdd="vdd", vss="vss")
    s.voltage("omega_l", "ibl_dac", "ibl", 0)
    s.instance("xdac_u", dac, **code, iref="iomega", iout="ibu_dac", vdd="vdd", vss="vss")
    s.voltage("omega_u", "ibu_dac", "ibu", 0)
    s.comment("comparators: L decides I_before < I_lower (inc), U decides I_before > I_upper (dec)")
    s.instance("xcmp_l", cmp, ia="ial", ib="ibl", rst="crst", out="above_l", outb="inc", vdd="vdd", vss="vss")
    s.instance("xcmp_u", cmp, ia="iau", ib="ibu", rst="crst", out="dec", outb="below_u", vdd="vdd", vss="vss")
    s.comment("sl = above_l AND below_u")
    s.fet("msl_np1", "p", "sl_n", "above_l", "vdd", LOGIC_P)
    s.fet("msl_np2", "p", "sl_n", "below_u", "vdd", LOGIC_P)
    s.fet("msl_nn1", "n", "sl_n", "above_l", "sl_x", LOGIC_N)
    s.fet("msl_nn2", "n", "sl_x", "below_u", "vss", LOGIC_N)
    s.inverter("inv_sl", "sl_n", "sl")
    s.comment("timing: the counter steps at the pulse's falling edge; comparator reset delayed on both edges")
    s.inverter("inv_clk", "pulse", "clk")
    delay_element(s, "pulse", "crst", "idelay", params.c_delay)
    s.comment("weight counter; its bits are pins and drive the replica DACs")
    s.instance("xcnt", cnt, clk="clk", inc="inc", dec="dec", rst="rst", **code, vdd="vdd", vss="vss")
    return s.cell()


def mismatch_groups(params: LearningBlockParams) -> tuple[DeviceGroup, ...]:
    """The block's devices by role, for ``verify mismatch`` (the rest: logic, delay, counter)."""
    return (DeviceGroup("S&H mirror (min, mout)", ("sample_hold*",), ("min", "mout*")),
            DeviceGroup("S&H switches, cascodes, bias", ("sample_hold*",)),
            DeviceGroup("comparator input mirrors", ("current_comparator*",), ("pa_*", "pb_*")),
            DeviceGroup("comparator latch", ("current_comparator*",), ("na_latch", "nb_latch")),
            DeviceGroup("comparator reset, buffers", ("current_comparator*",)),
            DeviceGroup("I_rest mirror", ("learning_block*",), ("mrest_*",)),
            DeviceGroup("I_SL mirrors", ("learning_block*",), ("msl_in", "msl_u", "msl_p", "psl_*")),
            DeviceGroup("bias cascodes", ("learning_block*",), ("mcas_*",)),
            DeviceGroup("replica DAC units", ("weight_dac*",), ("mref", "mcs_*")),
            DeviceGroup("replica DAC pFET mirror", ("weight_dac*",), ("mp_*",)),
            DeviceGroup("replica DAC switches", ("weight_dac*",)))


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
                                          "they regenerate)", high=5e-6)
    seed: int | None = None


def learning_block_testbench(params: LearningBenchParams, tech: Technology) -> Testbench:
    """Vectors: v(pulse), v(rst), v(inc), v(dec), v(sl), v(b*), v(crst) (= v(xlb.crst)), i(vimem) and
    the block's senses i(v.xlb.vheld_l|u), i(v.xlb.vomega_l|u); read them with
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
             "v(xlb.crst)", "i(vimem)", *(f"i(v.xlb.{s})" for s in ("vheld_l", "vheld_u", "vomega_l", "vomega_u")))
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
