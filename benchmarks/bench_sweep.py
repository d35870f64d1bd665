"""Sweep executors: speed-up with 2 workers vs 1 and per-task overhead, process pool and Dask.

    .venv/bin/python benchmarks/bench_sweep.py            # 40 RC-ladder transients of ~1–2 s
    .venv/bin/python benchmarks/bench_sweep.py --runs 8 --stop 20e-6   # a quick look

Each configuration gets a warm executor (pool or LocalCluster started, one libngspice child
per worker already loaded), then times one sweep of ``--runs`` points (cache off). Goal:
speed-up ≥ 1.8× with 2 workers for both executors (on an otherwise idle 2-core machine).

Overhead per task: (wall × workers − Σ ngspice time) / runs, on the long transients and on
``--runs`` trivial transients (a few µs of ngspice each), where it is nearly all overhead.
Busy: Σ ngspice time / (wall × workers), the share of the time the workers spent simulating.
On a machine shared with other jobs the speed-up is capped by the CPU actually available
(the "sim s/run" column grows with 2 workers); busy near 100 % says the executor kept its
workers fed and the shortfall is the machine's, not the executor's.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from ebn_circuit.sweep import DaskExecutor, ProcessExecutor, SweepSpec, load_results, run_sweep

BUILDER = "ebn_circuit.sweep.examples:rc_ladder_testbench"
MEASURE = "ebn_circuit.sweep.examples:rc_ladder_metrics"
GOAL = 1.8


def spec(out: Path, runs: int, stop: float, sections: int = 20) -> SweepSpec:
    # runs ladders differing slightly in r: distinct points, the same work each
    return SweepSpec(name=out.name, builder=BUILDER, measure=MEASURE,
                     grid={"r": [1e3 * (1 + k * 1e-3) for k in range(runs)]},
                     params={"sections": sections, "stop": stop, "max_step": 1e-9}, out=out, timeout=600)


def timed(executor, sweep_spec: SweepSpec) -> tuple[float, float, object]:
    start = time.perf_counter()
    summary = run_sweep(sweep_spec, executor=executor, progress=False)
    wall = time.perf_counter() - start
    if summary.failed:
        raise SystemExit(f"{summary.failed} point(s) failed: {summary.failures}")
    rows = load_results(sweep_spec)
    return wall, float(rows.wall_time.sum()), rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--stop", type=float, default=150e-6, help="transient length in s (sets ~1–2 s per run)")
    parser.add_argument("--executors", default="process,dask")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench_sweep_"))
    print(f"{args.runs} RC-ladder transients (20 sections, stop {args.stop:g} s, max step 1 ns), "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    header = (f"{'executor':<9}{'workers':>8}{'runs':>6}{'wall s':>9}{'sim s/run':>11}{'speed-up':>10}"
              f"{'busy':>7}{'overhead ms/task':>18}{'trivial ms/task':>17}")
    print(header)
    print("-" * len(header))
    reference_rows = None
    verdicts = []
    for kind in args.executors.split(","):
        single = None
        for workers in (1, 2):
            make = (lambda: ProcessExecutor(workers)) if kind == "process" else (lambda: DaskExecutor(workers=workers))
            with make() as executor:
                tag = f"{kind}{workers}"
                timed(executor, spec(root / f"warm_{tag}", workers, 1e-8, sections=1))  # start the workers
                trivial_wall, trivial_sim, _ = timed(executor, spec(root / f"trivial_{tag}", args.runs, 1e-8, 1))
                wall, sim, rows = timed(executor, spec(root / f"long_{tag}", args.runs, args.stop))
            single = single or wall
            overhead = (wall * workers - sim) / args.runs
            trivial = (trivial_wall * workers - trivial_sim) / args.runs
            print(f"{kind:<9}{workers:>8}{args.runs:>6}{wall:>9.1f}{sim / args.runs:>11.2f}{single / wall:>9.2f}×"
                  f"{sim / (wall * workers):>7.0%}{overhead * 1e3:>18.0f}{trivial * 1e3:>17.1f}", flush=True)
            if workers == 2:
                verdicts.append(f"{kind}: {single / wall:.2f}× ({'meets' if single / wall >= GOAL else 'below'} "
                                f"the {GOAL}× goal)")
            measured = rows.drop(columns=["wall_time", "worker"]).reset_index(drop=True)
            if reference_rows is None:
                reference_rows = measured
            elif not measured.equals(reference_rows):
                raise SystemExit(f"{kind} with {workers} workers gave different rows")
    print("speed-up, 2 workers vs 1: " + "; ".join(verdicts))
    print("rows identical across every executor and worker count: yes")
    print(f"load average at the end {os.getloadavg()[0]:.1f} (other jobs on the machine slow ngspice down)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
