"""Window comparator on one error current: is the net current into node ``x`` above +I_SL (DEC),
below −I_SL (INC), or between (SL)?

The learning block sums I_before (sourced), I_rest (sunk) and r·I_Ω (the replica DAC) at ``x``, so
the net current is I_before − (I_rest − r·I_Ω): the rule's three-way decision is its comparison
with ±I_SL. Only currents of the order of I_SL pass through mirrors here, so mirror mismatch
(a few %) costs a few pA instead of a few % of 9 nA.

    x ─ mfp (pFET, gate yp) ─ qu      the positive part I+ leaves x through mfp …
    x ─ mfn (nFET, gate yn) ─ ql      … the negative part I− enters it through mfn
    OTA p (pFET pair, x against vref) → yp: turns mfp on when x rises above vref + δ
    OTA n (the same)                  → yn: turns mfn on when x falls below vref − δ
    δ ≈ 50 mV is built into each OTA (its pair devices differ 4:1 in width), so at most one
    follower conducts: no quiescent current reaches a latch, and x stays within vref ± δ
    race latch U (nFET, reset to vss): qu charged by I+, qub by an I_SL copy; the first node to
        reach the latch threshold wins: dec = I+ > I_SL
    race latch L (pFET, reset to vdd): ql discharged by I−, qlb by an I_SL copy: inc = I− > I_SL
    sl = (I_SL won in L) AND (I_SL won in U): 0 while reset

A race latch needs no input mirror: the follower's drain is the latch node. Both nodes of a latch
see the same devices (the follower and the I_SL copy have the same width), so their capacitances
match and the race compares currents. Timing: after ``rst`` falls a latch decides in C·V_t/I,
~40 µs at I_SL = 0.3 nA, longer for inputs within a few % of I_SL.

Pins ``x isl vref vtail rst inc dec sl vdd vss``: ``isl`` is the I_SL reference's nFET diode (force
I_SL into it), ``vref`` the voltage x is held at (≈ 0.75 V), ``vtail`` the gate of the OTA's pFET
tail (the OTA tails are ``tail_units`` copies of the pFET diode whose gate it is), ``rst`` active high.
"""

from __future__ import annotations

from dataclasses import dataclass

from ebn_circuit.circuits.schematic import LOGIC_N, LOGIC_P, Cell, Schematic, Size, cell_name
from ebn_circuit.params import Params, param, positive
from ebn_circuit.technology.core import Technology

PINS = ("x", "isl", "vref", "vtail", "rst", "inc", "dec", "sl", "vdd", "vss")
LOW_THRESHOLD = (Size(2e-6, 0.15e-6), Size(0.42e-6, 4e-6))     # (nFET, pFET): switches near 0.4 V
HIGH_THRESHOLD = (Size(0.42e-6, 4e-6), Size(2e-6, 0.15e-6))    # switches near vdd − 0.4 V
RESET = Size(0.42e-6, 1e-6)                                     # long: pA leakage when off


@dataclass(frozen=True)
class WindowComparatorParams(Params):
    """Device sizes (m), the OTA's tail and its compensation."""

    follower_w: float = positive(4e-6, "m", "followers and I_SL copies: width (equal, so the latch nodes match)")
    follower_l: float = positive(0.5e-6, "m", "followers: length (short: a low V_gs)")
    copy_l: float = positive(16e-6, "m", "I_SL diodes and copies: length (long: matching)")
    latch_w: float = positive(1e-6, "m", "cross-coupled latch devices: width")
    latch_l: float = positive(4e-6, "m", "latch devices: length")
    ota_w: float = positive(0.5e-6, "m", "OTA devices: unit width (the wide pair device is 4 units)")
    ota_l: float = positive(1e-6, "m", "OTA devices: length (small: their gates load x)")
    tail: Size = param(default_factory=lambda: Size(8e-6, 0.5e-6, 10), kind=Size,
                       doc="OTA tail: copies of the vtail diode (the bias generator's 8×0.5 µm pFET at 2 nA)")
    c_y: float = positive(0.1e-12, "F", "compensation capacitor at each OTA output (ideal)", high=1e-9)

    @property
    def name(self) -> str:
        return cell_name("window_comparator", self)


