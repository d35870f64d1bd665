"""`ebn-circuit cosim …`: transistor-level neurons inside the running network (docs/cosim.md)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ebn_circuit.errors import ConfigError


def register(subparsers) -> None:
    group = subparsers.add_parser("cosim", help="co-simulation: transistor-level neurons in the NumPy network")
    sub = group.add_subparsers(dest="cosim_command", metavar="SUBCOMMAND")

    fig1 = sub.add_parser("fig1", help="the §5.2 protocol with hybrid neurons, against the pure model")
    fig1.add_argument("--neurons", type=int, default=1, help="hybrid neurons: network indices 0 … k-1 (default 1)")
    fig1.add_argument("--trials", type=int, default=4, help="training trials (default %(default)s)")
    fig1.add_argument("--steps", type=int, default=1000, help="network steps of 0.1 ms per trial (default %(default)s)")
    fig1.add_argument("--mismatch", type=int, default=None, metavar="SEED",
                      help="sky130 Monte-Carlo instance of the hybrid circuit (default: nominal devices)")
    fig1.add_argument("--seed", type=int, default=0, help="network seed: decoder, initial weights, inputs")
    fig1.add_argument("--corner", default="tt", help="process corner of the hybrid circuit")
    fig1.add_argument("--g", type=float, default=2.5, help="comparison gain g of the rule")
    fig1.add_argument("--technology", default="sky130", help="built-in name or a technology .toml file")
    fig1.add_argument("--out", type=Path, default=Path("results/cosim"), help="output folder")
    fig1.add_argument("--no-resume", action="store_true", help="start over even if OUT holds this run")
    fig1.set_defaults(func=_fig1)

    exact = sub.add_parser("exactness", help="the loop with exact stand-ins against the pure model (seconds)")
    exact.add_argument("--steps", type=int, default=2000)
    exact.add_argument("--seed", type=int, default=0)
    exact.set_defaults(func=_exactness)
    group.set_defaults(func=lambda args: (group.print_help(), 1)[1])


def _fig1(args: argparse.Namespace) -> int:
    from ebn_circuit.cosim.training import HybridRun
    from ebn_circuit.experiments.cosim_study import run_cosim_study
    from ebn_circuit.spice.simulator import Simulator
    from ebn_circuit.technology import get_technology

    if not 1 <= args.neurons <= 20:
        raise ConfigError(f"--neurons must be in 1…20, got {args.neurons}")
    run = HybridRun(seed=args.seed, trials=args.trials, steps=args.steps, hybrid=tuple(range(args.neurons)),
                    mismatch_seed=args.mismatch, corner=args.corner, gain_g=args.g)
    tech = get_technology(args.technology, corner=args.corner)
    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create output folder {args.out}: {exc}") from exc
    with Simulator() as simulator:
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
