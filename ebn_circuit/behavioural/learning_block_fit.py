"""The learning block fitted to observed decisions (waveforms of any simulator, or per-pulse tables),
with model selection that generalises and honest uncertainty.

1. I_Ω per code: measured from the waveforms (``spike_jump``: the peak jump one spike causes per
   code unit), or given (our runs' calibration).
2. Candidates, simplest first (``decision_fit.CANDIDATES``): the nominal rule; one shift of both
   bounds; two offsets; two offsets and the gain g of I_Ω; and also the sampling lead.
3. Blocked cross-validation: the pulses, in time order, cut into contiguous folds; each candidate
   fitted on all but one fold and scored (decision agreement) on it. The chosen candidate is the
   simplest within one standard error of the best (``validation.one_standard_error_choice``).
4. The score reported is nested: the whole procedure (inner CV, choice, fit) run on all outer
   folds but one and scored on that one, so that not even the choice of candidate saw those pulses.
5. Intervals: moving-block bootstrap over pulses, refitting the chosen candidate (and I_Ω per code
   when it was measured); a parameter the data do not bracket is flagged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ebn_circuit.behavioural.decision_fit import (CANDIDATES, GAIN_RANGE, LEADS, OFFSET_LIMIT, BoundParams, Pulses,
                                                  fit_candidate)
from ebn_circuit.behavioural.spike_jump import PulseResponses
from ebn_circuit.behavioural.validation import (Candidate, OperatingRange, block_bootstrap, blocked_folds,
                                                cross_validate, interval_row, one_standard_error_choice)
from ebn_circuit.errors import WaveformError
from ebn_circuit.measure.events import sample_before
from ebn_circuit.measure.learning import pulse_table

FOLDS = 5
BOOTSTRAP = 200
BOOTSTRAP_BLOCK = 10          # pulses per bootstrap block (two pulse periods of τ_mem ≈ 20 ms)
MIN_PULSES = 7
PULSE_COLUMNS = ("onset", "i_before", "code_before", "decision", "saturated")
BOUND_CODES = "code near a bound"   # the operating-range quantity: codes at which pulses came near a bound


def usable_pulses(table: pd.DataFrame, end_time: float | None = None) -> pd.DataFrame:
    """Pulses with a known decision: not saturated, and (given the record's end) whose counter step
    is inside the record."""
    keep = ~table["saturated"].to_numpy(dtype=bool)
    if end_time is not None and len(table) > 1:
        width = float(np.median(np.diff(table["onset"]))) / 5   # the step lands at the pulse's end
        keep &= table["onset"].to_numpy() + width < end_time
    return table[keep].reset_index(drop=True)


def pulses_of(table: pd.DataFrame, omega_per_code: float, waveforms: pd.DataFrame | None = None) -> Pulses:
    """The fit's view of usable pulses: I_before at every lead (lead 0 only without waveforms)."""
    before = {0.0: table["i_before"].to_numpy(dtype=float)}
    if waveforms is not None:
        time, i_mem = waveforms["time"].to_numpy(), waveforms["i_mem"].to_numpy()
        before.update({lead: sample_before(time, i_mem, table["onset"].to_numpy(), lead=lead)
                       for lead in LEADS if lead > 0})
    return Pulses(before, omega_per_code * table["code_before"].to_numpy(dtype=float),
                  table["decision"].to_numpy(dtype=int))


# --- selection ---------------------------------------------------------------------------------

def _candidates(pulses: Pulses, names, i_rest: float, i_sl: float) -> list[Candidate]:
    return [Candidate(name, CANDIDATES[name][0], lambda rows, name=name: fit_candidate(name, pulses.take(rows),
                                                                                       i_rest, i_sl))
            for name in names if CANDIDATES[name][2] is False or len(pulses.before) > 1]


def select(pulses: Pulses, names, i_rest: float, i_sl: float, folds: int) -> tuple[str, pd.DataFrame]:
    """Blocked CV of each candidate and the one-standard-error choice; returns (name, table)."""
    cuts = blocked_folds(len(pulses), folds)

    def score(params: BoundParams, rows) -> float:
        return params.agreement(pulses.take(rows), i_rest, i_sl)

    table = cross_validate(_candidates(pulses, names, i_rest, i_sl), cuts, len(pulses), score, proportion=True)
    return one_standard_error_choice(table), table


def nested_score(pulses: Pulses, names, i_rest: float, i_sl: float, folds: int) -> tuple[float, float, list]:
    """Held-out agreement of the whole procedure (selection inside each outer training set):
    (pooled agreement, standard error over folds, chosen candidate per fold)."""
    hits, scores, chosen = 0, [], []
    for held in blocked_folds(len(pulses), folds):
        train = np.setdiff1d(np.arange(len(pulses)), held)
        inner = pulses.take(train)
        name, _ = select(inner, names, i_rest, i_sl, max(2, folds - 1)) if len(inner) >= 2 * 2 else ("nominal", None)
        params = fit_candidate(name, inner, i_rest, i_sl)
        correct = params.decide(pulses.take(held), i_rest, i_sl) == pulses.decision[held]
        hits += int(correct.sum())
        scores.append(float(correct.mean()))
        chosen.append(name)
    pooled = hits / len(pulses)
    smoothed = (hits + 1) / (len(pulses) + 2)   # all folds right is no proof of zero spread
    se = max(float(np.std(scores, ddof=1) / np.sqrt(len(scores))),
             float(np.sqrt(smoothed * (1 - smoothed) / len(pulses))))
    return pooled, se, chosen


# --- intervals ---------------------------------------------------------------------------------

def intervals(pulses: Pulses, name: str, params: BoundParams, i_rest: float, i_sl: float, rng, resamples: int,
              omega_samples=None, omega: float | None = None) -> pd.DataFrame:
    """Bootstrap intervals of the chosen candidate's parameters (SI) and identifiability flags.
    Each resample is refitted with ties broken at random, so a parameter that many values fit
    equally well shows its whole flat stretch (ties broken towards the nominal rule would hide it).
    The offsets and g, when the chosen candidate holds them, get the intervals they have when left
    free: whether the data could have placed the bounds, and told how they move with I_Ω."""
    n_free, search_gain, search_lead = CANDIDATES[name]

    def bootstrap(candidate: str) -> list[BoundParams]:
        return [fit_candidate(candidate, pulses.take(rows), i_rest, i_sl, rng)
                for rows in block_bootstrap(len(pulses), BOOTSTRAP_BLOCK, resamples, rng)]

    fits = bootstrap(name) if n_free else []
    column = lambda attr, fits=fits: [getattr(f, attr) for f in fits] if fits else None  # noqa: E731
    fixed = lambda free: "" if free else f"held by the chosen candidate ({name})"  # noqa: E731

    def held(row: dict, value: float) -> dict:
        """A parameter the chosen candidate holds: its interval when free, and whether the data
        could have placed it (a simpler candidate chosen on data that cannot tell is no evidence)."""
        return {**row, "value": value, "note": f"held at {value:g} by the chosen candidate ({name}); the interval is "
                "its own when free" + (f" — {row['note']}" if row["note"] else "")}

    offsets = (-OFFSET_LIMIT, OFFSET_LIMIT)
    free_offsets = fits if n_free >= 2 else bootstrap("offsets")
    # a bound known only to within I_SL (half the band) is not placed by the data
    rows = [interval_row(attr, getattr(params, attr), column(attr, free_offsets), allowed=offsets, unit="A",
                         too_wide=i_sl) for attr in ("offset_lower", "offset_upper")]
    if n_free < 2:
        rows = [held(row, getattr(params, row["parameter"])) for row in rows]
    if search_gain:
        rows.append(interval_row("gain g", params.gain, column("gain"), allowed=GAIN_RANGE))
    else:
        rows.append(held(interval_row("gain g", params.gain, column("gain", bootstrap("offsets+gain")),
                                      allowed=GAIN_RANGE), params.gain))
    rows.append(interval_row("sample_lead", params.lead, column("lead"), allowed=(LEADS[0], LEADS[-1]), unit="s",
                             fixed=fixed(search_lead)))
    if omega is not None:
        given = "" if omega_samples is not None else "given (the run's calibration), not measured"
        rows.append(interval_row("omega_per_code", omega, omega_samples, unit="A", fixed=given))
    return pd.DataFrame(rows)


# --- the fitter --------------------------------------------------------------------------------

def fit_pulse_set(table: pd.DataFrame, omega_per_code: float, i_rest: float, i_sl: float,
                  waveforms: pd.DataFrame | None = None, source: str = "pulses", names=tuple(CANDIDATES),
                  folds: int = FOLDS, resamples: int = BOOTSTRAP, seed: int = 0, omega_samples=None,
                  corner: str | None = None, pulses_seen: int | None = None) -> dict:
    """Everything the model needs from usable pulses (see the module docstring); returns the
    keyword arguments of a ``LearningBlockModel``."""
    if len(table) < MIN_PULSES:
        raise WaveformError(f"{source}: only {len(table)} usable pulses; need at least {MIN_PULSES} to fit and "
                            "cross-validate the bounds")
    pulses = pulses_of(table, omega_per_code, waveforms)
    folds = min(folds, len(pulses) // 2)
    chosen, selection = select(pulses, names, i_rest, i_sl, folds)
    params = fit_candidate(chosen, pulses, i_rest, i_sl)
    cv, cv_se, fold_choices = nested_score(pulses, names, i_rest, i_sl, folds)
    nominal = BoundParams().agreement(pulses, i_rest, i_sl)
    rng = np.random.default_rng(seed)
    table_ci = intervals(pulses, chosen, params, i_rest, i_sl, rng, resamples, omega_samples, omega_per_code)
    codes = table["code_before"].to_numpy(dtype=float)
    spans = {"code": (codes.min(), codes.max()), "i_omega": (pulses.i_omega.min(), pulses.i_omega.max()),
             "i_before": (pulses.before[0.0].min(), pulses.before[0.0].max())}
    # where a bound was seen: pulses within I_SL of one (elsewhere the decisions are far from both
    # and say little about where a bound lies)
    lower, upper = params.bounds(pulses.i_omega, i_rest, i_sl)
    x = pulses.before[params.lead]
    near = (np.abs(x - lower) < i_sl) | (np.abs(x - upper) < i_sl)
    if near.any():
        spans[BOUND_CODES] = (codes[near].min(), codes[near].max())
    report = {"source": source, "pulses": int(pulses_seen or len(table)), "usable_pulses": int(len(pulses)),
              "candidate": chosen, "agreement": params.agreement(pulses, i_rest, i_sl),
              "cv_agreement": cv, "cv_se": cv_se, "cv_candidates": ",".join(fold_choices),
              "ideal_rule_agreement": nominal, "omega_per_code": omega_per_code}
    return dict(i_rest=i_rest, i_sl=i_sl, gain=params.gain, omega_per_code=omega_per_code,
                offset_lower=params.offset_lower, offset_upper=params.offset_upper, sample_lead=params.lead,
                fit_report=report, selection=selection, intervals=table_ci,
                operating_range=OperatingRange(spans, {"corner": (corner,)} if corner else {},
                                                {"i_omega": "A", "i_before": "A"}))


def fit_waveform_set(waveforms: pd.DataFrame, i_rest: float, i_sl: float, source: str = "waveforms",
                     omega_per_code: float | None = None, names=tuple(CANDIDATES), folds: int = FOLDS,
                     resamples: int = BOOTSTRAP, seed: int = 0, corner: str | None = None) -> dict:
    """``fit_pulse_set`` on aligned waveforms (time, i_mem, pulse, code); I_Ω per code measured
    from them unless given (with a block-bootstrap interval over pulses when measured)."""
    present = [name for name in ("time", "i_mem", "pulse", "code") if name in waveforms.columns]
    gaps = [name for name in present if waveforms[name].isna().any()]
    if gaps:
        raise WaveformError(f"{source}: signal(s) {', '.join(gaps)} have missing samples (signals of different "
                            "lengths?); align them on one time base first")
    table = pulse_table(waveforms, source=source)
    usable = usable_pulses(table, float(waveforms["time"].iloc[-1]))
    if len(usable) < MIN_PULSES:
        raise WaveformError(f"{source}: only {len(usable)} usable pulses; need at least {MIN_PULSES} to fit and "
                            "cross-validate the bounds")
    samples = None
    if omega_per_code is None:
        responses = PulseResponses(waveforms["time"].to_numpy(), waveforms["i_mem"].to_numpy(),
                                   table["onset"].to_numpy(), table["code_before"].to_numpy())
        omega_per_code = responses.estimate().omega_per_code
        samples = []
        for rows in block_bootstrap(len(responses), BOOTSTRAP_BLOCK, resamples, np.random.default_rng(seed + 1)):
            try:
                samples.append(responses.estimate(rows).omega_per_code)
            except WaveformError:   # a resample in which the code never changes
                continue
    return fit_pulse_set(usable, omega_per_code, i_rest, i_sl, waveforms, source, names, folds, resamples, seed,
                         samples, corner, pulses_seen=len(table))
