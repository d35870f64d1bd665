"""The discrete learning rule (SCIENCE.md §2, §3): one module that every layer imports.

For a receiving neuron and a presynaptic spike, with ``before`` its state just before the spike
arrives (membrane potential, or I_mem on the chip), ``rest`` the target resting state and
``jump`` the signed change of that state the present weight causes (I_Ω on the chip):

    a = 2·(before − rest) + g·jump
    INC (code + 1) if a < offset_lower − half_band
    DEC (code − 1) if a > offset_upper + half_band
    SL  (no change) otherwise

g = 1 is the literal rule (a step is taken only if it lowers L = ½(V_before − V_rest + V_after −
V_rest)²); half_band = δ/2 + margin with δ one weight step as a jump. The same test written as
bounds on ``before`` (the circuit's view, SCIENCE.md §3):

    I_lower = I_rest − (g/2)·I_Ω − I_SL + offset_lower/2,  I_upper = I_rest − (g/2)·I_Ω + I_SL + offset_upper/2
    with I_SL = half_band/2; the chip's mirror ratio r of I_Ω is g/2.

``decide`` is the rule in the test form (the network's units), ``classify`` compares ``before``
with explicit bounds (a fitted circuit model), ``ideal_decision`` is the rule in the chip's
currents. They agree: a < −half_band ⇔ before < rest − (g/2)·jump − half_band/2.
"""

from __future__ import annotations

import numpy as np

INC, SL, DEC = 1, 0, -1
NONE = -2           # a circuit readout in which no decision flag was set
DECISION_NAMES = {INC: "INC", SL: "SL", DEC: "DEC", NONE: "none"}


def classify(before, lower, upper) -> np.ndarray:
    """+1 (INC) where before < lower, −1 (DEC) where before > upper, else 0 (SL); broadcasts."""
    before = np.asarray(before, dtype=float)
    return (before < lower).astype(np.int64) - (before > upper)


def test_value(deviation, jump, gain: float):
    """The rule's left-hand side a = 2·(before − rest) + g·jump, from deviation = before − rest."""
    return 2.0 * deviation + gain * jump


def decide(deviation, jump, gain: float, half_band: float, offset_lower=0.0, offset_upper=0.0) -> np.ndarray:
    """The rule on deviation = before − rest (test form); offsets move the two comparison levels
    on the scale of ``a``. Inner loops call this with precomputed constants."""
    return classify(test_value(deviation, jump, gain), offset_lower - half_band, offset_upper + half_band)


def decide_one(deviation: float, jump: float, gain: float, half_band: float,
               offset_lower: float = 0.0, offset_upper: float = 0.0) -> int:
    """``decide`` for one synapse, scalar in and out: the form compiled loops call (plain
    arithmetic, so numba compiles it as it stands); same comparisons, same result."""
    a = 2.0 * deviation + gain * jump
    return int(a < offset_lower - half_band) - int(a > offset_upper + half_band)


def bounds(jump, rest: float, half_width: float, gain: float = 1.0, offset_lower=0.0, offset_upper=0.0):
    """(lower, upper) bounds on ``before``: rest − (g/2)·jump ∓ half_width, plus offsets (same units)."""
    centre = rest - gain / 2 * np.asarray(jump, dtype=float)
    return centre - half_width + offset_lower, centre + half_width + offset_upper


def ideal_decision(i_before, i_omega, i_rest: float = 9e-9, i_sl: float = 0.3e-9,
                   omega_ratio: float = 0.5) -> np.ndarray:
    """The ideal rule in the chip's currents (A): INC if I_before < I_rest − r·I_Ω − I_SL, DEC if
    above I_rest − r·I_Ω + I_SL, else SL; r = omega_ratio = g/2 (1/2: the literal rule)."""
    lower, upper = bounds(i_omega, i_rest, i_sl, 2 * omega_ratio)
    return classify(i_before, lower, upper)


def step(code, decision, code_min: int, code_max: int):
    """The saturating counter: code + decision, held at its limits (no wrap-around)."""
    return np.clip(np.asarray(code) + decision, code_min, code_max)


def step_one(code: int, decision: int, code_min: int, code_max: int) -> int:
    """``step`` for one counter, scalar (the form compiled loops call)."""
    return min(max(code + decision, code_min), code_max)
