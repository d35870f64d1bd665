"""Saturating up/down counter holding the signed weight code (SCIENCE.md §3, issue 3).

Two interchangeable variants with the same pins, behaviour and initialisation:

- ``cmos``: static CMOS on the technology's core devices (sky130 nfet_01v8/pfet_01v8, 1.8 V):
  transmission-gate master–slave flip-flops with an asynchronous preset, a ripple carry/borrow
  chain, XOR (AOI22) toggle logic and saturation detectors.
- ``xspice``: the same logic as ngspice XSPICE digital code models (d_dff, d_and, d_or, d_xor)
  behind adc_bridge inputs and dac_bridge outputs, for speed.
- ``behavioural``: the same logic in the analog solver: a master–slave flip-flop per bit made of two
  voltage-controlled switches and two capacitors, next-state logic in B sources. No XSPICE event
  queue, so a rejected time step cannot lose a clock edge (the XSPICE variant's weakness in long
  loop runs, see ``CounterParams.clk_in_low``), and ngspice keeps its default trtol (it forces
  trtol = 1 whenever XSPICE devices are present, which doubles the time points of the whole run).

Subcircuit pins, in order: ``clk inc dec rst b0 … b{bits-1} vdd vss``.

- The code changes once per rising edge of ``clk`` (t_clk_to_q, then gate delays, after the edge);
  ``inc`` and ``dec`` must be stable around that edge (set them while clk is low).
- inc=1, dec=0 → code + 1; dec=1, inc=0 → code - 1; neither or both → hold.
- Saturation: an increment at the top code 2^(bits-1) - 1 and a decrement at the bottom code
  -2^(bits-1) are ignored (no wrap-around).
- ``rst`` (active high, asynchronous) loads ``initial_code`` and holds it while high; drive it
  high from t = 0 for a short pulse (the testbenches here do) so that both variants start at
  the same code. The code is the preset, not a voltage, so it is part of the subcircuit.
  (XSPICE flip-flops also start at the preset through their ``ic``; a CMOS counter whose rst
  is low at t = 0 starts wherever the operating point lands.)
- Outputs ``b0 … b{bits-1}``: two's-complement bits (msb = sign) as vss/vdd voltages.

Cost: the 6-bit CMOS counter has 336 transistors; ngspice 39 copies the sky130 model cards
(180 bins) into every transistor instance, so its netlist takes minutes to parse (the
simulation itself is ~1 min for 240 clocks). The XSPICE variant runs 240 clocks in < 1 s.
Testbenches set ``.option num_threads=1``: ngspice's OpenMP device evaluation spins on a busy
machine.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ebn_circuit.circuits.analysis import Transient
from ebn_circuit.circuits.codes import bit_names, code_bits, code_range, from_bits
from ebn_circuit.circuits.logic import Gates, GateSizes
from ebn_circuit.circuits.schematic import Cell, Schematic, cell_name
from ebn_circuit.circuits.testbench import Testbench
from ebn_circuit.errors import ConfigError
from ebn_circuit.params import Params, param, positive
from ebn_circuit.technology.core import Technology

VARIANTS = ("cmos", "xspice", "behavioural")
MAX_BITS = 16

__all__ = ["CounterParams", "CounterStimulus", "VARIANTS", "bit_names", "code_range", "counter_cell",
           "counter_testbench", "from_bits", "random_stimulus", "reference_codes", "saturation_events",
           "step_code", "to_bits"]


def volts(default: float, doc: str):
    return param(default, unit="V", low=0.0, low_inclusive=True, high=None, doc=doc)


@dataclass(frozen=True)
class CounterParams(Params):
    """Saturating two's-complement up/down counter; the code spans -2^(bits-1) … 2^(bits-1) - 1."""

    variant: str = param("cmos", choices=VARIANTS, doc="cmos (transistor level), xspice (digital code "
                                                       "models) or behavioural (switches and B sources); "
                                                       "same pins")
    bits: int = param(6, integer=True, low=1, high=MAX_BITS, low_inclusive=True, doc="code width")
    initial_code: int = param(8, integer=True, low=-(2 ** (MAX_BITS - 1)), high=2 ** (MAX_BITS - 1),
                              low_inclusive=True, doc="the code loaded while rst is high")
    sizes: GateSizes = param(default_factory=GateSizes, kind=GateSizes, doc="CMOS gate device sizes")
    # one threshold: a hysteresis band leaves inputs that linger inside it UNKNOWN, and an
    # unknown clock or flag puts the flops into X for good (seen under Monte Carlo)
    v_in_low: float = volts(0.9, "XSPICE adc_bridge: below it inc, dec, rst read 0")
    v_in_high: float = volts(0.9, "XSPICE adc_bridge: above it they read 1 (equal values: one threshold); "
                                  "the behavioural variant's threshold for inc, dec, rst")
    # clk has one threshold too. A band (0.3/1.5 V, tried first against double clocking) lost events:
    # on a slow clock edge the bridge posted UNKNOWN and then never ONE, although clk reached vdd
    # (Monte-Carlo Sim 2 seed 24: 16 of 29 pulses without a step, decided DEC, clock clean). Double
    # clocking on one threshold is prevented by t_clk_to_q below instead.
    clk_in_low: float = volts(0.9, "the same for clk")
    clk_in_high: float = volts(0.9, "the same for clk")
    t_gate: float = positive(100e-12, "s", "XSPICE gate delay (and flip-flop set/reset delay)")
    # the outputs change well after the clock crossed its threshold (the slow clock is ~0.4 V past it
    # 20 ns later): at 100 ps, the counter's output edge forced rejected time steps while the clock was
    # still at the threshold, it re-crossed it and the flops clocked twice before the carry had settled
    t_clk_to_q: float = positive(20e-9, "s", "XSPICE flip-flop clock-to-output delay")
    t_edge: float = positive(1e-9, "s", "XSPICE dac_bridge output rise/fall time")
    # behavioural: the master closes below clk_open, the slave above clk_close (never both: no race)
    clk_open: float = volts(0.8, "behavioural: the master latch is transparent while clk is below it")
    clk_close: float = volts(1.0, "behavioural: the slave latch is transparent while clk is above it")
    t_settle: float = positive(5e-9, "s", "behavioural: RC time constant of each latch (on-resistance × C)")

    def validate(self) -> None:
        lo, hi = code_range(self.bits)
        if not lo <= self.initial_code <= hi:
            raise ConfigError(f"CounterParams.initial_code must be an integer in [{lo}, {hi}] for "
                              f"bits={self.bits}, got {self.initial_code!r}")
        for low, high in (("v_in_low", "v_in_high"), ("clk_in_low", "clk_in_high"), ("clk_open", "clk_close")):
            if not getattr(self, low) <= getattr(self, high):
                raise ConfigError(f"CounterParams.{low}/{high} must satisfy 0 <= low <= high V, got "
                                  f"{getattr(self, low)}, {getattr(self, high)}")

    @property
    def preset_bits(self) -> tuple[int, ...]:
        """initial_code in two's complement, b0 first."""
        return to_bits(self.initial_code, self.bits)

    @property
    def pins(self) -> tuple[str, ...]:
        return ("clk", "inc", "dec", "rst", *bit_names(self.bits), "vdd", "vss")

    @property
    def name(self) -> str:
        return cell_name("counter", self)


