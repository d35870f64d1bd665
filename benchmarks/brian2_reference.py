"""Brian2 reference implementation of the EBN (no learning) and comparison with the NumPy model.

    .venv/bin/python benchmarks/brian2_reference.py [--seed 0] [--n 20]

Brian2 2.9 does not import with numpy >= 2.3, so Brian2 runs in its own environment,
benchmarks/.venv-brian2 (created on first use with `brian2` and `numpy<2.3`). This script
runs in the project venv, writes the network and its input to an .npz, runs the Brian2
half (`--inner`, in the Brian2 venv: imports only numpy and brian2), and compares spike
counts, reconstruction error and wall time on the same input, noise and weights.

The Brian2 model is the same Euler update, dv/dt = -λV·v + u(t)/dt with u the per-step
drive + noise as a TimedArray, threshold v > T, reset v -= reset, all-to-all synapses
on_pre v_post += jump. Plain Brian2 lets several neurons fire in one step (that run is
the speed reference); a second run adds the one-spike-per-step rule as a network_operation
and should give the NumPy model's spike train exactly.
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
        print(f"creating {VENV} (brian2, numpy<2.3) ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "brian2", "numpy<2.3"], check=True)
    return py


def inner(npz: Path, out: Path, target: str, repeats: int, wta: bool) -> None:
    """The Brian2 half; runs inside .venv-brian2. wta: a network_operation before the
    thresholder lets only the neuron furthest above threshold fire (the NumPy model's rule);
    it runs Python every step, so it is for agreement, not for speed."""
    import numpy as np
    import brian2 as b2

    d = np.load(npz)
    b2.prefs.codegen.target = target
    dt = float(d["dt"])
    u = d["u"]  # n_steps × N, per-step increments (drive·dt + σ·noise)
    jumps = d["jumps"]  # N × N, jumps[n, k]: effect of a spike of k on n
    n = jumps.shape[0]
    times, cpu, result = [], [], None
    for _ in range(repeats):
        b2.start_scope()
        b2.defaultclock.dt = dt * b2.second
        drive = b2.TimedArray(u / dt, dt=dt * b2.second)
        eqs = "dv/dt = -lambda_v*v + drive(t, i)/second : 1\nthr : 1\nwinner : 1"
        threshold = "v > thr and winner > 0.5" if wta else "v > thr"
        group = b2.NeuronGroup(n, eqs, threshold=threshold, reset="v -= reset_base", method="euler",
                               namespace={"lambda_v": float(d["lambda_v"]) / b2.second, "drive": drive,
                                          "reset_base": float(d["reset_base"])})
        group.thr = d["thr"]
        syn = b2.Synapses(group, group, "w : 1", on_pre="v_post += w")
        syn.connect()
        syn.w = jumps[syn.j[:], syn.i[:]]
        mon = b2.SpikeMonitor(group)
        objects = [group, syn, mon]
        if wta:
            @b2.network_operation(when="thresholds", order=-1)
            def pick_winner():
                over = group.v[:] - group.thr[:]
                win = np.zeros(n)
                win[np.argmax(over)] = 1.0
                group.winner[:] = win

            objects.append(pick_winner)
        net = b2.Network(*objects)
        t0, c0 = time.perf_counter(), time.process_time()
        net.run(u.shape[0] * dt * b2.second)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        result = (np.asarray(mon.t / b2.second), np.asarray(mon.i))
    steps = np.rint(result[0] / dt).astype(np.int64)
    np.savez(out, steps=steps, ids=result[1].astype(np.int64), times=np.array(times), cpu=np.array(cpu))


def outer(args) -> None:
    import numpy as np

    from ebn_circuit.network.inputs import command_signal
    from ebn_circuit.network.metrics import reconstruction_error
    from ebn_circuit.network.params import NetworkParams, make_decoder, optimal_weights, thresholds, to_codes
    from ebn_circuit.network.simulate import readout, run_trial
    from ebn_circuit.network.substrate import Substrate

    p = NetworkParams(n_neurons=args.n)
    rng = np.random.default_rng(args.seed)
    decoder = make_decoder(p, rng)
    codes = to_codes(optimal_weights(decoder, p), p)
    command = command_signal(p, rng)
    noise = rng.standard_normal((command.shape[1], p.n_neurons))
    mine = run_trial(p, decoder, codes, command, noise=noise, engine="numpy")
    t_mine, c_mine = [], []
    for _ in range(args.repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        run_trial(p, decoder, codes, command, noise=noise, engine="numpy")  # the pure NumPy path
        t_mine.append(time.perf_counter() - t0)
        c_mine.append(time.process_time() - c0)
    u = (decoder.T @ command).T * p.dt + p.sigma_noise * noise
    with tempfile.TemporaryDirectory() as tmp:
        npz, out = Path(tmp) / "net.npz", Path(tmp) / "out.npz"
        np.savez(npz, dt=p.dt, u=u, jumps=Substrate.ideal(p).jumps(codes, p), thr=thresholds(decoder, p),
                 lambda_v=p.lambda_v, reset_base=p.reset)
        py = str(brian2_python())
        subprocess.run([py, __file__, "--inner", str(npz), str(out), "--target", args.target,
                        "--repeats", str(args.repeats + 1)], check=True)
        b = np.load(out)
        # the first run includes code generation and compilation
        steps, ids, t_b2, c_b2 = b["steps"], b["ids"], b["times"][1:], b["cpu"][1:]
        subprocess.run([py, __file__, "--inner", str(npz), str(out), "--target", args.target,
                        "--repeats", "1", "--wta"], check=True)
        w = np.load(out)
    x_hat_b2 = readout(steps, ids, decoder, command.shape[1], p)
    x_hat_wta = readout(w["steps"], w["ids"], decoder, command.shape[1], p)
    report = {
        "n_neurons": p.n_neurons, "seed": args.seed, "brian2_target": args.target,
        "spikes_numpy": mine.n_spikes, "spikes_brian2": int(steps.size),
        "multi_spike_steps_brian2": int(steps.size - np.unique(steps).size),
        "error_numpy": reconstruction_error(mine.x, mine.x_hat),
        "error_brian2": reconstruction_error(mine.x, x_hat_b2),
        "seconds_numpy": min(t_mine), "seconds_brian2": float(np.min(t_b2)),
        "cpu_seconds_numpy": min(c_mine), "cpu_seconds_brian2": float(np.min(c_b2)),
        "spikes_brian2_one_per_step": int(w["steps"].size),
        "error_brian2_one_per_step": reconstruction_error(mine.x, x_hat_wta),
        "identical_spikes_one_per_step": bool(np.array_equal(w["steps"], mine.spike_steps)
                                              and np.array_equal(w["ids"], mine.spike_ids)),
    }
    report["spike_ratio"] = report["spikes_brian2"] / report["spikes_numpy"]
    report["error_ratio"] = report["error_brian2"] / report["error_numpy"]
    report["speedup_wall"] = report["seconds_brian2"] / report["seconds_numpy"]
    report["speedup_cpu"] = report["cpu_seconds_brian2"] / report["cpu_seconds_numpy"]
    print(json.dumps(report, indent=2))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--n", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--target", default="cython", help="Brian2 codegen target: cython or numpy")
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
