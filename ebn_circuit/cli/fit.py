"""`ebn-circuit fit learning-block --csv-dir DIR | --from-run FILE [--out M.json] [--model M.json]`.

Without ``--model``: fit the behavioural learning block to the waveforms (candidate chosen by
blocked cross-validation) and print its parameters with 95 % intervals, the candidates' held-out
scores and the fit's in-sample and cross-validated agreement; ``--out`` saves the model as JSON.
With ``--model``: score that saved model on the waveforms, beside the nominal rule.
Currents print in nA, times in µs / ms; options take SI units.
"""

from __future__ import annotations

import math
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from ebn_circuit.behavioural.learning_block import NOMINAL_I_REST, NOMINAL_I_SL, LearningBlockModel, fit_learning_block
from ebn_circuit.behavioural.validation import ExtrapolationWarning, engineering
from ebn_circuit.cli.parsers import Out, command_parser, group_parser
from ebn_circuit.errors import ConfigError, WaveformError
from ebn_circuit.measure.waveforms import align, read_viewer_csv_dir

DEFAULT_MAP = {"i_mem": "Sim1_I_mem.csv", "pulse": "Sim1_INPUT.csv", "code": "Sim1_BitValue.csv"}
RUN_COLUMNS = ("time", "i_mem", "pulse", "code")
MAX_SAMPLES = 10_000_000   # aligned samples: 4 columns × 8 bytes × 10⁷ = 320 MB


def register(sub) -> None:
    _, models = group_parser(sub, "fit", "fit behavioural models to waveforms", metavar="MODEL",
                             examples=["ebn-circuit fit learning-block --csv-dir ../shared/reference/cadence-sim1 "
                                       "--out sim1_model.json"])
    block = command_parser(
        models, "learning-block", "fit the learning block's bounds from its waveforms, or score a saved model "
                                  "on new waveforms",
        examples=["ebn-circuit fit learning-block --csv-dir ../shared/reference/cadence-sim1 --out sim1_model.json",
                  "ebn-circuit fit learning-block --from-run run.parquet --model sim1_model.json"],
        description="Without --model: fit the behavioural learning block (candidate chosen by blocked "
                    "cross-validation) and print its parameters with 95 % intervals and the held-out scores. "
                    "With --model: score that saved model on the waveforms, beside the nominal rule "
                    "(docs/models.md).",
        out=Out("write the fitted model as JSON", metavar="FILE"))
    source = block.add_mutually_exclusive_group(required=True)
    source.add_argument("--csv-dir", type=Path, metavar="DIR", help="folder of per-signal CSV exports "
                                                                    "('<sig> X,<sig> Y')")
    source.add_argument("--from-run", type=Path, metavar="FILE", help="a run's waveform file (.parquet or .csv "
                                                                      "with columns time, i_mem, pulse, code)")
    block.add_argument("--map", action="append", default=[], metavar="SIGNAL=FILE",
                       help="which CSV holds i_mem, pulse, code (default: the Sim1_*.csv names)")
    block.add_argument("--step", type=float, default=2e-6, metavar="S",
                       help="alignment time step in s (default 2 µs)")
    block.add_argument("--i-rest", type=float, default=NOMINAL_I_REST, metavar="A",
                       help="nominal I_rest in A (default 9e-9)")
    block.add_argument("--i-sl", type=float, default=NOMINAL_I_SL, metavar="A", help="nominal I_SL in A (default 3e-10)")
    block.add_argument("--omega-per-code", type=float, default=None, metavar="A",
                       help="I_Ω per code in A, e.g. the run's calibration (default: measured from the waveforms)")
    block.add_argument("--corner", default=None, help="the run's corner or instance label (kept in the model)")
    block.add_argument("--folds", type=int, default=5, metavar="K",
                       help="contiguous cross-validation folds (default 5)")
    block.add_argument("--resamples", type=int, default=200, metavar="N",
                       help="bootstrap resamples for the intervals (default 200)")
    block.add_argument("--model", type=Path, default=None, metavar="FILE",
                       help="score this saved model (JSON) instead of fitting")
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


def parameter_lines(model: LearningBlockModel) -> list[str]:
    rows = model.intervals if model.intervals is not None else pd.DataFrame()
    lines = ["parameters (95 % block-bootstrap intervals):"]
    table = [("I_rest (nominal)", engineering(model.i_rest, "A"), ""),
             ("I_SL (nominal)", engineering(model.i_sl, "A"), "")]
    for r in rows.itertuples():
        interval = (f"[{engineering(r.low, r.unit)}, {engineering(r.high, r.unit)}]  "
                    if np.isfinite(r.low) and np.isfinite(r.high) and r.identified is not None else "")
        status = {True: "identified", False: "NOT IDENTIFIED", None: "fixed"}[r.identified]
        table.append((r.parameter, engineering(r.value, r.unit), f"{interval}{status}" + (f": {r.note}" if r.note else "")))
    lower, upper = model.bounds(0.0)
    table += [("I_lower at I_Ω = 0", engineering(float(lower), "A"), ""),
              ("I_upper at I_Ω = 0", engineering(float(upper), "A"), "")]
    width = max(len(name) for name, _, _ in table)
    return lines + [f"  {name:<{width}}  {value:>12}  {extra}".rstrip() for name, value, extra in table]


