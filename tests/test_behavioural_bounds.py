"""The learning-block model fitted to measured bounds: slopes chosen by leave-one-code-out
cross-validation, OLS intervals that contain the truth, unidentified parameters flagged, and the
operating range. Bounds are generated here from a known population with measurement noise."""

import warnings

import numpy as np
import pandas as pd
import pytest

from ebn_circuit.behavioural.learning_block import fit_bounds_model
from ebn_circuit.behavioural.validation import ExtrapolationWarning

OMEGA = 0.2e-9
CODES = np.array([-24, -16, -8, 0, 8, 16, 24])


def population(gains, sl_gain=0.0, noise=0.005e-9, seed=0, codes=CODES):
    """Bounds per instance: midpoint 9 nA + δ − g_i/2·I_Ω, half-width 0.3 nA + k·I_Ω, plus noise."""
    rng = np.random.default_rng(seed)
    rows = []
    for k, gain in enumerate(gains):
        i_omega = codes * OMEGA
        centre = 9e-9 + 0.05e-9 * (k - 1) - gain / 2 * i_omega
        half = 0.3e-9 + sl_gain * i_omega
        rows.append(pd.DataFrame({"instance": f"i{k}", "code": codes,
                                  "i_lower_A": centre - half + rng.normal(0, noise, codes.size),
                                  "i_upper_A": centre + half + rng.normal(0, noise, codes.size)}))
    return pd.concat(rows, ignore_index=True)


def test_shared_slopes_are_chosen_when_the_instances_share_them():
    model = fit_bounds_model(population([0.9, 0.9, 0.9]), OMEGA)
    assert model.fit_report["candidate"] == "shared g, k = 0"
    rows = model.intervals.set_index("parameter")
    assert rows.loc["gain g", "low"] <= 0.9 <= rows.loc["gain g", "high"]
    assert rows.loc["i_rest", "low"] <= 9e-9 <= rows.loc["i_rest", "high"]
    assert rows.loc["sl_gain k", "identified"] is None          # held at 0 by the chosen candidate
    assert set(model.selection["candidate"]) == {"shared g, k = 0", "shared g and k", "per-instance g and k"}


def test_per_instance_slopes_are_chosen_when_the_instances_differ():
    model = fit_bounds_model(population([0.7, 1.0, 1.3], sl_gain=0.02), OMEGA)
    assert model.fit_report["candidate"] == "per-instance g and k"
    assert [model.gain + d.gain for d in model.instances.values()] == pytest.approx([0.7, 1.0, 1.3], abs=0.02)
    # held out, the chosen candidate predicts a code's bounds within a few times the noise
    assert model.fit_report["cv_rms_error_A"] < 0.02e-9


def test_two_codes_leave_no_residual_and_say_so():
    model = fit_bounds_model(population([0.9, 1.1], codes=np.array([-8, 8])), OMEGA, per_instance_slopes=True)
    assert len(model.selection) == 0                           # nothing to hold out
    rows = model.intervals.set_index("parameter")
    assert not rows.loc["gain g", "identified"] and "degrees of freedom" in rows.loc["gain g", "note"]


def test_a_code_beyond_the_measured_ones_warns():
    model = fit_bounds_model(population([0.9, 0.9, 0.9]), OMEGA)
    with pytest.warns(ExtrapolationWarning, match="code"):
        model.decide_code([9e-9], [31], "i0")
    with warnings.catch_warnings():
        warnings.simplefilter("error", ExtrapolationWarning)
        model.decide_code([9e-9], [16], "i0")                  # inside: silent
