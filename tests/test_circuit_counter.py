"""The saturating up/down counter: reference model, params, and both variants in ngspice."""

import numpy as np
import pytest

from ebn_circuit.circuits.counter import (CounterParams, code_range, counter_testbench, from_bits, random_stimulus,
                                          reference_codes, saturation_events, step_code, to_bits)
from ebn_circuit.measure.counter import decode_codes
from ebn_circuit.circuits.logic import GateSizes
from ebn_circuit.errors import ConfigError

SEED = 20240603


def test_reference_model_steps_saturates_and_holds():
    assert [step_code(c, 1, 0) for c in (-32, -1, 30, 31)] == [-31, 0, 31, 31]
    assert [step_code(c, 0, 1) for c in (-32, -31, 0, 31)] == [-32, -32, -1, 30]
    assert step_code(5, 1, 1) == 5 and step_code(5, 0, 0) == 5
    assert list(reference_codes(30, [1, 1, 1, 0, 1], [0, 0, 1, 1, 1])) == [30, 31, 31, 31, 30, 30]
    lo, hi = code_range(6)
    assert (lo, hi) == (-32, 31)
    assert all(from_bits(to_bits(c, 6)) == c for c in range(lo, hi + 1))
    assert to_bits(8, 6) == (0, 0, 0, 1, 0, 0) and to_bits(-32, 6) == (0, 0, 0, 0, 0, 1)


@pytest.mark.parametrize("kwargs, field", [
    ({"bits": 0}, "bits"),
    ({"bits": 17}, "bits"),
    ({"bits": 2.5}, "bits"),
    ({"initial_code": 32}, "initial_code"),
    ({"initial_code": -33}, "initial_code"),
    ({"bits": 3, "initial_code": 4}, "initial_code"),
    ({"variant": "verilog"}, "variant"),
    ({"v_in_low": 1.2, "v_in_high": 0.6}, "v_in_low"),
    ({"t_gate": 0.0}, "t_gate"),
    ({"t_edge": -1e-9}, "t_edge"),
])
def test_bad_params_raise_config_error_naming_the_field(kwargs, field):
    with pytest.raises(ConfigError, match=field):
        CounterParams(**kwargs)


def test_bad_sizes_and_stimulus_raise_config_error():
    with pytest.raises(ConfigError, match="wn"):
        GateSizes(wn=0.0)
    with pytest.raises(ConfigError, match="did not saturate"):
        random_stimulus(np.random.default_rng(SEED), n_clocks=30)


def test_random_stimulus_is_seeded_and_hits_both_ends():
    a = random_stimulus(np.random.default_rng(SEED), n_clocks=240)
    b = random_stimulus(np.random.default_rng(SEED), n_clocks=240)
    assert a == b and a.n_clocks == 240
    top, bottom = saturation_events(8, a.inc, a.dec)
    assert top >= 1 and bottom >= 1
    assert any(i and d for i, d in zip(a.inc, a.dec)), "no both-high (hold) clocks in the stimulus"


def _run(simulator, tech, params, stimulus):
    result = simulator.run(counter_testbench(params, tech, stimulus))
    codes = decode_codes(result, bits=params.bits, vdd=tech.vdd)
    return codes, result.meta.wall_time


@pytest.mark.parametrize("variant", ["xspice", "behavioural"])
def test_fast_counters_follow_reference_on_240_random_clocks(simulator, sky130_tt, variant):
    params = CounterParams(variant=variant)
    stimulus = random_stimulus(np.random.default_rng(SEED), n_clocks=240, initial_code=params.initial_code)
    codes, _ = _run(simulator, sky130_tt, params, stimulus)
    expected = reference_codes(params.initial_code, stimulus.inc, stimulus.dec, params.bits)
    assert len(codes) == stimulus.n_clocks + 1
    np.testing.assert_array_equal(codes, expected)
    assert codes.max() == 31 and codes.min() == -32


def test_all_variants_agree_with_reference_small_counter(simulator, sky130_tt):
    """A 2-bit counter (code -2 … 1, preset -1: both flip-flop preset types) saturating at both
    ends: the same generator as 6 bits, at a netlist size the default suite can afford
    (ngspice expands the sky130 models once per transistor instance)."""
    stimulus = random_stimulus(np.random.default_rng(SEED), n_clocks=24, initial_code=-1, bits=2)
    expected = reference_codes(-1, stimulus.inc, stimulus.dec, bits=2)
    assert all(saturation_events(-1, stimulus.inc, stimulus.dec, bits=2))
    runs = {variant: _run(simulator, sky130_tt, CounterParams(variant=variant, bits=2, initial_code=-1), stimulus)
            for variant in ("cmos", "xspice", "behavioural")}
    for variant, (codes, _) in runs.items():
        np.testing.assert_array_equal(codes, expected, err_msg=f"{variant} counter differs from the reference")


@pytest.mark.slow
def test_cmos_6bit_counter_matches_xspice_and_reference_on_240_random_clocks(simulator, sky130_tt):
    stimulus = random_stimulus(np.random.default_rng(SEED), n_clocks=240)
    expected = reference_codes(8, stimulus.inc, stimulus.dec)
    cmos, t_cmos = _run(simulator, sky130_tt, CounterParams(variant="cmos"), stimulus)
    xspice, t_xspice = _run(simulator, sky130_tt, CounterParams(variant="xspice"), stimulus)
    np.testing.assert_array_equal(cmos, expected)
    np.testing.assert_array_equal(cmos, xspice)
    assert cmos.max() == 31 and cmos.min() == -32
    print(f"ngspice wall time, 240 clocks: cmos {t_cmos:.1f} s, xspice {t_xspice:.2f} s")
