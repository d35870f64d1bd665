"""`ebn-circuit run` (the main job), `ebn-circuit netlists`, `ebn-circuit simulate FILE`."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import sys
import tempfile
import warnings
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ebn_circuit.cli.common import add_executor_options, add_simulator_options, executor_of, settings_of, technology_of
from ebn_circuit.errors import ConfigError, SimulationError
from ebn_circuit.experiments.main_job import run_main_job
from ebn_circuit.experiments.netlists import write_catalogue
from ebn_circuit.spice.files import load_netlist
from ebn_circuit.spice.result import printed_vectors, split_complex
from ebn_circuit.spice.simulator import NgspiceWarning
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

    simulate = sub.add_parser("simulate", help="run a netlist file and write its vectors as CSV or Parquet")
    simulate.add_argument("netlist", type=Path)
    simulate.add_argument("--csv", type=Path, metavar="FILE",
                          help="write the vectors here: Parquet when FILE ends in .parquet, else CSV; the "
                               "deck's .print vectors when it has .print lines; complex AC vectors as "
                               "<name>.real and <name>.imag columns; the ngspice log beside it as .log "
                               "(default: print a summary)")
    simulate.add_argument("--allow-commands", action="store_true",
                          help="allow .control commands that run programs or write files, and run ngspice "
                               "outside the sandbox (trusted files only)")
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


_WARNING_PREFIX = re.compile(r"^warning:\s*", re.IGNORECASE)


def _simulate(args) -> int:
    # Every check that can fail comes before ngspice runs: a simulation is never thrown away.
    tech = technology_of(args)
    testbench = load_netlist(args.netlist, technology=tech, allow_commands=args.allow_commands)
    if args.csv is not None:
        table_format(args.csv)
        check_writable(args.csv, "--csv")
    settings = dataclasses.replace(settings_of(args), allow_commands=args.allow_commands)
    log_path = args.csv.with_suffix(".log") if args.csv else args.netlist.with_suffix(".log")
    with settings.simulator() as simulator, warnings.catch_warnings():
        warnings.simplefilter("ignore", NgspiceWarning)   # printed in full below
        try:
            result = simulator.run(testbench)
        except SimulationError as exc:
            saved = save_log(exc.log, log_path)
            raise type(exc)(f"{exc}".replace("; see the simulator log", "") +
                            (f" (ngspice log: {saved})" if saved else ""), log=exc.log,
                            netlist_path=exc.netlist_path) from None
    for line in result.meta.warnings:
        text = _WARNING_PREFIX.sub("", line)
        print(f"warning: {args.netlist}: ngspice: {text}", file=sys.stderr)
    printed = printed_vectors(testbench.body, result.kind)
    if printed:
        missing: list[str] = []
        known = result.names
        result = result.select(printed, missing)   # the deck's .print lines choose the vectors
        if missing:
            warnings.warn(f"{args.netlist}: .print asks for {', '.join(missing)}, which the simulation does not "
                          f"have (known: {', '.join(known[:12])}{' …' if len(known) > 12 else ''})")
    frame = result.to_dataframe()
    if args.csv:
        write_table(split_complex(frame), args.csv)
        saved = save_log(result.meta.log, log_path)
        print(f"{result.kind}: {len(frame)} points × {len(frame.columns)} vectors → {args.csv}"
              + (f" (log {saved})" if saved else ""))
    else:
        print(f"{result.kind}: {len(frame)} points; vectors: {', '.join(result.names)}")
        print(f"ngspice wall time {result.meta.wall_time:.3f} s{' (cached)' if result.meta.cached else ''}")
    return 0


def write_table(frame, path: Path) -> None:
    """The frame (real columns, sweep as index) as Parquet (``.parquet``: units in the schema
    metadata) or CSV (anything else), the sweep as the first column; written atomically."""
    fmt = table_format(path)
    table = frame.reset_index() if frame.index.name is not None else frame
    if fmt == "parquet":
        arrow = pa.Table.from_pandas(table, preserve_index=False)
        units = json.dumps(frame.attrs.get("units", {}))
        arrow = arrow.replace_schema_metadata({**(arrow.schema.metadata or {}), b"ebn_circuit.units": units.encode()})
        write_atomically(path, lambda handle: pq.write_table(arrow, handle), mode="wb")
    else:
        write_atomically(path, lambda handle: table.to_csv(handle, index=False))


def table_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return "parquet"
    if suffix in (".csv", ".txt", ""):
        return "csv"
    raise ConfigError(f"--csv {path}: unknown table format {path.suffix!r}; use .csv or .parquet")


def check_writable(path: Path, option: str) -> None:
    """A ConfigError now, before anything runs, when ``path`` cannot become a file."""
    if path.is_dir():
        raise ConfigError(f"{option} {path}: is a folder; give a file name")
    parent = path.parent
    for folder in (parent, *parent.parents):
        if folder.exists():
            if not folder.is_dir():
                raise ConfigError(f"{option} {path}: {folder} is a file, not a folder")
            break
    try:
        parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=parent, prefix=".ebn_write_test_"):
            pass
    except OSError as exc:
        raise ConfigError(f"{option} {path}: cannot write into {parent}: {exc.strerror or exc}") from None


def write_atomically(path: Path, write, mode: str = "w") -> None:
    """Write through a temporary file in the same folder; if that fails after all, the content goes
    to a temporary file elsewhere and the error says where (the result is never lost)."""
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, mode) as handle:
            write(handle)
        os.replace(tmp, path)
    except OSError as exc:
        fd, rescue = tempfile.mkstemp(prefix=f"{path.stem}.", suffix=path.suffix)
        with os.fdopen(fd, mode) as handle:
            write(handle)
        raise ConfigError(f"cannot write {path}: {exc.strerror or exc}; the result was saved to {rescue}") from None


def save_log(log: str, path: Path) -> Path | None:
    """The simulator log written to ``path``; None when it cannot be written (a warning says why)."""
    if not log:
        return None
    try:
        path.write_text(log)
    except OSError as exc:
        warnings.warn(f"ngspice log not saved to {path}: {exc.strerror or exc}")
        return None
    return path
