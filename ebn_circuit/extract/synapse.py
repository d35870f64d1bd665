"""DPI synapse transfer curves from ngspice runs, and the behavioural model fitted to them.

Tables (``TransferCurve``, SI units, conditions from the runs' metadata):

- ``synapse_tau_gain``: τ and gain against I_τ (I_gain, I_w fixed) and against I_w (I_τ fixed).
  τ_decay: −1/slope of ln I_syn over the decay (0.6 → 0.1 of the peak, model-free);
  τ_fit, gain_fit: the ``DpiSynapseModel`` fitted to that one transient.
- ``synapse_transients``: every transient (run, role, biases, time, spike voltage, I_in, I_syn),
  the data the behavioural model is fitted to and tested on.
- ``synapse_epsc_vs_code``: peak EPSC of one 1 ms spike against the weight code of the DAC that
  sets I_w (``circuits.synapse_dac``; 12 codes in 1…31, the positive codes: a "source" DAC gives
  no weight current at codes ≤ 0), with the measured I_w and the model's EPSC at that I_w.

- ``synapse_model_mc`` (optional): the model refitted per Monte-Carlo instance.

``run_synapse_extraction`` fits the model on two runs at the default biases and reports its
NRMSE on two held-out runs (other spike trains and other I_w, never seen by the fit). Measured
(tt, 2 pF, I_τ 7.2 pA, I_gain 180 pA): held-out NRMSE ≈ 1.4 % (textbook first-order model
fitted the same way: ≈ 7 %); a model fitted at tt on a mismatch instance: 10-30 % (the gain
varies ~20 % between instances), refitted per instance ≈ 2 %.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from ebn_circuit.behavioural.dpi_synapse import DpiSynapseModel, spike_input
from ebn_circuit.circuits.dac import DacParams
from ebn_circuit.circuits.synapse import DpiSynapseParams, SynapsePulseParams, synapse_pulse_testbench
from ebn_circuit.circuits.synapse_dac import SynapseDacParams, synapse_dac_testbench
from ebn_circuit.errors import WaveformError
from ebn_circuit.extract.tables import TransferCurve, conditions_of
from ebn_circuit.spice.result import SimResult
from ebn_circuit.sweep.jobs import JobOutput, make_job, run_jobs
from ebn_circuit.sweep.settings import SimSettings
from ebn_circuit.technology.core import Technology

ONSET = 2e-3        # first spike (s): the circuit starts from its operating point
WIDTH = 1e-3        # spike width (s)
U_T_NOMINAL = 0.0259  # only to size t_stop from the expected τ; nothing is fitted with it
TAU_CURRENTS = (7.2e-12, 24e-12, 72e-12, 240e-12, 720e-12)      # 2 decades of I_τ (A)
WEIGHT_CURRENTS = (2.5e-9, 5e-9, 10e-9, 20e-9)                   # I_w (A)
# behavioural fit and hold-out: (name, I_w (A), spike onsets (s)), default I_τ and I_gain
FIT_RUNS = (("fit_single_10nA", 10e-9, (2e-3,)), ("fit_train_5nA", 5e-9, (2e-3, 6e-3, 9e-3)))
HELD_OUT_RUNS = (("held_out_train_7.5nA", 7.5e-9, (2e-3, 4e-3, 9e-3, 10.5e-3)),
                 ("held_out_pair_15nA", 15e-9, (3e-3, 7e-3)))
TRAIN_STOP = 20e-3
# weight codes of the EPSC curve: dense where the charge-up delay bends it (small codes)
CODES = (1, 2, 3, 4, 6, 8, 12, 16, 20, 24, 28, 31)
QUICK_CODES = (2, 4, 8, 16, 31)
SINGLE_SPIKE_FREE = ("tau", "gain", "i_gain", "i_rest", "t_ext", "i_offset")


def synapse_run(simulator, tech: Technology, synapse: DpiSynapseParams, spike_times=(ONSET,),
                t_stop: float | None = None, seed: int | None = None) -> SimResult:
    """One transient of the synapse; t_stop defaults to 2.5 expected τ after the last spike."""
    tau_expected = synapse.c_syn * U_T_NOMINAL / (0.7 * synapse.i_tau)
    if t_stop is None:
        t_stop = spike_times[-1] + WIDTH + max(2.5 * tau_expected, 1e-3)
    max_step = float(min(50e-6, tau_expected / 20))
    bench = synapse_pulse_testbench(SynapsePulseParams(synapse=synapse, spike_times=tuple(spike_times),
                                                       pulse_width=WIDTH, t_stop=t_stop, max_step=max_step,
                                                       print_step=max_step / 2), tech)
    return simulator.run(replace(bench, seed=seed) if seed is not None else bench)


def decay_time_constant(time, i_syn, t_from: float, hi: float = 0.6, lo: float = 0.1) -> float:
    """τ (s): −1/slope of ln I_syn after ``t_from`` while I_syn is between lo and hi × its peak."""
    after = np.asarray(time) >= t_from
    t, i = np.asarray(time)[after], np.asarray(i_syn)[after]
    k_peak = int(np.argmax(i))
    window = (np.arange(i.size) > k_peak) & (i <= hi * i.max()) & (i >= lo * i.max())
    if window.sum() < 5:
        raise WaveformError(f"decay_time_constant: only {window.sum()} samples between {lo} and {hi} of the peak; "
                            "run the transient longer")
    return float(-1.0 / np.polyfit(t[window], np.log(i[window]), 1)[0])


def transient_rows(result: SimResult, run: str, role: str, synapse: DpiSynapseParams, vdd: float) -> pd.DataFrame:
    """The run as tidy rows: time_s, spk_V, i_in_A (I_w while the spike is high), i_syn_A."""
    spk = result.v("spk")
    return pd.DataFrame({"run": run, "role": role, "i_tau_A": synapse.i_tau, "i_gain_A": synapse.i_gain,
                         "i_w_A": synapse.i_w, "c_syn_F": synapse.c_syn, "time_s": result.time, "spk_V": spk,
                         "i_in_A": spike_input(spk, synapse.i_w, vdd), "i_syn_A": result.i("visyn")})


def runs_of(transients: pd.DataFrame, role: str) -> tuple[list[tuple], list[str]]:
    """(time, I_in, I_syn) tuples and run names of one role in the transient table."""
    chosen = transients[transients["role"] == role]
    names = list(dict.fromkeys(chosen["run"]))
    return [tuple(chosen.loc[chosen["run"] == n, c].to_numpy() for c in ("time_s", "i_in_A", "i_syn_A"))
            for n in names], names


def tau_gain_sweep(simulator, tech: Technology, tau_currents=TAU_CURRENTS, weight_currents=WEIGHT_CURRENTS,
                   base: DpiSynapseParams = DpiSynapseParams()) -> tuple[TransferCurve, pd.DataFrame]:
    """τ and gain against I_τ (I_w = base.i_w) and against I_w (I_τ = base.i_tau): one single-spike
    transient each. Returns the curve and the transients (role "sweep")."""
    rows, waves, results = [], [], []
    points = [("i_tau", replace(base, i_tau=i)) for i in tau_currents]
    points += [("i_w", replace(base, i_w=i)) for i in weight_currents]
    for swept, synapse in points:
        res = synapse_run(simulator, tech, synapse)
        results.append(res)
        name = f"sweep_{swept}_{getattr(synapse, swept):.3g}"
        wave = transient_rows(res, name, "sweep", synapse, tech.vdd)
        waves.append(wave)
        run = (wave["time_s"].to_numpy(), wave["i_in_A"].to_numpy(), wave["i_syn_A"].to_numpy())
        # one spike reaches one level only: the level dependence (i_sat) stays off
        model = DpiSynapseModel.fit([run], [name], free=SINGLE_SPIKE_FREE)
        rows.append({"swept": swept, "i_tau_A": synapse.i_tau, "i_w_A": synapse.i_w, "i_gain_A": synapse.i_gain,
                     "tau_decay_s": decay_time_constant(res.time, res.i("visyn"), ONSET + WIDTH),
                     "tau_fit_s": model.tau, "tau_fit_sigma_s": model.uncertainty.get("tau", np.nan),
                     "gain_fit": model.gain, "gain_fit_sigma": model.uncertainty.get("gain", np.nan),
                     "gain_nominal": synapse.i_gain / synapse.i_tau, "epsc_peak_A": float(res.i("visyn").max()),
                     "fit_nrmse": float(model.fit_quality["nrmse"].iloc[0])})
    conditions = conditions_of(results, c_syn_F=base.c_syn, i_gain_A=base.i_gain, i_w_A_for_tau_sweep=base.i_w,
                               i_tau_A_for_weight_sweep=base.i_tau, pulse_width_s=WIDTH)
    return TransferCurve("synapse_tau_gain", pd.DataFrame(rows), conditions), pd.concat(waves, ignore_index=True)


def model_runs(simulator, tech: Technology, base: DpiSynapseParams = DpiSynapseParams(),
               seed: int | None = None) -> tuple[pd.DataFrame, list[SimResult]]:
    """The fit and held-out transients at the default biases (roles "fit", "held_out")."""
    waves, results = [], []
    for role, specs in (("fit", FIT_RUNS), ("held_out", HELD_OUT_RUNS)):
        for name, i_w, times in specs:
            synapse = replace(base, i_w=i_w)
            res = synapse_run(simulator, tech, synapse, times, t_stop=TRAIN_STOP, seed=seed)
            results.append(res)
            waves.append(transient_rows(res, name, role, synapse, tech.vdd))
    return pd.concat(waves, ignore_index=True), results


def epsc_vs_code(simulator, tech: Technology, codes=CODES, i_lsb: float = 0.5e-9,
                 base: DpiSynapseParams = DpiSynapseParams(), model: DpiSynapseModel | None = None,
                 seed: int | None = None, waves_out: list | None = None) -> TransferCurve:
    """Peak EPSC (A, above the pre-spike baseline) of one spike against the DAC code; i_w_A is the
    measured DAC current into the vw diode. model_epsc_A: the behavioural model at that I_w.
    ``waves_out``, if given, receives each code's waveform (code, time_s, spk_V, i_syn_A)."""
    rows, results = [], []
    dac = DacParams(i_lsb=i_lsb, polarity="source")
    for code in codes:
        params = SynapseDacParams(synapse=base, dac=dac, code=code, spike_times=(ONSET,), pulse_width=WIDTH,
                                  t_stop=ONSET + WIDTH + 1.5e-3, seed=seed)  # the peak is ~0.1 ms after the spike
        res = simulator.run(synapse_dac_testbench(params, tech))
        results.append(res)
        time, i_syn = res.time, res.i("visyn")
        baseline = float(np.median(i_syn[time < ONSET]))
        i_w = float(np.median(res.i("vwsense")[time < ONSET]))
        row = {"code": code, "i_w_A": i_w, "epsc_peak_A": float(i_syn.max()) - baseline, "baseline_A": baseline}
        if model is not None:
            row["model_epsc_A"] = model_epsc(model, time, res.v("spk"), i_w, tech.vdd)
        if waves_out is not None:
            waves_out.append(pd.DataFrame({"code": code, "time_s": time, "spk_V": res.v("spk"), "i_syn_A": i_syn}))
        rows.append(row)
    conditions = conditions_of(results, i_lsb_A=i_lsb, c_syn_F=base.c_syn, i_tau_A=base.i_tau,
                               i_gain_A=base.i_gain, pulse_width_s=WIDTH, dac_polarity="source")
    return TransferCurve("synapse_epsc_vs_code", pd.DataFrame(rows), conditions)


