"""DPI neuron extraction (sky130 tt, ngspice): f–I, I_mem step response, spike threshold and
refractory tables with their conditions; the behavioural model fitted on part of the runs and
checked against the held-out rest."""

import ast
import inspect

import numpy as np
import pytest

from ebn_circuit.behavioural import dpi_neuron as behavioural_module
from ebn_circuit.behavioural.dpi_neuron import DpiNeuronModel
from ebn_circuit.circuits.neuron import DpiNeuronParams
from ebn_circuit.extract.neuron import run_neuron_extraction
from ebn_circuit.extract.tables import load_curve

TABLES = ("neuron_fi", "neuron_imem_step", "neuron_imem_steady", "neuron_imem_waveforms", "neuron_spike_threshold")
RATE_TOLERANCE = 0.05      # the goal: behavioural rate within 5 % of ngspice
NRMSE_TOLERANCE = 0.05     # and I_mem transients within 5 % NRMSE
pytestmark = pytest.mark.timeout(1800)  # the module's ngspice runs take ~1 min, far more on a loaded machine
QUICK_MIN_RATE = 20.0      # Hz: the quick run has one f–I point per ~50 %; close to rheobase the
#                            rate moves 5 % for a 0.3 % change of input, which no fit of 4 points resolves


@pytest.fixture(scope="module")
def quick(sim_settings, sky130_tt, tmp_path_factory):
    out = tmp_path_factory.mktemp("neuron_extraction")
    return out, run_neuron_extraction(sky130_tt, sim_settings, out, quick=True)


def test_fi_curve_is_monotonic_from_silence_to_hundreds_of_hz(quick):
    out, summary = quick
    fi = load_curve(out / "neuron_fi.parquet").table
    rates = fi["rate_Hz"].to_numpy()
    print(fi.to_string())
    assert rates[0] == 0.0, "the lowest current must lie below rheobase"
    assert rates[-1] > 200.0
    assert np.all(np.diff(rates) >= 0) and np.all(np.diff(rates[rates > 0]) > 0), f"f–I not monotonic: {rates}"
    assert summary["fi_monotonic"]
    # spiking points were measured over several intervals, with a regular train
    spiking = fi[fi["rate_Hz"] > 0]
    assert (spiking["n_spikes"] >= 3).all() and (spiking["isi_cv"] < 0.05).all()


def test_membrane_time_constant_matches_the_dpi_formula(quick):
    _, summary = quick
    tau, tau_predicted = summary["tau_s"], summary["tau_predicted_s"]
    print(f"tau {tau * 1e3:.2f} ms (runs {summary['tau_range_s'][0] * 1e3:.2f}–{summary['tau_range_s'][1] * 1e3:.2f}), "
          f"C·U_T/(κ·I_τ) = {tau_predicted * 1e3:.2f} ms with κ = {summary['kappa']:.3f}")
    # 20 %: the leak device's drain-induced barrier lowering makes the membrane relax faster at
    # higher vmem, which the textbook formula leaves out
    assert tau == pytest.approx(tau_predicted, rel=0.20)
    assert summary["model"]["tau"] == pytest.approx(tau, rel=0.20)


def test_gain_threshold_and_refractory_follow_their_biases(quick):
    _, summary = quick
    params = DpiNeuronParams()
    print(f"incremental gain {summary['incremental_gain']:.2f} (I_th/I_τ = {params.gain:.2f}); threshold I_mem "
          f"{summary['i_mem_threshold_A'] * 1e9:.2f} nA (I_spk_thr {params.i_spk_thr * 1e9:.1f} nA); refractory "
          f"{summary['refractory_s'] * 1e3:.3f} ms (C_rst·vdd/2/I_ref = "
          f"{params.c_rst * 0.9 / params.i_ref * 1e3:.3f} ms), pulse {summary['pulse_width_s'] * 1e6:.1f} µs")
    assert summary["incremental_gain"] == pytest.approx(params.gain, rel=0.35)
    # the feedback comparator sets the threshold: I_mem copy against I_spk_thr
    assert summary["i_mem_threshold_A"] == pytest.approx(params.i_spk_thr, rel=0.15)
    # t_ref ≈ C_rst·(vdd − V_inv)/I_ref with V_inv near mid-supply
    assert summary["refractory_s"] == pytest.approx(params.c_rst * 0.9 / params.i_ref, rel=0.5)


def test_behavioural_rate_matches_held_out_transistor_level_points(quick):
    out, summary = quick
    fi = load_curve(out / "neuron_fi.parquet").table
    held = fi.iloc[1::2]
    model = DpiNeuronModel(**summary["model"])
    predicted = model.rate(held["i_in_A"].to_numpy())
    errors = (predicted - held["rate_Hz"].to_numpy()) / np.where(held["rate_Hz"] > 0, held["rate_Hz"], np.nan)
    for i_in, measured, rate, error in zip(held["i_in_A"], held["rate_Hz"], predicted, errors):
        print(f"I_in {i_in * 1e9:6.1f} nA: ngspice {measured:6.1f} Hz, model {rate:6.1f} Hz ({100 * error:+.1f} %)")
    usable = held["rate_Hz"].to_numpy() >= QUICK_MIN_RATE
    assert usable.sum() >= 3
    assert np.max(np.abs(errors[usable])) <= RATE_TOLERANCE


def test_behavioural_imem_matches_held_out_step_responses(quick):
    out, summary = quick
    print(summary["held_out"], summary["fit"])
    assert summary["held_out"]["n_transients"] >= 2
    assert summary["held_out"]["max_transient_nrmse"] <= NRMSE_TOLERANCE
    assert (out / "dpi_neuron_fit.csv").stat().st_size > 0 and (out / "dpi_neuron_residuals.png").stat().st_size > 0


def test_tables_are_saved_with_their_conditions(quick, sky130_tt):
    out, _ = quick
    for name in TABLES:
        curve = load_curve(out / f"{name}.parquet")
        assert len(curve.table) > 0
        assert curve.conditions["technology"] == sky130_tt.name and curve.conditions["corner"] == "tt"
        assert curve.conditions["mc_seed"] is None and curve.conditions["netlist_hash"]
        assert curve.conditions["neuron_i_tau"] == DpiNeuronParams().i_tau
        assert (out / f"{name}.csv").exists() and (out / f"{name}.meta.json").exists()


def test_model_predicted_spike_train_agrees_with_its_f_i_curve(quick):
    _, summary = quick
    model = DpiNeuronModel(**summary["model"])
    time = np.arange(0.0, 0.3, 1e-4)
    for i_in in (20e-9, 60e-9, 150e-9):
        _, spikes = model.predict(time, np.full(time.size, i_in))
        assert spikes.size >= 3
        assert 1.0 / np.diff(spikes).mean() == pytest.approx(model.rate(i_in)[0], rel=0.01)


def test_behavioural_layer_imports_no_circuit_or_simulator():
    tree = ast.parse(inspect.getsource(behavioural_module))
    imported = [node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    imported += [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
    assert not [name for name in imported if name and (".circuits" in name or ".spice" in name)]


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_full_extraction_meets_the_fidelity_goals(sim_settings, sky130_tt, tmp_path):
    summary = run_neuron_extraction(sky130_tt, sim_settings, tmp_path)
    held = summary["held_out"]
    print(summary)
    assert len(load_curve(tmp_path / "neuron_fi.parquet").table) >= 15
    assert held["max_rate_error"] <= RATE_TOLERANCE
    assert held["max_transient_nrmse"] <= NRMSE_TOLERANCE
