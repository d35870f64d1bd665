"""DPI neuron extraction: f–I curve, I_mem step response (τ, gain), spike threshold and
refractory time from transistor-level ngspice runs, as TransferCurves; then the behavioural
model (``behavioural.dpi_neuron``) fitted on part of the runs and scored on the held-out rest.

Every run is ``circuits.neuron.neuron_step_testbench``: a DC input from t = 0 plus a step.
``run_neuron_extraction`` is the one entry point (tables + fit report + summary dict): the
simulations are one job of the run engine (``measure_neuron``, adaptive windows make them a
sequence), the fit runs in the caller.
"""

from __future__ import annotations

import time as clock
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import least_squares

from ebn_circuit.behavioural.dpi_neuron import I_SCALE, DpiNeuronModel
from ebn_circuit.circuits.devices import IdVgParams, idvg_testbench
from ebn_circuit.circuits.neuron import UNIT, DpiNeuronParams, NeuronStepParams, neuron_step_testbench
from ebn_circuit.extract.tables import TransferCurve, conditions_of
from ebn_circuit.measure import crossings, pulses, spike_times
from ebn_circuit.measure.devices import subthreshold_slope, thermal_voltage
from ebn_circuit.spice.result import SimResult
from ebn_circuit.sweep.jobs import JobOutput, make_job, run_jobs
from ebn_circuit.sweep.settings import SimSettings

TEMPERATURE_C = 27.0          # ngspice's default simulation temperature
T_ON = 1e-3                   # f–I runs: input stepped from 0 at this time (s)
STEP_AT, STEP_STOP = 5e-3, 0.15   # step-response runs (s): ≈ 8 τ_mem after the step
STEP_MAX_STEP = 100e-6        # s; the I_mem traces are kept on a uniform grid of WAVEFORM_STEP
WAVEFORM_STEP = 200e-6
RELEASE_LEVEL = 0.02          # V: the membrane has left reset when vmem rises through it
# sub-threshold steps (from, to) in A: up from rest, down, and between levels
STEPS = ((0, 1e-9), (0, 2e-9), (0, 3e-9), (0, 4.5e-9), (0, 6e-9), (0, 7.5e-9), (0, 9e-9),
         (4e-9, 1.5e-9), (8e-9, 4e-9), (2e-9, 6e-9))
# even positions are fitted, odd ones held out: the fit needs a down-step (they relax ~10 %
# slower than up-steps), else the held-out NRMSE reaches 5 %
QUICK_STEPS = ((0, 1e-9), (0, 2e-9), (0, 6e-9), (0, 4.5e-9), (8e-9, 4e-9))


def step_run(simulator, tech, params: DpiNeuronParams, i_from: float, i_to: float, t_step: float,
             t_stop: float, max_step: float, seed: int | None = None) -> SimResult:
    """One transient: I_in = i_from from t = 0 (operating point), then i_to from t_step."""
    bench = neuron_step_testbench(NeuronStepParams(neuron=params, i_in=i_from, i_step=i_to - i_from, t_step=t_step,
                                                   t_stop=t_stop, max_step=max_step, print_step=max_step / 2), tech)
    return simulator.run(bench if seed is None else replace(bench, seed=seed))


def steady_rate(spikes: np.ndarray) -> float:
    """Mean rate over the inter-spike intervals (the first spike starts from rest, later ones
    from reset, so the latency to the first spike is left out); 0 with fewer than 2 spikes."""
    return 0.0 if spikes.size < 2 else float((spikes.size - 1) / (spikes[-1] - spikes[0]))


def refractory_times(res: SimResult, vdd: float, release_level: float = RELEASE_LEVEL) -> np.ndarray:
    """Per spike: from the end of the output pulse until vmem rises through ``release_level``."""
    ends = pulses(res.time, res.v("spk"), vdd / 2)[:, 1]
    rises = crossings(res.time, res.v("xneuron.vmem"), release_level, "rising")
    return np.array([rises[rises > end][0] - end for end in ends if np.any(rises > end)])


def output_kappa(simulator, tech, unit=UNIT) -> float:
    """κ of the unit nFET that reads I_mem (its own Id–Vg sweep at vds = vdd)."""
    res = simulator.run(idvg_testbench(IdVgParams(kind="n", w=unit.w, l=unit.l, vds=tech.vdd), tech))
    return subthreshold_slope(res.sweep, res.i("vdrain"), decades=3.0).kappa(TEMPERATURE_C)


