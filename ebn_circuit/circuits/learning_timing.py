"""Timing of the learning block: the comparator-reset delay element and the pulse schedule of its
testbenches (the per-pulse readout of a run is ``measure.learning_block``).

Delay element (transistor level)::

    idelay ─ mdl_in (nFET diode, ideal I_delay) ; mdl_p (nFET copy) ─ dlp (pFET diode)
    vdd ─ mdl_ps (pFET, gate dlp) ─ dsp ─ mdl_pw (gate pulse) ─ xd ─ mdl_nw (gate pulse) ─ dsn
        ─ mdl_ns (nFET, gate idelay) ─ vss        current-starved inverter: I_delay either way
    xd ─ C_delay (ideal) to vss;  xd → inv → xd_n → inv → crst

so crst = NOT(pulse delayed by t_delay ≈ C_delay·(vdd/2)/I_delay on both edges); at the default
1 pF and 25 nA, ≈ 36 µs. The delay is set by the reference current and the capacitor, not by
the process corner (only the inverter threshold moves it).

Pulse schedule of the decision testbench (``PulseSchedule``), per point k (period = t_track + t_pulse):
I_mem steps to the point's level at the start of the period (just after the previous pulse fell),
the pulse rises at t_track, I_mem jumps by the point's I_Ω 5 µs later (what the synapse would do;
the held I_before must not see it), the pulse falls at t_track + t_pulse (the counter steps).
With ``hold_code`` the counter's rst is pulsed high between t_pulse + 60 µs and + 120 µs after the
fall, reloading initial_code, so every point of a column is decided at the same code.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ebn_circuit.circuits.comparator import pwl
from ebn_circuit.circuits.schematic import SWITCH, Schematic, Size
from ebn_circuit.errors import ConfigError
from ebn_circuit.params import Params, positive

STARVE = Size(2e-6, 4e-6)


def nominal_delay(c_delay: float, i_delay: float, vdd: float = 1.8) -> float:
    """C·(vdd/2)/I (s): time for the starved inverter to slew its capacitor to mid-supply."""
    return c_delay * vdd / 2 / i_delay


def delay_element(s: Schematic, inp: str, out: str, ibias: str, c_delay: float) -> None:
    """``out`` = NOT(``inp`` delayed on both edges); ``ibias`` is the nFET diode node into which
    the reference current I_delay is forced."""
    s.comment("delay element: current-starved inverter on an ideal capacitor")
    s.diode("mdl_in", "n", ibias, "vss", STARVE)
    s.fet("mdl_p", "n", "dlp", ibias, "vss", STARVE)
    s.diode("mdl_pd", "p", "dlp", "vdd", STARVE)
    s.fet("mdl_ps", "p", "dsp", "dlp", "vdd", STARVE)
    s.fet("mdl_pw", "p", "xd", inp, "dsp", SWITCH.times(2))
    s.fet("mdl_nw", "n", "xd", inp, "dsn", SWITCH)
    s.fet("mdl_ns", "n", "dsn", ibias, "vss", STARVE)
    s.comment("ideal capacitor")
    s.capacitor("delay", "xd", "vss", c_delay)
    s.inverter("inv_xd", "xd", "xd_n")
    s.inverter("inv_crst", "xd_n", out)


@dataclass(frozen=True)
class PulseSchedule(Params):
    """One presynaptic pulse per I_before level (A); i_omega: the I_mem jump during each pulse (A,
    one value or one per level; I_mem is kept ≥ level/4, as a real membrane current stays positive).
    Times in s. hold_code: re-assert the counter preset between pulses."""

    levels: tuple[float, ...] = (9e-9,)
    i_omega: tuple[float, ...] = (0.0,)
    t_track: float = positive(200e-6, "s", "I_mem level held before each pulse (S&H track, counter preset)")
    t_pulse: float = positive(150e-6, "s", "pulse width (the decision comes after the reset delay)")
    t_edge: float = positive(100e-9, "s", "edge time")
    t_jump_delay: float = positive(5e-6, "s", "I_mem jump after the rising edge")
    hold_code: bool = True

    def validate(self) -> None:
        if not self.levels or any(not (lvl > 0) for lvl in self.levels):
            raise ConfigError(f"PulseSchedule.levels must be positive currents (A), got {self.levels}")
        if len(self.i_omega) not in (1, len(self.levels)):
            raise ConfigError("PulseSchedule.i_omega must have one value or one per level")
        if not self.t_track >= 150e-6:
            raise ConfigError(f"PulseSchedule.t_track must be >= 150 µs (S&H track, counter preset), "
                              f"got {self.t_track}")
        if not self.t_pulse >= 80e-6:
            raise ConfigError(f"PulseSchedule.t_pulse must be >= 80 µs (decision after the reset delay), "
                              f"got {self.t_pulse}")
        if not 0 < self.t_edge < self.t_jump_delay < self.t_pulse / 4:
            raise ConfigError("PulseSchedule: need 0 < t_edge < t_jump_delay < t_pulse/4")

    @property
    def jumps(self) -> tuple[float, ...]:
        return self.i_omega * len(self.levels) if len(self.i_omega) == 1 else self.i_omega

    @property
    def period(self) -> float:
        return self.t_track + self.t_pulse

    @property
    def stop(self) -> float:
        return len(self.levels) * self.period + 100e-6

    def rises(self) -> np.ndarray:
        return np.arange(len(self.levels)) * self.period + self.t_track + self.t_edge / 2

    def falls(self) -> np.ndarray:
        return self.rises() + self.t_pulse

    def draw_sources(self, s: Schematic, vdd: float) -> None:
        """Sources: vpulse (pulse), vrst (rst), iimem (I_mem into node imem_s), vimem (its sense)."""
        te = self.t_edge
        pulse, rst = [(0.0, 0.0)], [(0.0, vdd), (20e-6, vdd), (20e-6 + te, 0.0)]
        imem = [(0.0, self.levels[0])]
        for k, (level, jump) in enumerate(zip(self.levels, self.jumps)):
            t0 = k * self.period
            rise = t0 + self.t_track
            fall = rise + self.t_pulse
            if k:
                imem += [(t0 + 2e-6, imem[-1][1]), (t0 + 3e-6, level)]
            after = max(level + jump, 0.25 * level)   # an inhibitory jump cannot take I_mem below ~0
            imem += [(rise + self.t_jump_delay, level), (rise + self.t_jump_delay + 1e-6, after)]
            pulse += [(rise, 0.0), (rise + te, vdd), (fall, vdd), (fall + te, 0.0)]
            if self.hold_code:
                rst += [(fall + 60e-6, 0.0), (fall + 60e-6 + te, vdd), (fall + 120e-6, vdd),
                        (fall + 120e-6 + te, 0.0)]
        s.voltage("pulse", "pulse", "0", pwl(pulse))
        s.voltage("rst", "rst", "0", pwl(rst))
        s.comment("I_mem copy sourced into the block; vimem senses it")
        s.current("imem", "vdd", "imem_s", pwl(imem))
        s.voltage("imem", "imem_s", "imem", 0)