def _inverter(s: Schematic, name: str, inp: str, out: str, sizes: tuple[Size, Size]) -> None:
    s.inverter(name, inp, out, n_size=sizes[0], p_size=sizes[1])


def window_comparator_cell(params: WindowComparatorParams, tech: Technology) -> Cell:
    """The comparator with pins ``PINS`` (see the module docstring)."""
    f, copy = Size(params.follower_w, params.follower_l), Size(params.follower_w, params.copy_l)
    latch, ota = Size(params.latch_w, params.latch_l), Size(params.ota_w, params.ota_l)
    s = Schematic(tech, params.name, PINS)
    for side, wide in (("p", "m2"), ("n", "m1")):
        s.comment(f"OTA {side}: pFET pair, x on the output side (y{side} falls as x rises); the 4:1 pair puts its "
                  f"balance at vref {'+' if side == 'p' else '−'} δ")
        s.fet(f"mt{side}", "p", f"t{side}", "vtail", "vdd", params.tail)
        s.fet(f"m1{side}", "p", f"d{side}", "vref", f"t{side}", ota.times(4 if wide == "m1" else 1))
        s.fet(f"m2{side}", "p", f"y{side}", "x", f"t{side}", ota.times(4 if wide == "m2" else 1))
        s.diode(f"m3{side}", "n", f"d{side}", "vss", ota)
        s.fet(f"m4{side}", "n", f"y{side}", f"d{side}", "vss", ota)
        s.comment("ideal capacitor")
        s.capacitor(f"y{side}", f"y{side}", "vss", params.c_y)
    s.comment("class-B followers: I+ out of x into qu, I− into x from ql")
    s.fet("mfp", "p", "qu", "yp", "x", f, bulk="x")
    s.fet("mfn", "n", "ql", "yn", "x", f)
    s.comment("I_SL: the reference diode, an nFET copy for L, and through a pFET mirror a copy for U")
    s.diode("msl_in", "n", "isl", "vss", copy)
    s.fet("msl_l", "n", "qlb", "isl", "vss", copy)
    s.fet("msl_p", "n", "slp", "isl", "vss", copy)
    s.diode("psl_in", "p", "slp", "vdd", copy)
    s.fet("psl_u", "p", "qub", "slp", "vdd", copy)
    s.comment("race latch U (reset to vss): qu wins → dec")
    s.fet("mlu_a", "n", "qu", "qub", "vss", latch)
    s.fet("mlu_b", "n", "qub", "qu", "vss", latch)
    s.fet("mru_a", "n", "qu", "rst", "vss", RESET)
    s.fet("mru_b", "n", "qub", "rst", "vss", RESET)
    _inverter(s, "iu_a", "qu", "qu_n", LOW_THRESHOLD)
    s.inverter("iu_b", "qu_n", "dec")
    _inverter(s, "iu_c", "qub", "qub_n", LOW_THRESHOLD)
    s.inverter("iu_d", "qub_n", "below_u")
    s.comment("race latch L (reset to vdd): ql wins → inc")
    s.inverter("inv_rst", "rst", "rst_n")
    s.fet("mll_a", "p", "ql", "qlb", "vdd", latch)
    s.fet("mll_b", "p", "qlb", "ql", "vdd", latch)
    s.fet("mrl_a", "p", "ql", "rst_n", "vdd", RESET)
    s.fet("mrl_b", "p", "qlb", "rst_n", "vdd", RESET)
    _inverter(s, "il_a", "ql", "inc", HIGH_THRESHOLD)
    _inverter(s, "il_b", "qlb", "above_l", HIGH_THRESHOLD)
    s.comment("sl = above_l AND below_u")
    s.fet("msl_np1", "p", "sl_n", "above_l", "vdd", LOGIC_P)
    s.fet("msl_np2", "p", "sl_n", "below_u", "vdd", LOGIC_P)
    s.fet("msl_nn1", "n", "sl_n", "above_l", "sl_x", LOGIC_N)
    s.fet("msl_nn2", "n", "sl_x", "below_u", "vss", LOGIC_N)
    s.inverter("inv_sl", "sl_n", "sl")
    return s.cell()
