"""`ebn-circuit network …`: parse, call experiments/network_study.py, print."""

from __future__ import annotations

import argparse
from pathlib import Path

from ebn_circuit.errors import ConfigError


def register(subparsers) -> None:
    group = subparsers.add_parser("network", help="network-level EBN model (NumPy) with the discrete learning rule")
    sub = group.add_subparsers(dest="network_command", metavar="SUBCOMMAND")

    def common(p, trials: int = 51):
        p.add_argument("--trials", type=int, default=trials, help="training trials of 1 s (default %(default)s)")
        p.add_argument("--g", type=float, default=None, help="comparison gain g of the rule (default 2.5; 1 = literal)")
        p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                       help="any NetworkParams field, e.g. --set tau_syn_fast=0 --set rule_sample=settled")
        p.add_argument("--out", type=Path, default=Path("results/network"), help="output directory")
        p.add_argument("--quiet", action="store_true", help="no progress bar (the summary still prints)")
        p.add_argument("--engine", default="auto", help="numpy | numba | auto (numba if installed)")

    def seeds(p, default: str):
        p.add_argument("--seeds", nargs="+", default=[default], metavar="S",
                       help="seeds: a list and/or ranges like 0-9 (default %(default)s)")

    train = sub.add_parser("train", help="the §5.2 protocol on one seed: figures, metrics JSON, learned weights")
    common(train)
    train.add_argument("--seed", type=int, default=0, help="random seed (decoder, weights, inputs, noise)")
    train.add_argument("--mode", default="ideal", help="ideal | circuit (one synthetic or table-derived chip)")
    train.add_argument("--initial-weights", type=Path, default=None, help="N×N weights (.npy or CSV, weight units)")
    train.add_argument("--dac-table", type=Path, default=None, help="circuit mode: DAC curves (instance, code, current)")
    train.add_argument("--mismatch-scale", type=float, default=1.0, help="circuit mode: spread multiplier")
    chip_options(train)
    train.set_defaults(func=_train)

    repro = sub.add_parser("reproduce", help="Figure-1 numbers on several seeds: per seed, median and range, goals")
    common(repro)
    seeds(repro, "0-9")
    repro.set_defaults(func=_reproduce)

    sweep = sub.add_parser("sweep", help="Figure-1 numbers over seeds for each value of one NetworkParams field")
    common(sweep)
    seeds(sweep, "0-9")
    sweep.add_argument("--param", required=True, help="a NetworkParams field, e.g. gain_g, tau_syn_fast, margin")
    sweep.add_argument("--values", nargs="+", required=True, help="values of the field")
    sweep.set_defaults(func=_sweep)

    sweep_g = sub.add_parser("sweep-g", help="sweep --param gain_g")
    common(sweep_g)
    seeds(sweep_g, "0-9")
    sweep_g.add_argument("--gains", nargs="+", default=["1", "1.5", "2", "2.5", "3", "4"])
    sweep_g.set_defaults(func=_sweep, param="gain_g")

    study = sub.add_parser("study", help="mismatch study: (a) optimal deployed, (b) learned on chip, (c) ideal")
    common(study)
    seeds(study, "0")
    study.add_argument("--instances", type=int, default=10, help="chip instances per seed and mismatch level")
    study.add_argument("--mismatch-scale", type=float, nargs="+", default=[0.5, 1.0, 2.0],
                       help="spread multipliers (default 0.5 1 2)")
    study.add_argument("--dac-table", type=Path, default=None, help="DAC curves (instance, code, current), with "
                                                                      "synthetic neuron and learning-block spreads")
    chip_options(study)
    study.add_argument("--keep-learning", action="store_true",
                       help="case (b) goes on learning during the test trial (as a chip does); default frozen")
    study.set_defaults(func=_study)
    group.set_defaults(func=lambda args: (group.print_help(), 1)[1])


def chip_options(p) -> None:
    p.add_argument("--chip", type=Path, default=None, metavar="DIR",
                   help="circuit mode: an extracted chip (ebn-circuit chip build; default chips/sky130_tt)")
    p.add_argument("--synthetic", action="store_true",
                   help="circuit mode: the synthetic mismatch generator instead of an extracted chip")


