"""`ebn-circuit network …`: parse, call experiments/network_study.py, print."""

from __future__ import annotations

import argparse
from pathlib import Path

from ebn_circuit.cli.common import show_progress
from ebn_circuit.cli.parsers import Out, command_parser, group_parser
from ebn_circuit.errors import ConfigError
from ebn_circuit.network.substrate import MISMATCH_BLOCKS

QUIET_HELP = "no progress bar (the summary still prints)"


def register(subparsers) -> None:
    _, sub = group_parser(subparsers, "network", "network-level EBN model (NumPy) with the discrete learning rule",
                          metavar="SUBCOMMAND",
                          examples=["ebn-circuit network train --trials 51 --out results/network",
                                    "ebn-circuit network reproduce --seeds 0-9"])

    def command(name: str, help: str, examples: list[str], trials: int = 51):
        p = command_parser(sub, name, help, examples, out=Out("output folder", Path("results/network")),
                           quiet_help=QUIET_HELP)
        p.add_argument("--trials", type=int, default=trials, metavar="N",
                       help="training trials of 1 s (default %(default)s)")
        p.add_argument("--g", type=float, default=None, help="comparison gain g of the rule (default 2.5; 1 = literal)")
        p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                       help="any NetworkParams field, e.g. --set tau_syn_fast=0 --set rule_sample=settled")
        p.add_argument("--engine", default="auto", help="numpy | numba | auto (numba if installed; default auto)")
        return p

    def seeds(p, default: str):
        p.add_argument("--seeds", nargs="+", default=[default], metavar="S",
                       help="seeds: a list and/or ranges like 0-9 (default %(default)s)")

    train = command("train", "the §5.2 protocol on one seed: figures, metrics JSON, learned weights",
                    ["ebn-circuit network train", "ebn-circuit network train --seed 3 --trials 20 --out results/net3",
                     "ebn-circuit network train --mode circuit --synthetic --mismatch-scale 2"])
    train.add_argument("--seed", type=int, default=0, help="random seed (decoder, weights, inputs, noise; default 0)")
    train.add_argument("--mode", default="ideal", help="ideal | circuit (one synthetic or table-derived chip)")
    train.add_argument("--initial-weights", type=Path, default=None, metavar="FILE",
                       help="N×N weights (.npy or CSV, weight units)")
    train.add_argument("--dac-table", type=Path, default=None, metavar="FILE",
                       help="circuit mode: DAC curves (instance, code, current)")
    train.add_argument("--mismatch-scale", type=float, default=1.0, metavar="X",
                       help="circuit mode: spread multiplier (default 1)")
    chip_options(train)
    train.set_defaults(func=_train)

    repro = command("reproduce", "Figure-1 numbers on several seeds: per seed, median and range, goals",
                    ["ebn-circuit network reproduce", "ebn-circuit network reproduce --seeds 0-4 100 --trials 30"])
    seeds(repro, "0-9")
    repro.set_defaults(func=_reproduce)

    sweep = command("sweep", "Figure-1 numbers over seeds for each value of one NetworkParams field",
                    ["ebn-circuit network sweep --param tau_syn_fast --values 0 1e-3 2e-3 --seeds 0-4"])
    seeds(sweep, "0-9")
    sweep.add_argument("--param", required=True, help="a NetworkParams field, e.g. gain_g, tau_syn_fast, margin")
    sweep.add_argument("--values", nargs="+", required=True, help="values of the field")
    sweep.set_defaults(func=_sweep)

    sweep_g = command("sweep-g", "sweep --param gain_g",
                      ["ebn-circuit network sweep-g", "ebn-circuit network sweep-g --gains 1 2 4 --seeds 0-2"])
    seeds(sweep_g, "0-9")
    sweep_g.add_argument("--gains", nargs="+", default=["1", "1.5", "2", "2.5", "3", "4"], metavar="G",
                         help="values of g (default %(default)s)")
    sweep_g.set_defaults(func=_sweep, param="gain_g")

    study = command("study", "mismatch study: (a) optimal deployed, (b) learned on chip, (c) ideal",
                    ["ebn-circuit network study --chip chips/sky130_tt",
                     "ebn-circuit network study --synthetic --instances 5 --mismatch-scale 0.5 1 2",
                     "ebn-circuit network study --chip chips/sky130_tt --mismatch-in neuron --seeds 0-3",
                     "ebn-circuit network study --chip chips/sky130_tt --trim-thresholds --seeds 0-7",
                     "ebn-circuit network study --chip chips/sky130_tt --trim-thresholds --gate-self-synapses"])
    seeds(study, "0")
    study.add_argument("--instances", type=int, default=10, metavar="N",
                       help="chip instances per seed and mismatch level (default 10)")
    study.add_argument("--mismatch-scale", type=float, nargs="+", default=[0.5, 1.0, 2.0], metavar="X",
                       help="spread multipliers (default 0.5 1 2)")
    study.add_argument("--dac-table", type=Path, default=None, metavar="FILE",
                       help="DAC curves (instance, code, current), with synthetic neuron and learning-block spreads")
    chip_options(study)
    study.add_argument("--keep-learning", action="store_true",
                       help="case (b) goes on learning during the test trial (as a chip does); default frozen")
    study.add_argument("--mismatch-in", nargs="+", default=list(MISMATCH_BLOCKS), choices=list(MISMATCH_BLOCKS),
                       metavar="BLOCK", help="the blocks whose mismatch the chips keep, the others nominal: which "
                       "block's mismatch costs what (default: all of %(choices)s)")
    study.add_argument("--trim-thresholds", action="store_true",
                       help="every chip neuron's threshold trimmed to its own gain (one calibration knob per "
                       "neuron): a mismatch the learning rule cannot absorb")
    study.add_argument("--gate-self-synapses", action="store_true",
                       help="no neuron's synapse onto itself is pulsed while its code is 0 (one enable bit per "
                       "neuron): the rule never moves that code, and its pair's offset would act on every spike")
    study.set_defaults(func=_study)


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