# --- the rule, in Python -------------------------------------------------------------------------

to_bits = code_bits


def step_code(code: int, inc: bool, dec: bool, bits: int = 6) -> int:
    """One clock of the saturating counter: +1, -1 or hold (both or neither)."""
    lo, hi = code_range(bits)
    if inc and not dec:
        return min(code + 1, hi)
    if dec and not inc:
        return max(code - 1, lo)
    return code


def reference_codes(initial_code: int, inc, dec, bits: int = 6) -> np.ndarray:
    """Codes before each clock and after the last: length len(inc) + 1, starting at initial_code."""
    codes = [int(initial_code)]
    for up, down in zip(inc, dec):
        codes.append(step_code(codes[-1], bool(up), bool(down), bits))
    return np.array(codes, dtype=int)


def saturation_events(initial_code: int, inc, dec, bits: int = 6) -> tuple[int, int]:
    """(clocks that tried to go above the top code, clocks that tried to go below the bottom)."""
    lo, hi = code_range(bits)
    codes = reference_codes(initial_code, inc, dec, bits)[:-1]
    inc, dec = np.asarray(inc, bool), np.asarray(dec, bool)
    return (int(np.count_nonzero((codes == hi) & inc & ~dec)),
            int(np.count_nonzero((codes == lo) & dec & ~inc)))


