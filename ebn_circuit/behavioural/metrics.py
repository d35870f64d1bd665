"""Fit-quality measures shared by the behavioural models."""

from __future__ import annotations

import numpy as np


def nrmse(predicted, measured) -> float:
    """RMS error over the measured range (max − min) of the run (dimensionless); for a trace that
    starts at ~0, as a synaptic current does, the range is its peak."""
    measured = np.asarray(measured, dtype=float)
    return float(np.sqrt(np.mean((np.asarray(predicted) - measured) ** 2)) / np.ptp(measured))
