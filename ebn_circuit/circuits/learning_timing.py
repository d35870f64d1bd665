"""Timing of the learning block: the comparator-reset delay element, the pulse schedule of its
testbenches, and the per-pulse readout of a simulated run.

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
import pandas as pd

from ebn_circuit.circuits.counter import from_bits
from ebn_circuit.circuits.primitives import SWITCH, Size, device, diode, ideal_capacitor, inverter, mirror_out
from ebn_circuit.errors import ConfigError, WaveformError
from ebn_circuit.measure.events import crossings, sample_before
from ebn_circuit.rule import DEC, INC, NONE, SL
from ebn_circuit.technology.core import Technology

STARVE = Size(2e-6, 4e-6)


def nominal_delay(c_delay: float, i_delay: float, vdd: float = 1.8) -> float:
    """C·(vdd/2)/I (s): time for the starved inverter to slew its capacitor to mid-supply."""
    return c_delay * vdd / 2 / i_delay


def delay_element(tech: Technology, inp: str, out: str, ibias: str, c_delay: float) -> list[str]:
    """Device lines: ``out`` = NOT(``inp`` delayed on both edges); ``ibias`` is the nFET diode
    node into which the reference current I_delay is forced."""
    lines = ["* delay element: current-starved inverter on an ideal capacitor"]
    for group in (diode(tech, "mdl_in", "n", ibias, "vss", STARVE),
                  mirror_out(tech, "mdl_p", "n", "dlp", ibias, "vss", STARVE),
                  diode(tech, "mdl_pd", "p", "dlp", "vdd", STARVE),
                  device(tech, "mdl_ps", "p", "dsp", "dlp", "vdd", STARVE),
                  device(tech, "mdl_pw", "p", "xd", inp, "dsp", SWITCH.times(2)),
                  device(tech, "mdl_nw", "n", "xd", inp, "dsn", SWITCH),
                  device(tech, "mdl_ns", "n", "dsn", ibias, "vss", STARVE),
                  ideal_capacitor("delay", "xd", "vss", c_delay),
                  inverter(tech, "inv_xd", "xd", "xd_n"),
                  inverter(tech, "inv_crst", "xd_n", out)):
        lines += [group] if isinstance(group, str) else list(group)
    return lines


@dataclass(frozen=True)
class PulseSchedule:
    """One presynaptic pulse per I_before level (A); i_omega: the I_mem jump during each pulse (A,
    one value or one per level; I_mem is kept ≥ level/4, as a real membrane current stays positive).
    Times in s. hold_code: re-assert the counter preset between pulses."""

    levels: tuple[float, ...]
    i_omega: tuple[float, ...] = (0.0,)
    t_track: float = 200e-6
    t_pulse: float = 150e-6
    t_edge: float = 100e-9
    t_jump_delay: float = 5e-6
    hold_code: bool = True

    def __post_init__(self) -> None:
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

    def source_lines(self, vdd: float) -> list[str]:
        """Sources: vpulse (pulse), vrst (rst), iimem (I_mem into node imem_s)."""
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
        pwl = lambda pts: "pwl(" + " ".join(f"{t:.9g} {v:.9g}" for t, v in pts) + ")"  # noqa: E731
        return [f"vpulse pulse 0 {pwl(pulse)}", f"vrst rst 0 {pwl(rst)}",
                "* I_mem copy sourced into the block; vimem senses it",
                f"iimem vdd imem_s {pwl(imem)}", "vimem imem_s imem 0"]


def decision_from_flags(inc, dec, sl) -> np.ndarray:
    """INC / DEC when only that flag is set; SL when sl is set or when inc and dec are both set (the
    bounds are inverted by offsets larger than I_SL: the counter holds, as for SL); NONE when no flag
    is set (the comparators did not decide)."""
    inc, dec, sl = (np.asarray(f, dtype=int) for f in (inc, dec, sl))
    return np.where((inc == 1) & (dec == 0), INC, np.where((dec == 1) & (inc == 0), DEC,
                    np.where((sl == 1) | ((inc == 1) & (dec == 1)), SL, NONE)))


def pulse_readout(schedule: PulseSchedule, result, vdd: float, bits: int, instance: str = "xlb",
                  omega_ratio: float = 0.5) -> pd.DataFrame:
    """One row per pulse (currents in A):

    i_before: I_mem input just before the rising edge; i_held_l / i_held_u: the held copies at the
    decision (just before the fall); r_omega_l / r_omega_u: the replica DACs' r·I_Ω at the decision;
    i_omega: their mean / omega_ratio; inc, dec, sl: flags just before the fall (0/1); decision:
    INC/SL/DEC (+1/0/−1) from the flags (``decision_from_flags``), NONE (−2) when none is set; code_before:
    the code just before the rising edge; code_mid: just before the fall (the old code must still be
    there: one step per pulse, at its end); code_after: 50 µs after the fall (after the step).
    Timing (s): t_release, comparator reset released (crst falls) after the rising edge; t_flag, the
    first decision flag rises after the rising edge; t_clear, crst rises again after the falling edge.
    """
    t = result.time
    rises, falls = schedule.rises(), schedule.falls()
    before_fall = falls - schedule.t_edge

    def flag(name):
        return (sample_before(t, result.v(name), before_fall) > vdd / 2).astype(int)

    def code_at(times):
        levels = np.array([sample_before(t, result.v(f"b{k}"), times) for k in range(bits)]).T
        if np.any((levels > 0.2 * vdd) & (levels < 0.8 * vdd)):
            raise WaveformError("learning block: a code bit is not at a logic level when sampled")
        return np.array([from_bits((row > vdd / 2).astype(int), bits) for row in levels])

    inc, dec, sl = flag("inc"), flag("dec"), flag("sl")
    decision = decision_from_flags(inc, dec, sl)
    cur = lambda name, times: np.interp(times, t, result.i(name))  # noqa: E731
    r_l, r_u = cur(f"v.{instance}.vomega_l", before_fall), cur(f"v.{instance}.vomega_u", before_fall)
    crst = result.v(f"{instance}.crst")
    flag_edges = np.sort(np.concatenate([crossings(t, result.v(n), vdd / 2, "rising") for n in ("inc", "dec", "sl")]))

    def first_after(times, events):
        index = np.searchsorted(events, times)
        return np.array([events[i] - x if i < len(events) else np.nan for x, i in zip(times, index)])

    edges = crossings(t, result.v("pulse"), vdd / 2, "rising")
    if len(edges) != len(rises):
        raise WaveformError(f"learning block: expected {len(rises)} pulses, found {len(edges)}")
    return pd.DataFrame({
        "pulse": np.arange(len(rises)), "onset": rises, "level": np.asarray(schedule.levels),
        "i_before": sample_before(t, result.i("vimem"), rises),
        "i_held_l": cur(f"v.{instance}.vheld_l", before_fall), "i_held_u": cur(f"v.{instance}.vheld_u", before_fall),
        "r_omega_l": r_l, "r_omega_u": r_u, "i_omega": (r_l + r_u) / 2 / omega_ratio,
        "inc": inc, "dec": dec, "sl": sl, "decision": decision,
        "code_before": code_at(rises - schedule.t_edge), "code_mid": code_at(before_fall),
        "code_after": code_at(falls + 50e-6),
        "t_release": first_after(rises, crossings(t, crst, vdd / 2, "falling")),
        "t_flag": first_after(rises, flag_edges),
        "t_clear": first_after(falls, crossings(t, crst, vdd / 2, "rising")),
    })
