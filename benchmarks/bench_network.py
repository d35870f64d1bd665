"""Benchmarks of the NumPy EBN (not tests): 51-trial training, scaling in N, batch mode.

    .venv/bin/python benchmarks/bench_network.py [--repeats 3] [--json FILE]

Prints a table of wall times; the numbers in docs/network.md come from here.
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import numpy as np

from ebn_circuit.network import compiled
from ebn_circuit.network.batch import run_batch
from ebn_circuit.network.inputs import command_signal
from ebn_circuit.network.params import NetworkParams, initial_codes, make_decoder, optimal_weights, to_codes
from ebn_circuit.network.simulate import run_trial
from ebn_circuit.network.substrate import Substrate
from ebn_circuit.network.training import train


def best_of(fn, repeats: int) -> tuple[float, float]:
    """(wall, CPU) seconds of the fastest run; on a shared machine the process CPU time is
    the better guide to the unloaded wall time."""
    times = []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        times.append((time.perf_counter() - t0, time.process_time() - c0))
    return min(times)


def bench_training(repeats: int, engine: str, seed: int = 0) -> dict:
    """Full §5.2 training, N = 20, 51 trials × 10 000 steps, inputs and noise included."""
    p = NetworkParams()
    rng = np.random.default_rng(seed)
    decoder, codes0 = make_decoder(p, rng), initial_codes(p, rng)
    run = lambda: train(p, decoder, codes0, np.random.default_rng(seed), 51, engine=engine)  # noqa: E731
    run()  # warm-up (numba compiles on first use)
    t, cpu = best_of(run, repeats)
    return {"engine": engine, "n_neurons": 20, "trials": 51, "steps": 510_000, "seconds": t, "cpu_seconds": cpu}


def bench_scaling(sizes, repeats: int, seed: int = 0) -> list[dict]:
    """Seconds of wall time per simulated second (10 000 steps), optimal weights, with and
    without learning."""
    rows = []
    for n in sizes:
        p = NetworkParams(n_neurons=n)
        rng = np.random.default_rng(seed)
        decoder = make_decoder(p, rng)
        codes = to_codes(optimal_weights(decoder, p), p)
        command = command_signal(p, rng)
        fixed, fixed_cpu = best_of(lambda: run_trial(p, decoder, codes, command, rng=np.random.default_rng(1),
                                                     engine="numpy"), repeats)
        res = run_trial(p, decoder, codes, command, rng=np.random.default_rng(1))
        learn, learn_cpu = best_of(lambda: run_trial(p, decoder, codes, command, rng=np.random.default_rng(1),
                                                     learn=True, engine="numpy"), repeats)
        rows.append({"n_neurons": n, "spikes": res.n_spikes, "s_per_sim_s": fixed, "cpu_s_per_sim_s": fixed_cpu,
                     "s_per_sim_s_learning": learn, "cpu_s_per_sim_s_learning": learn_cpu})
    return rows


def bench_batch(n_instances: int, repeats: int, seed: int = 0) -> dict:
    """One learning trial on n_instances mismatched chips: batch axis vs a loop of run_trial."""
    p = NetworkParams()
    rng = np.random.default_rng(seed)
    decoder, codes0 = make_decoder(p, rng), initial_codes(p, rng)
    chips = [Substrate.synthetic(p, rng) for _ in range(n_instances)]
    command = command_signal(p, rng)
    codes = np.repeat(codes0[None], n_instances, 0)
    batch, _ = best_of(lambda: run_batch(p, decoder, codes, command, substrates=chips,
                                      rngs=[np.random.default_rng(i) for i in range(n_instances)], learn=True), repeats)
    loop, _ = best_of(lambda: [run_trial(p, decoder, codes0, command, substrate=c, rng=np.random.default_rng(i),
                                         learn=True, engine="numpy") for i, c in enumerate(chips)], repeats)
    return {"instances": n_instances, "batch_s": batch, "loop_event_driven_s": loop}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--sizes", type=int, nargs="+", default=[20, 100, 500, 2000])
    ap.add_argument("--json", default=None, help="also write the results here")
    args = ap.parse_args()
    out = {"machine": platform.processor() or platform.machine(), "numpy": np.__version__}
    engines = ["numpy"] + (["numba"] if compiled.available() else [])
    out["training"] = [bench_training(args.repeats, e) for e in engines]
    for r in out["training"]:
        print(f"51-trial training, N = 20 (510 000 steps), {r['engine']}: {r['seconds']:.3f} s wall, "
              f"{r['cpu_seconds']:.3f} s CPU")
    out["scaling"] = bench_scaling(args.sizes, args.repeats)
    print("\n| N | spikes / s | wall (CPU) s per simulated s | with learning |")
    print("|---|---|---|---|")
    for r in out["scaling"]:
        print(f"| {r['n_neurons']} | {r['spikes']} | {r['s_per_sim_s']:.4f} ({r['cpu_s_per_sim_s']:.4f}) | "
              f"{r['s_per_sim_s_learning']:.4f} ({r['cpu_s_per_sim_s_learning']:.4f}) |")
    out["batch"] = bench_batch(10, args.repeats)
    b = out["batch"]
    print(f"\nbatch mode, {b['instances']} chips × 1 learning trial: batch axis {b['batch_s']:.3f} s, "
          f"loop of event-driven runs {b['loop_event_driven_s']:.3f} s")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=2)


if __name__ == "__main__":
    main()
