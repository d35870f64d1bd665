"""Decision-map analysis (synthetic tables) and a small simulated map (3 codes × 8 levels, tt)."""

import numpy as np
import pandas as pd
import pytest

from ebn_circuit.cli import main
from ebn_circuit.errors import ConfigError
from ebn_circuit.experiments.decision_map import (DecisionMapSpec, bound_offsets, markdown_summary,
                                                  plot_decision_map, summary)

from test_circuit_learning_block import small_map  # noqa: F401  (the shared simulated columns; cached)

GUARD_AGREEMENT_GOAL = 0.95


def _synthetic(lower=8.0e-9, upper=8.6e-9, shift=0.05e-9):
    x = np.arange(7.0e-9, 9.6e-9, 0.1e-9)
    decision = np.where(x < lower + shift, 1, np.where(x > upper + shift, -1, 0))
    ideal = np.where(x < lower, 1, np.where(x > upper, -1, 0))
    return pd.DataFrame({"corner": "tt", "seed": -1, "code": 0, "i_before": x, "i_omega": 0.0,
                         "ideal_lower": lower, "ideal_upper": upper, "decision": decision, "ideal": ideal,
                         "margin": np.minimum(abs(x - lower), abs(x - upper)), "step_ok": True, "wall_time": 1.0})


def test_offsets_and_agreement_of_a_shifted_block():
    table = _synthetic()
    offsets = bound_offsets(table)
    assert offsets["offset_lower"].iloc[0] == pytest.approx(0.05e-9, abs=0.051e-9)
    assert offsets["offset_upper"].iloc[0] == pytest.approx(0.05e-9, abs=0.051e-9)
    s = summary(table, guard=0.1e-9)
    assert s["agreement_outside_guard"] == 1.0 and s["agreement"] < 1.0


def test_spec_rejects_bad_codes_and_levels_include_the_bounds():
    with pytest.raises(ConfigError, match="codes"):
        DecisionMapSpec(codes=(40,))
    spec = DecisionMapSpec()
    lower, upper = spec.block.bounds(8 * spec.block.omega_per_code)
    levels = np.array(spec.levels(8))
    assert np.isclose(levels, lower).any() and np.isclose(levels, upper).any()


def test_cli_rejects_bad_codes_before_simulating(capsys):
    assert main(["verify", "learning-block", "--codes", "99"]) == 2
    assert "codes" in capsys.readouterr().err


def test_small_decision_map_agrees_with_the_ideal_rule(small_map, tmp_path):
    spec, columns = small_map
    table = pd.concat(columns, ignore_index=True)
    s = summary(table, spec.guard)
    offsets = bound_offsets(table)
    print("\n" + offsets[["code", "i_omega", "offset_lower", "offset_upper", "agreement", "wall_time"]].to_string())
    print({k: round(v, 4) if isinstance(v, float) else v for k, v in s.items()})
    assert s["pulses_outside_guard"] >= 18
    assert s["agreement_outside_guard"] >= GUARD_AGREEMENT_GOAL
    assert s["no_decision"] == 0 and s["steps_ok"] == 1.0
    assert plot_decision_map(table, spec.block, tmp_path / "map.png").stat().st_size > 0
    assert "outside guard" in markdown_summary({"tt": (table, s)}, spec)


@pytest.mark.slow
def test_full_verification_corners_and_monte_carlo(tmp_path, sky130_tt, sim_settings):
    from ebn_circuit.experiments.decision_map import verify
    results = verify(DecisionMapSpec(), tmp_path, sky130_tt, sim_settings, corners=("tt", "ff", "ss"), mc=30)
    assert results["tt"][1]["agreement_outside_guard"] >= 0.99
    for label in ("ff", "ss"):
        assert results[label][1]["agreement_outside_guard"] >= 0.95
    mc = results["tt_mc30"][1]
    assert mc["testbenches"] == 90 and mc["no_decision"] == 0
    assert (tmp_path / "summary.md").is_file() and (tmp_path / "decision_map_tt.png").is_file()