# --- stimulus -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CounterStimulus(Params):
    """Per-clock decisions and the waveform timing.

    inc, dec: one 0/1 flag each per clock. period: clock period, s; clock edge k rises at
    (k + 1)·period and stays high for period/2. The flags for edge k change at
    (k + 1)·period - period/4 (clk low). rst is high from 0 to period/4.
    t_edge: rise/fall time of every source, s.
    """

    inc: tuple[int, ...] = ()
    dec: tuple[int, ...] = ()
    period: float = positive(100e-9, "s", "clock period")
    t_edge: float = positive(1e-9, "s", "rise/fall time of every source")

    def validate(self) -> None:
        if len(self.inc) != len(self.dec) or not self.inc:
            raise ConfigError(f"CounterStimulus: inc and dec need the same non-zero length, got "
                              f"{len(self.inc)} and {len(self.dec)}")
        if any(v not in (0, 1) for v in (*self.inc, *self.dec)):
            raise ConfigError("CounterStimulus: inc and dec flags must be 0 or 1")
        if not self.t_edge <= self.period / 20:
            raise ConfigError(f"CounterStimulus.t_edge must be in (0, period/20], got {self.t_edge}")

    @property
    def n_clocks(self) -> int:
        return len(self.inc)

    @property
    def stop(self) -> float:
        """End of the transient: after the last edge, before the next one would rise."""
        return (self.n_clocks + 1) * self.period - self.period / 8

    def edge_times(self) -> np.ndarray:
        return (np.arange(self.n_clocks) + 1) * self.period

    def source_lines(self, vdd: float) -> list[str]:
        p, te = self.period, self.t_edge
        lines = [f"vclk clk 0 PULSE(0 {vdd:g} {p:.9g} {te:.9g} {te:.9g} {p / 2 - te:.9g} {p:.9g})",
                 f"vrst rst 0 PWL(0 {vdd:g} {p / 4:.9g} {vdd:g} {p / 4 + te:.9g} 0)"]
        for name, flags in (("inc", self.inc), ("dec", self.dec)):
            points = [f"0 {vdd * flags[0]:g}"]
            for k in range(1, len(flags)):
                if flags[k] != flags[k - 1]:
                    t = (k + 1) * p - p / 4
                    points.append(f"{t:.9g} {vdd * flags[k - 1]:g} {t + te:.9g} {vdd * flags[k]:g}")
            lines.append(f"v{name} {name} 0 PWL({' '.join(points)})")
        return lines


def random_stimulus(rng: np.random.Generator, n_clocks: int = 240, initial_code: int = 8, bits: int = 6,
                    period: float = 100e-9, t_edge: float = 1e-9, p_along: float = 0.7, p_against: float = 0.1,
                    p_both: float = 0.1, require_saturation: bool = True) -> CounterStimulus:
    """Random decisions as a biased walk that hits both saturation ends.

    The walk starts biased upwards: each clock is INC along the bias with probability
    ``p_along``, the opposite with ``p_against``, both flags with ``p_both``, else hold. After
    1–4 clocks pushing against a saturated end the bias reverses. With ``require_saturation``,
    raises ConfigError when ``n_clocks`` is too short to saturate at both ends.
    """
    if not 0 <= p_along + p_against + p_both <= 1:
        raise ConfigError("random_stimulus: p_along + p_against + p_both must be within [0, 1]")
    lo, hi = code_range(bits)
    inc, dec = [], []
    code, bias, pushes, push_target = initial_code, +1, 0, int(rng.integers(1, 5))
    for _ in range(n_clocks):
        u = rng.random()
        if u < p_along:
            flags = (1, 0) if bias > 0 else (0, 1)
        elif u < p_along + p_against:
            flags = (0, 1) if bias > 0 else (1, 0)
        elif u < p_along + p_against + p_both:
            flags = (1, 1)
        else:
            flags = (0, 0)
        if code == (hi if bias > 0 else lo) and flags == ((1, 0) if bias > 0 else (0, 1)):
            pushes += 1
        inc.append(flags[0])
        dec.append(flags[1])
        code = step_code(code, *flags, bits=bits)
        if pushes >= push_target:
            bias, pushes, push_target = -bias, 0, int(rng.integers(1, 5))
    up, down = saturation_events(initial_code, inc, dec, bits)
    if require_saturation and not (up and down):
        raise ConfigError(f"random_stimulus: {n_clocks} clocks did not saturate at both ends "
                          f"(top {up}, bottom {down} times); use more clocks")
    return CounterStimulus(tuple(inc), tuple(dec), period, t_edge)


