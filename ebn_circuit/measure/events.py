"""Events in sampled waveforms (pure numpy): crossings, pulses, spikes, samples, settling."""

from __future__ import annotations

import numpy as np

from ebn_circuit.errors import WaveformError


def _check(t: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    t, y = np.asarray(t, dtype=float), np.asarray(y, dtype=float)
    if t.shape != y.shape or t.ndim != 1:
        raise WaveformError(f"time and values must be 1-D of equal length, got {t.shape} and {y.shape}")
    if t.size and np.any(np.diff(t) < 0):
        raise WaveformError("time must be non-decreasing")
    return t, y


def crossings(t, y, level: float, direction: str = "rising") -> np.ndarray:
    """Times where y crosses ``level``, linearly interpolated; direction rising/falling/both."""
    t, y = _check(t, y)
    if direction not in ("rising", "falling", "both"):
        raise WaveformError(f"direction must be rising, falling or both, got {direction!r}")
    above = y >= level
    index = np.flatnonzero(above[1:] != above[:-1])
    if direction == "rising":
        index = index[above[index + 1]]
    elif direction == "falling":
        index = index[~above[index + 1]]
    y0, y1 = y[index], y[index + 1]
    frac = np.where(y1 != y0, (level - y0) / np.where(y1 != y0, y1 - y0, 1.0), 0.0)
    return t[index] + frac * (t[index + 1] - t[index])


def pulses(t, y, level: float) -> np.ndarray:
    """(onset, offset) times of each complete high pulse, shape (n, 2). A pulse already high at
    the start or still high at the end is left out."""
    rising = crossings(t, y, level, "rising")
    falling = crossings(t, y, level, "falling")
    pairs = []
    for onset in rising:
        after = falling[falling > onset]
        if after.size:
            pairs.append((onset, after[0]))
    return np.array(pairs, dtype=float).reshape(-1, 2)


def spike_times(t, y, threshold: float, min_interval: float = 0.0) -> np.ndarray:
    """Rising threshold crossings, dropping any within ``min_interval`` of the previous spike."""
    times = crossings(t, y, threshold, "rising")
    if min_interval <= 0 or times.size < 2:
        return times
    kept = [times[0]]
    for time in times[1:]:
        if time - kept[-1] >= min_interval:
            kept.append(time)
    return np.array(kept)


def firing_rate(spikes, t_start: float, t_stop: float) -> float:
    """Spikes per second in [t_start, t_stop)."""
    if t_stop <= t_start:
        raise WaveformError(f"rate window must have t_stop > t_start, got [{t_start}, {t_stop})")
    spikes = np.asarray(spikes)
    return float(np.count_nonzero((spikes >= t_start) & (spikes < t_stop)) / (t_stop - t_start))


def sample_before(t, y, events, lead: float = 0.0) -> np.ndarray:
    """The value of y at ``lead`` seconds before each event (interpolated; lead=0 takes the
    last sample strictly before the event, so that a jump at the event is not seen)."""
    t, y = _check(t, y)
    events = np.asarray(events, dtype=float)
    if lead > 0:
        return np.interp(events - lead, t, y)
    index = np.searchsorted(t, events, side="left") - 1
    return y[np.clip(index, 0, len(y) - 1)]


def settling_time(t, y, lower, upper, t_start: float = 0.0) -> float:
    """First time ≥ t_start after which y stays within [lower, upper] to the end (lower and upper
    may be arrays over t); nan when y is outside the band at the last sample."""
    t, y = _check(t, y)
    lower = np.broadcast_to(np.asarray(lower, dtype=float), y.shape)
    upper = np.broadcast_to(np.asarray(upper, dtype=float), y.shape)
    window = t >= t_start
    inside = (y >= lower) & (y <= upper)
    if not window.any() or not inside[-1]:
        return float("nan")
    outside = np.flatnonzero(window & ~inside)
    if outside.size == 0:
        return float(t[window][0])
    return float(t[outside[-1] + 1])


def mean_over(t, y, t_start: float, t_stop: float) -> float:
    """Time average of y over [t_start, t_stop] (trapezoidal, on the samples inside plus the two
    interpolated ends): the mean of a waveform sampled on ngspice's uneven time steps."""
    t, y = _check(t, y)
    if not t_stop > t_start or t_start < t[0] or t_stop > t[-1]:
        raise WaveformError(f"mean over [{t_start}, {t_stop}] s: the window must lie inside [{t[0]}, {t[-1]}] s")
    inside = (t > t_start) & (t < t_stop)
    tt = np.concatenate([[t_start], t[inside], [t_stop]])
    yy = np.concatenate([[np.interp(t_start, t, y)], y[inside], [np.interp(t_stop, t, y)]])
    return float(np.trapezoid(yy, tt) / (t_stop - t_start))
