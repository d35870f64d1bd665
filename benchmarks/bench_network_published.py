"""What the published Figure-1 script did, re-implemented from reading it, and which of its
choices matter: a table, medians over seeds.

    .venv/bin/python benchmarks/bench_network_published.py [--seeds 10] [--trials 51]

Written from ../shared/reference/seed-network/ and the Rockpool fork it ran on (read, not
copied). Its model, as this file implements it (everything in potential units, τ_mem = 50 ms):
- thresholds T = (ν·λd + μ·λd² + (Σ_j |D_jk|)²)/2: the *L1* norm squared (§1 has ‖D_k‖² = 1)
- leak towards a per-neuron v_rest; noise σ = 0.01 added to the input current by two layers,
  i.e. σ·√2·dt/τ_mem per step on V
- a fast synapse τ_F = 1 ms integrated with Euler, I ← I·(1 - dt/τ_F) + w, V += (dt/τ_mem)·I
  (a weight w moves V by w·τ_F/τ_mem = w/50)
- absolute reset V_k ← v_reset_k; at most one spike per step, the earliest linear-interpolated
  crossing (the script also restarted the step at the spike time: not done here)
- the rule at each spike with V_before = V at the spike, the spiking neuron already reset:
  off the diagonal w ± 2 when 2·V_n + w/20 < -1 or > +1 (the band ±ω/2 = ±1 compares weight
  units with potentials: margin 0.98 in our terms; g = 50/20 = 2.5); on the diagonal
  v_reset and v_rest both move by ∓0.1 when 2·v_reset + (v_reset + T) > 1 or < -1
- initial: w = 30·N(0,1) on the grid 2, zero diagonal, v_reset = v_rest = 0; "optimal":
  w = -(DᵀD + μλd²I)·50 off the diagonal (not on the grid), v_rest = v_reset = T - 2
- error: Σ var(c/5000 - M·x̂) / Σ var(c/5000), M the least-squares J×J map, against the
  *command* c (not x); ours: ‖x - s·x̂‖²/‖x‖², one scalar s, against x.
Seeds are numpy Generators 0…n-1 (the script used the legacy seed 42), so only distributions
compare. "§1 optimal" is our reference network (rest 0, reset Ω_kk = 2 from threshold).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ebn_circuit.network.inputs import command_signal, target_signal
from ebn_circuit.network.metrics import offdiag_correlation, offdiag_slope, reconstruction_error
from ebn_circuit.network.params import NetworkParams, initial_codes, make_decoder
from ebn_circuit.network.simulate import readout

sys.path.insert(0, str(Path(__file__).resolve().parent))
from table import print_table  # noqa: E402


@dataclass(frozen=True)
class Published:
    l1_thresholds: bool = True
    band: float = 1.0          # half-width on the scale 2·V + w/20
    tau_fast: float = 1e-3     # 0 = instantaneous jumps
    noise_on_v: float = 0.0    # > 0: per-step std on V instead of the input-current noise
    quirky_diagonal: bool = True  # False: no diagonal learning (reset stays at v_reset = 0)


def _kernel():
    import numba

    @numba.njit(cache=True)
    def run(u, thr, w, v_rest, v_reset, a_leak, dt_tau, syn_keep, learn, band, quirky):
        n_steps, n = u.shape
        v = v_rest.copy()
        cur = np.zeros(n)
        steps = np.empty(n_steps, np.int64)
        ids = np.empty(n_steps, np.int64)
        count = 0
        for t in range(n_steps):
            v_old = v.copy()
            for i in range(n):
                v[i] = v[i] + dt_tau * (v_rest[i] - v[i] + u[t, i]) + (dt_tau * cur[i] if syn_keep >= 0 else 0.0)
            first, first_at = -1, 2.0
            for i in range(n):
                if v[i] > thr[i]:
                    at = (thr[i] - v_old[i]) / (v[i] - v_old[i]) if v[i] != v_old[i] else 0.0
                    if at < first_at:
                        first_at, first = at, i
            if first >= 0:
                k = first
                v[k] = v_reset[k]
                if learn:
                    for m in range(n):
                        if m == k:
                            if quirky:
                                x = 2.0 * v[k] + (v_reset[k] + thr[k])
                                if x < -band:
                                    v_reset[k] += 0.1
                                    v_rest[k] += 0.1
                                elif x > band:
                                    v_reset[k] -= 0.1
                                    v_rest[k] -= 0.1
                            continue
                        x = 2.0 * v[m] + w[m, k] / 20.0
                        if x < -band:
                            w[m, k] += 2.0
                        elif x > band:
                            w[m, k] -= 2.0
                for m in range(n):
                    if m != k:
                        if syn_keep >= 0:
                            cur[m] += w[m, k]
                        else:
                            v[m] += w[m, k] / 50.0
                steps[count] = t
                ids[count] = k
                count += 1
            if syn_keep >= 0:
                for i in range(n):
                    cur[i] *= syn_keep
        return steps[:count], ids[:count]

    return run


def simulate(kern, p, model, decoder, thr, w, v_rest, v_reset, command, noise, learn):
    """One trial; w, v_rest, v_reset are updated in place when learning."""
    dt_tau = p.dt * p.lambda_v
    u = (decoder.T @ command).T / p.lambda_v  # input current τ_mem·Dᵀc, potential units
    if model.noise_on_v > 0:
        u = u + model.noise_on_v / dt_tau * noise[0]
    else:
        u = u + 0.01 * (noise[0] + noise[1])  # the input layer's and the neuron layer's noise
    syn_keep = 1.0 - p.dt / model.tau_fast if model.tau_fast > 0 else -1.0
    # Euler synapse: V gains dt/τ_mem · I per step with I ← I·(1-dt/τ_F) + w → w·τ_F/τ_mem in total
    return kern(u, thr, w, v_rest, v_reset, 1.0 - dt_tau, dt_tau, syn_keep, learn, model.band,
                model.quirky_diagonal)


def published_error(command, x_hat):
    target = command.T / 5000.0
    m = np.linalg.lstsq(x_hat.T, target, rcond=None)[0]
    return float(np.sum(np.var(target - x_hat.T @ m, axis=0, ddof=1)) / np.sum(np.var(target, axis=0, ddof=1)))


def one_seed(kern, seed, model, trials):
    p = NetworkParams()
    rng = np.random.default_rng(seed)
    decoder = make_decoder(p, rng)
    w0 = initial_codes(p, rng).astype(float) * p.omega
    norm = np.sum(np.abs(decoder), 0) ** 2 if model.l1_thresholds else np.sum(decoder**2, 0)
    thr = 0.5 * (p.nu * p.lambda_d + p.mu * p.lambda_d**2 + norm)
    omega = decoder.T @ decoder + p.mu * p.lambda_d**2 * np.eye(p.n_neurons)
    w_opt = -omega * p.w_scale
    np.fill_diagonal(w_opt, 0.0)
    w, v_rest, v_reset = w0.copy(), np.zeros(p.n_neurons), np.zeros(p.n_neurons)
    n = p.n_neurons
    for _ in range(trials):
        command = command_signal(p, rng)
        simulate(kern, p, model, decoder, thr, w, v_rest, v_reset, command,
                 rng.standard_normal((2, command.shape[1], n)), True)
    command = command_signal(p, rng)
    noise = rng.standard_normal((2, command.shape[1], n))
    x = target_signal(command, p)
    networks = {"initial": (w0, np.zeros(n), np.zeros(n)), "learned": (w, v_rest, v_reset),
                "published optimal": (w_opt, thr - 2.0, thr - 2.0), "§1 optimal": (w_opt, np.zeros(n), thr - 2.0)}
    out = {}
    for name, (ww, rest, reset) in networks.items():
        steps, ids = simulate(kern, p, model, decoder, thr, ww.copy(), rest.copy(), reset.copy(), command, noise, False)
        x_hat = readout(steps, ids, decoder, command.shape[1], p)
        out[name] = {"spikes": steps.size, "error_published": published_error(command, x_hat),
                     "error": reconstruction_error(x, x_hat)}
    out["correlation"] = offdiag_correlation(w, w_opt)
    out["slope"] = offdiag_slope(w, w_opt)
    out["v_reset"] = float(np.mean(v_reset))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--trials", type=int, default=51)
    args = ap.parse_args()
    from ebn_circuit.network import compiled

    if not compiled.available():
        print("bench_network_published needs numba: pip install 'ebn_circuit[fast]'")
        return
    kern = _kernel()
    base = Published()
    variants = {"published script": base,
                "  with §1 thresholds (L2)": replace(base, l1_thresholds=False),
                "  with the literal band ±δ/2": replace(base, band=0.02),
                "  with instantaneous synapses": replace(base, tau_fast=0.0),
                "  with 0.01 per step noise on V": replace(base, noise_on_v=0.01),
                "  without diagonal learning": replace(base, quirky_diagonal=False)}
    rows = []
    for label, model in variants.items():
        runs = [one_seed(kern, s, model, args.trials) for s in range(args.seeds)]

        def med(f):
            return float(np.median([f(r) for r in runs]))

        rows.append((label, f"{med(lambda r: r['correlation']):.3f}", f"{med(lambda r: r['slope']):.2f}",
                     f"{med(lambda r: r['initial']['spikes']):.0f}", f"{med(lambda r: r['learned']['spikes']):.0f}",
                     f"{med(lambda r: r['published optimal']['spikes']):.0f}",
                     f"{med(lambda r: r['§1 optimal']['spikes']):.0f}",
                     f"{med(lambda r: r['learned']['error_published']):.3f}",
                     f"{med(lambda r: r['published optimal']['error_published']):.3f}",
                     f"{med(lambda r: r['§1 optimal']['error_published']):.3f}",
                     f"{med(lambda r: r['learned']['error'] / r['§1 optimal']['error']):.2f}",
                     f"{med(lambda r: r['learned']['spikes'] / r['§1 optimal']['spikes']):.2f}",
                     f"{med(lambda r: r['v_reset']):+.2f}"))
    print(f"Published Figure-1 model, medians over seeds 0–{args.seeds - 1}, {args.trials} trials")
    print_table(("variant", "corr.", "slope", "spikes init.", "learned", "pub. opt.", "§1 opt.",
                 "pub. error learned", "pub. opt.", "§1 opt.", "error learned/§1 opt.", "spikes learned/§1 opt.",
                 "v_reset"), rows)


if __name__ == "__main__":
    main()