def bias_conditions(params: DpiNeuronParams) -> dict:
    """All neuron biases and sizes (SI) for a TransferCurve's conditions."""
    return {f"neuron_{key}": value for key, value in asdict(params).items()}


# --- f–I --------------------------------------------------------------------------------------
def fi_runs(simulator, tech, params: DpiNeuronParams, currents, n_isi: int = 8, max_window: float = 0.6,
            seed: int | None = None, log=None) -> list[tuple[float, SimResult]]:
    """Input stepped from 0 to each current at T_ON; the window is chosen (and extended once or
    twice) so that ``n_isi`` intervals fit, up to ``max_window`` s (slow rates near rheobase).
    Currents run from high to low so that each run's rate guesses the next window."""
    runs, rate_guess = [], 400.0
    for i_in in sorted(currents, reverse=True):
        window = float(np.clip((n_isi + 1.5) / rate_guess, 20e-3, max_window))
        for _ in range(3):
            # ≥ 150 steps per interval: the rate is within 0.3 % of a 10 µs run
            max_step = float(np.clip(1.0 / (150 * rate_guess), 10e-6, 250e-6))
            res = step_run(simulator, tech, params, 0.0, i_in, T_ON, T_ON + window, max_step, seed)
            spikes = spike_times(res.time, res.v("spk"), tech.vdd / 2)
            if log:
                log(f"  f–I {i_in * 1e9:6.1f} nA: window {window * 1e3:5.1f} ms, max step {max_step * 1e6:5.1f} µs, "
                    f"{spikes.size} spikes, wall {res.meta.wall_time:.1f} s")
            if spikes.size >= n_isi + 1 or window >= max_window or (spikes.size == 0 and window >= max_window / 2):
                break  # enough intervals, or silent for long enough: below rheobase
            if spikes.size >= 2:
                rate_guess = steady_rate(spikes)
                window = min(max_window, spikes[0] - T_ON + (n_isi + 1.0) / rate_guess)
            else:
                window, rate_guess = max_window, min(rate_guess, 1.0 / max_window)
        runs.append((float(i_in), res))
        if spikes.size >= 2:
            rate_guess = 0.8 * steady_rate(spikes)  # the next current is lower
    return sorted(runs, key=lambda run: run[0])


def fi_table(runs, vdd: float) -> pd.DataFrame:
    rows = []
    for i_in, res in runs:
        spikes = spike_times(res.time, res.v("spk"), vdd / 2)
        isi = np.diff(spikes)
        rows.append({"i_in_A": i_in, "rate_Hz": steady_rate(spikes), "n_spikes": int(spikes.size),
                     "first_spike_latency_s": float(spikes[0] - T_ON) if spikes.size else np.nan,
                     "isi_cv": float(isi.std() / isi.mean()) if isi.size >= 2 else np.nan,
                     "window_s": float(res.time[-1] - T_ON)})
    return pd.DataFrame(rows)


def measure_fi(simulator, tech, params: DpiNeuronParams = DpiNeuronParams(), currents=None, n_isi: int = 8,
               max_window: float = 0.6, seed: int | None = None) -> TransferCurve:
    """f–I curve (columns i_in_A, rate_Hz, n_spikes, …); default 16 log-spaced points 8–250 nA."""
    currents = np.geomspace(8e-9, 250e-9, 16) if currents is None else currents
    runs = fi_runs(simulator, tech, params, currents, n_isi, max_window, seed)
    return TransferCurve("neuron_fi", fi_table(runs, tech.vdd),
                         conditions_of([r for _, r in runs], **bias_conditions(params), n_isi=n_isi))


