"""The shared fitting machinery: blocked folds, the one-standard-error choice, the block bootstrap,
cluster-robust intervals, identifiability flags and the operating range."""

import warnings

import numpy as np
import pandas as pd
import pytest

from ebn_circuit.behavioural.validation import (Candidate, ExtrapolationWarning, OperatingRange, block_bootstrap,
                                                blocked_folds, cross_validate, group_folds, interval_row,
                                                one_standard_error_choice, sandwich_sigma)
from ebn_circuit.errors import ConfigError


def test_blocked_folds_are_contiguous_and_cover_every_item_once():
    folds = blocked_folds(23, 5)
    assert len(folds) == 5
    assert np.array_equal(np.sort(np.concatenate(folds)), np.arange(23))
    assert all(np.all(np.diff(f) == 1) for f in folds)
    with pytest.raises(ConfigError):
        blocked_folds(1, 5)


def test_group_folds_keep_each_group_whole():
    groups = ["a"] * 3 + ["b"] * 2 + ["c"] * 4 + ["a"]
    folds = group_folds(groups, 3)
    for fold in folds:
        held = {groups[i] for i in fold}
        assert all(groups[i] not in held for i in np.setdiff1d(np.arange(len(groups)), fold))


def test_the_simplest_candidate_within_one_standard_error_is_chosen():
    table = pd.DataFrame({"candidate": ["simple", "middle", "rich"], "n_free": [0, 2, 5],
                          "cv_score": [0.90, 0.93, 0.94], "cv_se": [0.02, 0.02, 0.02]})
    assert one_standard_error_choice(table) == "middle"      # 0.93 ≥ 0.94 − 0.02 > 0.90
    table.loc[2, "cv_se"] = 0.05
    assert one_standard_error_choice(table) == "simple"


def test_cross_validation_prefers_the_true_degree_of_a_polynomial():
    """Data from a line with noise: a constant underfits, a degree-6 polynomial is no better
    held out, so the one-standard-error choice is the line."""
    rng = np.random.default_rng(0)
    x = np.linspace(0, 1, 60)
    y = 1.0 + 2.0 * x + rng.normal(0, 0.2, x.size)

    def candidate(degree):
        return Candidate(f"degree {degree}", degree + 1, lambda rows: np.polyfit(x[rows], y[rows], degree))

    def score(coef, rows):
        return -float(np.sqrt(np.mean((np.polyval(coef, x[rows]) - y[rows]) ** 2)))

    # interleaved folds here: x is not ordered in time, and contiguous blocks would make every
    # fold an extrapolation, which is a different question
    folds = [np.arange(k, 60, 5) for k in range(5)]
    table = cross_validate([candidate(d) for d in (0, 1, 6)], folds, x.size, score)
    assert one_standard_error_choice(table) == "degree 1"


def test_block_bootstrap_resamples_contiguous_blocks():
    rng = np.random.default_rng(1)
    for rows in block_bootstrap(50, 10, 20, rng):
        assert rows.size == 50 and rows.min() >= 0 and rows.max() < 50
        assert np.all(np.diff(rows[:10]) == 1)          # the first block is contiguous


def test_sandwich_interval_matches_the_spread_of_estimates_with_correlated_residuals():
    """Clusters share a random offset and their own x: ordinary least squares underestimates the
    slope's spread; the cluster-robust σ matches the spread over repeated data sets (within 25 %)."""
    rng = np.random.default_rng(2)
    clusters, per = 20, 15
    groups = np.repeat(np.arange(clusters), per)
    slopes, robust, naive = [], [], []
    for _ in range(300):
        x = np.repeat(rng.normal(0, 1, clusters), per) + rng.normal(0, 0.1, clusters * per)
        y = 0.5 * x + np.repeat(rng.normal(0, 1, clusters), per) + rng.normal(0, 0.3, clusters * per)
        design = np.column_stack([np.ones_like(x), x])
        coef = np.linalg.lstsq(design, y, rcond=None)[0]
        residuals = y - design @ coef
        slopes.append(coef[1])
        robust.append(sandwich_sigma(design, residuals, groups)[1])
        s2 = residuals @ residuals / (x.size - 2)
        naive.append(np.sqrt(s2 * np.linalg.inv(design.T @ design)[1, 1]))
    spread = np.std(slopes)
    assert np.mean(robust) == pytest.approx(spread, rel=0.25)
    assert np.mean(naive) < 0.5 * spread


def test_identifiability_flags():
    wide = interval_row("g", 1.0, low=0.0, high=2.0, allowed=(0.0, 3.0))
    assert not wide["identified"] and "half" in wide["note"]
    edge = interval_row("g", 0.2, low=0.0, high=0.5, allowed=(0.0, 3.0))
    assert not edge["identified"] and "limit" in edge["note"]
    good = interval_row("g", 1.0, samples=np.random.default_rng(3).normal(1.0, 0.05, 500), allowed=(0.0, 3.0))
    assert good["identified"] and good["low"] < 1.0 < good["high"]
    assert interval_row("k", 0.0, fixed="held")["identified"] is None
    assert not interval_row("x", 0.0, low=-1e-9, high=1e-9, unit="A", too_wide=0.3e-9)["identified"]


def test_operating_range_warns_once_per_quantity_and_round_trips():
    span = OperatingRange({"code": (-6.0, 15.0)}, {"corner": ("tt",)}, {"code": ""})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert not span.check("code", [0, 15])
        assert span.check("code", [20]) and span.check("code", [30])
        assert span.check("corner", "ff")
    assert [str(w.message).split(" ")[1] for w in caught if w.category is ExtrapolationWarning] == ["code", "corner"]
    again = OperatingRange.from_dict(span.to_dict())
    assert again.spans == span.spans and again.labels == span.labels
    with pytest.raises(ConfigError):
        OperatingRange.from_dict({"spans": {"code": "x"}})


def test_dac_forms_choose_the_binary_weights_of_a_mismatched_binary_dac():
    """A 6-bit offset-binary DAC whose bit groups are mismatched (a few % each): the binary form
    predicts held-out codes to the noise, the linear form misses the carries, the table cannot
    bridge a held-out block; a second instance differs by its own mismatch."""
    from ebn_circuit.behavioural.dac import DacTableModel
    from ebn_circuit.behavioural.dac_forms import cross_instance, intervals, select_form

    rng = np.random.default_rng(4)
    codes = np.arange(-32, 32)
    rows = []
    for instance in (1, 2):
        weights = 1e-9 * 2.0 ** np.arange(6) * (1 + rng.normal(0, 0.05, 6))
        bits = ((codes + 32)[:, None] >> np.arange(6)) & 1
        current = -32e-9 + bits @ weights + rng.normal(0, 1e-13, codes.size)
        rows.append(pd.DataFrame({"instance": instance, "code": codes, "current": current}))
    model = DacTableModel.fit(pd.concat(rows))
    chosen, table = select_form(model)
    assert chosen == "binary weights"
    errors = table.set_index("candidate")["cv_rms_error_lsb"]
    assert errors["binary weights"] < 0.01 < errors["linear"] < errors["table"]
    params = intervals(model, chosen)
    assert len(params) == 2 * 7 and params["identified"].all()
    across = cross_instance(model, chosen)
    assert across.loc[across["fitted_on"] != across["tested_on"], "rms_error_lsb"].min() > 10 * errors["binary weights"]
    with pytest.warns(ExtrapolationWarning, match="code"):
        model.predict(40, 1)
