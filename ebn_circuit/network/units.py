"""The one place where the network's dimensionless quantities meet chip quantities.

    I_mem   = i_rest + (V - V_rest)·i_per_unit        [A]   (V in potential units)
    jump    = ΔI_mem / i_per_unit                      the membrane jump a synaptic spike causes
    code    = weight / ω                               (weight in weight units, code an integer)
    I_SL    = (δ/4 + margin/2)·i_per_unit              half-width of the stop-learning band
    bounds  I_rest - g·I_Ω/2 ± I_SL  ⇔  2(V - V_rest) + g·jump ≶ ±(δ/2 + margin)
    a bound offset of ΔI [A] moves the rule's comparison level by 2·ΔI/i_per_unit

Defaults: i_rest = 9 nA (SCIENCE.md §3); i_per_unit = 5 nA keeps I_mem positive over the
potentials the network visits (|V - V_rest| ≲ 1.5 → 1.5…16.5 nA). With ω = 2, w_scale = 50
and margin 0 this gives I_SL = 0.05 nA; the chip's I_SL = 0.3 nA is margin = 0.1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ebn_circuit.errors import ConfigError
from ebn_circuit.network.params import NetworkParams


@dataclass(frozen=True)
class Units:
    """i_rest: I_mem at rest [A]; i_per_unit: amperes of I_mem per unit of potential [A]."""

    i_rest: float = 9e-9
    i_per_unit: float = 5e-9

    def __post_init__(self) -> None:
        for name in ("i_rest", "i_per_unit"):
            value = getattr(self, name)
            if not np.isfinite(value) or value <= 0:
                raise ConfigError(f"Units.{name} must be a finite positive current in amperes, got {value!r}")

    def i_mem(self, v, params: NetworkParams):
        return self.i_rest + (np.asarray(v) - params.v_rest) * self.i_per_unit

    def potential(self, i_mem, params: NetworkParams):
        return params.v_rest + (np.asarray(i_mem) - self.i_rest) / self.i_per_unit

    def jump_from_current(self, delta_i):
        return np.asarray(delta_i) / self.i_per_unit

    def current_from_jump(self, jump):
        return np.asarray(jump) * self.i_per_unit

    @staticmethod
    def code(weight, params: NetworkParams):
        return np.asarray(weight) / params.omega

    @staticmethod
    def weight(code, params: NetworkParams):
        return np.asarray(code) * params.omega

    def i_sl(self, params: NetworkParams) -> float:
        return (params.delta / 4 + params.margin / 2) * self.i_per_unit

    def bound_offset(self, delta_i):
        """Offset of a learning-block bound [A] → offset of the rule's comparison level."""
        return 2.0 * np.asarray(delta_i) / self.i_per_unit


# --- a chip's instances in the network's units -----------------------------------------------------
#
# The chip's circuits are not built to the network's scale (its neuron spikes at ~25 nA, its band is
# I_SL = 0.3 nA, a code moves I_mem by ~0.07 nA), so a chip instance enters the network by its
# deviations from the chip's median instance, each applied to the network's own nominal value:
#
#   neuron gain        g_i = A_i / median(A)                   (I_mem∞ at a 3 nA input)
#   leak               λV_i = λV · median(τ) / τ_i
#   threshold, reset   T_i·s_i,  s_i = (I_thr,i − I_rest) / (median(I_thr) − I_rest)
#   synapse jump       δ · [ (G_i / median(G)) · dac_j(code) + O_i / median(G) ]
#                      G, O: the pair's net current per code and at code 0; dac_j(code): a DAC
#                      instance's code → current in units of the median LSB, minus its offset code
#   bound offsets      the learning block's offsets from its ideal bounds, in units of its I_SL,
#                      times the network's I_SL: ΔI = (offset / I_SL,chip) · I_SL,net → bound_offset


# the chip parameters each block of the network uses: its draws are of these alone
CHIP_NEURON_PARAMS = ("gain", "tau", "i_threshold")
CHIP_SYNAPSE_PARAMS = ("gain", "offset")
CHIP_BOUND_PARAMS = ("offset_lower", "offset_upper")


def chip_neuron(draws, median, params: NetworkParams, i_rest_chip: float):
    """(gain, lambda_v, threshold_scale) per neuron from drawn chip neurons (DataFrame columns gain,
    tau, i_threshold) relative to the chip's median neuron (a Series of the same)."""
    gain = np.asarray(draws["gain"], float) / float(median["gain"])
    lambda_v = params.lambda_v * float(median["tau"]) / np.asarray(draws["tau"], float)
    scale = (np.asarray(draws["i_threshold"], float) - i_rest_chip) / (float(median["i_threshold"]) - i_rest_chip)
    return gain, lambda_v, np.clip(scale, 0.1, None)


def chip_jumps(synapses, dac_lsb_curves: np.ndarray, median_gain: float, params: NetworkParams,
               common_offset: float = 0.0) -> np.ndarray:
    """Jump curves (n, n_codes) in potential units: drawn pairs (columns gain, offset) on DAC curves
    in LSB (n, n_codes); ``common_offset`` (A) is taken off every pair's offset (a chip-wide trim)."""
    gain = np.asarray(synapses["gain"], float)[:, None] / median_gain
    offset = (np.asarray(synapses["offset"], float)[:, None] - common_offset) / median_gain
    return params.delta * (gain * dac_lsb_curves + offset)


def chip_bound_offsets(offsets_a, i_sl_chip: float, params: NetworkParams, units: Units = Units()):
    """Offsets of learning-block bounds (A, from the chip) → the rule's comparison levels."""
    return units.bound_offset(np.asarray(offsets_a, float) / i_sl_chip * units.i_sl(params))


# --- co-simulation (ebn_circuit.cosim): the network ↔ a transistor-level hybrid neuron ------------


@dataclass(frozen=True)
class CircuitUnits(Units):
    """Units of a co-simulation, where some network neurons are transistor-level circuits.

    The same affine potential ↔ I_mem map as ``Units``, with a smaller default i_per_unit: the
    DPI neuron's input current cannot go below zero, so the lowest potential it can be driven
    towards is V_rest - i_rest/i_per_unit (-18 at 0.5 nA per unit), which must lie below what the
    network's inputs ask for (down to about -20 for the §5.2 drive and inhibition spread over
    τ_syn = 5 ms). time_scale: chip seconds per network second (the circuit runs that much
    slower than the network model).

        chip time        = time_scale · network time                      [s]
        ΔI_mem per code  = δ · i_per_unit                                 [A]  (the DAC's weight unit)
        I_SL             = (δ/4 + margin/2) · i_per_unit                  [A]
        mirror ratio r   = g/2  (the share of I_Ω in the bounds)
    """

    i_per_unit: float = 0.5e-9
    time_scale: float = 10.0

    def __post_init__(self) -> None:
        super().__post_init__()
        if not np.isfinite(self.time_scale) or self.time_scale <= 0:
            raise ConfigError(f"CircuitUnits.time_scale must be a positive number, got {self.time_scale!r}")

    def chip_time(self, network_time):
        return np.asarray(network_time) * self.time_scale

    def omega_current(self, params: NetworkParams) -> float:
        """I_mem jump of one weight code (A)."""
        return params.delta * self.i_per_unit

    @staticmethod
    def omega_ratio(params: NetworkParams) -> float:
        """r = g/2: the learning block's mirror ratio of I_Ω in its bounds."""
        return params.gain_g / 2
