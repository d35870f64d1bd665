"""`ebn-circuit fit learning-block --csv-dir DIR | --from-run FILE`."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import pandas as pd

from ebn_circuit.behavioural.learning_block import NOMINAL_I_REST, NOMINAL_I_SL, fit_learning_block
from ebn_circuit.errors import ConfigError, WaveformError
from ebn_circuit.measure.waveforms import align, read_viewer_csv_dir

DEFAULT_MAP = {"i_mem": "Sim1_I_mem.csv", "pulse": "Sim1_INPUT.csv", "code": "Sim1_BitValue.csv"}
RUN_COLUMNS = ("time", "i_mem", "pulse", "code")
MAX_SAMPLES = 10_000_000   # aligned samples: 4 columns × 8 bytes × 10⁷ = 320 MB


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
    try:
        frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    except Exception as exc:  # noqa: BLE001 — pyarrow and pandas raise many kinds for a bad file
        raise WaveformError(f"{path}: not a readable {'Parquet' if path.suffix == '.parquet' else 'CSV'} "
                            f"waveform file ({type(exc).__name__})") from None
    missing = [c for c in RUN_COLUMNS if c not in frame.columns]
    if missing:
        raise WaveformError(f"{path}: missing column(s) {', '.join(missing)}; a run's waveform file has "
                            f"{', '.join(RUN_COLUMNS)}")
    return frame


def check_step(step: float, signals: dict) -> None:
    """A step that is a positive number and gives a sane number of aligned samples; a warning when the
    signals cover different spans (only their overlap is fitted)."""
    if not (math.isfinite(step) and step > 0):
        raise ConfigError(f"--step must be a finite number of seconds > 0, got {step}")
    spans = {name: (float(f["time"].iloc[0]), float(f["time"].iloc[-1])) for name, f in signals.items()}
    start, stop = max(s for s, _ in spans.values()), min(e for _, e in spans.values())
    if stop > start and (stop - start) / step > MAX_SAMPLES:
        raise ConfigError(f"--step {step:g} s over {stop - start:g} s gives {(stop - start) / step:.3g} samples "
                          f"(limit {MAX_SAMPLES:.0e}); use a larger --step")
    if len({span for span in spans.values()}) > 1:
        described = ", ".join(f"{name} {s:g}–{e:g} s" for name, (s, e) in spans.items())
        warnings.warn(f"the signals cover different time spans ({described}); only their overlap "
                      f"{start:g}–{stop:g} s is fitted")


def _fit_learning_block(args) -> int:
    if args.csv_dir is not None:
        signals = read_viewer_csv_dir(args.csv_dir, _parse_map(args.map))
        check_step(args.step, signals)
        waveforms, source = align(signals, step=args.step, hold=("code",)), str(args.csv_dir)
    else:
        waveforms, source = load_run_waveforms(args.from_run), str(args.from_run)
    model = fit_learning_block(waveforms, i_rest=args.i_rest, i_sl=args.i_sl, source=source)
    print(model.report().to_string(index=False))
    return 0
