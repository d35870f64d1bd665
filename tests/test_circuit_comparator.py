"""Clocked current comparator: construction checks, decisions and decision time (sky130 tt)."""

import numpy as np
import pytest

from ebn_circuit.circuits.comparator import (PINS, ComparatorBenchParams, ComparatorParams, comparator_cell,
                                             comparator_testbench)
from ebn_circuit.measure.comparator import decisions
from ebn_circuit.errors import ConfigError

RESOLUTION_GOAL = 0.1e-9     # A
DECISION_TIME_GOAL = 200e-6  # s


@pytest.mark.parametrize("kwargs, field", [({"latch_l": -1e-6}, "latch_l"), ({"mirror_w": 0.0}, "mirror_w")])
def test_bad_params_fail_at_construction(kwargs, field):
    with pytest.raises(ConfigError, match=field):
        ComparatorParams(**kwargs)


@pytest.mark.parametrize("kwargs, field", [({"i_common": -9e-9}, "i_common"), ({"deltas": ()}, "deltas"),
                                           ({"deltas": (20e-9,)}, "deltas"), ({"t_eval": 0.0}, "t_eval")])
def test_bad_bench_params_fail_at_construction(kwargs, field):
    with pytest.raises(ConfigError, match=field):
        ComparatorBenchParams(**kwargs)


def test_subcircuit_is_symmetric(sky130_tt):
    text = str(comparator_cell(ComparatorParams(), sky130_tt))
    assert text.splitlines()[0].split()[2:] == list(PINS)
    assert "Xna_latch q qb vss" in text and "Xnb_latch qb q vss" in text


def _check(params, simulator, tech):
    result = simulator.run(comparator_testbench(params, tech))
    d = decisions(params, result, tech.vdd)
    print(f"\ncomparator at {params.i_common * 1e9:g} nA: ΔI {np.round(d.deltas * 1e9, 3)} nA → "
          f"{d.decision}, decision time {np.round(d.decision_time * 1e6, 2)} µs, resolution "
          f"{d.resolution() * 1e9:g} nA, ngspice wall {result.meta.wall_time:.1f} s")
    large = np.abs(d.deltas) >= RESOLUTION_GOAL
    assert (d.deltas[large] > 0).any() and (d.deltas[large] < 0).any()
    assert d.correct[large].all()
    assert d.resolution() <= RESOLUTION_GOAL
    assert np.all(d.decision_time[large] < DECISION_TIME_GOAL)
    # during reset both outputs are low
    in_reset = np.zeros(result.time.shape, bool)
    for start in params.eval_starts()[1:]:
        in_reset |= (result.time > start - params.t_reset + 1e-6) & (result.time < start - params.t_edge)
    assert np.all(result.v("out")[in_reset] < 0.1) and np.all(result.v("outb")[in_reset] < 0.1)
    return d


def test_decides_both_signs_within_resolution_at_rest_current(simulator, sky130_tt):
    _check(ComparatorBenchParams(), simulator, sky130_tt)


@pytest.mark.slow
@pytest.mark.parametrize("i_common", [5e-9, 20e-9])
def test_decides_across_the_membrane_range(simulator, sky130_tt, i_common):
    _check(ComparatorBenchParams(i_common=i_common), simulator, sky130_tt)