# --- subcircuits ----------------------------------------------------------------------------------

def cmos_counter_cell(params: CounterParams, tech: Technology) -> Cell:
    """Transistor-level counter (see the module docstring for pins and behaviour).

    Next state: up = inc·!dec·!at_top, dn = dec·!inc·!at_bottom; carry chain
    cu0 = up, cu(i+1) = cu(i)·q(i); borrow chain cd0 = dn, cd(i+1) = cd(i)·!q(i);
    toggle t(i) = cu(i) + cd(i); d(i) = q(i) XOR t(i) = AOI22(q, t, !q, !t).
    """
    n = params.bits
    s = Schematic(tech, params.name, params.pins)
    c = Gates(s, params.sizes)
    c.comment("clock: two sharpening inverters, then clkb and clkp driving every flip-flop (tapered")
    c.comment("x2, x4 so that the clkb/clkp overlap, when master and slave are both open, stays short)")
    c.inv(c.inv(c.inv(c.inv("clk", "clk_i1"), "clk_i2", m=2), "clkb", m=4), "clkp", m=6)
    c.comment("rst → rstb → rstp; inc, dec and complements")
    c.inv(c.inv("rst", "rstb"), "rstp")
    c.inv(c.inv("inc", "incb"), "inci")
    c.inv(c.inv("dec", "decb"), "deci")
    # the flip-flop outputs are the bit pins; their complements are the slave feedback nodes
    q = list(bit_names(n))
    qb = [f"{b}_sf" for b in q]
    c.comment("state flip-flops, async preset to initial_code while rst is high; q = b(i), !q = b(i)_sf")
    for i, preset in enumerate(params.preset_bits):
        c.dff(f"d{i}", q[i], "clkp", "clkb", preset, "rstp", "rstb")
    c.comment("saturation: at_top = !q(n-1)·q(n-2)…q0, at_bottom = q(n-1)·!q(n-2)…!q0")
    at_top = c.and_tree([*q[:n - 1], qb[n - 1]], "at_top")
    at_bottom = c.and_tree([*qb[:n - 1], q[n - 1]], "at_bottom")
    c.comment("up = inc·!dec·!at_top, dn = dec·!inc·!at_bottom")
    c.nor(["incb", "deci", at_top], "up")
    c.nor(["decb", "inci", at_bottom], "dn")
    c.comment("carry/borrow chains, toggles and next state")
    cu, cd = "up", "dn"
    for i in range(n):
        c.nor([cu, cd], f"tb{i}")
        c.inv(f"tb{i}", f"t{i}")
        c.aoi22(q[i], f"t{i}", qb[i], f"tb{i}", f"d{i}")
        if i < n - 1:
            cu = c.inv(c.nand([cu, q[i]], f"cub{i + 1}"), f"cu{i + 1}")
            cd = c.inv(c.nand([cd, qb[i]], f"cdb{i + 1}"), f"cd{i + 1}")
    return s.cell()


def _check_below_supply(params: CounterParams, tech: Technology, names: tuple[str, ...]) -> None:
    """The thresholds a variant reads its inputs with must lie within the supply."""
    for name in names:
        if getattr(params, name) > tech.vdd:
            raise ConfigError(f"CounterParams.{name}={getattr(params, name)} V exceeds the supply {tech.vdd} V")


