"""The hybrid Figure-1 run (docs/cosim.md): one network neuron at transistor level, learning in
lock step with the NumPy network, against the pure model on the same inputs; figures and a
Markdown section. ``cosim_stage`` is the main job's entry point."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ebn_circuit.cosim.calibrate import prepare_circuit
from ebn_circuit.cosim.training import HybridHistory, HybridRun, train_hybrid
from ebn_circuit.cosim.transistor import transistor_factory

QUICK = HybridRun(trials=2, steps=300)      # a smoke test: the first spikes, a few decisions
FULL = HybridRun(trials=6, steps=5000)      # hybrid and pure rows correlate ≥ 0.9 from trial 4 or 5 (docs/cosim.md)


def run_cosim_study(out: Path, run: HybridRun, simulator, technology, log=print, resume: bool = True,
                    cache_dir: Path | None = None) -> HybridHistory:
    """Calibrate (cached: the lock-stepped calibration runs beside the simulator's cache), train, draw
    the figures and write ``out/cosim.md``."""
    tech = technology.with_corner(run.corner)
    started = time.perf_counter()
    if cache_dir is None:
        cache_dir = (simulator.cache.root.parent / "cosim") if simulator.cache is not None else out / "calibration"
    design, calibration = prepare_circuit(simulator, tech, run.units, run.params, count=len(run.hybrid),
                                          mismatch_seed=run.mismatch_seed, cache_dir=cache_dir)
    calibrated = time.perf_counter() - started
    log(f"cosim: circuit calibrated in {calibrated:.0f} s (jump per code {calibration.omega_per_code * 1e12:.2f} pA, "
        f"τ_mem {calibration.neurons[0].tau:.3f} s chip)")
    info = {**calibration.as_dict(), "i_lsb": design.synapse.dac.i_lsb, "c_mem": design.neuron.c_mem,
            "seconds": calibrated}
    factory = transistor_factory(run.params, run.hybrid, design, calibration, run.units, tech, seed=run.mismatch_seed)
    history = train_hybrid(out, run, factory, log=log, resume=resume, calibration=info)
    draw_figures(out, history, design.learning)
    (out / "cosim.md").write_text(markdown(history, out))
    return history


def pure_row_agreement(run: HybridRun, extra_noise: float = 1.0, noise_seeds=range(1, 6)) -> np.ndarray:
    """The yardstick for "hybrid vs pure" (docs/cosim.md): the pure model trained as ``run`` on its
    inputs, and again with an independent extra noise of ``extra_noise`` × the input noise added,
    once per noise seed; the correlation of the two learned rows (off the diagonal) for every
    neuron, shape (len(noise_seeds), N). What any trajectory difference leaves of the row."""
    from ebn_circuit.cosim.training import network_of, trial_inputs
    from ebn_circuit.network.simulate import run_trial

    params = run.params
    decoder, codes0 = network_of(run)

    inputs = [trial_inputs(run, trial) for trial in range(run.trials)]

    def train(rng: np.random.Generator | None) -> np.ndarray:
        codes = codes0.copy()
        for command, noise in inputs:
            if rng is not None:
                noise = noise + extra_noise * rng.standard_normal(noise.shape)
            codes = run_trial(params, decoder, codes, command, noise=noise, learn=True).codes
        return codes

    reference = train(None)
    off = ~np.eye(params.n_neurons, dtype=bool)
    rows = []
    for seed in noise_seeds:
        other = train(np.random.default_rng(seed))
        rows.append([np.corrcoef(reference[i, off[i]], other[i, off[i]])[0, 1] for i in range(params.n_neurons)])
    return np.array(rows)


def cosim_stage(out: Path, quick: bool, technology, simulator=None, log=print, mismatch_seed: int | None = None) -> dict:
    """The main job's co-simulation stage: a hybrid Figure-1 run (quick: 2 trials of 300 steps;
    else 6 trials of 5000 steps, ~10 min; times in docs/cosim.md). Returns {"markdown", "figures", "summary",
    "seconds"}; the Markdown starts at a level-2 heading."""
    from ebn_circuit.spice.simulator import Simulator

    run = QUICK if quick else FULL
    if mismatch_seed is not None:
        run = HybridRun(**{**run.as_dict(), "hybrid": tuple(run.hybrid), "mismatch_seed": mismatch_seed})
    started = time.perf_counter()
    own = simulator is None
    simulator = simulator or Simulator()
    try:
        history = run_cosim_study(out, run, simulator, technology, log=log)
    finally:
        if own:
            simulator.close()
    last = history.rows[-1]
    return {"markdown": (out / "cosim.md").read_text(),
            "figures": [str(out / name) for name in FIGURES],
            "summary": {"hybrid_vs_pure_row_corr": last["hybrid_vs_pure_row_corr"][0],
                        "hybrid_row_corr": last["hybrid_row_corr"][0], "pure_row_corr": last["pure_row_corr"][0],
                        "agreement_with_rule": last.get("agreement_with_rule"),
                        "real_time_factor": last.get("real_time_factor")},
            "seconds": time.perf_counter() - started}


FIGURES = ("cosim_imem.png", "cosim_rows.png", "cosim_learning.png")


def draw_figures(out: Path, history: HybridHistory, learning) -> None:
    """The three figures (PNG and PDF each, the toolkit's style)."""
    from ebn_circuit.cosim.training import network_of
    from ebn_circuit.network.params import optimal_weights
    from ebn_circuit.plotting import new_figure, save, style

    run = history.run
    first, last = out / "trial_001.npz", out / f"trial_{history.trials_done:03d}.npz"
    with style():
        fig = new_figure("page", aspect=0.32, rows=2)
        axes = fig.subplots(2, 1)
        for ax, path, title, start in zip(axes, (first, last), ("first trial", f"trial {history.trials_done}"),
                                          (None, run.steps // 2)):
            if path.is_file():
                _imem_panel(ax, np.load(path), run, learning, title, start)
        save(fig, out / Path(FIGURES[0]).stem)

        decoder, codes0 = network_of(run)
        h = run.hybrid[0]
        optimal = optimal_weights(decoder, run.params)[h] / run.params.omega
        rows = history.rows[-1]
        fig = new_figure("column", aspect=0.85)
        ax = fig.subplots()
        keep = np.arange(run.params.n_neurons) != h
        for values, label, marker in ((codes0[h], "initial", "x"), (rows["pure_row"][0], "pure model", "o"),
                                      (rows["hybrid_row"][0], "hybrid (transistor level)", "s")):
            values = np.asarray(values, float)
            corr = np.corrcoef(values[keep], optimal[keep])[0, 1] if np.std(values[keep]) > 0 else float("nan")
            ax.plot(optimal[keep], values[keep], marker, ls="", ms=3.5, label=f"{label}: r = {corr:.2f}", alpha=0.85)
        lim = max(np.abs(optimal[keep]).max(), 32)
        ax.plot([-lim, lim], [-lim, lim], "k:", lw=0.8)
        ax.set_xlabel("optimal weight (codes)")
        ax.set_ylabel("learned code")
        ax.set_title(f"row of neuron {h} after {history.trials_done} trials")
        ax.legend()
        save(fig, out / Path(FIGURES[1]).stem)

        trials = [r["trial"] for r in history.rows]
        done = history.rows[1:]
        fig = new_figure("page", aspect=0.3)
        ax1, ax2 = fig.subplots(1, 2)
        ax1.plot([r["trial"] for r in done], [r["error_hybrid"] for r in done], "s-", label="hybrid")
        ax1.plot([r["trial"] for r in done], [r["error_pure"] for r in done], "o-", label="pure model")
        ax1.set_xlabel("trial")
        ax1.set_ylabel("reconstruction error")
        ax1.legend()
        for key, fmt, label in (("hybrid_row_corr", "s-", "hybrid: corr."), ("pure_row_corr", "o-", "pure: corr."),
                                ("hybrid_row_dist", "s--", "hybrid: distance"), ("pure_row_dist", "o--", "pure: distance")):
            ax2.plot(trials, [r[key][0] for r in history.rows], fmt, label=label)
        ax2.set_xlabel("trial")
        ax2.set_ylabel("row against the optimal row")
        ax2.legend()
        save(fig, out / Path(FIGURES[2]).stem)


def _imem_panel(ax, record, run: HybridRun, learning, title: str, start: int | None, window: int = 400) -> None:
    """I_mem of the first hybrid neuron over ``window`` steps (from ``start``; None: just before
    the first presynaptic spike) with, at each presynaptic spike, the bound centre of that
    synapse coloured by the circuit's decision; the code before each decision on a second axis."""
    from ebn_circuit.cosim.training import network_of
    from ebn_circuit.network.params import thresholds
    from ebn_circuit.plotting import DECISIONS

    units, params = run.units, run.params
    i_mem = record["i_mem"][:, 0]
    events = record["events"]
    events = events[events[:, 2] == run.hybrid[0]]
    if start is None:
        start = max(int(events[0, 0]) - 20, 0) if len(events) else 0
    start = min(start, max(i_mem.size - window, 0))
    stop = min(start + window, i_mem.size)
    t = np.arange(start, stop) * params.dt * 1e3
    ax.plot(t, i_mem[start:stop] * 1e9, color="k", lw=0.8)
    ax.axhline(units.i_rest * 1e9, color="grey", ls=":", lw=0.8)
    threshold = thresholds(network_of(run)[0], params)[run.hybrid[0]]
    ax.axhline(float(units.i_mem(threshold, params)) * 1e9, color="grey", ls="--", lw=0.8)
    events = events[(events[:, 0] >= start) & (events[:, 0] < stop)]
    ax2 = ax.twinx()
    ax2.grid(False)
    for step, _k, _h, code, decision in events:
        lower, upper = learning.bounds(code * learning.omega_per_code)
        x = step * params.dt * 1e3
        ax.plot([x, x + params.dt * 1e3], [(lower + upper) / 2 * 1e9] * 2, color=DECISIONS[int(decision)][0], lw=3,
                solid_capstyle="butt")
    ax2.plot(events[:, 0] * params.dt * 1e3, events[:, 3], ".", color="tab:blue", ms=2)
    ax.set_xlabel("network time (ms)")
    ax.set_ylabel("I_mem (nA)")
    ax2.set_ylabel("code in use (dots)")
    ax.set_title(f"{title}: bars = bound centre of each spike's synapse (green INC, yellow SL, red DEC); "
                 "dotted I_rest, dashed threshold")


def markdown(history: HybridHistory, out: Path) -> str:
    run, rows = history.run, history.rows
    last = rows[-1]
    cal = history.calibration or {}
    lines = ["## Co-simulation: a transistor-level neuron learning inside the network", "",
             f"Neuron {', '.join(map(str, run.hybrid))} of the §5.2 network runs as a sky130 circuit (DPI neuron, "
             "time-multiplexed plastic synapse, learning-block front end) in ngspice, lock-stepped with the NumPy "
             f"network at dt = {run.params.dt * 1e3:g} ms (chip {run.time_scale:g}× slower); seed {run.seed}, "
             f"{run.trials} trials of {run.steps} steps, corner {run.corner}, "
             + ("nominal devices" if run.mismatch_seed is None else f"Monte-Carlo instance {run.mismatch_seed}")
             + f", g = {run.gain_g:g}. The pure model learns on the same inputs. Design and fidelity: docs/cosim.md.", ""]
    if cal:
        neuron = cal["neurons"][0]
        lines += [f"Calibration: jump per code {cal['omega_per_code'] * 1e12:.2f} pA (target "
                  f"{run.units.omega_current(run.params) * 1e12:.2f} pA), synapse offset {cal['synapse_offset_codes']:.2f} codes, "
                  f"τ_mem {neuron['tau']:.3f} s chip, rest input {neuron['drive_rest'] * 1e9:.3f} nA, "
                  f"DAC unit {cal['i_lsb'] * 1e12:.1f} pA, C_mem {cal['c_mem'] * 1e12:.1f} pF.", ""]
    lines += ["| trial | row corr. hybrid | row corr. pure | hybrid vs pure | row dist. hybrid | row dist. pure | "
              "error hybrid | error pure | spikes hybrid / pure | rule agreement (outside ±0.1 nA) | wall s | CPU s |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['trial']} | {r['hybrid_row_corr'][0]:.3f} | {r['pure_row_corr'][0]:.3f} | "
                     f"{r['hybrid_vs_pure_row_corr'][0]:.3f} | {r['hybrid_row_dist'][0]:.3f} | {r['pure_row_dist'][0]:.3f} | "
                     + (f"{r['error_hybrid']:.3f} | {r['error_pure']:.3f} | {r['spikes_hybrid']} / {r['spikes_pure']} | "
                        f"{r['agreement_with_rule']:.3f} ({r.get('agreement_outside_guard', float('nan')):.3f}) | "
                        f"{r['wall_s']:.0f} | {r.get('child_cpu_s', float('nan')):.0f} |"
                        if "error_hybrid" in r else "– | – | – | – | – | – |"))
    timed = rows[1:]
    if timed:
        wall = sum(r["wall_s"] for r in timed)
        ngspice = sum(r["ngspice_s"] for r in timed)
        callbacks = sum(r["python_callbacks_s"] for r in timed)
        steps = run.steps * len(timed)
        cpu = sum(r.get("child_cpu_s", 0.0) for r in timed)
        offsets = [r.get("front_end_offset_A", float("nan")) * 1e12 for r in timed]
        lines += ["", f"Time: {wall:.0f} s wall, {cpu:.0f} s CPU of the ngspice process, for {steps * run.params.dt:.2f} s of "
                  f"network time (real-time factor {steps * run.params.dt / wall:.2e} wall, "
                  f"{steps * run.params.dt / max(cpu, 1e-9):.2e} CPU); ngspice {ngspice / wall:.0%}, Python callbacks "
                  f"in the ngspice process {callbacks / wall:.0%}, the rest pipe and network loop; "
                  f"{sum(r['points'] for r in timed) / steps:.1f} time points and "
                  f"{sum(r['source_calls'] for r in timed) / steps:.0f} source callbacks per network step.",
                  f"Clipped input (the DPI's input current at zero) on {np.mean([r['clipped_step_share'] for r in timed]):.1%} "
                  f"of the steps; flag conflicts (INC and DEC both set): {sum(r['flag_conflicts'] for r in timed)}; "
                  f"the front end's effective I_mem offset (the constant shift that best explains its decisions): "
                  f"{', '.join(f'{o:.0f}' for o in offsets)} pA per trial."]
    lines += ["", f"Final: hybrid vs pure row correlation {last['hybrid_vs_pure_row_corr'][0]:.3f}; status {history.status}.",
              "", "Figures: " + ", ".join(f"{out.name}/{name}" for name in FIGURES), ""]
    return "\n".join(lines)
