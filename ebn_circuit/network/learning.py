"""The discrete learning rule of SCIENCE.md §2, as one pure, vectorised decision.

For a receiving neuron n and a spike of neuron k, with V_before the potential just before
the spike arrives and jump = the signed membrane jump the present weight causes:

    a = 2·(V_before - V_rest) + g·jump
    INC (code + 1) if a < -δ/2 - margin + lo;  DEC (code - 1) if a > δ/2 + margin + hi

δ is one weight step as a membrane jump, lo/hi the learning block's bound offsets (zero in
the ideal model). g = 1 is the literal rule: a step is taken only if it lowers
L = ½(V_before - V_rest + V_after - V_rest)². The fixed point is
jump ≈ -(2/g)·E[V_before - V_rest]; see SCIENCE.md §2 "Where the rule converges".
For n = k the same test moves the neuron's reset (only with params.learn_diagonal).
"""

from __future__ import annotations

import numpy as np

from ebn_circuit.network.params import NetworkParams
from ebn_circuit.rule import DEC, INC, SL, decide

__all__ = ["DEC", "INC", "SL", "decide", "rule_decision"]


def rule_decision(
    v_before: np.ndarray,
    jump: np.ndarray,
    params: NetworkParams,
    bound_lo: np.ndarray | float = 0.0,
    bound_hi: np.ndarray | float = 0.0,
) -> np.ndarray:
    """+1 (INC), 0 (stop learning) or -1 (DEC) per receiving neuron; broadcasts."""
    deviation = np.asarray(v_before, dtype=float) - params.v_rest
    return decide(deviation, np.asarray(jump, dtype=float), params.gain_g, params.half_band, bound_lo, bound_hi)
