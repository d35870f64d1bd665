"""`ebn-circuit run` (the main job), `ebn-circuit netlists`, `ebn-circuit simulate FILE`."""

from __future__ import annotations

from pathlib import Path

from ebn_circuit.cli.common import (add_executor_options, add_simulator_options, executor_of, make_simulator,
                                    settings_of, technology_of)
from ebn_circuit.experiments.main_job import run_main_job
from ebn_circuit.experiments.netlists import write_catalogue
from ebn_circuit.spice.files import load_netlist
from ebn_circuit.technology import get_technology


def register(sub) -> None:
    run = sub.add_parser("run", help="the main job: netlists → ngspice → figures and report")
    run.add_argument("--out", type=Path, default=Path("results"), help="results folder (default results/)")
    run.add_argument("--netlists", type=Path, default=Path("netlists"), help="where netlists are written")
    run.add_argument("--quick", action="store_true", help="shorten every stage (a smoke test of the pipeline)")
    run.add_argument("--reference", type=Path, default=None,
                     help="the original IC's CSV run (default ../shared/reference/cadence-sim1 when present)")
    add_simulator_options(run)
    add_executor_options(run)
    run.set_defaults(func=_run)

    netlists = sub.add_parser("netlists", help="write the generated netlists (portable, runnable)")
    netlists.add_argument("--out", type=Path, default=Path("netlists"))
    netlists.add_argument("--technology", default="sky130")
    netlists.set_defaults(func=_netlists)

    simulate = sub.add_parser("simulate", help="run a netlist file and write its vectors as CSV")
    simulate.add_argument("netlist", type=Path)
    simulate.add_argument("--csv", type=Path, help="write the vectors here (default: print a summary)")
    simulate.add_argument("--allow-commands", action="store_true",
                          help="allow .control commands that run external programs (trusted files only)")
    add_simulator_options(simulate)
    simulate.set_defaults(func=_simulate)


def _run(args) -> int:
    tech, settings = technology_of(args), settings_of(args)
    kwargs = {"reference": args.reference} if args.reference is not None else {}
    with executor_of(args) as executor:
        report = run_main_job(tech, settings, args.out, args.netlists, quick=args.quick, executor=executor,
                              resume=args.resume, **kwargs)
    print(f"report: {report}")
    return 0


def _netlists(args) -> int:
    for path in write_catalogue(args.out, get_technology(args.technology)):
        print(path)
    return 0


def _simulate(args) -> int:
    testbench = load_netlist(args.netlist, technology=technology_of(args), allow_commands=args.allow_commands)
    with make_simulator(args) as simulator:
        result = simulator.run(testbench)
    frame = result.to_dataframe()
    if args.csv:
        args.csv.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(args.csv, index=False)
        print(f"{result.kind}: {len(frame)} points × {len(frame.columns)} vectors → {args.csv}")
    else:
        print(f"{result.kind}: {len(frame)} points; vectors: {', '.join(result.names)}")
        print(f"ngspice wall time {result.meta.wall_time:.3f} s{' (cached)' if result.meta.cached else ''}")
    return 0