def xspice_counter_cell(params: CounterParams, tech: Technology) -> Cell:
    """The same counter as XSPICE digital code models: adc_bridge on clk/inc/dec/rst,
    d_and/d_or/d_xor next-state logic, d_dff state with async set/reset from rst,
    dac_bridge to the analog bit outputs (0 / tech.vdd). vdd and vss are not used inside."""
    n = params.bits
    _check_below_supply(params, tech, ("v_in_high", "clk_in_high"))
    q = [f"q{i}" for i in range(n)]
    notq = [f"~q{i}" for i in range(n)]
    delay = f"rise_delay={params.t_gate:.6g} fall_delay={params.t_gate:.6g}"
    lines = [
        "aadc [inc dec rst] [inc_d dec_d rst_d] cnt_adc",
        f".model cnt_adc adc_bridge(in_low={params.v_in_low:g} in_high={params.v_in_high:g})",
        "aadc_clk [clk] [clk_d] cnt_adc_clk",
        f".model cnt_adc_clk adc_bridge(in_low={params.clk_in_low:g} in_high={params.clk_in_high:g})",
        f".model cnt_and d_and({delay})",
        f".model cnt_or d_or({delay})",
        f".model cnt_xor d_xor({delay})",
        f".model cnt_buf d_buffer({delay})",
    ]
    # saturation detectors and the gated up/down requests
    top = [*q[:n - 1], notq[n - 1]]
    bottom = [*notq[:n - 1], q[n - 1]]
    if n > 1:
        lines.append(f"aattop [{' '.join(top)}] at_top cnt_and")
        lines.append(f"aatbot [{' '.join(bottom)}] at_bottom cnt_and")
    else:  # one bit: at_top is code 0 (q0 = 0), at_bottom is code -1 (q0 = 1)
        lines.append(f"aattop {top[0]} at_top cnt_buf")
        lines.append(f"aatbot {bottom[0]} at_bottom cnt_buf")
    lines.append("aup [inc_d ~dec_d ~at_top] up cnt_and")
    lines.append("adn [dec_d ~inc_d ~at_bottom] dn cnt_and")
    for i in range(n):
        if i == 0:
            lines.append("at0 [up dn] t0 cnt_or")
        else:
            lines.append(f"acu{i} [up {' '.join(q[:i])}] cu{i} cnt_and")
            lines.append(f"acd{i} [dn {' '.join(notq[:i])}] cd{i} cnt_and")
            lines.append(f"at{i} [cu{i} cd{i}] t{i} cnt_or")
        lines.append(f"ad{i} [q{i} t{i}] d{i} cnt_xor")
        preset = params.preset_bits[i]
        set_pin, reset_pin = ("rst_d", "null") if preset else ("null", "rst_d")
        lines.append(f"aff{i} d{i} clk_d {set_pin} {reset_pin} q{i} qn{i} cnt_dff{preset}")
    for preset in (0, 1):
        lines.append(f".model cnt_dff{preset} d_dff(clk_delay={params.t_clk_to_q:.6g} set_delay={params.t_gate:.6g} "
                     f"reset_delay={params.t_gate:.6g} ic={preset} {delay})")
    lines.append(f"adac [{' '.join(q)}] [{' '.join(bit_names(n))}] cnt_dac")
    lines.append(f".model cnt_dac dac_bridge(out_low=0 out_high={tech.vdd:g} out_undef={tech.vdd / 2:g} "
                 f"t_rise={params.t_edge:.6g} t_fall={params.t_edge:.6g})")
    s = Schematic(tech, params.name, params.pins)
    for line in lines:
        s.line(line)
    return s.cell()


LATCH_C = 1e-12   # F, each behavioural latch's storage capacitor


def behavioural_counter_cell(params: CounterParams, tech: Technology) -> Cell:
    """The same counter in the analog solver. Per bit a master (a switch from the next-state node d_i
    into capacitor m_i, closed while clk < clk_open) and a slave (a switch from a buffered m_i into
    capacitor q_i, closed while clk > clk_close); rst closes switches that hold m_i and q_i at the
    preset. The next-state logic and the outputs (b_i = q_i) are B sources and VCVSs without
    state, so every state of the counter sits on a capacitor that ngspice restores with a
    rejected step."""
    n, vdd = params.bits, tech.vdd
    _check_below_supply(params, tech, ("v_in_high", "clk_close"))
    ron = params.t_settle / LATCH_C
    high = params.v_in_high

    def bit(i: int) -> str:
        return f"(v(q{i}) > {vdd / 2:g})"

    def flag(node: str) -> str:
        return f"(v({node}) > {high:g})"

    at_top = " && ".join([*(bit(j) for j in range(n - 1)), f"!{bit(n - 1)}"])
    at_bottom = " && ".join([*(f"!{bit(j)}" for j in range(n - 1)), bit(n - 1)])
    up = f"({flag('inc')} && !{flag('dec')} && !({at_top}))"
    down = f"({flag('dec')} && !{flag('inc')} && !({at_bottom}))"
    outputs = bit_names(n)
    s = Schematic(tech, params.name, params.pins)
    s.line(f".model cnt_master sw(vt={-params.clk_open:g} vh=0 ron={ron:.6g} roff=1e12)")
    s.line(f".model cnt_slave sw(vt={params.clk_close:g} vh=0 ron={ron:.6g} roff=1e12)")
    s.line(f".model cnt_preset sw(vt={high:g} vh=0 ron={ron:.6g} roff=1e12)")
    for i in range(n):
        carry = " && ".join(bit(j) for j in range(i)) or "1"
        borrow = " && ".join(f"!{bit(j)}" for j in range(i)) or "1"
        toggle = f"(({up} && {carry}) || ({down} && {borrow}))"
        preset = vdd * params.preset_bits[i]
        s.line(f"bd{i} d{i} vss v = {flag('rst')} ? {preset:g} : {vdd:g} * ({bit(i)} != {toggle})")
        s.line(f"vpre{i} pre{i} vss {preset:g}")
        s.line(f"smaster{i} d{i} m{i} vss clk cnt_master")
        s.line(f"cm{i} m{i} vss {LATCH_C:g}")
        s.line(f"ebuf{i} mb{i} vss m{i} vss 1")   # buffered: no charge sharing between the two capacitors
        s.line(f"sslave{i} mb{i} q{i} clk vss cnt_slave")
        s.line(f"cq{i} q{i} vss {LATCH_C:g}")
        s.line(f"sprem{i} pre{i} m{i} rst vss cnt_preset")
        s.line(f"sprq{i} pre{i} q{i} rst vss cnt_preset")
        s.line(f"eout{i} {outputs[i]} vss q{i} vss 1")
    return s.cell()


