"""The §5.2 reproduction over 10 seeds and the mismatch study (slow: `pytest -m slow`).

Goals of issue 19 (medians over 10 seeds, defaults, 51 trials): learned/optimal correlation
≥ 0.95, learned error ≤ 1.1 × optimal, spikes ≤ 2 × optimal. The defaults were chosen on
seeds 0–9; this test runs held-out seeds (100–109), so it checks that the goals are not a
property of the seeds they were tuned on."""

from __future__ import annotations

import numpy as np
import pytest

from ebn_circuit.network.mismatch import SyntheticMismatch
from ebn_circuit.network.params import NetworkParams
from ebn_circuit.network.study import goals_met, mismatch_study, seed_study, summarise_study
from ebn_circuit.network.substrate import Substrate

pytestmark = pytest.mark.slow


def test_figure1_goals_hold_on_held_out_seeds():
    table = seed_study(range(100, 110), NetworkParams(), 51)
    goals = goals_met(table)
    assert all(g["met"] for g in goals.values()), goals
    # learning makes the code sparse and the weights structured, on every seed
    assert np.all(table.spikes_learned < table.spikes_initial / 5)
    assert np.all(table.script_distance_learned < table.script_distance_initial / 3)


def test_mismatch_study_learning_on_chip_recovers_the_ideal():
    """At twice the default spreads, chips that go on learning (as a chip with its learning
    blocks on does) stay balanced where the offline-optimal weights fail. (Frozen after
    training, a part of these chips runs away: docs/network.md, mismatch study.)"""
    p = NetworkParams()
    rng = np.random.default_rng([0, 2])
    chips = [Substrate.synthetic(p, rng, mismatch=SyntheticMismatch().scaled(2.0)) for _ in range(10)]
    table = mismatch_study(p, chips, seed=0, n_trials=51, keep_learning=True)
    s = summarise_study(table)
    assert s["ratio_a_over_c"] > 2.0  # deployed optimal weights degrade
    assert s["ratio_b_over_c"] < s["ratio_a_over_c"] / 2
    learned = table[table.case == "b_learned_on_chip"]
    ideal_spikes = table[table.case == "c_ideal_optimal"].n_spikes.iloc[0]
    assert np.all(learned.n_spikes < 5 * ideal_spikes)  # no chip fires on every step
