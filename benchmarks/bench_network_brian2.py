"""The network model against Brian2 (a reference simulator): NumPy engine, numba engine and
Brian2 at N = 20, 200, 2 000, one simulated second from the optimal weights, with the same
input, noise, synapse (1 ms), reset and rule; our engines with and without learning.

    .venv/bin/python benchmarks/bench_network_brian2.py [--sizes 20 200 2000] [--repeats 3] [--target cython]

Brian2 2.9 does not import with numpy >= 2.4, so it runs in its own environment,
benchmarks/.venv-brian2, which `make bench` creates (brian2, numpy<2.4, cython). This script
runs in the project venv, writes each network and its per-step input to an .npz, runs the
Brian2 half (`--inner`, in the Brian2 venv: imports only numpy and brian2) and prints a table.

The Brian2 model is the model's own step, written as equations: with method="euler",
dv/dt = -λV·v + u(t)/dt + (1-ρ)·s/dt and ds/dt = -(1-ρ)·s/dt give v ← a·v + u + (1-ρ)·s and
s ← ρ·s exactly as `simulate.run_trial`; threshold v > T; reset v -= T; all-to-all synapses
whose on_pre applies the rule (ebn_circuit.rule's test, on v_post) and adds the jump to s_post
(to v_post on the diagonal, and everywhere with --tau-syn-fast 0).

Plain Brian2 lets several neurons fire in one step. With the weights fixed it is the speed
reference at N = 20 (--plain-up-to); from N = 200 on, neurons that cross in one step all fire
before any inhibition arrives and the network runs away (with either synapse), so it is another
network. A run with learning adds the model's one-spike-per-step rule as a network_operation
(Python every step): it must give the model's spikes and learned codes exactly, and it is the
Brian2 network that is the model at every N, so it is timed too.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENV = HERE / ".venv-brian2"


def brian2_python() -> Path:
    py = VENV / "bin" / "python"
    if not py.exists():
        sys.exit(f"{py} is missing: `make bench` creates it (python3 -m venv {VENV}; "
                 f"{VENV}/bin/pip install 'brian2>=2.9,<2.10' 'numpy<2.4' cython)")
    return py


def inner(npz: Path, out: Path, target: str, repeats: int, wta: bool) -> None:
    """The Brian2 half; runs inside .venv-brian2."""
    import brian2 as b2
    import numpy as np

    d = np.load(npz)
    b2.prefs.codegen.target = target
    b2.prefs.logging.std_redirection = False
    # on_pre reads and writes v_post: fine here, each spike reaches every neuron through one synapse,
    # so Brian2's warning about the order of execution does not apply
    b2.BrianLogger.log_level_error()
    dt, n = float(d["dt"]), int(d["thr"].size)
    codes = d["codes"]  # codes[post, pre]
    times, cpu, build, result = [], [], [], None
    for _ in range(repeats):
        b2.start_scope()
        b2.defaultclock.dt = dt * b2.second
        drive = b2.TimedArray(d["u"] / dt * b2.Hz, dt=dt * b2.second)
        eqs = """dv/dt = -lambda_v*v + drive(t, i) + (1 - rho)*s/dt_step : 1
                 ds/dt = -(1 - rho)*s/dt_step : 1
                 thr : 1
                 reset_k : 1
                 winner : 1"""
        ns = {"lambda_v": float(d["lambda_v"]) * b2.Hz, "drive": drive, "rho": float(d["rho"]),
              "dt_step": dt * b2.second, "g": float(d["g"]), "half": float(d["half"]), "delta": float(d["delta"]),
              "cmin": int(d["cmin"]), "cmax": int(d["cmax"]), "learn": int(d["learn"]),
              "instant": int(float(d["rho"]) == 0.0)}
        group = b2.NeuronGroup(n, eqs, threshold="v > thr and winner > 0.5" if wta else "v > thr",
                               reset="v -= reset_k", method="euler", namespace=ns)
        group.thr, group.reset_k, group.winner = d["thr"], d["reset"], 1.0
        syn = b2.Synapses(group, group, "w : 1", namespace=ns, on_pre="""
            test = 2*v_post + g*w*delta
            w = clip(w + learn*int(i != j)*(int(test < -half) - int(test > half)), cmin, cmax)
            v_post += (int(i == j) + instant*int(i != j))*w*delta
            s_post += (1 - instant)*int(i != j)*w*delta""")
        syn.connect()
        syn.w = codes[syn.j[:], syn.i[:]]
        mon = b2.SpikeMonitor(group)
        objects = [group, syn, mon]
        if wta:
            @b2.network_operation(when="thresholds", order=-1)
            def pick_winner():
                win = np.zeros(n)
                win[np.argmax(group.v[:] - group.thr[:])] = 1.0
                group.winner[:] = win

            objects.append(pick_winner)
        net = b2.Network(*objects)
        t0 = time.perf_counter()
        net.run(0 * b2.second)  # code generation and compilation (cached on disk after the first)
        build.append(time.perf_counter() - t0)
        t0, c0 = time.perf_counter(), time.process_time()
        net.run(d["u"].shape[0] * dt * b2.second)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        result = (np.asarray(mon.t / b2.second), np.asarray(mon.i), np.asarray(syn.w[:]), syn.i[:], syn.j[:])
    learned = np.zeros((n, n))
    learned[result[4], result[3]] = result[2]
    steps = np.rint(result[0] / dt).astype(np.int64)
    np.savez(out, steps=steps, ids=result[1].astype(np.int64), codes=learned, times=np.array(times),
             cpu=np.array(cpu), build=np.array(build))


def outer(args) -> None:
    import numpy as np

    from ebn_circuit.network.inputs import command_signal
    from ebn_circuit.network.params import NetworkParams, make_decoder, optimal_codes, resets, thresholds
    from ebn_circuit.network.simulate import run_trial

    sys.path.insert(0, str(HERE))
    from table import print_table

    py = str(brian2_python())
    rows, report = [], []
    for n in args.sizes:
        p = NetworkParams(n_neurons=n, tau_syn_fast=args.tau_syn_fast)
        rng = np.random.default_rng(args.seed)
        decoder = make_decoder(p, rng)
        codes = optimal_codes(decoder, p)
        command = command_signal(p, rng)
        noise = rng.standard_normal((command.shape[1], n))
        ours, timing = {}, {}
        for engine in ("numpy", "numba"):
            for learn in (True, False):
                def run():
                    return run_trial(p, decoder, codes, command, noise=noise, learn=learn, engine=engine)
                ours[engine, learn] = run()  # warm-up (numba compiles or loads its cache)
                best = []
                for _ in range(args.repeats):
                    t0, c0 = time.perf_counter(), time.process_time()
                    run()
                    best.append((time.perf_counter() - t0, time.process_time() - c0))
                timing[engine, learn] = min(best)
        u = (decoder.T @ command).T * p.dt + p.noise_per_step * noise
        brian = {}
        with tempfile.TemporaryDirectory() as tmp:
            npz, out = Path(tmp) / "net.npz", Path(tmp) / "out.npz"
            # plain Brian2 (weights fixed) only where it stays the same network: at N >= 200
            # simultaneous spikes make it run away (docs/network.md, Benchmarks)
            runs = [(False, False, args.repeats)] if n <= args.plain_up_to else []
            runs.append((True, True, 1))
            for learn, wta, reps in runs:
                np.savez(npz, dt=p.dt, u=u, codes=codes.astype(float), thr=thresholds(decoder, p),
                         reset=resets(decoder, p), lambda_v=p.lambda_v, rho=p.synapse_decay, g=p.gain_g,
                         half=p.half_band, delta=p.delta, cmin=p.code_min, cmax=p.code_max, learn=int(learn))
                subprocess.run([py, __file__, "--inner", str(npz), str(out), "--target", args.target,
                                "--repeats", str(reps)] + (["--wta"] if wta else []), check=True)
                brian[learn, wta] = dict(np.load(out))
        w, mine = brian[True, True], ours["numpy", True]
        agree = bool(np.array_equal(w["steps"], mine.spike_steps) and np.array_equal(w["ids"], mine.spike_ids)
                     and np.array_equal(w["codes"], mine.codes))
        same = all(np.array_equal(ours["numpy", lr].spike_steps, ours["numba", lr].spike_steps)
                   and np.array_equal(ours["numpy", lr].codes, ours["numba", lr].codes) for lr in (True, False))
        plain = brian.get((False, False))
        r = {"n_neurons": n, **{f"{e}_{'learn' if lr else 'fixed'}_s": timing[e, lr][0] for e, lr in timing},
             **{f"{e}_{'learn' if lr else 'fixed'}_cpu_s": timing[e, lr][1] for e, lr in timing},
             "brian2_one_per_step_learn_s": float(w["times"][0]), "brian2_one_per_step_learn_cpu_s": float(w["cpu"][0]),
             "spikes_model_learn": mine.n_spikes, "engines_identical": bool(same),
             "brian2_one_per_step_identical_with_learning": agree}
        if plain is not None:
            r.update({"brian2_fixed_s": float(plain["times"].min()), "brian2_fixed_cpu_s": float(plain["cpu"].min()),
                      "spikes_model_fixed": ours["numpy", False].n_spikes, "spikes_brian2_fixed": int(plain["steps"].size)})
        report.append(r)
        rows.append((str(n), f"{r['numpy_learn_cpu_s']:.3f}", f"{r['numba_learn_cpu_s']:.3f}",
                     f"{r['brian2_one_per_step_learn_cpu_s']:.3f}",
                     f"{r['brian2_one_per_step_learn_cpu_s'] / r['numba_learn_cpu_s']:.0f}", str(agree), str(same),
                     f"{r['numba_fixed_cpu_s']:.3f}",
                     f"{r['brian2_fixed_cpu_s']:.3f} ({r['spikes_brian2_fixed']} / {r['spikes_model_fixed']} spikes)"
                     if plain is not None else "—"))
    print(f"One simulated second (synapse τ = {args.tau_syn_fast * 1e3:g} ms, from the optimal weights), CPU s, "
          f"best of {args.repeats} (Brian2 one-per-step: one run); Brian2 target {args.target}, code generation excluded")
    print_table(("N", "NumPy learn", "numba learn", "Brian2 1-per-step learn", "Brian2/numba", "Brian2 = model",
                 "numpy = numba", "numba fixed", "plain Brian2 fixed"), rows)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--sizes", type=int, nargs="+", default=[20, 200, 2000])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--target", default="cython", help="Brian2 codegen target: cython or numpy")
    ap.add_argument("--tau-syn-fast", type=float, default=1e-3, help="fast synapse [s]; 0 = instantaneous")
    ap.add_argument("--plain-up-to", type=int, default=20, help="run plain Brian2 (fixed weights) up to this N")
    ap.add_argument("--json", default=None)
    ap.add_argument("--inner", nargs=2, metavar=("NPZ", "OUT"), help=argparse.SUPPRESS)
    ap.add_argument("--wta", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.inner:
        inner(Path(args.inner[0]), Path(args.inner[1]), args.target, args.repeats, args.wta)
    else:
        os.environ.setdefault("MPLBACKEND", "Agg")
        outer(args)


if __name__ == "__main__":
    main()
