"""The model's parts measured on hand-built networks: the fast synapse, the noise, the reset,
the optimal weights, the scalar rule, the Substrate constructors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ebn_circuit.errors import ConfigError
from ebn_circuit.network.mismatch import SyntheticMismatch, synthetic_dac_table
from ebn_circuit.network.params import (
    NetworkParams,
    make_decoder,
    optimal_codes,
    optimal_weights,
    parse_field,
    resets,
    thresholds,
    to_codes,
)
from ebn_circuit.network.simulate import run_trial
from ebn_circuit.network.substrate import Substrate
from ebn_circuit.rule import decide, decide_one

ENGINES = ["numpy", "numba"]


def one_spike(params, engine, code=10, n_steps=400, t_pulse=50):
    """Neuron 0 driven once over threshold; neuron 1 (orthogonal decoder, no input) receives
    its spike through a synapse of `code`. Returns the trial and the pulse step."""
    decoder = np.eye(2)
    codes = np.zeros((2, 2), dtype=np.int16)
    codes[1, 0] = code
    command = np.zeros((2, n_steps))
    command[0, t_pulse] = 1.2 * thresholds(decoder, params)[0] / params.dt  # one step's drive: 1.2·T
    res = run_trial(params, decoder, codes, command, rng=np.random.default_rng(0), record_v=True, engine=engine)
    return res, t_pulse


@pytest.mark.parametrize("engine", ENGINES)
def test_fast_synapse_delivers_the_jump_exactly_with_its_time_constant(engine):
    """No leak: neuron 1 follows J·(1 - ρ^m) m steps after the spike, the exact integral of a
    current decaying with τ; its 63 % point sits at τ."""
    params = NetworkParams(n_neurons=2, lambda_v=1e-9, sigma_noise=0.0, tau_syn_fast=1e-3)
    res, t_spike = one_spike(params, engine)
    assert res.spike_steps.tolist() == [t_spike] and res.spike_ids.tolist() == [0]
    jump = 10 * params.delta
    m = np.arange(0, 100)
    rho = np.exp(-params.dt / params.tau_syn_fast)
    expected = jump * (1 - rho**m)
    np.testing.assert_allclose(res.v[t_spike + m, 1], expected, rtol=1e-6, atol=1e-12)
    m63 = int(np.argmax(res.v[t_spike:, 1] >= (1 - np.exp(-1)) * jump))
    assert m63 * params.dt == pytest.approx(params.tau_syn_fast, abs=1.5 * params.dt)  # τ = 10 steps exactly


@pytest.mark.parametrize("engine", ENGINES)
def test_instantaneous_synapse_and_reset_to_rest(engine):
    params = NetworkParams(n_neurons=2, lambda_v=1e-9, sigma_noise=0.0, tau_syn_fast=0.0)
    res, t_spike = one_spike(params, engine)
    thr = thresholds(np.eye(2), params)
    assert res.v[t_spike - 1, 1] == 0.0 and res.v[t_spike, 1] == pytest.approx(10 * params.delta)
    # the spiking neuron drops by its threshold: from 1.2·T to 0.2·T above rest
    assert res.v[t_spike, 0] == pytest.approx(0.2 * thr[0], rel=1e-9)


def test_noise_is_a_current_scaled_by_dt_over_tau_mem():
    params = NetworkParams(sigma_noise=5.0)  # V steps of σ·λV·dt = 0.01, no spikes
    decoder = make_decoder(params, np.random.default_rng(0))
    res = run_trial(params, decoder, np.zeros((20, 20), np.int16), np.zeros((2, 10_000)),
                    rng=np.random.default_rng(1), record_v=True, engine="numpy")
    assert res.n_spikes == 0
    steps = res.v[1:] - (1 - params.lambda_v * params.dt) * res.v[:-1]
    assert np.std(steps) == pytest.approx(params.noise_per_step, rel=0.02)  # 2·10⁵ samples: ±0.3 %


def test_optimal_weights_plus_the_reset_are_omega():
    params = NetworkParams()
    decoder = make_decoder(params, np.random.default_rng(3))
    omega = decoder.T @ decoder + params.mu * params.lambda_d**2 * np.eye(20)
    jumps = optimal_weights(decoder, params) / params.w_scale
    np.testing.assert_allclose(-jumps + np.diag(resets(decoder, params)), omega, atol=1e-12)
    # the block-wise integer version is the rounded dense one
    np.testing.assert_array_equal(optimal_codes(decoder, params, block=7), to_codes(optimal_weights(decoder, params),
                                                                                   params))
    fixed = params.with_(reset_base=1.0)
    assert np.all(resets(decoder, fixed) == 1.0)


def test_scalar_rule_is_the_vector_rule():
    rng = np.random.default_rng(4)
    dev, jump = rng.normal(0, 1, 2000), rng.normal(0, 1, 2000)
    lo, hi = rng.normal(0, 0.5, 2000), rng.normal(0, 0.5, 2000)  # lo > hi in places: both tests true
    vector = decide(dev, jump, 2.5, 0.2, lo, hi)
    scalar = [decide_one(d, j, 2.5, 0.2, a, b) for d, j, a, b in zip(dev, jump, lo, hi)]
    assert vector.tolist() == scalar
    assert set(scalar) == {-1, 0, 1}


def test_substrate_constructors():
    params = NetworkParams()
    ideal = Substrate.ideal(params)
    assert np.all(ideal.gain == 1) and ideal.dac is None and ideal.bound_lo is None
    chip = Substrate.synthetic(params, np.random.default_rng(0))
    assert chip.dac.shape == (20, 20, 256) and np.std(chip.gain) > 0.05 and chip.bound_lo.shape == (20, 20)
    none = Substrate.synthetic(params, np.random.default_rng(0), mismatch=SyntheticMismatch().scaled(0.0))
    codes = np.arange(-10, 10)[None, :].repeat(20, 0).astype(np.int16)
    np.testing.assert_allclose(none.jumps(codes, params), ideal.jumps(codes, params), atol=1e-15)
    # a DAC table replaces the synthetic curves; the neurons keep their synthetic spreads
    table = synthetic_dac_table(params, SyntheticMismatch(), 3, np.random.default_rng(1))
    measured = Substrate.synthetic(params, np.random.default_rng(0), dac_table=table)
    np.testing.assert_array_equal(measured.gain, chip.gain)
    curves = table.pivot(index="instance", columns="code", values="current").to_numpy() / 5e-9
    assert all(any(np.allclose(measured.dac[i, j], c) for c in curves) for i in range(20) for j in range(20))
    with pytest.raises(ConfigError, match="column"):
        Substrate.from_dac_table(pd.DataFrame({"instance": [0]}), params, np.random.default_rng(0))


def test_field_parsing_and_copies():
    assert parse_field("tau_syn_fast", "0") == 0.0 and parse_field("learn_diagonal", "true") is True
    assert parse_field("reset_base", "none") is None and parse_field("rule_sample", "settled") == "settled"
    for name, text, message in (("nope", "1", "no field"), ("gain_g", "x", "expects float"),
                                ("learn_diagonal", "maybe", "expects bool")):
        with pytest.raises(ConfigError, match=message):
            parse_field(name, text)
    with pytest.raises(ConfigError, match="rule_sample"):
        NetworkParams().with_(rule_sample="late")
    with pytest.raises(ConfigError, match="tau_syn_fast"):
        NetworkParams(tau_syn_fast=-1e-3)