def counter_cell(params: CounterParams, tech: Technology) -> Cell:
    """The variant named by ``params.variant``."""
    builders = {"cmos": cmos_counter_cell, "xspice": xspice_counter_cell, "behavioural": behavioural_counter_cell}
    return builders[params.variant](params, tech)


# --- testbench and decoding -----------------------------------------------------------------------

def default_stimulus(params: CounterParams, n_clocks: int = 240, seed: int = 1) -> CounterStimulus:
    return random_stimulus(np.random.default_rng(seed), n_clocks=n_clocks, initial_code=params.initial_code,
                           bits=params.bits)


def counter_testbench(params: CounterParams, tech: Technology, stimulus: CounterStimulus | None = None) -> Testbench:
    """The counter driven by ``stimulus`` (default: ``default_stimulus(params)``), rst pulsed at
    t = 0; bits on nodes b0…; clock on node ``clk``."""
    stimulus = default_stimulus(params) if stimulus is None else stimulus
    cell = counter_cell(params, tech)
    vdd = tech.vdd
    s = Schematic(tech, vss="0")
    s.define(cell)
    s.voltage("vdd", "vdd", "0", vdd)
    for line in stimulus.source_lines(vdd):
        s.line(line)
    s.instance("xcnt", cell, **{p: p for p in cell.pins[:-1]}, vss="0")
    # every internal step ≤ period/10 so that the sampled code before each edge is settled
    analysis = Transient(step=stimulus.period / 20, stop=stimulus.stop, max_step=stimulus.period / 10)
    name = f"{cell.name}_tb_{stimulus.n_clocks}clk"
    # num_threads=1: ngspice's OpenMP device evaluation spins on a loaded machine (measured
    # 0.1 s against 27 s of load time for ten inverters with 2 threads on 2 busy cores)
    return Testbench(name=name, body=s.text(), analysis=analysis, technology=tech,
                     options=(("num_threads", "1"),))


def demo_testbench(params: CounterParams, tech: Technology) -> Testbench:
    """The catalogue's testbench: a short seeded random run (24 clocks) of ``params``."""
    stimulus = random_stimulus(np.random.default_rng(1), n_clocks=24, initial_code=params.initial_code,
                               bits=params.bits, require_saturation=False)
    return counter_testbench(params, tech, stimulus)


def _prints(bits: int) -> tuple[str, ...]:
    return ("v(clk)", "v(inc)", "v(dec)", *(f"v({b})" for b in bit_names(bits)))


# The CMOS entry is the 2-bit counter: ngspice 39 copies the sky130 model cards once per
# transistor instance, so the 6-bit netlist (336 transistors) takes minutes just to parse.
NETLISTS = {
    "counter_xspice": (CounterParams(variant="xspice"), counter_testbench, _prints(6)),
    "counter_behavioural": (CounterParams(variant="behavioural"), counter_testbench, _prints(6)),
    "counter_cmos_2bit": (CounterParams(variant="cmos", bits=2, initial_code=-1), demo_testbench, _prints(2)),
}