# --- threshold and refractory -------------------------------------------------------------------
def threshold_table(runs, vdd: float, smooth: int = 5) -> pd.DataFrame:
    """Per spiking run: I_mem where the positive feedback takes over (the inflection of vmem
    between release and the next spike: there dvmem/dt stops falling and the upstroke begins),
    I_mem at the spike, pulse width and refractory time (means over the spikes)."""
    rows = []
    for i_in, res in runs:
        t, vmem, imem = res.time, res.v("xneuron.vmem"), res.i("vimem")
        edges = pulses(t, res.v("spk"), vdd / 2)
        if len(edges) < 2:
            continue
        refractory = refractory_times(res, vdd)
        releases = crossings(t, vmem, RELEASE_LEVEL, "rising")
        thresholds = []
        for end, onset in zip(edges[:-1, 1], edges[1:, 0]):
            start = releases[(releases > end) & (releases < onset)]
            if not start.size:
                continue
            grid = np.linspace(start[0], onset, 400)
            v = np.convolve(np.interp(grid, t, vmem), np.ones(smooth) / smooth, mode="valid")
            slope = np.gradient(v, grid[smooth // 2: smooth // 2 + v.size])
            # the upstroke: past the last minimum of the slope before the spike
            k = int(np.argmin(slope[: int(0.98 * slope.size)]))
            thresholds.append(np.interp(grid[smooth // 2 + k], t, imem))
        rows.append({"i_in_A": i_in, "i_mem_threshold_A": float(np.median(thresholds)) if thresholds else np.nan,
                     "i_mem_at_spike_A": float(np.median(np.interp(edges[:, 0], t, imem))),
                     "pulse_width_s": float(np.mean(edges[:, 1] - edges[:, 0])),
                     "refractory_s": float(np.mean(refractory)) if refractory.size else np.nan,
                     "n_spikes": int(len(edges))})
    return pd.DataFrame(rows)


# --- I_mem step response ---------------------------------------------------------------------
def exponential_fit(t: np.ndarray, y: np.ndarray, t_from: float, t_to: float | None = None) -> tuple[float, float, float]:
    """(a, b, τ) of the best fit a + b·exp(−(t − t_from)/τ) to the trace between t_from and t_to (s)."""
    keep = (t >= t_from) & (t <= (np.inf if t_to is None else t_to))
    t, y = t[keep] - t_from, y[keep]
    span = np.ptp(y) or 1.0

    def residual(p):
        return (p[0] + p[1] * np.exp(-t / p[2]) - y) / span

    guess = (y[-1], y[0] - y[-1], max(t[-1] / 8, 1e-4))
    a, b, tau = least_squares(residual, guess, bounds=([-np.inf, -np.inf, 1e-5], [np.inf, np.inf, 10.0])).x
    return float(a), float(b), float(tau)


def exponential_tau(t: np.ndarray, i_mem: np.ndarray, t_from: float) -> float:
    """τ of the best fit a + b·exp(−(t − t_from)/τ) to the trace after t_from (s)."""
    return exponential_fit(t, i_mem, t_from)[2]


def step_runs(simulator, tech, params: DpiNeuronParams, steps=STEPS, seed: int | None = None):
    return [(i_from, i_to, step_run(simulator, tech, params, i_from, i_to, STEP_AT, STEP_STOP, STEP_MAX_STEP, seed))
            for i_from, i_to in steps]


def step_tables(runs, vdd: float) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(per-run summary, steady I_mem vs I_in, waveforms on a uniform grid) from step runs."""
    summary, steady, waves = [], {}, []
    grid = np.arange(0.0, STEP_STOP + WAVEFORM_STEP / 2, WAVEFORM_STEP)
    for i_from, i_to, res in runs:
        t, imem = res.time, res.i("vimem")
        if res.v("spk").max() > vdd / 2:
            raise ValueError(f"step {i_from:g} → {i_to:g} A spiked; steps must stay below the spike threshold")
        before = float(imem[(t > 0.5 * STEP_AT) & (t < STEP_AT)].mean())
        after = float(imem[t > STEP_STOP - 2e-3].mean())
        level = crossings(t, imem, before + (1 - np.exp(-1)) * (after - before), "both")
        name = f"{i_from * 1e9:g}to{i_to * 1e9:g}nA"
        summary.append({"run": name, "i_from_A": i_from, "i_to_A": i_to, "i_mem_from_A": before, "i_mem_to_A": after,
                        "incremental_gain": (after - before) / (i_to - i_from),
                        "tau_s": exponential_tau(t, imem, STEP_AT + 1e-3),
                        "tau_63_s": float(level[level > STEP_AT][0] - STEP_AT) if np.any(level > STEP_AT) else np.nan})
        steady.update({i_from: before, i_to: after})
        i_in = np.where(grid < STEP_AT, i_from, i_to)
        waves.append(pd.DataFrame({"run": name, "time_s": grid, "i_in_A": i_in, "i_mem_A": np.interp(grid, t, imem)}))
    steady_frame = pd.DataFrame(sorted(steady.items()), columns=["i_in_A", "i_mem_A"])
    steady_frame["i_mem_over_i_in"] = steady_frame["i_mem_A"] / steady_frame["i_in_A"].where(steady_frame["i_in_A"] > 0)
    return pd.DataFrame(summary), steady_frame, pd.concat(waves, ignore_index=True)


# --- the behavioural model --------------------------------------------------------------------
def initial_model(params: DpiNeuronParams, steady: pd.DataFrame, steps: pd.DataFrame,
                  threshold: pd.DataFrame) -> DpiNeuronModel:
    """Starting point of the fit from the measured tables (power law through the steady I_mem)."""
    on = steady[steady["i_in_A"] > 0]
    slope, intercept = np.polyfit(np.log(on["i_in_A"] / I_SCALE), np.log(on["i_mem_A"] / I_SCALE), 1)
    return DpiNeuronModel(tau=float(steps["tau_s"].median()), i_th=params.i_th, gain=float(np.exp(intercept)),
                          drive_exponent=float(np.clip(slope, 0.55, 1.45)),
                          i_fb=float(np.clip(threshold["i_mem_threshold_A"].median(), 2e-9, 5e-7)),
                          i_spike=float(np.clip(threshold["i_mem_at_spike_A"].median(), 1e-6, 1e-3)),
                          t_ref=float((threshold["pulse_width_s"] + threshold["refractory_s"]).median()),
                          i_reset=1e-16)


def held_out_split(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved: even positions fit, odd positions held out."""
    index = np.arange(n)
    return index[index % 2 == 0], index[index % 2 == 1]


def score(quality: pd.DataFrame, min_rate: float = 5.0) -> dict:
    """Worst relative rate error (where the measured rate ≥ min_rate Hz) and worst NRMSE."""
    rates = quality[(quality["kind"] == "rate") & (quality["measured"] >= min_rate)]
    transients = quality[quality["kind"] == "transient"]
    return {"max_rate_error": float(rates["error"].abs().max()) if len(rates) else np.nan,
            "mean_rate_error": float(rates["error"].abs().mean()) if len(rates) else np.nan,
            "max_transient_nrmse": float(transients["error"].max()) if len(transients) else np.nan,
            "n_rate_points": int(len(rates)), "n_transients": int(len(transients))}


@dataclass(frozen=True)
class NeuronExtraction:
    """What ``measure_neuron`` simulates: the neuron, the short variant (``quick``: 9 f–I points,
    5 steps, shorter windows) and the Monte-Carlo seed (None: nominal)."""

    params: DpiNeuronParams = field(default_factory=DpiNeuronParams)
    quick: bool = False
    seed: int | None = None


def measure_neuron(simulator, tech, spec: NeuronExtraction, log=None) -> JobOutput:
    """Job function: every simulation of the extraction; tables neuron_fi, neuron_imem_step,
    neuron_imem_steady, neuron_imem_waveforms, neuron_spike_threshold with their conditions (meta)."""
    params, quick, seed = spec.params, spec.quick, spec.seed
    log = log or (lambda *_: None)
    currents = np.geomspace(8e-9, 200e-9, 9) if quick else np.geomspace(8e-9, 250e-9, 16)
    n_isi, max_window = (4, 0.25) if quick else (8, 0.6)
    biases = bias_conditions(params)

    kappa = output_kappa(simulator, tech, params.unit)
    tau_predicted = params.c_mem * thermal_voltage(TEMPERATURE_C) / (kappa * params.i_tau)
    steps = step_runs(simulator, tech, params, QUICK_STEPS if quick else STEPS, seed)
    step_summary, steady, waves = step_tables(steps, tech.vdd)
    step_results = [r for _, _, r in steps]
    log(f"step responses: {len(steps)} runs, τ {step_summary['tau_s'].min() * 1e3:.1f}–"
        f"{step_summary['tau_s'].max() * 1e3:.1f} ms (C·U_T/(κ·I_τ) = {tau_predicted * 1e3:.1f} ms)")
    f_i = fi_runs(simulator, tech, params, currents, n_isi, max_window, seed, log)
    fi, threshold = fi_table(f_i, tech.vdd), threshold_table(f_i, tech.vdd)
    fi_results = [r for _, r in f_i]
    log(f"f–I: {len(fi)} points, {fi['rate_Hz'].min():.1f}–{fi['rate_Hz'].max():.1f} Hz")
    curves = [TransferCurve("neuron_fi", fi, conditions_of(fi_results, **biases, n_isi=n_isi)),
              TransferCurve("neuron_imem_step", step_summary,
                            conditions_of(step_results, **biases, kappa=kappa, tau_predicted_s=tau_predicted)),
              TransferCurve("neuron_imem_steady", steady, conditions_of(step_results, **biases)),
              TransferCurve("neuron_imem_waveforms", waves,
                            conditions_of(step_results, **biases, grid_step_s=WAVEFORM_STEP, step_at_s=STEP_AT)),
              TransferCurve("neuron_spike_threshold", threshold, conditions_of(fi_results, **biases))]
    return JobOutput(row={"kappa": kappa, "tau_predicted_s": tau_predicted, "simulations": len(steps) + len(f_i) + 1},
                     tables={c.name: c.table for c in curves}, meta={c.name: dict(c.conditions) for c in curves})


def run_neuron_extraction(tech, settings: SimSettings, out: Path, params: DpiNeuronParams = DpiNeuronParams(),
                          quick: bool = False, seed: int | None = None, log=print, executor=None,
                          workers: int | None = None, resume: bool = False) -> dict:
    """Measure (one job, stored under ``out/runs``), tabulate, fit and report one neuron instance.

    Writes neuron_fi, neuron_imem_step, neuron_imem_steady, neuron_imem_waveforms and
    neuron_spike_threshold (TransferCurve: parquet + csv + meta.json), and the behavioural fit
    report dpi_neuron_fit.csv + dpi_neuron_residuals.png. Returns the measured numbers and the
    held-out fidelity. ``quick``: 9 f–I points, 5 steps, shorter windows (for tests).
    """
    out = Path(out)
    started = clock.perf_counter()
    job = make_job(measure_neuron, NeuronExtraction(params, quick, seed), tech, settings, label="neuron extraction")
    [result] = run_jobs([job], out / "runs", name="neuron extraction", executor=executor, workers=workers,
                        resume=resume, progress=False, log=log)
    curves = {name: TransferCurve(name, table, result.meta[name]) for name, table in result.tables.items()}
    for curve in curves.values():
        curve.save(out)
    fi, steady = curves["neuron_fi"].table, curves["neuron_imem_steady"].table
    step_summary, waves = curves["neuron_imem_step"].table, curves["neuron_imem_waveforms"].table
    threshold = curves["neuron_spike_threshold"].table
    kappa, tau_predicted = result.row["kappa"], result.row["tau_predicted_s"]
    fit_fi, held_fi = (fi.iloc[k] for k in held_out_split(len(fi)))
    runs = list(step_summary["run"])
    fit_runs, held_runs = ([runs[k] for k in part] for part in held_out_split(len(runs)))
    model = DpiNeuronModel.fit(waves[waves["run"].isin(fit_runs)], fit_fi,
                               initial_model(params, steady, step_summary, threshold))
    quality = model.report(out, waves[waves["run"].isin(held_runs)], held_fi)
    held = score(quality[quality["set"] == "held_out"])
    fitted = score(quality[quality["set"] == "fit"])
    spiking = fi[fi["rate_Hz"] > 0]
    summary = {
        "kappa": kappa, "tau_predicted_s": tau_predicted, "tau_s": float(step_summary["tau_s"].median()),
        "tau_range_s": (float(step_summary["tau_s"].min()), float(step_summary["tau_s"].max())),
        "incremental_gain": float(step_summary["incremental_gain"].median()),
        "gain_design": params.gain,
        "i_mem_threshold_A": float(threshold["i_mem_threshold_A"].median()),
        "refractory_s": float(threshold["refractory_s"].median()),
        "pulse_width_s": float(threshold["pulse_width_s"].median()),
        "rheobase_A": (float(fi.loc[fi["rate_Hz"] == 0, "i_in_A"].max()) if (fi["rate_Hz"] == 0).any() else np.nan,
                       float(spiking["i_in_A"].min()) if len(spiking) else np.nan),
        "fi_current_range_A": (float(fi["i_in_A"].min()), float(fi["i_in_A"].max())),
        "fi_rate_range_Hz": (float(spiking["rate_Hz"].min()) if len(spiking) else 0.0, float(fi["rate_Hz"].max())),
        "fi_monotonic": bool(np.all(np.diff(fi["rate_Hz"].to_numpy()) >= 0)),
        "held_out": held, "fit": fitted,
        "model": {name: float(value) for name, value in zip(model.parameters()["parameter"],
                                                            model.parameters()["value"])},
        "model_sigma": dict(model.uncertainty),
        "fit_runs": fit_runs, "held_out_runs": held_runs,
        "simulations": int(result.row["simulations"]), "wall_time_s": clock.perf_counter() - started,
    }
    log(f"held out: max rate error {100 * held['max_rate_error']:.1f} % over {held['n_rate_points']} points ≥ 5 Hz, "
        f"max I_mem NRMSE {100 * held['max_transient_nrmse']:.2f} % over {held['n_transients']} runs; "
        f"{summary['wall_time_s']:.0f} s")
    return summary
