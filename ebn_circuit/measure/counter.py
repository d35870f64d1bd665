"""Readout of counter runs: the signed code held on the bit outputs at each clock edge."""

from __future__ import annotations

import numpy as np

from ebn_circuit.circuits.codes import bit_names, from_bits
from ebn_circuit.errors import WaveformError
from ebn_circuit.measure.events import crossings, sample_before


def decode_codes(result, bits: int = 6, vdd: float = 1.8, clock: str = "clk",
                 lead: float = 0.0) -> np.ndarray:
    """Signed codes read from ``b0…`` just before each rising edge of ``clock`` (``lead`` s
    before; 0: the last sample before the edge) and at the last time point: length edges + 1.

    Raises WaveformError when a sampled bit sits between 0.2·vdd and 0.8·vdd (not a logic level).
    """
    t = result.time if hasattr(result, "time") else result["time"]
    edges = crossings(t, result.v(clock), vdd / 2, "rising")
    samples = np.empty((len(edges) + 1, bits))
    for i, name in enumerate(bit_names(bits)):
        v = result.v(name)
        samples[:-1, i] = sample_before(t, v, edges, lead)
        samples[-1, i] = v[-1]
    undefined = (samples > 0.2 * vdd) & (samples < 0.8 * vdd)
    if undefined.any():
        k, i = np.argwhere(undefined)[0]
        raise WaveformError(f"counter output b{i} = {samples[k, i]:.3g} V at sample {k} is not a logic level")
    levels = (samples > vdd / 2).astype(int)
    return np.array([from_bits(row, bits) for row in levels], dtype=int)


