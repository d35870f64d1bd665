"""`ebn-circuit fit learning-block --csv-dir DIR | --from-run FILE`."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ebn_circuit.behavioural.learning_block import NOMINAL_I_REST, NOMINAL_I_SL, fit_learning_block
from ebn_circuit.errors import ConfigError, WaveformError
from ebn_circuit.measure.waveforms import align, read_viewer_csv_dir

DEFAULT_MAP = {"i_mem": "Sim1_I_mem.csv", "pulse": "Sim1_INPUT.csv", "code": "Sim1_BitValue.csv"}


def register(sub) -> None:
    parser = sub.add_parser("fit", help="fit behavioural models to waveforms")
    models = parser.add_subparsers(dest="fit_model", metavar="MODEL")
    block = models.add_parser("learning-block", help="fit the learning block's bounds from its waveforms")
    source = block.add_mutually_exclusive_group(required=True)
    source.add_argument("--csv-dir", type=Path, help="folder of per-signal CSV exports ('<sig> X,<sig> Y')")
    source.add_argument("--from-run", type=Path, help="a run's waveform file (.parquet or .csv with "
                                                      "columns time, i_mem, pulse, code)")
    block.add_argument("--map", action="append", default=[], metavar="SIGNAL=FILE",
                       help="which CSV holds i_mem, pulse, code (default: the Sim1_*.csv names)")
    block.add_argument("--step", type=float, default=2e-6, help="alignment time step in s (default 2 µs)")
    block.add_argument("--i-rest", type=float, default=NOMINAL_I_REST, help="nominal I_rest in A")
    block.add_argument("--i-sl", type=float, default=NOMINAL_I_SL, help="nominal I_SL in A")
    block.set_defaults(func=_fit_learning_block)


def _parse_map(items: list[str]) -> dict[str, str]:
    mapping = dict(DEFAULT_MAP)
    for item in items:
        name, sep, filename = item.partition("=")
        if not sep or name not in DEFAULT_MAP or not filename:
            raise ConfigError(f"--map {item!r}: expected SIGNAL=FILE with SIGNAL one of {', '.join(DEFAULT_MAP)}")
        mapping[name] = filename
    return mapping


def load_run_waveforms(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise WaveformError(f"{path}: run waveform file does not exist")
    return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)


def _fit_learning_block(args) -> int:
    if args.csv_dir is not None:
        signals = read_viewer_csv_dir(args.csv_dir, _parse_map(args.map))
        waveforms, source = align(signals, step=args.step, hold=("code",)), str(args.csv_dir)
    else:
        waveforms, source = load_run_waveforms(args.from_run), str(args.from_run)
    model = fit_learning_block(waveforms, i_rest=args.i_rest, i_sl=args.i_sl, source=source)
    print(model.report().to_string(index=False))
    return 0
