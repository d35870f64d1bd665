"""Learning block (sky130 tt): construction checks, decisions well away from the bounds for codes of
both signs, one counter step per pulse in the decided direction."""

import numpy as np
import pytest

from ebn_circuit.circuits.learning_block import PINS, LearningBlockParams, learning_block_cell
from ebn_circuit.circuits.learning_timing import PulseSchedule, nominal_delay
from ebn_circuit.rule import DEC, INC, SL
from ebn_circuit.errors import ConfigError
from ebn_circuit.experiments.decision_map import DecisionMapSpec, run_column

# Codes of both signs; per code, I_before levels relative to its nominal bounds (nA): far below
# (INC), near the bounds (the small decision map of test_decision_map), mid-band (SL), far above (DEC).
TEST_CODES = (-12, 4, 20)
RELATIVE_LEVELS = (("lower", -1.0), ("lower", -0.3), ("lower", 0.15), ("mid", 0.0), ("upper", -0.15),
                   ("upper", 0.3), ("upper", 1.0), ("upper", 2.0))
FAR = 0.25e-9  # a level at least this far (A) from both ideal bounds is "well away"


def column_levels(block: LearningBlockParams, code: int) -> tuple[float, ...]:
    lower, upper = block.bounds(code * block.omega_per_code)
    ref = {"lower": lower, "upper": upper, "mid": (lower + upper) / 2}
    return tuple(ref[name] + delta * 1e-9 for name, delta in RELATIVE_LEVELS)


@pytest.fixture(scope="session")
def small_map(simulator, sky130_tt):
    """The three test columns (shared with test_decision_map through the simulator's cache)."""
    spec = DecisionMapSpec(codes=TEST_CODES)
    return spec, [run_column(simulator, sky130_tt, spec, code, levels=column_levels(spec.block, code))
                  for code in TEST_CODES]


@pytest.mark.parametrize("kwargs, field", [
    ({"i_rest": -9e-9}, "i_rest"), ({"i_sl": -0.3e-9}, "i_sl"), ({"omega_per_code": -1e-10}, "omega_per_code"),
    ({"i_delay": 0.0}, "i_delay"), ({"bits": 0}, "bits"), ({"bits": 1}, "bits"),
    ({"initial_code": 32}, "initial_code"), ({"initial_code": -33}, "initial_code"),
    ({"bits": 4, "initial_code": 8}, "initial_code"), ({"counter_variant": "verilog"}, "counter_variant"),
    ({"omega_per_code": 1e-9}, "omega_per_code"), ({"omega_ratio": 0.0}, "omega_ratio")])
def test_bad_params_raise_config_error_naming_the_field(kwargs, field):
    with pytest.raises(ConfigError, match=field):
        LearningBlockParams(**kwargs)


def test_schedule_rejects_bad_timing():
    with pytest.raises(ConfigError, match="t_pulse"):
        PulseSchedule(levels=(9e-9,), t_pulse=20e-6)
    with pytest.raises(ConfigError, match="levels"):
        PulseSchedule(levels=(-1e-9,))


def test_subcircuit_pins_children_and_biases(sky130_tt):
    block = LearningBlockParams()
    cell = learning_block_cell(block, sky130_tt)
    top = str(cell)
    assert top.splitlines()[0].split()[2:] == list(PINS) == list(block.pins)
    assert len(cell.children) == 4
    for child in cell.children:
        assert child.name in top and f".subckt {child.name} " in cell.text()
    assert set(block.bias_currents()) == {"irest", "isl", "iomega", "idelay", "vcas"}
    assert block.bias_currents()["iomega"] == pytest.approx(2 * block.omega_ratio * block.omega_per_code)
    assert 30e-6 <= nominal_delay(block.c_delay, block.i_delay, sky130_tt.vdd) <= 60e-6
    # a CMOS-counter block differs only in the counter
    assert "d_dff" not in learning_block_cell(LearningBlockParams(counter_variant="cmos", bits=2, initial_code=1),
                                              sky130_tt).text()


def test_decides_far_from_the_bounds_and_steps_once_per_pulse(small_map):
    _, columns = small_map
    for table in columns:
        code = int(table["code"].iloc[0])
        print(f"\ncode {code:+d}: I_before {np.round(table['i_before'] * 1e9, 2)} nA → {table['decision'].tolist()}, "
              f"ideal {table['ideal'].tolist()}, I_Ω {table['i_omega'].mean() * 1e9:.3f} nA, "
              f"ngspice wall {table['wall_time'].iloc[0]:.1f} s, "
              f"reset released {table['t_release'].mean() * 1e6:.1f} µs, "
              f"flag {table['t_flag'].mean() * 1e6:.1f} µs after the rising edge, cleared "
              f"{table['t_clear'].mean() * 1e6:.1f} µs after the falling edge")
        far = table["margin"] >= FAR
        assert set(table.loc[far, "ideal"]) == {INC, SL, DEC}
        assert (table.loc[far, "decision"] == table.loc[far, "ideal"]).all(), f"code {code}"
        # the code is the grid code before each pulse, unchanged until the pulse ends, then one step
        assert (table["code_before"] == code).all() and (table["code_mid"] == code).all()
        assert (table["code_after"] == code + table["decision"]).all()
        # the replica current is r·I_Ω of this code within 10 % (the DAC's mirror gain error)
        assert table["i_omega"].mean() == pytest.approx(code * 0.2e-9, rel=0.1, abs=0.1e-9)
        # timing: reset released 20–60 µs after the rising edge, flags within 30 µs of it, cleared
        # 20–60 µs after the falling edge (after the counter stepped)
        assert table["t_release"].between(20e-6, 60e-6).all() and table["t_clear"].between(20e-6, 60e-6).all()
        assert (table["t_flag"] - table["t_release"]).between(0, 30e-6).all()
        # the S&H held copy is I_before (not I_before + I_Ω) within 0.1 nA
        assert np.allclose(table["i_held_l"], table["i_before"], atol=0.1e-9)


@pytest.mark.slow
def test_cmos_counter_variant_walks_and_saturates(simulator, sky130_tt):
    """2-bit CMOS counter (the 6-bit CMOS netlist takes minutes to parse): the code walks with the
    decisions (hold_code off) and saturates at the top code 1."""
    from ebn_circuit.circuits.learning_block import LearningBenchParams, learning_block_testbench
    from ebn_circuit.measure.learning_block import readout
    block = LearningBlockParams(counter_variant="cmos", bits=2, initial_code=0)
    lower, upper = block.bounds(0.0)
    levels = (lower - 1e-9, lower - 1e-9, upper + 1e-9, upper + 1e-9, upper + 1e-9, (lower + upper) / 2)
    params = LearningBenchParams(block, PulseSchedule(levels=levels, hold_code=False))
    table = readout(params, simulator.run(learning_block_testbench(params, sky130_tt)), sky130_tt.vdd)
    assert table["decision"].tolist() == [INC, INC, DEC, DEC, DEC, SL]
    assert table["code_before"].tolist() == [0, 1, 1, 0, -1, -2]
    assert (table["code_mid"] == table["code_before"]).all()