def model_epsc(model: DpiSynapseModel, time, spk, i_w: float, vdd: float) -> float:
    """The model's EPSC peak (A, above its pre-spike minimum) for one spike at weight current I_w."""
    pred = model.predict(time, spike_input(spk, i_w, vdd))
    return float(pred.max() - pred[np.asarray(time) < ONSET].min())


def epsc_slope(table: pd.DataFrame, min_code: int = 8) -> dict:
    """Least-squares line of EPSC against code (codes ≥ min_code, where the charge-up delay is a
    small part of the spike): slope (A/code), and against the measured I_w (A/A); the DAC's line
    at the vw diode (LSB and code-0 current, A); the model's relative EPSC error if present."""
    upper = table[table["code"] >= min_code]
    if len(upper) < 2:
        upper = table
    per_code = np.polyfit(upper["code"], upper["epsc_peak_A"], 1)
    per_amp = np.polyfit(upper["i_w_A"], upper["epsc_peak_A"], 1)
    dac_line = np.polyfit(upper["code"], upper["i_w_A"], 1)
    summary = {"epsc_per_code_A": float(per_code[0]), "epsc_code_intercept": float(-per_code[1] / per_code[0]),
               "epsc_per_i_w": float(per_amp[0]), "dac_lsb_at_vw_A": float(dac_line[0]),
               "dac_current_at_code0_A": float(dac_line[1])}
    if "model_epsc_A" in table:   # the model at the measured I_w: single spikes it was not fitted to
        error = (table["model_epsc_A"] - table["epsc_peak_A"]).abs() / table["epsc_peak_A"]
        summary.update(model_epsc_rel_error_max=float(error.max()),
                       model_epsc_rel_error_max_code_ge4=float(error[table["code"] >= 4].max()))
    return summary


