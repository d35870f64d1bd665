"""The discrete model of the learning loop (experiments.loop_stability): its conditions, and the
boundary between settling and cycling that docs/ic.md states."""

import numpy as np
import pytest

from ebn_circuit.experiments.loop_stability import LoopModel, fit_loop, limit_cycle, settle_map, settled_at
from ebn_circuit.rule import DEC, INC, SL


def test_a_loop_without_lag_and_small_steps_walks_straight_into_the_band():
    """a = 0 and G + r·ω well below 2·I_SL: from code 8 far above the band the code walks down
    one step per pulse and stops at the first code whose steady state is inside the band."""
    g = 0.2e-9
    model = LoopModel(g=g, a=0.0, omega=g)
    y0 = 9e-9 - 4 * (g + 0.5 * g)      # the band's centre is reached at code 4
    run = model.run(y0, c0=12, pulses=30, y_start=y0 + g * 12)
    decisions = run["decision"].to_numpy()
    start = settled_at(decisions)
    assert start is not None and set(decisions[:start]) == {DEC}
    final = run["code_before"].iloc[-1]
    assert abs(y0 + g * final + 0.5 * g * final - 9e-9) <= model.i_sl
    assert model.resolution < 1 and model.overshoot <= 1


def test_resolution_and_overshoot_follow_their_formulas():
    model = LoopModel(g=0.3e-9, a=0.5, omega=0.15e-9)
    assert model.resolution == pytest.approx((0.3 + 0.075) / 0.6)
    assert model.overshoot == pytest.approx((0.3 * 1.5 / 0.5 + 0.075) / 0.6)


def test_steps_wider_than_the_band_cycle():
    """G + r·ω > 2·I_SL: no code's steady state lies in the band, the code keeps moving."""
    g = 0.7e-9
    model = LoopModel(g=g, a=0.3, omega=g * 0.7)
    run = model.run(9e-9 - 3.3 * g, c0=8, pulses=400)
    assert model.resolution > 1
    assert settled_at(run["decision"]) is None and limit_cycle(run["decision"])


def test_settle_map_separates_small_and_large_steps():
    """Every start settles within 100 pulses for G ≤ 0.4·2·I_SL at τ_mem 5–18 ms; once the step
    exceeds the band, drives whose codes all miss the band keep cycling (a quarter or more here)."""
    table = settle_map(np.array([0.3, 0.4, 1.1]), np.array([5e-3, 18e-3]))
    small = table[table["g_over_band"] <= 0.4]
    assert (small["settled"] == 1.0).all() and (small["limit_cycles"] == 0.0).all()
    large = table[table["g_over_band"] > 1]
    assert (large["settled"] < 0.8).all() and (large["limit_cycles"] >= 0.2).all()
    assert set(np.unique(np.concatenate([LoopModel(0.1e-9, 0.5, 0.05e-9).run(8e-9, 0, 5)["decision"],
                                         [SL, INC, DEC]]))) == {SL, INC, DEC}


def test_fit_loop_recovers_the_lag_and_the_gain_of_a_cycling_loop():
    """A loop that cycles (G/2·I_SL ≈ 1.1, τ = 6 periods) with a little measurement noise on I_before:
    the fit recovers a within 0.02 and G within 5 %, as on a circuit's pulse table."""
    model = LoopModel(g=0.65e-9, a=float(np.exp(-1 / 6)), omega=0.08e-9, i_sl=0.3e-9)
    run = model.run(9e-9 - 0.65e-9 * 3, c0=8, pulses=100)
    assert limit_cycle(run["decision"], window=40)
    noisy = run.assign(i_before=run["i_before"] + np.random.default_rng(0).normal(0, 5e-12, len(run)))
    fitted = fit_loop(noisy)
    assert fitted["a"] == pytest.approx(model.a, abs=0.02)
    assert fitted["g"] == pytest.approx(model.g, rel=0.05)
    assert fitted["tau_periods"] == pytest.approx(6, rel=0.15)
