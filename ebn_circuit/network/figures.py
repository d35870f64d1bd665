"""Figures: Figure 1 (initial / learned / optimal), learning curve, seeds, sweeps, mismatch study.

Every function takes results, writes one file and returns its path. Agg backend: no display.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def figure1(run, path: str | Path, window: tuple[float, float] = (0.3, 0.6)) -> Path:
    """Three columns (initial, learned, optimal): x and least-squares-scaled x̂ in a 300 ms
    window, spike raster, weight matrix on a shared colour scale."""
    plt = _plt()
    p = run.params
    names = ("initial", "learned", "optimal")
    fig, axes = plt.subplots(3, 3, figsize=(12, 10), layout="constrained",
                             gridspec_kw={"height_ratios": [1.2, 1, 1.4]})
    i0, i1 = (int(round(w / p.dt)) for w in window)
    t_ms = np.arange(i0, i1) * p.dt * 1e3
    weights = {}
    for n in names:  # the diagonal is each neuron's reset, not a synapse: left blank
        w = run.codes[n] * p.omega
        weights[n] = np.where(np.eye(w.shape[0], dtype=bool), np.nan, w)
    vmax = max(np.nanmax(np.abs(w)) for w in weights.values())
    for col, name in enumerate(names):
        res, m = run.results[name], run.metrics[name]
        denom = np.sum(res.x_hat**2)
        scale = np.sum(res.x * res.x_hat) / denom if denom > 0 else 0.0
        ax = axes[0, col]
        for j in range(res.x.shape[0]):
            line = ax.plot(t_ms, res.x[j, i0:i1], lw=1.5, label=f"x{j + 1}")[0]
            ax.plot(t_ms, scale * res.x_hat[j, i0:i1], lw=1, ls="--", color=line.get_color(), label=f"x̂{j + 1}")
        ax.set_title(f"{name}: error {m['reconstruction_error']:.3f}")
        ax.set_xlabel("time [ms]")
        if col == 0:
            ax.set_ylabel("signal")
            ax.legend(fontsize=7, ncol=2)
        ax = axes[1, col]
        sel = (res.spike_steps >= i0) & (res.spike_steps < i1)
        ax.plot(res.spike_steps[sel] * p.dt * 1e3, res.spike_ids[sel], "|", color="k", ms=4)
        ax.set_ylim(-0.5, p.n_neurons - 0.5)
        ax.set_title(f"{m['n_spikes']} spikes / {res.x.shape[1] * p.dt:g} s", fontsize=10)
        ax.set_xlabel("time [ms]")
        if col == 0:
            ax.set_ylabel("neuron")
        ax = axes[2, col]
        im = ax.imshow(weights[name], cmap="RdBu_r", vmin=-vmax, vmax=vmax)
        corr = m["offdiag_correlation"]
        ax.set_title(f"weights, r(optimal) = {corr:.2f}")
        ax.set_xlabel("presynaptic k")
        if col == 0:
            ax.set_ylabel("postsynaptic n")
    fig.colorbar(im, ax=axes[2, :].tolist(), shrink=0.8, label="weight [weight units]")
    fig.suptitle(f"EBN learning, §5.2 protocol (seed {run.seed}, g = {p.gain_g:g})")
    path = Path(path)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def learning_curve(history, path: str | Path) -> Path:
    """Distances to the optimal weights and reconstruction error per training trial."""
    plt = _plt()
    trials = np.arange(1, history.n_spikes.size + 1)
    fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(12, 3.5))
    # trial 0: the initial weights
    ax1.plot(np.r_[0, trials], np.r_[history.initial_script_distance, history.script_distance],
             label="script distance")
    ax1.plot(np.r_[0, trials], np.r_[history.initial_relative_frobenius, history.relative_frobenius],
             label="relative Frobenius")
    ax1.set_xlabel("trial")
    ax1.set_ylabel("distance to optimal")
    ax1.legend()
    ax2.semilogy(trials, history.error)
    ax2.set_xlabel("trial")
    ax2.set_ylabel("reconstruction error (training trial)")
    ax3.semilogy(trials, history.n_spikes)
    ax3.set_xlabel("trial")
    ax3.set_ylabel("spikes per trial")
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


PANELS = (("correlation", 0.95, "off-diag. correlation"), ("slope", None, "learned/optimal slope"),
          ("error_ratio", 1.1, "error learned/optimal"), ("spike_ratio", 2.0, "spikes learned/optimal"))


def sweep_figure(table: pd.DataFrame, param: str, path: str | Path) -> Path:
    """Figure-1 numbers against one swept parameter: each seed (grey) and the median over
    seeds; the issue's goals as red dotted lines."""
    plt = _plt()
    table = table.assign(**{param: table[param].map(str)})  # values may be None, bools or strings
    values = list(dict.fromkeys(table[param]))  # sweep order
    x_of = {v: i for i, v in enumerate(values)}
    fig, axes = plt.subplots(1, len(PANELS), figsize=(14, 3.5))
    for ax, (col, goal, label) in zip(axes, PANELS):
        xs = table[param].map(x_of)
        ax.plot(xs, table[col], ".", color="0.7")
        med = table.groupby(param, sort=False)[col].median()
        ax.plot([x_of[v] for v in med.index], med.to_numpy(), "o-")
        if goal is not None:
            ax.axhline(goal, color="r", ls=":", label="goal")
            ax.legend()
        if col in ("error_ratio", "spike_ratio"):
            ax.set_yscale("log")
        ax.set_xticks(range(len(values)), values)
        ax.set_xlabel(param)
        ax.set_ylabel(label)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def seeds_figure(table: pd.DataFrame, path: str | Path) -> Path:
    """Figure-1 numbers per seed (dots) with their median (bar) and the goals."""
    plt = _plt()
    fig, axes = plt.subplots(1, len(PANELS), figsize=(12, 3.2))
    for ax, (col, goal, label) in zip(axes, PANELS):
        vals = table[col].to_numpy()
        ax.plot(np.linspace(-0.15, 0.15, vals.size), vals, ".", alpha=0.7)
        ax.plot([-0.25, 0.25], [np.median(vals)] * 2, "k-")
        if goal is not None:
            ax.axhline(goal, color="r", ls=":")
        ax.set_xticks([])
        ax.set_title(label, fontsize=10)
    fig.suptitle(f"{len(table)} seeds ({table.seed.min()}–{table.seed.max()}); black: median, red: goal")
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def mismatch_figure(table: pd.DataFrame, path: str | Path) -> Path:
    """Reconstruction error and membrane variance per case, one dot per chip instance;
    table may hold a 'mismatch_scale' column (one panel pair per scale, side by side)."""
    plt = _plt()
    labels = {"a_optimal_deployed": "(a) optimal\ndeployed", "b_learned_on_chip": "(b) learned\non chip",
              "c_ideal_optimal": "(c) ideal"}
    if "mismatch_scale" not in table:
        table = table.assign(mismatch_scale=1.0)
    scales = sorted(table.mismatch_scale.unique())
    fig, axes = plt.subplots(2, len(scales), figsize=(3.5 * len(scales) + 1, 6), squeeze=False)
    for col, s in enumerate(scales):
        sub = table[table.mismatch_scale == s]
        for row, metric in enumerate(("reconstruction_error", "membrane_variance")):
            ax = axes[row, col]
            for x, case in enumerate(labels):
                vals = sub[sub.case == case][metric].to_numpy()
                ax.plot(np.full(vals.size, x) + np.linspace(-0.15, 0.15, vals.size), vals, ".", alpha=0.6)
                ax.plot([x - 0.25, x + 0.25], [np.median(vals)] * 2, "k-")
            ax.set_xticks(range(3), list(labels.values()), fontsize=8)
            ax.set_yscale("log")
            if col == 0:
                ax.set_ylabel(metric.replace("_", " "))
            if row == 0:
                ax.set_title(f"mismatch × {s:g}")
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