def parse_seeds(tokens: list[str]) -> list[int]:
    """'0-9' → 0…9; '3' → 3; several tokens concatenate."""
    out: list[int] = []
    for token in tokens:
        try:
            if "-" in token.strip("-"):
                lo, hi = token.split("-", 1) if not token.startswith("-") else (token, token)
                out.extend(range(int(lo), int(hi) + 1))
            else:
                out.append(int(token))
        except ValueError:
            raise ConfigError(f"--seeds: {token!r} is neither an integer nor a range like 0-9") from None
    if not out:
        raise ConfigError("--seeds: no seeds given")
    return out


def _params(args):
    from ebn_circuit.network.params import NetworkParams, parse_field

    changes = {} if args.g is None else {"gain_g": args.g}
    for item in args.set:
        if "=" not in item:
            raise ConfigError(f"--set expects FIELD=VALUE, got {item!r}")
        name, text = item.split("=", 1)
        changes[name.strip()] = parse_field(name.strip(), text)
    return NetworkParams().with_(**changes)


def _bar(total: int, quiet: bool, desc: str, unit: str = "trial"):
    from tqdm import tqdm

    return tqdm(total=total, disable=quiet, desc=desc, unit=unit)


def _train(args: argparse.Namespace) -> int:
    from ebn_circuit.experiments import network_study

    params = _params(args)
    with _bar(max(args.trials, 0), args.quiet, "training") as bar:
        run = network_study.train(args.out, seed=args.seed, params=params, trials=args.trials, mode=args.mode,
                                  initial_weights=args.initial_weights, dac_table=args.dac_table,
                                  mismatch_scale=args.mismatch_scale, engine=args.engine, progress=bar.update,
                                  chip_dir=args.chip, synthetic=args.synthetic)
    # the summary always prints; --quiet only drops the progress bar
    print(network_study.describe_run(run))
    print(f"wrote {args.out}/figure1.png, learning_curve.png, metrics.json, learned_weights.npy/.csv")
    return 0


def _reproduce(args: argparse.Namespace) -> int:
    from ebn_circuit.experiments import network_study

    params, seeds = _params(args), parse_seeds(args.seeds)
    with _bar(len(seeds), args.quiet, "seeds", "seed") as bar:
        _, summary, goals = network_study.reproduce(args.out, seeds, params=params, trials=args.trials,
                                                    engine=args.engine, progress=bar.update)
    print(summary.round(4).to_string())
    for name, g in goals.items():
        print(f"goal {name} {g['goal']}: median {g['median']:.3f} → {'met' if g['met'] else 'NOT met'}")
    print(f"wrote {args.out}/figure1_seeds.csv, figure1_summary.csv, figure1_seeds.json, figure1_seeds.png")
    return 0


def _sweep(args: argparse.Namespace) -> int:
    from ebn_circuit.experiments import network_study
    from ebn_circuit.network.params import parse_field

    texts = args.gains if args.param == "gain_g" and hasattr(args, "gains") else args.values
    values = [parse_field(args.param, v) for v in texts]
    params, seeds = _params(args), parse_seeds(args.seeds)
    with _bar(len(values) * len(seeds), args.quiet, f"sweep {args.param}", "run") as bar:
        medians = network_study.sweep(args.out, args.param, values, seeds, params=params, trials=args.trials,
                                      engine=args.engine, progress=bar.update)
    print(medians.round(3).to_string())
    print(f"wrote {args.out}/sweep_{args.param}.csv, .json, .png")
    return 0


def _study(args: argparse.Namespace) -> int:
    from ebn_circuit.experiments import network_study

    params, seeds = _params(args), parse_seeds(args.seeds)
    total = args.trials * len(args.mismatch_scale) * len(seeds)
    with _bar(total, args.quiet, "training chips") as bar:
        summary = network_study.mismatch(args.out, seeds, instances=args.instances, scales=args.mismatch_scale,
                                         params=params, trials=args.trials, dac_table=args.dac_table,
                                         keep_learning=args.keep_learning, progress=bar.update, chip_dir=args.chip,
                                         synthetic=args.synthetic)
    for line in network_study.describe_mismatch(summary):
        print(line)
    print(f"wrote {args.out}/mismatch_study.csv, .json, .png")
    return 0