def selection_lines(model: LearningBlockModel) -> list[str]:
    report = model.fit_report
    lines = ["candidates (blocked cross-validation, agreement on held-out pulses):"]
    for r in model.selection.itertuples():
        mark = "  <- chosen (simplest within one standard error of the best)" if r.candidate == report["candidate"] else ""
        lines.append(f"  {r.candidate:<18} {r.n_free} free  {r.cv_score:6.1%} ± {r.cv_se:.1%}{mark}")
    lines += [f"pulses: {report['usable_pulses']} usable of {report['pulses']}",
              f"agreement in-sample {report['agreement']:.1%}; held out (nested cross-validation) "
              f"{report['cv_agreement']:.1%} ± {report['cv_se']:.1%}; nominal rule {report['ideal_rule_agreement']:.1%}",
              f"operating range: codes {_span(model, 'code', '')}, I_Ω {_span(model, 'i_omega', 'A')}, "
              f"I_before {_span(model, 'i_before', 'A')}"]
    return lines


def _span(model: LearningBlockModel, name: str, unit: str) -> str:
    if name not in model.operating_range.spans:
        return "?"
    lo, hi = model.operating_range.spans[name]
    return f"{engineering(lo, unit)} … {engineering(hi, unit)}" if unit else f"{lo:g} … {hi:g}"


def _waveforms(args) -> tuple[pd.DataFrame, str]:
    if args.csv_dir is not None:
        signals = read_viewer_csv_dir(args.csv_dir, _parse_map(args.map))
        check_step(args.step, signals)
        return align(signals, step=args.step, hold=("code",)), str(args.csv_dir)
    return load_run_waveforms(args.from_run), str(args.from_run)


def _fit_learning_block(args) -> int:
    if args.folds < 2 or args.resamples < 1:
        raise ConfigError(f"--folds must be >= 2 and --resamples >= 1, got {args.folds} and {args.resamples}")
    if args.model is not None:
        model = LearningBlockModel.from_json(args.model)   # a bad model file fails before any waveform is read
        waveforms, source = _waveforms(args)
        return _score(model, waveforms, source, args)
    waveforms, source = _waveforms(args)
    model = fit_learning_block(waveforms, i_rest=args.i_rest, i_sl=args.i_sl, source=source,
                               omega_per_code=args.omega_per_code, corner=args.corner, folds=args.folds,
                               resamples=args.resamples)
    print("\n".join([f"learning block fitted on {source}"] + parameter_lines(model) + selection_lines(model)))
    if args.out is not None:
        print(f"model written to {model.to_json(args.out)}")
    return 0


def _score(model: LearningBlockModel, waveforms: pd.DataFrame, source: str, args) -> int:
    """Agreement of a saved model on new waveforms (I_Ω per code: the run's own, measured or given)."""
    from ebn_circuit.behavioural.learning_block_fit import usable_pulses
    from ebn_circuit.behavioural.spike_jump import jump_from_waveforms
    from ebn_circuit.measure.learning import pulse_table

    end = float(waveforms["time"].iloc[-1])
    at_lead_zero = usable_pulses(pulse_table(waveforms, source=source), end)
    table = usable_pulses(pulse_table(waveforms, lead=model.sample_lead, source=source), end)
    if len(table) == 0:
        raise WaveformError(f"{source}: no usable pulses to score the model on")
    omega = args.omega_per_code
    if omega is None:
        omega = jump_from_waveforms(waveforms, pulse_table(waveforms, source=source)).omega_per_code
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ExtrapolationWarning)
        agreement = model.agreement(table, omega_per_code=omega, corner=args.corner)
    baseline = LearningBlockModel(model.i_rest, model.i_sl, omega_per_code=omega).agreement(at_lead_zero)
    for warning in caught:
        if issubclass(warning.category, ExtrapolationWarning):
            print(f"warning: {warning.message}", file=sys.stderr)
    print(f"model {args.model} ({model.fit_report.get('source', '?')}, candidate "
          f"{model.fit_report.get('candidate', '?')}) on {source}")
    print(f"  pulses {len(table)}, codes {int(table['code_before'].min())} … {int(table['code_before'].max())}, "
          f"I_Ω per code {engineering(omega, 'A')} ({'given' if args.omega_per_code is not None else 'measured'})")
    print(f"  agreement {agreement:.1%}; nominal rule on the same pulses {baseline:.1%}")
    return 0
