"""Signed 6-bit weight DAC: two's-complement code (−32…31) → signed synaptic weight current.

Convention: the output pin ``iout`` carries I_w = code · I_lsb, *positive = sourced into* the
node it is connected to (excitatory: raises the neuron's input and so I_mem), *negative = sunk
from* it (inhibitory). Code bits ``b0``…``b5`` are node voltages at 0 / vdd (b5 is the sign bit,
weight −32), so a counter drives them directly.

Topology (offset binary; 1 + 63 + 32 unit nFETs, 6 + 1 switch groups, 1 pFET mirror, 1 inverter)::

    iref ─ mref (nFET diode, 1 unit; its gate node iref biases every unit)  (ideal I_lsb into iref)
    bit k: mcs_k (2^k units, gate iref) ─ msw_k (switch, gate b_k)     → isum   k = 0…4
    bit 5: mcs_5 (32 units)            ─ msw_5 (gate b5_n = NOT b5)   → isum
    isum ─ mp_in (pFET diode) ; mp_out (pFET copy) sources I_sum      → iout
    iout ─ msw_off (always on) ─ mcs_off (32 units) sinks 32·I_lsb

so I_out = (code + 32)·I_lsb − 32·I_lsb. The offset code is built from identical unit devices,
which keeps the DNL small (no sign-magnitude mid-scale glitch); the pFET mirror gain error
shows up as a code-0 offset and a gain error, reported by ``measure.dac.dac_linearity``. The output is not
cascoded: its current changes by ~3 LSB per volt of output voltage at code 8 (DIBL of the two
output mirrors; ``dac_code_testbench``), < 0.4 LSB for a neuron-input node that stays within ±0.1 V.
Settling (tt, i_lsb = 100 pA, gear integration): within ~1 pA of the DC value 60 µs after the
worst code step (the −1 → 0 carry, all bits flip), 30 µs after 0 → 1; a code change once per
presynaptic pulse (ms apart) is settled long before the next pulse. The iref node carries the
gates of all 96 units (pF) on I_lsb, so its time constant C·U_T/(κ·I_lsb) is milliseconds: the
reference must be on from the start (a transient starting from its operating point is).
Simulate transients with ``.option method=gear``: trapezoidal ringing appears as spurious nA
currents through an ideal voltage source on ``iout``.

Characterisation: all 64 codes in one ``.dc`` sweep (``dac_sweep_testbench``) — about 2000
Newton iterations in total; a 64-step transient counter needs ~9000 and 12.8 ms of simulated time.
``dac_code_testbench``: the output characteristic (I_out against V_out) at one code. ``DacParams.bits`` (default 6) sets
the width; pins and code range follow it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ebn_circuit.circuits.analysis import DcSweep
from ebn_circuit.circuits.codes import BITS, bit_names, code_bits, code_range
from ebn_circuit.circuits.comparator import pwl
from ebn_circuit.circuits.schematic import SWITCH, Cell, Schematic, Size, cell_name
from ebn_circuit.circuits.testbench import Testbench
from ebn_circuit.errors import ConfigError
from ebn_circuit.params import Params, param, positive
from ebn_circuit.technology.core import Technology

CODE_MIN, CODE_MAX = code_range(BITS)   # of the default 6-bit DAC
PINS = (*bit_names(BITS), "iref", "iout", "vdd", "vss")
POLARITIES = ("source", "sink", "offset", "signed", "split")
SIGNED_BIAS_UNITS = 2   # "signed": units always through the pFET mirror (and sunk back), so it never starts from 0

__all__ = ["BITS", "CODE_MAX", "CODE_MIN", "DacCodeParams", "DacParams", "DacSweepParams", "PINS", "POLARITIES",
           "code_bits", "code_range", "dac_cell", "dac_code_testbench", "dac_sweep_testbench"]


@dataclass(frozen=True)
class DacParams(Params):
    """Weight DAC. Sized for mismatch (Monte Carlo, 2×8 µm units: max |DNL| 0.17–0.54 LSB over 6
    seeds, 1×4 µm: 0.27–1.07 LSB; always monotonic)."""

    i_lsb: float = positive(100e-12, "A", "the unit current, forced into iref by the reference source")
    bits: int = param(BITS, integer=True, low=2, high=10, low_inclusive=True, doc="code width, sign included")
    unit_w: float = positive(2e-6, "m", "width of the unit nFET current source")
    unit_l: float = positive(8e-6, "m", "length of the unit nFET current source")
    mirror_w: float = positive(2e-6, "m", "width of the output pFET mirror")
    mirror_l: float = positive(8e-6, "m", "length of the output pFET mirror")
    polarity: str = param("source", choices=POLARITIES,
                          doc="source: code·I_lsb sourced; sink: the same sunk; offset: (code + 2^(bits−1))·I_lsb; "
                              "signed: code·I_lsb sourced, sign-magnitude; split: |code|·I_lsb sunk from ipos or "
                              "ineg by the sign")
    cascode: bool = param(False, choices=(False, True),
                          doc="signed / split only: cascode the unit sources (pin vcasn) and the pFET mirror (pin "
                              "vcasp), so every unit works at its reference's drain voltage (no DIBL gain error)")

    def validate(self) -> None:
        if self.cascode and self.polarity not in ("signed", "split"):
            raise ConfigError(f"DacParams.cascode needs polarity signed or split, got {self.polarity!r}")
        if self.i_lsb * 2 ** self.bits > 1e-6:
            raise ConfigError(f"DacParams.i_lsb={self.i_lsb} A: full scale 2^bits·i_lsb leaves subthreshold; "
                              f"use ≤ {1e-6 / 2 ** self.bits:.3g} A")

    @property
    def pins(self) -> tuple[str, ...]:
        outputs = ("ipos", "ineg") if self.polarity == "split" else ("iout",)
        cascodes = (("vcasn", "vcasp") if self.polarity == "signed" else ("vcasn",)) if self.cascode else ()
        return (*bit_names(self.bits), "iref", *outputs, *cascodes, "vdd", "vss")

    @property
    def name(self) -> str:
        return cell_name("weight_dac", self)


def dac_cell(params: DacParams, tech: Technology) -> Cell:
    """The DAC subcircuit with pins ``params.pins`` (b0 … b<bits−1> iref iout vdd vss).

    polarity "source": I_out = code·I_lsb sourced into the node on ``iout`` (as described above).
    polarity "sink": the same current *sunk* from it: the switched units pull (code + 32)·I_lsb
    from ``iout`` directly and a pFET mirror of a fixed 32-unit sink sources 32·I_lsb back. For
    inputs that excite by sinking, such as the DPI neuron's ``iin``.
    polarity "offset": the unsigned offset-binary current (code + 32)·I_lsb sourced into ``iout``
    (no offset subtraction): the weight current of a DPI synapse, whose input must be positive.
    """
    if params.polarity in ("signed", "split"):
        return _sign_magnitude_cell(params, tech)
    unit = Size(params.unit_w, params.unit_l)
    mirror = Size(params.mirror_w, params.mirror_l)
    sign, half = params.bits - 1, 2 ** (params.bits - 1)
    # source, offset: the switched units sum on isum, mirrored out; sink: they pull from iout directly
    cells_to = "iout" if params.polarity == "sink" else "isum"
    s = Schematic(tech, params.name, params.pins)
    s.diode("mref", "n", "iref", "vss", unit)
    for k in range(params.bits):
        gate = f"b{k}" if k < sign else f"b{k}_n"   # offset binary: the sign bit inverted
        s.fet(f"mcs_{k}", "n", f"cs_{k}", "iref", "vss", unit.times(2 ** k))
        s.switch(f"msw_{k}", "n", cells_to, f"cs_{k}", gate, SWITCH.times(2 ** k))
    s.inverter("inv_sign", f"b{sign}", f"b{sign}_n")
    if params.polarity in ("source", "offset"):
        s.diode("mp_in", "p", "isum", "vdd", mirror)
        s.fet("mp_out", "p", "iout", "isum", "vdd", mirror)
    if params.polarity == "source":
        s.switch("msw_off", "n", "iout", "cs_off", "vdd", SWITCH.times(half))
        s.fet("mcs_off", "n", "cs_off", "iref", "vss", unit.times(half))
    elif params.polarity == "sink":
        s.switch("msw_off", "n", "ioff", "cs_off", "vdd", SWITCH.times(half))
        s.fet("mcs_off", "n", "cs_off", "iref", "vss", unit.times(half))
        s.diode("mp_off", "p", "ioff", "vdd", mirror)
        s.fet("mp_back", "p", "iout", "ioff", "vdd", mirror)
    return s.cell()


def _sign_magnitude_cell(params: DacParams, tech: Technology) -> Cell:
    """Sign-magnitude from the two's-complement bits, with no offset current to cancel: unit group k
    (2^k units) is switched to ``pos`` while b_k = 1 and the sign s = 0, to ``neg`` while b_k = 0 and
    s = 1; one more unit goes to ``neg`` while s = 1, so |code| units sink from ``pos`` (code > 0) or
    ``neg`` (code < 0) and none at code 0. "split": pos, neg are the pins ipos, ineg. "signed": neg
    is iout, and pos feeds a pFET mirror that sources into iout; SIGNED_BIAS_UNITS more units keep
    that mirror biased (a mirror starting from zero current at code 1 would take milliseconds to
    slew) and as many are sunk back from iout, so I_out = code·I_lsb. ``cascode``: each unit group,
    the reference diode and the pFET mirror are cascoded (gates vcasn, vcasp), so all work at the
    same drain voltage as their reference: uncascoded, sky130's DIBL made a 6–7 % gain error at an
    output held at 0.75 V."""
    unit, mirror = Size(params.unit_w, params.unit_l), Size(params.mirror_w, params.mirror_l)
    sign, cas = params.bits - 1, params.cascode
    pos, neg = ("ipos", "ineg") if params.polarity == "split" else ("isum", "iout")
    s = Schematic(tech, params.name, params.pins)

    def source(name: str, drain: str, m: int) -> None:
        """m units sinking from ``drain`` (through a cascode when cascoded)."""
        if cas:
            s.fet(f"mcc_{name}", "n", drain, "vcasn", f"cd_{name}", unit.times(m))
            drain = f"cd_{name}"
        s.fet(f"mcs_{name}", "n", drain, "iref", "vss", unit.times(m))

    if cas:
        s.fet("mcc_ref", "n", "iref", "vcasn", "nref", unit)
        s.fet("mref", "n", "nref", "iref", "vss", unit)
    else:
        s.diode("mref", "n", "iref", "vss", unit)
    s.inverter("inv_sign", f"b{sign}", "s_n")
    for k in range(sign):
        size = SWITCH.times(2 ** k)
        s.inverter(f"inv_b{k}", f"b{k}", f"b{k}_n")
        source(str(k), f"cs_{k}", 2 ** k)
        s.switch(f"msw_p{k}", "n", pos, f"sp_{k}", f"b{k}", size)
        s.switch(f"msw_ps{k}", "n", f"sp_{k}", f"cs_{k}", "s_n", size)
        s.switch(f"msw_n{k}", "n", neg, f"sn_{k}", f"b{k}_n", size)
        s.switch(f"msw_ns{k}", "n", f"sn_{k}", f"cs_{k}", f"b{sign}", size)
    s.comment("the one more unit of a negative code (|code| = NOT bits + 1)")
    source("one", "cs_one", 1)
    s.switch("msw_one", "n", neg, "cs_one", f"b{sign}")
    if params.polarity == "signed":
        bias = SIGNED_BIAS_UNITS
        s.comment(f"pFET mirror: sources the positive magnitude plus {bias} bias units into iout; "
                  f"{bias} units sink them back")
        source("bias", "isum", bias)
        if cas:
            s.fet("mpc_in", "p", "isum", "vcasp", "pin", mirror)
            s.fet("mp_in", "p", "pin", "isum", "vdd", mirror)
            s.fet("mp_out", "p", "pout", "isum", "vdd", mirror)
            s.fet("mpc_out", "p", "iout", "vcasp", "pout", mirror)
        else:
            s.diode("mp_in", "p", "isum", "vdd", mirror)
            s.fet("mp_out", "p", "iout", "isum", "vdd", mirror)
        source("back", "iout", bias)
    return s.cell()


def held_code(s: Schematic, code: int, bits: int, vdd: float) -> None:
    """Voltage sources holding ``code`` on the bit nodes b0… (0 / vdd)."""
    for k, bit in enumerate(code_bits(code, bits)):
        s.voltage(f"b{k}", f"b{k}", "0", vdd * bit)


def stepped_code(s: Schematic, steps: tuple[tuple[float, int], ...], bits: int, vdd: float,
                 edge: float = 1e-6) -> None:
    """Voltage sources stepping the bit nodes b0… through codes: ``steps`` ((time s, code), …), the
    first code from t = 0, each later one from its time on (``edge`` s transitions)."""
    levels = [code_bits(code, bits) for _, code in steps]
    for k in range(bits):
        points = [(0.0, vdd * levels[0][k])]
        for (t, _), before, after in zip(steps[1:], levels, levels[1:]):
            points += [(t, vdd * before[k]), (t + edge, vdd * after[k])]
        s.voltage(f"b{k}", f"b{k}", "0", pwl(points))


@dataclass(frozen=True)
class DacSweepParams(Params):
    """All codes in one .dc sweep: v(code) steps −32…31 (6 bits) and behavioural sources decode it
    into b0…b5 (0 / vdd); the output pin is held at v_out, the neuron-input node voltage."""

    dac: DacParams = param(default_factory=DacParams, kind=DacParams)
    v_out: float = param(0.9, unit="V", low=0.0, high=1.8, high_inclusive=False, doc="output pin voltage")
    gmin: float = param(1e-15, unit="S", low=0.0, high=1e-12, doc="ngspice gmin (1e-12 would leak ~1 % of an LSB)")
    seed: int | None = None


def dac_sweep_testbench(params: DacSweepParams, tech: Technology) -> Testbench:
    """Output current (sourced into the node, A) is i(vout) over the swept code v(v-sweep).
    gmin is lowered from ngspice's 1e-12 S, which alone would leak ~1 pA per junction (1 % of an LSB)."""
    vdd, bits = tech.vdd, params.dac.bits
    lo, hi = code_range(bits)
    w = f"(v(code)+{-lo + 0.25:g})"  # offset code (sign bit inverted) + margin against rounding
    s = _bench_top(params.dac, tech)
    s.voltage("code", "code", "0", 0)
    for k in range(bits - 1):
        s.line(f"bb{k} b{k} 0 v={vdd:g}*(floor({w}/{2 ** k})-2*floor({w}/{2 ** (k + 1)}))")
    s.line(f"bb{bits - 1} b{bits - 1} 0 v={vdd:g}*(1-floor({w}/{2 ** (bits - 1)}))")
    return _bench(s, "dac_code_sweep", params.dac, tech, params.v_out, DcSweep("vcode", lo, hi, 1.0),
                  params.gmin, params.seed)


