"""What the network runs on: the ideal model or one (mismatched) chip instance.

A Substrate says how a weight code becomes a membrane jump and how each neuron and each
learning block deviates from the ideal. The ideal substrate has unit gains, the nominal
leak, a linear DAC (code·δ) and no bound offsets; a chip instance carries per-synapse DAC
curves, per-neuron gain and leak, and per-learning-block offsets of the rule's bounds.

One constructor per kind: `Substrate.ideal(params)`, `Substrate.synthetic(params, rng, …)`
(synthetic mismatch everywhere, or a measured DAC table's curves with synthetic neuron and
learning-block spreads) and `Substrate.from_dac_table(table, params, rng, …)` (a table's
DAC curves, the rest ideal unless given), `Substrate.from_chip(chip, params, rng, …)` (an
extracted chip's mismatch model). `keeping_mismatch_of(blocks, nominal)` keeps one chip's
mismatch in some blocks only: which block's mismatch costs what; `with_thresholds_trimmed()` is
the chip after a per-neuron threshold trim, `with_self_synapses_gated()` the chip that does not
pulse a neuron's synapse onto itself while its code is 0.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ebn_circuit.errors import ConfigError
from ebn_circuit.network.circuit_mode import dac_curves_from_table
from ebn_circuit.network.mismatch import SyntheticMismatch, synthetic_dac_lsb
from ebn_circuit.network.params import NetworkParams
from ebn_circuit.network.units import Units

# the blocks whose mismatch a chip carries, and the Substrate fields each one sets
MISMATCH_BLOCKS = {"neuron": ("lambda_v", "gain", "threshold_scale"), "synapse": ("dac",),
                   "learning-block": ("bound_lo", "bound_hi")}


def check_mismatch_blocks(blocks) -> None:
    """Raise ConfigError unless every name is one of MISMATCH_BLOCKS."""
    unknown = set(blocks) - set(MISMATCH_BLOCKS)
    if unknown:
        raise ConfigError(f"unknown block(s) {sorted(unknown)}: the mismatch of "
                          f"{', '.join(MISMATCH_BLOCKS)} can be kept")


@dataclass(frozen=True, eq=False)
class Substrate:
    """Per-instance transfer curves, in the network's dimensionless units.

    lambda_v: per-neuron membrane leak [1/s], shape (N,).
    gain: per-neuron input gain (scales feed-forward and recurrent input), shape (N,).
    dac: per-synapse DAC curve, jump in potential units for each code from code_min to
        code_max, shape (N, N, n_codes); None = ideal linear DAC code·δ.
    bound_lo, bound_hi: offsets added to the rule's lower/upper comparison levels
        (potential units, on the scale of the test 2·(V-V_rest) + g·jump), shape (N, N);
        None = no offset.
    threshold_scale: per-neuron factor on the threshold (and the reset to rest), shape (N,);
        None = 1.
    """

    lambda_v: np.ndarray
    gain: np.ndarray
    dac: np.ndarray | None = None
    bound_lo: np.ndarray | None = None
    bound_hi: np.ndarray | None = None
    threshold_scale: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = np.shape(self.lambda_v)[0] if np.ndim(self.lambda_v) == 1 else -1
        if n < 1 or np.shape(self.gain) != (n,):
            raise ConfigError(
                f"Substrate: lambda_v {np.shape(self.lambda_v)} and gain {np.shape(self.gain)} "
                "must both have shape (N,)"
            )
        if self.dac is not None and (np.ndim(self.dac) != 3 or np.shape(self.dac)[:2] != (n, n)):
            raise ConfigError(f"Substrate.dac has shape {np.shape(self.dac)}, expected (N, N, n_codes)")
        for name in ("bound_lo", "bound_hi"):
            value = getattr(self, name)
            if value is not None and np.shape(value) != (n, n):
                raise ConfigError(f"Substrate.{name} has shape {np.shape(value)}, expected ({n}, {n})")
        if self.threshold_scale is not None and (np.shape(self.threshold_scale) != (n,)
                                                 or np.any(np.asarray(self.threshold_scale) <= 0)):
            raise ConfigError(f"Substrate.threshold_scale must be positive with shape ({n},)")
        for name in ("lambda_v", "gain", "dac", "bound_lo", "bound_hi", "threshold_scale"):
            value = getattr(self, name)
            if value is not None and not np.all(np.isfinite(value)):
                raise ConfigError(f"Substrate.{name} contains non-finite values")
        if np.any(np.asarray(self.lambda_v) <= 0):
            raise ConfigError("Substrate.lambda_v must be positive for every neuron")

    # -- the three kinds -------------------------------------------------------------------

    @classmethod
    def ideal(cls, params: NetworkParams) -> "Substrate":
        """Unit gains, the nominal leak, a linear DAC, no bound offsets."""
        n = params.n_neurons
        return cls(lambda_v=np.full(n, params.lambda_v), gain=np.ones(n))

    @classmethod
    def synthetic(cls, params: NetworkParams, rng: np.random.Generator, *,
                  mismatch: SyntheticMismatch = SyntheticMismatch(), units: Units = Units(),
                  dac_table: pd.DataFrame | None = None) -> "Substrate":
        """One chip instance with synthetic mismatch (mismatch.py): its own DAC curve per
        synapse, gain and leak per neuron, bound offsets per learning block. With `dac_table`
        the DAC curves are the table's instead (drawn as in from_dac_table)."""
        n = params.n_neurons
        dac = synthetic_dac_lsb(params, mismatch, n * n, rng).reshape(n, n, -1) * params.delta
        gain = np.clip(1.0 + mismatch.neuron_gain * rng.standard_normal(n), 0.1, None)
        lam = params.lambda_v * np.clip(1.0 + mismatch.leak * rng.standard_normal(n), 0.1, None)
        lo = units.bound_offset(mismatch.bound * rng.standard_normal((n, n)))
        hi = units.bound_offset(mismatch.bound * rng.standard_normal((n, n)))
        if dac_table is not None:
            return cls.from_dac_table(dac_table, params, rng, units=units, gain=gain, lambda_v=lam,
                                      bound_lo=lo, bound_hi=hi)
        return cls(lambda_v=lam, gain=gain, dac=dac, bound_lo=lo, bound_hi=hi)

    @classmethod
    def from_dac_table(cls, table: pd.DataFrame, params: NetworkParams, rng: np.random.Generator, *,
                       units: Units = Units(), gain: np.ndarray | None = None, lambda_v: np.ndarray | None = None,
                       bound_lo: np.ndarray | None = None, bound_hi: np.ndarray | None = None) -> "Substrate":
        """A chip whose synapses use the table's DAC curves (columns instance, code, current [A]):
        instances go to the N×N synapses in row-major order if there are at least N² of them,
        otherwise they are drawn with replacement from `rng`. Missing gain/leak/offsets are ideal."""
        curves = dac_curves_from_table(table, params, units)
        n = params.n_neurons
        names = list(curves)
        if len(names) >= n * n:
            chosen = names[: n * n]
        else:
            chosen = [names[i] for i in rng.integers(0, len(names), n * n)]
        dac = np.stack([curves[c] for c in chosen]).reshape(n, n, -1)
        return cls(
            lambda_v=np.full(n, params.lambda_v) if lambda_v is None else np.asarray(lambda_v, float),
            gain=np.ones(n) if gain is None else np.asarray(gain, float),
            dac=dac, bound_lo=bound_lo, bound_hi=bound_hi,
        )

    @classmethod
    def from_chip(cls, chip, params: NetworkParams, rng: np.random.Generator, *, scale: float = 1.0,
                  model=None, units: Units = Units(), trim_synapse_offset: bool = True) -> "Substrate":
        """A chip drawn from an extracted chip's mismatch model (every neuron, synapse DAC and
        learning block its own instance; spreads × ``scale``; the synapse pairs' common offset
        trimmed unless told not to), see network/chip_mode.py."""
        from ebn_circuit.network.chip_mode import chip_substrate

        return chip_substrate(chip, params, rng, scale, model, units, trim_synapse_offset)

    def keeping_mismatch_of(self, blocks, nominal: "Substrate") -> "Substrate":
        """This chip with only the mismatch of ``blocks`` (names in MISMATCH_BLOCKS); every other
        block as in ``nominal``, the same source of chips at zero spread. The kept blocks are this
        chip's own draws, so a study that keeps fewer blocks compares the same chips."""
        check_mismatch_blocks(blocks)
        fields = {name: getattr(nominal, name) for names in MISMATCH_BLOCKS.values() for name in names}
        fields.update({name: getattr(self, name) for block in blocks for name in MISMATCH_BLOCKS[block]})
        return Substrate(**fields)

    def with_thresholds_trimmed(self) -> "Substrate":
        """This chip with every neuron's threshold (and its reset to rest) trimmed to the neuron's own
        gain, as a one-knob-per-neuron calibration would set it: a neuron then fires at the ideal
        potential whatever its gain. The learning rule moves recurrent weights only, so it cannot
        absorb a neuron's threshold-to-gain ratio (docs/chip.md); the trim removes it, the leak's
        mismatch stays."""
        return replace(self, threshold_scale=np.array(self.gain, float))

    def with_self_synapses_gated(self) -> "Substrate":
        """This chip with each neuron's synapse onto itself not pulsed while its code is 0 (one
        enable bit per neuron). The rule never moves that code (learn_diagonal off), so a learned
        chip keeps it at 0, where the synapse pair still adds its net offset to every spike: an
        error in the neuron's reset the rule cannot absorb (docs/chip.md). Codes other than 0, as
        the optimal weights' self-inhibition uses, are unchanged."""
        if self.dac is None:  # the linear DAC's code 0 is no jump already
            return self
        dac = np.array(self.dac, float)
        own = np.arange(self.n_neurons)
        dac[own, own, dac.shape[2] // 2] = 0.0  # codes run from -2^(bits-1): code 0 sits at n_codes/2
        return replace(self, dac=dac)

    # -- use ------------------------------------------------------------------------------

    @property
    def n_neurons(self) -> int:
        return int(np.shape(self.lambda_v)[0])

    def check(self, params: NetworkParams) -> None:
        """Raise ConfigError if this substrate cannot run with params."""
        if self.n_neurons != params.n_neurons:
            raise ConfigError(f"Substrate has {self.n_neurons} neurons, params say N = {params.n_neurons}")
        n_codes = params.code_max - params.code_min + 1
        if self.dac is not None and self.dac.shape[2] != n_codes:
            raise ConfigError(
                f"Substrate.dac has {self.dac.shape[2]} codes per curve, the {params.code_bits}-bit "
                f"counter needs {n_codes}"
            )
        if np.any(params.dt * np.asarray(self.lambda_v) >= 1.0):
            raise ConfigError("Substrate.lambda_v: dt must be shorter than every neuron's time constant")

    def jumps(self, codes: np.ndarray, params: NetworkParams) -> np.ndarray:
        """Membrane jumps (N×N, potential units) that the weight codes cause."""
        codes = np.asarray(codes, dtype=np.int64)
        if self.dac is None:
            raw = codes * params.delta
        else:
            raw = np.take_along_axis(self.dac, (codes - params.code_min)[..., None], axis=2)[..., 0]
        return self.gain[:, None] * raw

    def jump_column(self, codes_col: np.ndarray, k: int, params: NetworkParams) -> np.ndarray:
        """Jumps of column k (spikes of neuron k onto every neuron), shape (N,)."""
        codes_col = np.asarray(codes_col, dtype=np.int64)
        if self.dac is None:
            raw = codes_col * params.delta
        else:
            raw = self.dac[np.arange(self.n_neurons), k, codes_col - params.code_min]
        return self.gain * raw

    def thresholds_and_resets(self, thresholds: np.ndarray, resets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The network's thresholds and resets on this chip (scaled per neuron)."""
        if self.threshold_scale is None:
            return thresholds, resets
        scale = np.asarray(self.threshold_scale, float)
        return thresholds * scale, resets * scale

    def offsets(self) -> tuple[np.ndarray, np.ndarray]:
        """(bound_lo, bound_hi) as N×N arrays (zeros where None)."""
        n = self.n_neurons
        lo = np.zeros((n, n)) if self.bound_lo is None else np.asarray(self.bound_lo, float)
        hi = np.zeros((n, n)) if self.bound_hi is None else np.asarray(self.bound_hi, float)
        return lo, hi
