"""The cross-run table: every source fitted and scored on every other, read from an IC study
folder (nominal waveforms, variants' pulse tables, summary.csv) built here from synthetic runs of
one block with known offsets (two drives, as Simulations 1 and 2; a third as a "corner")."""

import pandas as pd
import pytest
from learning_block_synthetic import synthetic_run

from ebn_circuit.behavioural.learning_block import LearningBlockModel
from ebn_circuit.experiments.cross_run import cross_run_summary, ic_sources, learning_block_cross_run, markdown
from ebn_circuit.experiments.pipeline_stages import fit_stage
from ebn_circuit.measure.learning import pulse_table

TRUTH = LearningBlockModel(offset_lower=-0.15e-9, offset_upper=0.1e-9, omega_per_code=0.15e-9)


@pytest.fixture(scope="module")
def ic_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ic")
    rows = []
    for run, seed, drive in (("sim1", 1, 11e-9), ("sim2", 2, 12.5e-9)):
        synthetic_run(TRUTH, seed=seed, drive=drive).to_parquet(folder / f"{run}_waveforms.parquet")
        rows.append({"run": run, "corner": "tt", "variant": "nominal", "seed": None,
                     "omega_per_code_nA": TRUTH.omega_per_code * 1e9})
    (folder / "variants").mkdir()
    pulse_table(synthetic_run(TRUTH, seed=3, drive=10e-9, start_code=-4)).to_csv(
        folder / "variants" / "sim1_corner_ff_pulses.csv", index=False)
    rows.append({"run": "sim1", "corner": "ff", "variant": "corner ff", "seed": None,
                 "omega_per_code_nA": TRUTH.omega_per_code * 1e9})
    pd.DataFrame(rows).to_csv(folder / "summary.csv", index=False)
    return folder


def test_every_source_is_fitted_and_scored_on_every_other(ic_dir):
    sources = ic_sources(ic_dir)
    assert [s.name for s in sources] == ["sim1 tt", "sim2 tt", "sim1 ff"]
    assert sources[2].waveforms is None and sources[2].corner == "ff"
    table = learning_block_cross_run(sources, resamples=30)
    assert len(table) == 9 and table["same_run"].sum() == 3
    other = table[~table["same_run"]]
    # one block, other drives and codes: the goal of the issue, on runs whose truth is known
    assert (other["agreement"] >= 0.95).all()
    assert (other["agreement"] >= other["nominal_rule"]).all()
    # the in-sample score is never below the held-out one of the same fit
    assert (table["in_sample"] >= table["cv_agreement"]).all()
    # a model fitted at tt and scored at the ff corner says it is outside its fitted range
    assert table.loc[(table["fitted_on"] == "sim1 tt") & (table["tested_on"] == "sim1 ff"),
                     "outside_fitted_range"].str.contains("corner").all()
    summary = cross_run_summary(table)
    assert summary["pairs"].sum() == 6 and "same circuit, other run" in set(summary["pairs_of"])
    text = markdown(table)
    assert text.count("\n| sim") == 9 and "nominal rule" in text


def test_fit_stage_keeps_its_signature(ic_dir, tmp_path):
    table = fit_stage(ic_dir, tmp_path / "no_reference_here")
    assert {"fitted_on", "tested_on", "in_sample", "cv_agreement", "agreement", "nominal_rule"} <= set(table.columns)
    assert set(table["fitted_on"]) == {"sim1 tt", "sim2 tt", "sim1 ff"}


@pytest.mark.slow
@pytest.mark.timeout(7200)
def test_simulations_1_and_2_predict_each_other(sky130_tt, sim_settings, tmp_path):
    """Our Simulations 1 and 2 at tt (full 0.5 s runs): the block fitted on one predicts the other
    at other codes with at least 95 % agreement, and within one pulse of the nominal rule on the
    same pulses (the circuit's bound offsets differ by tens of pA between the codes the two runs
    settle at, below what one run of 99 pulses can place: docs/models.md)."""
    from ebn_circuit.experiments.ic_study import ic_study

    ic_study(tmp_path / "ic", sky130_tt, sim_settings, log=lambda *_: None)
    table = fit_stage(tmp_path / "ic", None)
    pairs = table[~table["same_run"]]
    print(markdown(table))
    assert len(pairs) == 2
    assert (pairs["agreement"] >= 0.95).all()
    assert (pairs["agreement"] >= pairs["nominal_rule"] - 1.0 / pairs["n_pulses"] - 1e-9).all()


def test_a_characterised_instance_predicts_its_learning_runs(tmp_path):
    """A Monte-Carlo instance whose bounds sit 0.2 nA high and move with g = 1.4 (a replica DAC off
    by 40 %): the model from its characterisation (the chip's bounds probes and I_mem copy gain)
    predicts its learning runs at any code, where the nominal rule does not."""
    from test_chip import synthetic_chip

    from ebn_circuit.experiments.cross_run import characterised_cross_run

    truth = LearningBlockModel(i_rest=9.2e-9, gain=1.4, omega_per_code=0.15e-9)
    folder = tmp_path / "ic"
    (folder / "variants").mkdir(parents=True)
    rows = []
    for run, seed, drive, start in (("sim1", 4, 11e-9, 8), ("sim2", 5, 9.5e-9, -6)):
        pulse_table(synthetic_run(truth, seed=seed, drive=drive, start_code=start)).to_csv(
            folder / "variants" / f"{run}_mc3_pulses.csv", index=False)
        rows.append({"run": run, "corner": "tt", "variant": "monte carlo", "seed": 3.0,
                     "omega_per_code_nA": truth.omega_per_code * 1e9})
    pd.DataFrame(rows).to_csv(folder / "summary.csv", index=False)
    chip = synthetic_chip(4, __import__("numpy").random.default_rng(0))
    chip.conditions.update(i_rest=9e-9, i_sl=truth.i_sl)
    lb = chip.blocks["learning_block"]
    lb.loc[lb["instance"] == 3, ["i_rest", "i_sl", "gain", "sl_gain"]] = [truth.i_rest, truth.i_sl, truth.gain, 0.0]
    chip.blocks["neuron"]["copy_gain"] = 1.0
    table = characterised_cross_run(chip, ic_sources(folder))
    assert list(table["tested_on"]) == ["sim1 mc3", "sim2 mc3"] and set(table["fitted_on"]) == {"characterisation mc3"}
    assert (table["agreement"] >= 0.95).all() and (table["agreement"] > table["nominal_rule"] + 0.05).all()
    summary = cross_run_summary(table)
    assert list(summary["pairs_of"]) == ["same circuit: its characterisation → its runs"]
    assert "| characterisation mc3 | sim1 mc3 | bounds probes | – | – |" in markdown(table)
