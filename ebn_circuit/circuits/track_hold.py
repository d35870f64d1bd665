"""Track/hold benches (the sample-and-hold's and the current memory's): one cycle per input
current. The input tracks ``currents[k]`` for t_track, ``hold`` rises (edge t_edge) and, t_jump_delay
later, the input jumps by the fraction ``jump``, as the synaptic current would; the hold lasts t_hold."""

from __future__ import annotations

import numpy as np

from ebn_circuit.errors import ConfigError


class TrackHoldCycles:
    """Shared by bench params that have the fields currents, t_track, t_hold, t_edge, t_jump_delay
    and jump."""

    def check_currents(self) -> None:
        if not self.currents or any(not i > 0 for i in self.currents):
            raise ConfigError(f"{type(self).__name__}.currents must be positive amperes, got {self.currents}")

    @property
    def period(self) -> float:
        return self.t_track + self.t_hold

    def hold_edges(self) -> np.ndarray:
        """Times (s) at which hold crosses vdd/2, one per cycle."""
        return np.arange(len(self.currents)) * self.period + self.t_track + self.t_edge / 2

    def waveform_points(self, vdd: float) -> tuple[list, list]:
        """(time, value) points of the hold signal (V) and of the input current (A)."""
        hold, current_in = [], []
        for k, current in enumerate(self.currents):
            t0 = k * self.period
            edge, end = t0 + self.t_track, t0 + self.period - self.t_edge
            jump = edge + self.t_jump_delay
            hold += [(t0, 0.0), (edge, 0.0), (edge + self.t_edge, vdd), (end, vdd)]
            current_in += [(t0, current), (jump, current), (jump + 1e-6, current * (1 + self.jump)),
                           (end, current * (1 + self.jump))]
        return hold, current_in