def instance_models(transients_by_seed: dict[int, pd.DataFrame], conditions: dict,
                    nominal: DpiSynapseModel) -> TransferCurve:
    """Per Monte-Carlo instance: the model refitted on that instance's fit runs and its held-out
    NRMSE, next to the NRMSE of the ``nominal`` (mismatch-free) model on the same held-out runs."""
    rows = []
    for seed, waves in transients_by_seed.items():
        fit_runs, fit_names = runs_of(waves, "fit")
        held_runs, held_names = runs_of(waves, "held_out")
        model = DpiSynapseModel.fit(fit_runs, fit_names)
        rows.append({"mc_seed": seed, **{n: getattr(model, n) for n in ("tau", "gain", "i_gain", "i_sat", "t_ext")},
                     "nrmse_held_out_refit": float(model.evaluate(held_runs, held_names)["nrmse"].max()),
                     "nrmse_held_out_nominal_model": float(nominal.evaluate(held_runs, held_names)["nrmse"].max())})
    return TransferCurve("synapse_model_mc", pd.DataFrame(rows), {**conditions, "mc_seed": list(transients_by_seed)})


@dataclass(frozen=True)
class SynapseExtraction:
    """What ``measure_synapse`` simulates: the short variant (3 I_τ, 2 I_w, 5 codes) and the
    Monte-Carlo instances refitted (seeds 1…mc_instances, 4 runs each)."""

    quick: bool = False
    mc_instances: int = 0


