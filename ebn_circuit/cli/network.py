"""`ebn-circuit network …`: train the EBN (§5.2), the mismatch study, the g sweep."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path

import numpy as np

from ebn_circuit.errors import ConfigError


def register(subparsers) -> None:
    group = subparsers.add_parser("network", help="network-level EBN model (NumPy) with the discrete learning rule")
    sub = group.add_subparsers(dest="network_command", metavar="SUBCOMMAND")

    def common(p, trials: int):
        p.add_argument("--seed", type=int, default=0, help="random seed (decoder, weights, inputs, noise)")
        p.add_argument("--trials", type=int, default=trials, help="training trials of 1 s (default %(default)s)")
        p.add_argument("--g", type=float, default=None, help="comparison gain g of the rule (default 2.5; 1 = literal)")
        p.add_argument("--out", type=Path, default=Path("results/network"), help="output directory")
        p.add_argument("--quiet", action="store_true", help="no progress bar (the summary still prints)")
        p.add_argument("--engine", default="auto", help="numpy | numba | auto (numba if installed)")

    train = sub.add_parser("train", help="train on the §5.2 protocol; figures, metrics JSON, learned weights")
    common(train, 51)
    train.add_argument("--mode", default="ideal", help="ideal | circuit (one synthetic or table-derived chip)")
    train.add_argument("--initial-weights", type=Path, default=None, help="N×N weights (.npy or CSV, weight units)")
    train.add_argument("--dac-table", type=Path, default=None, help="circuit mode: DAC curves (instance, code, current)")
    train.add_argument("--mismatch-scale", type=float, default=1.0, help="circuit mode: synthetic spread multiplier")
    train.set_defaults(func=_train)

    study = sub.add_parser("study", help="mismatch study: (a) optimal deployed, (b) learned on chip, (c) ideal")
    common(study, 51)
    study.add_argument("--instances", type=int, default=10, help="chip instances per mismatch level")
    study.add_argument("--mismatch-scale", type=float, nargs="+", default=[1.0, 2.0, 3.0])
    study.add_argument("--dac-table", type=Path, default=None, help="DAC curves (instance, code, current)")
    study.set_defaults(func=_study)

    sweep = sub.add_parser("sweep-g", help="5-seed §5.2 reproduction for several comparison gains g")
    common(sweep, 51)
    sweep.add_argument("--gains", type=float, nargs="+", default=[1.0, 1.5, 2.0, 2.5, 3.0, 4.0])
    sweep.add_argument("--seeds", type=int, default=5, help="seeds per g: seed … seed+SEEDS-1")
    sweep.set_defaults(func=_sweep)
    group.set_defaults(func=lambda args: (group.print_help(), 1)[1])


def _params(args):
    from ebn_circuit.network.params import NetworkParams

    return NetworkParams() if args.g is None else NetworkParams(gain_g=args.g)


def _out_dir(path: Path) -> Path:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create output directory {path}: {exc}") from exc
    return path


def _bar(total: int, quiet: bool, desc: str):
    from tqdm import tqdm

    return tqdm(total=total, disable=quiet, desc=desc, unit="trial")


def _check_trials(args) -> None:
    if args.trials < 0:
        raise ConfigError(f"--trials must be >= 0, got {args.trials}")


def _train(args: argparse.Namespace) -> int:
    from ebn_circuit.network import figures
    from ebn_circuit.network.circuit_mode import MODES, read_dac_table, substrate_for_mode
    from ebn_circuit.network.io import read_weights, write_json, write_weights
    from ebn_circuit.network.mismatch import SyntheticMismatch
    from ebn_circuit.network.training import reproduce_figure1

    if args.mode not in MODES:
        raise ConfigError(f"--mode {args.mode!r} is unknown; choose one of {', '.join(MODES)}")
    _check_trials(args)
    params = _params(args)
    initial = read_weights(args.initial_weights, params) if args.initial_weights else None
    table = read_dac_table(args.dac_table) if args.dac_table else None
    mismatch = SyntheticMismatch().scaled(args.mismatch_scale)
    chip_rng = np.random.default_rng([args.seed, 1])  # chip drawn apart from the network's seed stream
    substrate = substrate_for_mode(args.mode, params, chip_rng, mismatch=mismatch, dac_table=table)
    out = _out_dir(args.out)
    with _bar(args.trials, args.quiet, "training") as bar:
        run = reproduce_figure1(args.seed, params, args.trials, initial=initial,
                                substrate=None if args.mode == "ideal" else substrate, progress=bar.update,
                                engine=args.engine)
    figures.figure1(run, out / "figure1.png")
    figures.learning_curve(run.history, out / "learning_curve.png")
    write_weights(out / "learned_weights.npy", run.codes["learned"], params)
    write_weights(out / "learned_weights.csv", run.codes["learned"], params)
    write_json(out / "metrics.json", {
        "seed": args.seed, "mode": args.mode, "trials": args.trials,
        "mismatch_scale": args.mismatch_scale if args.mode == "circuit" else None,
        "params": asdict(params), "metrics": run.metrics,
        "history": {"n_spikes": run.history.n_spikes, "error": run.history.error,
                    "script_distance": run.history.script_distance,
                    "relative_frobenius": run.history.relative_frobenius},
    })
    m = run.metrics
    # the summary always prints; --quiet only drops the progress bar
    print(f"learned/optimal off-diagonal correlation {m['learned']['offdiag_correlation']:.3f}; "
          f"error initial/learned/optimal {m['initial']['reconstruction_error']:.3f}/"
          f"{m['learned']['reconstruction_error']:.3f}/{m['optimal']['reconstruction_error']:.3f}; "
          f"spikes {m['initial']['n_spikes']}/{m['learned']['n_spikes']}/{m['optimal']['n_spikes']}")
    print(f"wrote {out}/figure1.png, learning_curve.png, metrics.json, learned_weights.npy/.csv")
    return 0


def _study(args: argparse.Namespace) -> int:
    import pandas as pd

    from ebn_circuit.network import figures
    from ebn_circuit.network.circuit_mode import circuit_substrates, read_dac_table
    from ebn_circuit.network.io import write_json
    from ebn_circuit.network.mismatch import SyntheticMismatch
    from ebn_circuit.network.study import mismatch_study, summarise_study

    _check_trials(args)
    if args.instances < 1:
        raise ConfigError(f"--instances must be >= 1, got {args.instances}")
    params = _params(args)
    table = read_dac_table(args.dac_table) if args.dac_table else None
    scales = [SyntheticMismatch().scaled(s) for s in args.mismatch_scale]  # validates before running
    out = _out_dir(args.out)
    tables, summary = [], {}
    with _bar(args.trials * len(scales), args.quiet, "training chips") as bar:
        for s, mismatch in zip(args.mismatch_scale, scales):
            subs = circuit_substrates(params, args.instances, np.random.default_rng([args.seed, 2]),
                                      mismatch=mismatch, dac_table=table)
            t = mismatch_study(params, subs, args.seed, args.trials, progress=bar.update)
            tables.append(t.assign(mismatch_scale=s))
            summary[f"mismatch_x{s:g}"] = summarise_study(t)
    full = pd.concat(tables, ignore_index=True)
    full.to_csv(out / "mismatch_study.csv", index=False)
    figures.mismatch_figure(full, out / "mismatch_study.png")
    write_json(out / "mismatch_study.json", {"seed": args.seed, "trials": args.trials,
                                             "instances": args.instances, "summary": summary})
    for key, s in summary.items():
        print(f"{key}: error (a) {s['a_optimal_deployed']['reconstruction_error']:.3f} "
              f"(b) {s['b_learned_on_chip']['reconstruction_error']:.3f} "
              f"(c) {s['c_ideal_optimal']['reconstruction_error']:.3f}; b/c {s['ratio_b_over_c']:.2f}, "
              f"a/c {s['ratio_a_over_c']:.2f}")
    print(f"wrote {out}/mismatch_study.csv, .json, .png")
    return 0


def _sweep(args: argparse.Namespace) -> int:
    from ebn_circuit.network import figures
    from ebn_circuit.network.io import write_json
    from ebn_circuit.network.study import g_sweep

    _check_trials(args)
    if args.seeds < 1:
        raise ConfigError(f"--seeds must be >= 1, got {args.seeds}")
    out = _out_dir(args.out)
    seeds = list(range(args.seed, args.seed + args.seeds))
    with _bar(len(args.gains) * len(seeds), args.quiet, "g sweep") as bar:
        table = g_sweep(args.gains, seeds, _params(args), args.trials, progress=bar.update, engine=args.engine)
    table.to_csv(out / "g_sweep.csv", index=False)
    figures.g_sweep_figure(table, out / "g_sweep.png")
    ratios = table.assign(error_ratio=table.error_learned / table.error_optimal,
                          spike_ratio=table.spikes_learned / table.spikes_optimal)
    med = ratios.groupby("g").median(numeric_only=True).drop(columns="seed")  # medians over seeds
    write_json(out / "g_sweep.json", {"seeds": seeds, "trials": args.trials,
                                      "median_per_g": med.reset_index().to_dict(orient="records")})
    print(med.round(3).to_string())
    print(f"wrote {out}/g_sweep.csv, .json, .png")
    return 0
