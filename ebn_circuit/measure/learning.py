"""Per-pulse view of a learning-block run: I_before, code before/after, decision, I_mem jump.

Works on aligned waveforms from any simulator (our ngspice runs, CSV exports of another).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ebn_circuit.errors import WaveformError
from ebn_circuit.measure.events import crossings, sample_before
from ebn_circuit.rule import SL

REQUIRED_SIGNALS = ("time", "i_mem", "pulse", "code")


def check_waveforms(waveforms: pd.DataFrame, source: str = "waveforms") -> None:
    """Aligned waveforms need time, i_mem (A), pulse (V) and code columns, time increasing."""
    missing = [name for name in REQUIRED_SIGNALS if name not in waveforms.columns]
    if missing:
        raise WaveformError(f"{source}: missing signal(s) {', '.join(missing)}; "
                            f"need {', '.join(REQUIRED_SIGNALS)}")
    time = waveforms["time"].to_numpy()
    if time.size < 3 or np.any(np.diff(time) <= 0):
        raise WaveformError(f"{source}: time must be strictly increasing with at least 3 samples")


def pulse_onsets(waveforms: pd.DataFrame, level: float | None = None) -> tuple[np.ndarray, float]:
    """Rising edges of the presynaptic pulse and its median width (s)."""
    time, pulse = waveforms["time"].to_numpy(), waveforms["pulse"].to_numpy()
    level = 0.5 * (np.max(pulse) + np.min(pulse)) if level is None else level
    onsets = crossings(time, pulse, level, "rising")
    offsets = crossings(time, pulse, level, "falling")
    widths = [offsets[offsets > onset][0] - onset for onset in onsets if np.any(offsets > onset)]
    if onsets.size == 0:
        raise WaveformError("no presynaptic pulses found (no rising edge of the pulse signal)")
    return onsets, float(np.median(widths)) if widths else float("nan")


def edge_starts(waveforms: pd.DataFrame, onsets: np.ndarray, fraction: float = 0.05) -> np.ndarray:
    """Where each rising edge of the pulse leaves its low level (``fraction`` of the swing): what the
    circuit does during the edge (switches that steer I_mem inject charge on the node that senses
    it) is not the I_mem before the pulse."""
    time, pulse = waveforms["time"].to_numpy(), waveforms["pulse"].to_numpy()
    low = np.min(pulse) + fraction * (np.max(pulse) - np.min(pulse))
    starts = crossings(time, pulse, low, "rising")
    index = np.searchsorted(starts, onsets, side="right") - 1
    return np.where(index >= 0, starts[np.clip(index, 0, None)], onsets) if starts.size else onsets


def pulse_table(waveforms: pd.DataFrame, lead: float = 0.0, code_limits: tuple[int, int] = (-32, 31),
                source: str = "waveforms") -> pd.DataFrame:
    """One row per presynaptic pulse.

    i_before: I_mem ``lead`` seconds before the rising edge starts (lead=0: the last sample before
    the pulse leaves its low level, ``edge_starts``).
    code_before / code_after: the code just before this pulse and just before the next one
    (or at the end of the record). decision: sign of the code change (INC/SL/DEC as +1/0/-1);
    ``saturated`` marks pulses whose code sat at a limit and did not change (decision unknown).
    i_jump: the I_mem rise over the pulse width, minus the rise over the same time before it
    (a first-order removal of the drive's drift); it estimates I_Ω of that pulse.
    """
    check_waveforms(waveforms, source)
    time, i_mem = waveforms["time"].to_numpy(), waveforms["i_mem"].to_numpy()
    code = waveforms["code"].to_numpy()
    onsets, width = pulse_onsets(waveforms)
    next_edges = np.append(onsets[1:], time[-1] + (time[1] - time[0]))
    code_before = np.round(sample_before(time, code, onsets)).astype(int)
    code_after = np.round(sample_before(time, code, next_edges)).astype(int)
    delta = code_after - code_before
    decision = np.sign(delta).astype(int)
    saturated = (delta == 0) & ((code_before <= code_limits[0]) | (code_before >= code_limits[1]))
    i_at = lambda when: np.interp(when, time, i_mem)  # noqa: E731
    window = width if np.isfinite(width) else 1e-3
    i_jump = (i_at(onsets + window) - i_at(onsets)) - (i_at(onsets) - i_at(onsets - window))
    return pd.DataFrame({
        "pulse": np.arange(onsets.size),
        "onset": onsets,
        "i_before": sample_before(time, i_mem, edge_starts(waveforms, onsets), lead=lead),
        "code_before": code_before,
        "code_after": code_after,
        "decision": decision,
        "saturated": saturated,
        "i_jump": i_jump,
    })


def settled_after(decisions) -> int | None:
    """Index of the first pulse from which every decision is SL (None if the last one is not)."""
    decisions = np.asarray(decisions)
    if decisions.size == 0 or decisions[-1] != SL:
        return None
    moving = np.flatnonzero(decisions != SL)
    return 0 if moving.size == 0 else int(moving[-1] + 1)