def measure_synapse(simulator, tech: Technology, spec: SynapseExtraction) -> JobOutput:
    """Job function: every simulation of the synapse extraction, as tables with their conditions."""
    tau_currents = TAU_CURRENTS[::2] if spec.quick else TAU_CURRENTS
    weight_currents = (5e-9, 10e-9) if spec.quick else WEIGHT_CURRENTS
    curve, sweep_waves = tau_gain_sweep(simulator, tech, tau_currents, weight_currents)
    waves, results = model_runs(simulator, tech)
    transients = pd.concat([waves, sweep_waves], ignore_index=True)
    base = DpiSynapseParams()   # the fit/held-out runs' biases; each row carries its own as columns
    conditions = conditions_of(results, c_syn_F=base.c_syn, i_tau_A=base.i_tau, i_gain_A=base.i_gain,
                               pulse_width_s=WIDTH)
    conditions["netlist_hash"] = ",".join(sorted(set(conditions["netlist_hash"].split(","))
                                                 | set(curve.conditions["netlist_hash"].split(","))))
    epsc_waves: list = []
    epsc = epsc_vs_code(simulator, tech, QUICK_CODES if spec.quick else CODES, waves_out=epsc_waves)
    tables = {"synapse_tau_gain": curve.table, "synapse_transients": transients, "synapse_epsc_vs_code": epsc.table,
              "epsc_waveforms": pd.concat(epsc_waves, ignore_index=True)}
    meta = {"synapse_tau_gain": dict(curve.conditions), "synapse_transients": conditions,
            "synapse_epsc_vs_code": dict(epsc.conditions)}
    mc_results = []
    for seed in range(1, spec.mc_instances + 1):
        mc_waves, res = model_runs(simulator, tech.with_mismatch(True), seed=seed)
        tables[f"mc_transients_{seed}"] = mc_waves
        mc_results += res
    if mc_results:
        meta["synapse_model_mc"] = conditions_of(mc_results)
    return JobOutput(tables=tables, meta=meta)


