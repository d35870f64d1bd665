"""Readout of the sample-and-hold testbench (``circuits.sample_hold.sample_hold_testbench``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class HoldErrors:
    """Per cycle (A, or fraction of the sampled current): the input at the hold edge, the held
    output t_settle after it, the output just before hold ends, the sampling error
    (held − input)/input and the droop over the hold (late − early)/early."""

    sampled: np.ndarray
    held: np.ndarray
    held_late: np.ndarray
    hold_time: float

    @property
    def sampling_error(self) -> np.ndarray:
        return (self.held - self.sampled) / self.sampled

    @property
    def droop(self) -> np.ndarray:
        return (self.held_late - self.held) / self.held


def hold_errors(params, result, output: int = 1, t_settle: float = 20e-6) -> HoldErrors:
    """The sampling error and droop of output ``output`` in every cycle (``params``:
    SampleHoldBenchParams)."""
    t, iout = result.time, -result.i(f"viout{output}")
    edges = params.hold_edges()
    early = edges + t_settle
    late = edges - params.t_edge / 2 + params.t_hold - 2 * params.t_edge
    return HoldErrors(sampled=np.asarray(params.currents, float), held=np.interp(early, t, iout),
                      held_late=np.interp(late, t, iout), hold_time=float(late[0] - early[0]))