def _bar(total: int, args: argparse.Namespace, desc: str, unit: str = "trial"):
    from tqdm import tqdm

    return tqdm(total=total, disable=not show_progress(args), desc=desc, unit=unit)


def _train(args: argparse.Namespace) -> int:
    from ebn_circuit.experiments import network_study

    params = _params(args)
    with _bar(max(args.trials, 0), args, "training") as bar:
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
    with _bar(len(seeds), args, "seeds", "seed") as bar:
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
    with _bar(len(values) * len(seeds), args, f"sweep {args.param}", "run") as bar:
        medians = network_study.sweep(args.out, args.param, values, seeds, params=params, trials=args.trials,
                                      engine=args.engine, progress=bar.update)
    print(medians.round(3).to_string())
    print(f"wrote {args.out}/sweep_{args.param}.csv, .json, .png")
    return 0


def _study(args: argparse.Namespace) -> int:
    from ebn_circuit.experiments import network_study

    params, seeds = _params(args), parse_seeds(args.seeds)
    total = args.trials * len(args.mismatch_scale) * len(seeds)
    with _bar(total, args, "training chips") as bar:
        summary = network_study.mismatch(args.out, seeds, instances=args.instances, scales=args.mismatch_scale,
                                         params=params, trials=args.trials, dac_table=args.dac_table,
                                         keep_learning=args.keep_learning, progress=bar.update, chip_dir=args.chip,
                                         synthetic=args.synthetic, mismatch_in=args.mismatch_in,
                                         trim_thresholds=args.trim_thresholds,
                                         gate_self_synapses=args.gate_self_synapses)
    for line in network_study.describe_mismatch(summary):
        print(line)
    print(f"wrote {args.out}/mismatch_study.csv, .json, .png")
    return 0
