"""`ebn-circuit cosim …`: transistor-level neurons inside the running network (docs/cosim.md)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ebn_circuit.cli.common import settings_of, technology_of
from ebn_circuit.cli.parsers import Out, command_parser, group_parser
from ebn_circuit.errors import ConfigError


def register(sub) -> None:
    _, which = group_parser(sub, "cosim", "co-simulation: transistor-level neurons in the NumPy network",
                            metavar="SUBCOMMAND",
                            examples=["ebn-circuit cosim fig1 --trials 4 --out results/cosim",
                                      "ebn-circuit cosim exactness"])
    fig1 = command_parser(
        which, "fig1", "the §5.2 protocol with hybrid neurons, against the pure model",
        examples=["ebn-circuit cosim fig1", "ebn-circuit cosim fig1 --neurons 2 --trials 8 --mismatch 3"],
        description="Train the network with its first k neurons run as sky130 transistor-level circuits in "
                    "ngspice, in lock step at the network's 0.1 ms step, beside the pure NumPy network on the "
                    "same inputs; resumable per trial (docs/cosim.md).",
        out=Out("output folder", Path("results/cosim")), simulator=True,
        simulator_note="calibration runs of the hybrid circuit; the lock-stepped runs use libngspice directly")
    fig1.add_argument("--neurons", type=int, default=1, metavar="K",
                      help="hybrid neurons: network indices 0 … k-1 (default 1)")
    fig1.add_argument("--trials", type=int, default=4, metavar="N", help="training trials (default %(default)s)")
    fig1.add_argument("--steps", type=int, default=1000, metavar="N",
                      help="network steps of 0.1 ms per trial (default %(default)s)")
    fig1.add_argument("--mismatch", type=int, default=None, metavar="SEED",
                      help="sky130 Monte-Carlo instance of the hybrid circuit (default: nominal devices)")
    fig1.add_argument("--seed", type=int, default=0, help="network seed: decoder, initial weights, inputs (default 0)")
    fig1.add_argument("--corner", default="tt", help="process corner of the hybrid circuit (default tt)")
    fig1.add_argument("--g", type=float, default=2.5, help="comparison gain g of the rule (default 2.5)")
    fig1.add_argument("--no-resume", action="store_true", help="start over even if OUT holds this run")
    fig1.set_defaults(func=_fig1)

    exact = command_parser(
        which, "exactness", "the loop with exact stand-ins against the pure model (seconds)",
        examples=["ebn-circuit cosim exactness", "ebn-circuit cosim exactness --steps 3000 --seed 1"])
    exact.add_argument("--steps", type=int, default=2000, metavar="N", help="network steps (default 2000)")
    exact.add_argument("--seed", type=int, default=0, help="network seed (default 0)")
    exact.set_defaults(func=_exactness)


def _fig1(args: argparse.Namespace) -> int:
    from ebn_circuit.cosim.training import HybridRun
    from ebn_circuit.experiments.cosim_study import run_cosim_study

    if not 1 <= args.neurons <= 20:
        raise ConfigError(f"--neurons must be in 1…20, got {args.neurons}")
    run = HybridRun(seed=args.seed, trials=args.trials, steps=args.steps, hybrid=tuple(range(args.neurons)),
                    mismatch_seed=args.mismatch, corner=args.corner, gain_g=args.g)
    tech = technology_of(args).with_corner(args.corner)
    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create output folder {args.out}: {exc}") from exc
    with settings_of(args).simulator() as simulator:
        history = run_cosim_study(args.out, run, simulator, tech, resume=not args.no_resume)
    last = history.rows[-1]
    print(f"hybrid vs pure row correlation {last['hybrid_vs_pure_row_corr'][0]:.3f}; row vs optimal: hybrid "
          f"{last['hybrid_row_corr'][0]:.3f}, pure {last['pure_row_corr'][0]:.3f}")
    print(f"wrote {args.out}/cosim.md, state.json, figures")
    return 0


def _exactness(args: argparse.Namespace) -> int:
    from ebn_circuit.cosim.exactness import check_exactness

    for line in check_exactness(args.steps, args.seed):
        print(line)
    return 0
