"""A network chip from an extracted chip (``chip.tables.Chip``) or its mismatch model: every
neuron's gain, leak and threshold, every synapse's DAC curve and every learning block's bounds
drawn per instance (the mapping to the network's units is network/units.py's)."""

from __future__ import annotations

import numpy as np

from ebn_circuit.chip.model import MismatchModel
from ebn_circuit.chip.tables import Chip
from ebn_circuit.errors import ConfigError
from ebn_circuit.network.params import NetworkParams
from ebn_circuit.network.units import (CHIP_BOUND_PARAMS, CHIP_NEURON_PARAMS, CHIP_SYNAPSE_PARAMS, Units,
                                      chip_bound_offsets, chip_jumps, chip_neuron)


def dac_lsb_curves(chip: Chip, params: NetworkParams) -> np.ndarray:
    """Each measured DAC instance's code → current in units of the chip's median LSB, minus its
    offset code (2^(bits−1)), on the network counter's codes (saturating beyond the DAC's range):
    shape (instances, n_codes)."""
    curves = chip.points.get("dac_curve")
    if curves is None or curves.empty:
        raise ConfigError("the chip has no DAC curves (dac_curve table); rebuild it with `ebn-circuit chip build`")
    lsb = float(np.median(chip.blocks["dac"]["lsb"]))
    grid = np.arange(params.code_min, params.code_max + 1, dtype=float)
    rows = []
    for _, group in curves.groupby("instance", sort=True):
        g = group.sort_values("code")
        codes = g["code"].to_numpy(float)
        offset_code = -codes.min()
        rows.append(np.interp(grid, codes, g["current"].to_numpy(float) / lsb - offset_code))
    return np.array(rows)


def chip_substrate(chip: Chip, params: NetworkParams, rng: np.random.Generator, scale: float = 1.0,
                   model: MismatchModel | None = None, units: Units = Units(), trim_synapse_offset: bool = True):
    """One network chip drawn from the chip's mismatch model (fitted on all its instances unless
    given), spreads multiplied by ``scale``; DAC curves drawn from the measured ones, their
    deviations from the line multiplied by ``scale``.

    trim_synapse_offset: take the model's centre of the synapse-pair offset (its mean, what the
    draws spread around) off every synapse, as one chip-wide bias trim would (the pair's excitatory
    and inhibitory halves differ by design, not by mismatch: their systematic net charge at code 0
    is tens of codes); each synapse keeps its own deviation. Not the instances' median: the
    measured offsets are skewed (30-instance sky130 chip: median −0.8 nA, mean +2.4 nA), and a
    median trim left every synapse ~7 codes off even at scale 0. False: the untrimmed pair."""
    from ebn_circuit.network.substrate import Substrate

    if not scale >= 0 or not np.isfinite(scale):
        raise ConfigError(f"chip substrate: the mismatch scale must be >= 0, got {scale!r}")
    model = model or MismatchModel.fit(chip)
    n = params.n_neurons
    median = {block: chip.blocks[block].median(numeric_only=True) for block in chip.blocks}
    i_rest_chip = float(chip.conditions.get("i_rest", median["learning_block"]["i_rest"]))
    neurons = model.draw("neuron", n, rng, scale, CHIP_NEURON_PARAMS)
    gain, lambda_v, threshold_scale = chip_neuron(neurons, median["neuron"], params, i_rest_chip)
    curves = dac_lsb_curves(chip, params)
    dac_codes = chip.points["dac_curve"]["code"]
    line = np.clip(np.arange(params.code_min, params.code_max + 1, dtype=float), dac_codes.min(), dac_codes.max())
    chosen = curves[rng.integers(0, len(curves), n * n)]
    chosen = line + scale * (chosen - line)
    common = model.blocks["synapse"].centre("offset") if trim_synapse_offset else 0.0
    synapses = model.draw("synapse", n * n, rng, scale, CHIP_SYNAPSE_PARAMS)
    jumps = chip_jumps(synapses, chosen, float(median["synapse"]["gain"]), params, common_offset=common)
    blocks = model.draw("learning_block", 2 * n * n, rng, scale, CHIP_BOUND_PARAMS)
    i_sl_chip = float(median["learning_block"]["i_sl"])
    lo = chip_bound_offsets(blocks["offset_lower"].to_numpy()[: n * n], i_sl_chip, params, units).reshape(n, n)
    hi = chip_bound_offsets(blocks["offset_upper"].to_numpy()[n * n:], i_sl_chip, params, units).reshape(n, n)
    return Substrate(lambda_v=np.clip(lambda_v, None, 0.9 / params.dt), gain=gain, dac=jumps.reshape(n, n, -1),
                     bound_lo=lo, bound_hi=hi, threshold_scale=threshold_scale)
