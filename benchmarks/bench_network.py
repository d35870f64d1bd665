"""Benchmarks of the network model (not tests): speed and memory, printed as tables.

    .venv/bin/python benchmarks/bench_network.py [--repeats 3] [--sizes 200 2000 10000] [--json FILE]

1. The §5.2 training (N = 20, 51 trials of 10 000 steps, inputs and noise included) per
   engine; goals (issue 19): ≤ 0.6 s NumPy, ≤ 0.15 s numba.
2. One simulated second with learning (from the optimal weights) at N = 200, 2 000, 10 000 per
   engine, each in a fresh process: seconds per simulated second and the process's peak
   resident memory; goal at N = 10 000: ≤ 10 s and ≤ 2 GB.
3. Batch mode: 10 mismatched chips × 1 learning trial, batch axis against a loop.
Wall times on a shared machine are inflated by other jobs; CPU time is the better guide and
ratios within one run are what to compare.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from ebn_circuit.network import compiled
from ebn_circuit.network.batch import run_batch
from ebn_circuit.network.inputs import command_signal
from ebn_circuit.network.params import NetworkParams, initial_codes, make_decoder, optimal_codes
from ebn_circuit.network.simulate import run_trial
from ebn_circuit.network.substrate import Substrate
from ebn_circuit.network.training import train

sys.path.insert(0, str(Path(__file__).resolve().parent))
from table import print_table  # noqa: E402


def best_of(fn, repeats: int) -> tuple[float, float]:
    """(wall, CPU) seconds of the fastest of `repeats` runs."""
    times = []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        times.append((time.perf_counter() - t0, time.process_time() - c0))
    return min(times)


def engines() -> list[str]:
    return ["numpy"] + (["numba"] if compiled.available() else [])


def bench_training(repeats: int, engine: str, seed: int = 0) -> dict:
    """Full §5.2 training, N = 20, 51 trials × 10 000 steps, inputs and noise included."""
    p = NetworkParams()
    rng = np.random.default_rng(seed)
    decoder, codes0 = make_decoder(p, rng), initial_codes(p, rng)
    run = lambda: train(p, decoder, codes0, np.random.default_rng(seed), 51, engine=engine)  # noqa: E731
    run()  # warm-up (numba compiles or loads its cache on first use)
    wall, cpu = best_of(run, repeats)
    return {"engine": engine, "seconds": wall, "cpu_seconds": cpu}


def one_size(n: int, engine: str, repeats: int, seed: int = 0) -> dict:
    """One simulated second with learning at N = n, in this process (run by --one)."""
    p = NetworkParams(n_neurons=n)
    rng = np.random.default_rng(seed)
    decoder = make_decoder(p, rng)
    codes = optimal_codes(decoder, p)
    command = command_signal(p, rng)
    run_trial(p, decoder, codes, command[:, :200], rng=np.random.default_rng(1), learn=True, engine=engine)  # warm-up
    result = {}
    wall, cpu = best_of(lambda: result.update(res=run_trial(p, decoder, codes, command, rng=np.random.default_rng(1),
                                                            learn=True, engine=engine)), repeats)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"n_neurons": n, "engine": engine, "spikes": result["res"].n_spikes, "s_per_sim_s": wall,
            "cpu_s_per_sim_s": cpu, "peak_rss_mb": peak_mb}


def bench_scaling(sizes, repeats: int) -> list[dict]:
    """one_size in a fresh interpreter per (N, engine), so each peak memory is its own."""
    rows = []
    for n in sizes:
        for engine in engines():
            reps = 1 if n >= 5000 else repeats
            out = subprocess.run([sys.executable, __file__, "--one", str(n), engine, "--repeats", str(reps)],
                                 capture_output=True, text=True, check=True)
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
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
                                         rngs=[np.random.default_rng(i) for i in range(n_instances)], learn=True),
                       repeats)
    loop, _ = best_of(lambda: [run_trial(p, decoder, codes0, command, substrate=c, rng=np.random.default_rng(i),
                                         learn=True, engine="numpy") for i, c in enumerate(chips)], repeats)
    return {"instances": n_instances, "batch_s": batch, "loop_event_driven_s": loop}


def print_training(out: dict, args) -> None:
    out["training"] = [bench_training(args.repeats, e) for e in engines()]
    print("51-trial training, N = 20 (510 000 steps, inputs and noise included); goals 0.6 s numpy, 0.15 s numba")
    print_table(("engine", "wall s", "CPU s", ""),
                [(r["engine"], f"{r['seconds']:.3f}", f"{r['cpu_seconds']:.3f}", "") for r in out["training"]])


def print_scaling(out: dict, args) -> None:
    out["scaling"] = bench_scaling(args.sizes, args.repeats)
    print("\nOne simulated second with learning (from the optimal weights), fresh process per row;"
          " goal at N = 10 000: ≤ 10 s, ≤ 2 GB")
    print_table(("N", "engine", "spikes", "wall s / sim. s", "CPU s / sim. s", "peak RSS MB"),
                [(str(r["n_neurons"]), r["engine"], str(r["spikes"]), f"{r['s_per_sim_s']:.3f}",
                  f"{r['cpu_s_per_sim_s']:.3f}", f"{r['peak_rss_mb']:.0f}") for r in out["scaling"]])


def print_batch(out: dict, args) -> None:
    out["batch"] = bench_batch(10, args.repeats)
    b = out["batch"]
    print(f"\nbatch mode, {b['instances']} chips × 1 learning trial: batch axis {b['batch_s']:.3f} s, "
          f"loop of event-driven runs {b['loop_event_driven_s']:.3f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--sizes", type=int, nargs="+", default=[200, 2000, 10_000])
    ap.add_argument("--parts", nargs="+", default=["training", "scaling", "batch"],
                    choices=["training", "scaling", "batch"], help="which tables (default all)")
    ap.add_argument("--json", default=None, help="also write the results here")
    ap.add_argument("--one", nargs=2, metavar=("N", "ENGINE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one_size(int(args.one[0]), args.one[1], args.repeats)))
        return
    out = {"machine": platform.processor() or platform.machine(), "numpy": np.__version__}
    if "training" in args.parts:
        print_training(out, args)
    if "scaling" in args.parts:
        print_scaling(out, args)
    if "batch" in args.parts:
        print_batch(out, args)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
