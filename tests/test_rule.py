"""The one learning rule: its three forms agree, and the literal rule lowers L (SCIENCE.md §2)."""

import numpy as np

from ebn_circuit.rule import DEC, INC, SL, bounds, classify, decide, ideal_decision, step


def test_test_form_and_bound_form_agree_on_random_states():
    rng = np.random.default_rng(0)
    deviation, jump = rng.normal(0, 1, 20_000), rng.normal(0, 2, 20_000)
    gain, half_band = 2.5, 0.04
    lower, upper = bounds(jump, rest=0.0, half_width=half_band / 2, gain=gain)
    by_test = decide(deviation, jump, gain, half_band)
    by_bounds = classify(deviation, lower, upper)
    # the two forms differ only by rounding, at states within 1e-12 of a bound
    near = np.minimum(np.abs(deviation - lower), np.abs(deviation - upper)) < 1e-12
    assert np.array_equal(by_test[~near], by_bounds[~near])
    assert set(np.unique(by_test)) == {INC, SL, DEC}


def test_literal_rule_takes_a_step_only_when_it_lowers_the_loss():
    """g = 1, no margin: a step ±ω is taken iff L(after the step) < L(before it), where
    L = (V_before − V_rest + V_after − V_rest)² and V_after = V_before + Ω."""
    rng = np.random.default_rng(1)
    omega = 0.1
    v_before, jump = rng.normal(0, 0.5, 50_000), omega * rng.integers(-20, 21, 50_000)
    decision = decide(v_before, jump, gain=1.0, half_band=omega / 2)
    loss = lambda w: (2 * v_before + w) ** 2  # noqa: E731
    up, down, now = loss(jump + omega), loss(jump - omega), loss(jump)
    assert np.all((decision == INC) == (up < now))
    assert np.all((decision == DEC) == (down < now))


def test_ideal_decision_in_currents_is_the_rule_with_g_twice_the_mirror_ratio():
    rng = np.random.default_rng(2)
    i_before, i_omega = rng.uniform(5e-9, 13e-9, 5000), rng.uniform(-6e-9, 6e-9, 5000)
    expected = decide(i_before - 9e-9, i_omega, gain=2 * 0.5, half_band=2 * 0.3e-9)
    got = ideal_decision(i_before, i_omega, 9e-9, 0.3e-9, 0.5)
    centre = 9e-9 - 0.5 * i_omega
    near = np.minimum(np.abs(i_before - centre + 0.3e-9), np.abs(i_before - centre - 0.3e-9)) < 1e-20
    assert np.array_equal(got[~near], expected[~near])


def test_counter_step_saturates_without_wrapping():
    codes = np.array([-32, -32, 0, 31, 31])
    assert step(codes, np.array([DEC, INC, SL, INC, DEC]), -32, 31).tolist() == [-32, -31, 0, 31, 30]