def _bench_top(dac: DacParams, tech: Technology) -> Schematic:
    s = Schematic(tech, vss="0")
    s.define(dac_cell(dac, tech))
    s.voltage("dd", "vdd", "0", tech.vdd)
    s.voltage("ss", "vss", "0", 0)
    return s


def _bench(s: Schematic, name: str, dac: DacParams, tech: Technology, v_out: float, analysis, gmin: float,
           seed: int | None) -> Testbench:
    cell = dac_cell(dac, tech)
    s.reference("ref", "iref", dac.i_lsb)   # the unit current into the diode mref
    s.comment("the neuron-input node: current sourced by the DAC enters vout's + terminal")
    s.voltage("out", "iout", "0", v_out)
    s.instance("xdac", cell, **{p: p for p in cell.pins})
    return Testbench(name=name, body=s.text(), technology=tech, analysis=analysis,
                     options=(("gmin", f"{gmin:g}"),), seed=seed)


@dataclass(frozen=True)
class DacCodeParams(Params):
    """One code held on the bit pins (0 / vdd); the output voltage swept from v_out_min to v_out_max
    in v_out_step: the output characteristic (compliance) at that code."""

    dac: DacParams = param(default_factory=DacParams, kind=DacParams)
    code: int = param(8, integer=True, low=-512, high=511, low_inclusive=True, doc="the code held")
    v_out_min: float = param(0.2, unit="V", low=0.0, high=1.8, high_inclusive=False)
    v_out_max: float = param(1.6, unit="V", low=0.0, high=1.8, high_inclusive=False)
    v_out_step: float = positive(0.1, "V", "sweep step")
    gmin: float = param(1e-15, unit="S", low=0.0, high=1e-12)
    seed: int | None = None

    def validate(self) -> None:
        lo, hi = code_range(self.dac.bits)
        if not lo <= self.code <= hi:
            raise ConfigError(f"DacCodeParams.code must be an integer in {lo}…{hi} for a {self.dac.bits}-bit "
                              f"DAC, got {self.code}")
        if not self.v_out_min < self.v_out_max:
            raise ConfigError(f"DacCodeParams: need v_out_min < v_out_max, got {self.v_out_min}, {self.v_out_max}")
        if not self.v_out_step <= self.v_out_max - self.v_out_min:
            raise ConfigError(f"DacCodeParams.v_out_step must be in (0, v_out_max − v_out_min], got {self.v_out_step}")


def dac_code_testbench(params: DacCodeParams, tech: Technology) -> Testbench:
    """One code, output voltage swept: i(vout) (A, positive = sourced) against v(v-sweep)."""
    s = _bench_top(params.dac, tech)
    held_code(s, params.code, params.dac.bits, tech.vdd)
    return _bench(s, f"dac_code_{params.code}_output", params.dac, tech, params.v_out_min,
                  DcSweep("vout", params.v_out_min, params.v_out_max, params.v_out_step), params.gmin, params.seed)


NETLISTS = {
    "dac_code_sweep": (DacSweepParams(), dac_sweep_testbench, ("i(vout)",)),
    "dac_code_output": (DacCodeParams(), dac_code_testbench, ("i(vout)",)),
}