def run_synapse_extraction(tech: Technology, settings: SimSettings, out: Path, quick: bool = False,
                           mc_instances: int = 0, executor=None, workers: int | None = None,
                           resume: bool = False, log=None) -> dict:
    """Measure (one job, stored under ``out/runs``), save and fit everything in this module; write
    the model report under ``out``. quick: fewer bias points and codes (3 I_τ, 2 I_w, 5 codes).
    mc_instances: also refit the model on that many Monte-Carlo instances (seeds 1…N, 4 runs
    each). Returns measured numbers (SI)."""
    out = Path(out)
    job = make_job(measure_synapse, SynapseExtraction(quick, mc_instances), tech, settings, label="synapse extraction")
    [result] = run_jobs([job], out / "runs", name="synapse extraction", executor=executor, workers=workers,
                        resume=resume, progress=False, log=log)
    curve = TransferCurve("synapse_tau_gain", result.tables["synapse_tau_gain"], result.meta["synapse_tau_gain"])
    curve.save(out)
    transients = result.tables["synapse_transients"]
    TransferCurve("synapse_transients", transients, result.meta["synapse_transients"]).save(out)
    fit_runs, fit_names = runs_of(transients, "fit")
    held_runs, held_names = runs_of(transients, "held_out")
    model = DpiSynapseModel.fit(fit_runs, fit_names)
    quality = model.report(out / "dpi_synapse_model", held_runs, held_names)
    textbook = DpiSynapseModel.fit(fit_runs, fit_names, free=("tau", "gain", "i_offset"),
                                   start=DpiSynapseModel(i_gain=1e-11, i_rest=1e-16, i_sat=1e-3, t_ext=0.0))
    epsc_table = result.tables["synapse_epsc_vs_code"].copy()
    epsc_waves = result.tables["epsc_waveforms"]
    epsc_table["model_epsc_A"] = [
        model_epsc(model, w["time_s"].to_numpy(), w["spk_V"].to_numpy(), i_w, tech.vdd)
        for i_w, (_, w) in zip(epsc_table["i_w_A"], epsc_waves.groupby("code", sort=False))]
    epsc = TransferCurve("synapse_epsc_vs_code", epsc_table, result.meta["synapse_epsc_vs_code"])
    epsc.save(out)
    base = DpiSynapseParams()
    by_tau = curve.table[curve.table["swept"] == "i_tau"]
    held = quality[quality["role"] == "held_out"]
    default = by_tau.loc[(by_tau["i_tau_A"] - base.i_tau).abs().idxmin()]
    summary = {}
    if mc_instances > 0:
        mc = instance_models({seed: result.tables[f"mc_transients_{seed}"] for seed in range(1, mc_instances + 1)},
                             result.meta["synapse_model_mc"], model)
        mc.save(out)
        spread = mc.table[["tau", "gain"]].std(ddof=1) / mc.table[["tau", "gain"]].mean() if mc_instances > 1 else None
        summary = {"mc_tau_rel_sigma": float(spread["tau"]) if spread is not None else 0.0,
                   "mc_gain_rel_sigma": float(spread["gain"]) if spread is not None else 0.0,
                   "mc_nrmse_held_out_refit_max": float(mc.table["nrmse_held_out_refit"].max()),
                   "mc_nrmse_held_out_nominal_model_max": float(mc.table["nrmse_held_out_nominal_model"].max())}
    log_i_tau = np.log(by_tau["i_tau_A"])
    return {**summary, "tau_vs_i_tau_loglog_slope": float(np.polyfit(log_i_tau, np.log(by_tau["tau_decay_s"]), 1)[0]),
            "gain_vs_i_tau_loglog_slope": float(np.polyfit(log_i_tau, np.log(by_tau["gain_fit"]), 1)[0]),
            "tau_decay_s_at_default": float(default["tau_decay_s"]), "gain_fit_at_default": float(default["gain_fit"]),
            "tau_table": curve.table[["swept", "i_tau_A", "i_w_A", "tau_decay_s", "tau_fit_s", "gain_fit",
                                      "gain_nominal"]].to_dict("records"),
            "model": model.parameters().set_index("parameter")[["value", "sigma"]].to_dict("index"),
            "model_nrmse_fit_max": float(quality.loc[quality["role"] == "fit", "nrmse"].max()),
            "model_nrmse_held_out": dict(zip(held["run"], held["nrmse"])),
            "model_nrmse_held_out_max": float(held["nrmse"].max()),
            "textbook_model_nrmse_held_out_max": float(textbook.evaluate(held_runs, held_names)["nrmse"].max()),
            "epsc_vs_code": epsc_slope(epsc.table),
            "epsc_monotonic": bool(np.all(np.diff(epsc.table.sort_values("code")["epsc_peak_A"]) > 0)),
            "out": str(out)}
