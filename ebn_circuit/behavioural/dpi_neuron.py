"""Behavioural DPI neuron (SCIENCE.md §4, no adaptation) fitted to transistor-level runs.

The state is I_mem (A), integrated as x = ln I_mem (the membrane voltage in units of U_T/κ):

    τ·(1 + I_th/I)·dI/dt + I·(I/I_S)^β = D(I_in) + f(I)
    D(I_in) = gain·I_S·(max(I_in − I_off, 0)/I_S)^γ          (I_mem∞ ≈ gain·I_in at I_S = 10 nA)
    f(I)    = a_fb·(I + I_th) / (1 + (I_fb/I)^n)              (positive feedback, a sigmoid in ln I)

A spike is emitted when I crosses I_spike; I is then held at I_reset for t_ref. With β = 0 and
γ = 1 this is the textbook form; β (leak grows with the membrane voltage: drain-induced barrier
lowering of the leak device) and γ (input mirrors compress) are what the sky130 circuit needs —
its I_mem∞ grows as I_in^0.85 and its step response gets faster with the level.

For a constant input the time from reset to spike is a 1-D integral over x, so the f–I curve is
exact quadrature (``rate``), and so is ``predict`` within each constant stretch of its input. Fitting:
``scipy.optimize.least_squares`` (bounded, log-scaled parameters) on transient residuals
normalised by each run's I_mem range plus relative f–I residuals; uncertainties from the
Jacobian (transient residuals are correlated, so they are lower bounds). Units: SI.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import least_squares

from ebn_circuit.behavioural.metrics import nrmse
from ebn_circuit.behavioural.validation import OperatingRange, interval_row, sandwich_sigma
from ebn_circuit.errors import ConfigError
from ebn_circuit.plotting import new_figure, save, style

I_SCALE = 10e-9  # reference current of the power laws (A)
# parameter name → (log-scaled?, lower bound, upper bound, unit)
PARAMETERS = {"tau": (True, 1e-4, 1.0, "s"), "i_th": (True, 1e-14, 1e-9, "A"), "gain": (True, 0.1, 100.0, ""),
              "i_offset": (False, -5e-9, 5e-9, "A"), "drive_exponent": (False, 0.5, 1.5, ""),
              "leak_exponent": (False, -0.2, 0.6, ""), "i_fb": (True, 1e-9, 1e-6, "A"),
              "fb_steepness": (True, 1.0, 1000.0, ""), "fb_gain": (True, 1e-3, 1e7, ""),
              "i_spike": (True, 1e-8, 1e-3, "A"), "i_reset": (True, 1e-21, 1e-10, "A"),
              "t_ref": (True, 1e-6, 1e-1, "s")}
# t_ref is measured directly (pulse + refractory) and i_spike is past the point of no return:
# both stay fixed by default
FIT_FREE = ("tau", "i_th", "gain", "i_offset", "drive_exponent", "leak_exponent", "i_fb", "fb_steepness", "fb_gain",
            "i_reset")
FEEDBACK_STARTS = ((20.0, 10.0), (300.0, 1e5))  # (steepness, gain) tried in stage 2
MEMBRANE = ("tau", "i_th", "gain", "i_offset", "drive_exponent", "leak_exponent")
QUADRATURE_POINTS = 3000
PATH_POINTS = 1000
X_FLOOR_A = 1e-21  # I_mem floor of a decaying trace (A)


@dataclass(frozen=True)
class DpiNeuronModel:
    """Parameters as in the module docstring (SI). ``uncertainty``: 1σ per fitted parameter;
    ``fit_quality``: one row per fitted item (transient NRMSE, f–I relative error)."""

    tau: float = 20e-3
    i_th: float = 14.4e-12
    gain: float = 3.0
    i_offset: float = 0.0
    drive_exponent: float = 1.0
    leak_exponent: float = 0.0
    i_fb: float = 30e-9
    fb_steepness: float = 40.0
    fb_gain: float = 1e3
    i_spike: float = 1e-6
    i_reset: float = 1e-15
    t_ref: float = 1e-3
    uncertainty: dict = field(default_factory=dict, compare=False)
    fit_quality: pd.DataFrame | None = field(default=None, compare=False)
    intervals: pd.DataFrame | None = field(default=None, compare=False, repr=False)
    operating_range: OperatingRange = field(default_factory=OperatingRange, compare=False, repr=False)

    def __post_init__(self) -> None:
        for name, (_, low, high, unit) in PARAMETERS.items():
            value = getattr(self, name)
            if not low <= value <= high:
                raise ConfigError(f"DpiNeuronModel.{name}={value:g} {unit} outside [{low:g}, {high:g}]")
        if self.i_spike <= self.i_fb:
            raise ConfigError(f"DpiNeuronModel: i_spike={self.i_spike:g} A must exceed i_fb={self.i_fb:g} A")

    # --- equations -------------------------------------------------------------------------
    def drive(self, i_in) -> np.ndarray:
        """D(I_in): the steady state I_mem the input alone would set (A)."""
        excess = np.maximum(np.asarray(i_in, dtype=float) - self.i_offset, 0.0)
        return self.gain * I_SCALE * (excess / I_SCALE) ** self.drive_exponent

    def _dxdt(self, x: np.ndarray, drive: np.ndarray) -> np.ndarray:
        i_mem = np.exp(x)
        leak = i_mem * np.exp(self.leak_exponent * (x - np.log(I_SCALE)))
        # (I_fb/I)^n as an exponential of x keeps it finite for tiny I
        on = 1.0 / (1.0 + np.exp(np.minimum(self.fb_steepness * (np.log(self.i_fb) - x), 700.0)))
        return (drive - leak + self.fb_gain * (i_mem + self.i_th) * on) / (self.tau * (i_mem + self.i_th))

    def steady_state(self, i_in) -> np.ndarray:
        """The stable I_mem below the spike threshold for a constant input (nan if it spikes)."""
        drive = np.atleast_1d(np.asarray(self.drive(i_in), dtype=float))
        x = np.linspace(np.log(self.i_reset), np.log(self.i_spike), QUADRATURE_POINTS)
        rate = self._dxdt(x[None, :], drive[:, None])
        out = np.full(drive.shape, np.nan)
        for k, row in enumerate(rate):
            down = np.flatnonzero((row[:-1] > 0) & (row[1:] <= 0))
            if down.size:  # first zero crossing from above: the stable fixed point
                j = down[0]
                out[k] = np.exp(x[j] + (x[j + 1] - x[j]) * row[j] / (row[j] - row[j + 1]))
        return out

    # --- constant input: f–I -----------------------------------------------------------------
    def time_to_spike(self, i_in) -> np.ndarray:
        """Time from the end of the refractory period to the next spike (s; inf if none)."""
        drive = np.atleast_1d(np.asarray(self.drive(i_in), dtype=float))
        x = np.linspace(np.log(self.i_reset), np.log(self.i_spike), QUADRATURE_POINTS)
        speed = self._dxdt(x[None, :], drive[:, None])
        stuck = np.any(speed <= 0, axis=1)
        seconds = np.trapezoid(1.0 / np.where(speed > 0, speed, np.inf), x, axis=1)
        return np.where(stuck, np.inf, seconds)

    def rate(self, i_in) -> np.ndarray:
        """f–I: firing rate (Hz) for constant input currents (A); warns once outside the fitted inputs."""
        self.operating_range.check("i_in", i_in, "DpiNeuronModel")
        return 1.0 / (self.t_ref + self.time_to_spike(i_in))

    # --- arbitrary input: I_mem trace and spikes ---------------------------------------------
    def predict(self, time, i_in, i_mem0=None) -> tuple[np.ndarray, list[np.ndarray]]:
        """I_mem (A) on ``time`` for the input ``i_in`` (A; shape (n_time,) or (n_runs, n_time),
        each sample held until the next one), and the spike times (s) per run. Starts at
        ``i_mem0`` (A) or the steady state of the first input. Exact for piecewise-constant
        input: within a constant stretch the equation is autonomous, so t(x) is a quadrature
        and x(t) its inverse (no time stepping)."""
        time = np.asarray(time, dtype=float)
        inputs = np.atleast_2d(np.asarray(i_in, dtype=float))
        if inputs.shape[1] != time.size:
            raise ConfigError(f"predict: i_in has {inputs.shape[1]} samples, time has {time.size}")
        self.operating_range.check("i_in", inputs, "DpiNeuronModel")
        if i_mem0 is None:
            i_mem0 = self.steady_state(inputs[:, 0])
        starts = np.broadcast_to(np.asarray(i_mem0, dtype=float), inputs.shape[:1])
        traces, spikes = np.empty(inputs.shape), []
        for row, (values, start) in enumerate(zip(inputs, starts)):
            x0 = np.log(np.clip(np.nan_to_num(start, nan=self.i_reset), X_FLOOR_A, self.i_spike))
            traces[row], found = self._trajectory(time, values, float(x0))
            spikes.append(found)
        traces = np.exp(traces)
        return (traces[0], spikes[0]) if np.ndim(i_in) == 1 else (traces, spikes)

    def _trajectory(self, time: np.ndarray, i_in: np.ndarray, x: float) -> tuple[np.ndarray, np.ndarray]:
        """x = ln I_mem on ``time`` and the spike times, for zero-order-held input samples."""
        out, spikes = np.empty(time.size), []
        edges = np.concatenate([[0], np.flatnonzero(np.diff(i_in) != 0) + 1, [time.size]])
        t_now, hold_until = time[0], -np.inf
        for a, b in zip(edges[:-1], edges[1:]):
            t_end = time[b] if b < time.size else time[-1]
            drive, samples = float(self.drive(i_in[a])), slice(a, b)
            while True:
                if hold_until > t_now:  # refractory: clamped at the reset level
                    chunk = time[a:b]
                    out[a:b][(chunk >= t_now) & (chunk < hold_until)] = np.log(self.i_reset)
                    if hold_until >= t_end:
                        x, t_now = np.log(self.i_reset), t_end
                        break
                    x, t_now = np.log(self.i_reset), hold_until
                elapsed, path, spiked = self._path(x, drive)
                chunk = time[samples]
                todo = chunk >= t_now
                if spiked and t_now + elapsed[-1] <= t_end:
                    t_spike = t_now + elapsed[-1]
                    fill = todo & (chunk < t_spike)
                    out[a:b][fill] = np.interp(chunk[fill] - t_now, elapsed, path)
                    spikes.append(t_spike)
                    hold_until, t_now, x = t_spike + self.t_ref, t_spike, np.log(self.i_reset)
                    continue
                out[a:b][todo] = np.interp(chunk[todo] - t_now, elapsed, path)
                x, t_now = float(np.interp(t_end - t_now, elapsed, path)), t_end
                break
        return out, np.array(spikes)

    def _path(self, x0: float, drive: float) -> tuple[np.ndarray, np.ndarray, bool]:
        """Constant input from ln I = x0: (time since start, x) along the way, and whether it
        ends in a spike. Towards a fixed point the grid closes in geometrically (to 1e-6 of
        the distance), so the exponential tail is resolved."""
        speed0 = float(self._dxdt(np.array([x0]), drive)[0])
        if speed0 == 0.0:
            return np.array([0.0]), np.array([x0]), False
        end = np.log(self.i_spike) if speed0 > 0 else np.log(X_FLOOR_A)
        probe = np.linspace(x0, end, PATH_POINTS)
        speed = self._dxdt(probe, drive)
        stop = np.flatnonzero(speed * np.sign(speed0) <= 0)
        if stop.size:  # a fixed point between probe[j-1] and probe[j]
            j = stop[0]
            target = probe[j - 1] + (probe[j] - probe[j - 1]) * speed[j - 1] / (speed[j - 1] - speed[j])
            probe = target - (target - x0) * np.logspace(0, -6, PATH_POINTS)
            speed = self._dxdt(probe, drive)
            bad = np.flatnonzero(speed * np.sign(speed0) <= 0)
            probe, speed = (probe[:bad[0]], speed[:bad[0]]) if bad.size else (probe, speed)
        steps = np.abs(np.diff(probe)) * 0.5 * (1 / np.abs(speed[1:]) + 1 / np.abs(speed[:-1]))
        return np.concatenate([[0.0], np.cumsum(steps)]), probe, bool(speed0 > 0 and not stop.size)

    # --- fitting ---------------------------------------------------------------------------
    @classmethod
    def fit(cls, waveforms: pd.DataFrame, fi: pd.DataFrame, initial: "DpiNeuronModel | None" = None,
            free: tuple[str, ...] = FIT_FREE, fi_weight: float = 1.0) -> "DpiNeuronModel":
        """Least-squares fit to transients (columns run, time_s, i_in_A, i_mem_A; sub-threshold)
        and an f–I table (i_in_A, rate_Hz). Cost: Σ NRMSE² over runs + fi_weight·mean relative
        rate error² over the points (zero-rate points: the model rate in Hz).

        In three stages, because the two data sets pin different parameters and a joint start
        from a rough guess falls into spiking-everywhere or never-spiking corners: (1) the
        membrane (τ, drive, leak) on the transients with the feedback off, (2) feedback, reset
        and refractory on the f–I curve, (3) everything together from there."""
        initial = initial or cls()
        unknown = [name for name in free if name not in PARAMETERS]
        if unknown:
            raise ConfigError(f"DpiNeuronModel.fit: unknown parameters {unknown}; choose from {list(PARAMETERS)}")
        runs = _runs(waveforms)
        i_fi, r_fi = fi["i_in_A"].to_numpy(float), fi["rate_Hz"].to_numpy(float)
        if not runs and i_fi.size == 0:
            raise ConfigError("DpiNeuronModel.fit: no transients and no f–I points to fit")
        membrane = tuple(name for name in free if name in MEMBRANE)
        spiking = tuple(name for name in free if name not in MEMBRANE)
        model = initial
        if runs and membrane:
            off = replace(model, fb_gain=PARAMETERS["fb_gain"][1])
            model = replace(_solve(off, membrane, runs, i_fi, r_fi, 0.0)[0], fb_gain=model.fb_gain)
        if i_fi.size and spiking:
            # the f–I onset decides between a soft and a hard feedback: try both kinds of start
            starts = [replace(model, fb_steepness=n, fb_gain=a) for n, a in FEEDBACK_STARTS
                      if "fb_steepness" in spiking and "fb_gain" in spiking] or [model]
            model = min((_solve(start, spiking, [], i_fi, r_fi, 1.0, max_nfev=60)[:3] for start in starts),
                        key=lambda result: result[2])[0]
        model, uncertainty, _, robust = _solve(model, free, runs, i_fi, r_fi, fi_weight)
        intervals = pd.DataFrame([_interval(name, getattr(model, name), uncertainty.get(name, np.nan), robust[name])
                                  for name in free])
        inputs = np.concatenate([i_fi] + [run[2] for run in runs])
        span = OperatingRange({"i_in": (float(inputs.min()), float(inputs.max()))}, units={"i_in": "A"})
        return replace(model, uncertainty=uncertainty, fit_quality=model.evaluate(waveforms, fi), intervals=intervals,
                       operating_range=span)

    def evaluate(self, waveforms: pd.DataFrame, fi: pd.DataFrame) -> pd.DataFrame:
        """One row per transient (NRMSE) and per f–I point (relative rate error)."""
        rows = []
        for name, time, i_in, i_mem in _runs(waveforms):
            predicted, _ = self.predict(time, i_in, i_mem0=i_mem[0])
            rows.append({"item": f"transient {name}", "kind": "transient", "i_in_A": float(i_in[-1]),
                         "measured": float(np.ptp(i_mem)), "predicted": float(np.ptp(predicted)),
                         "error": nrmse(predicted, i_mem)})
        rates = self.rate(fi["i_in_A"].to_numpy(float)) if len(fi) else []
        for i_in, measured, predicted in zip(fi["i_in_A"], fi["rate_Hz"], rates):
            error = (predicted - measured) / measured if measured > 0 else float(predicted > 1.0)
            rows.append({"item": f"f-I {i_in * 1e9:.3g} nA", "kind": "rate", "i_in_A": float(i_in),
                         "measured": float(measured), "predicted": float(predicted), "error": float(error)})
        return pd.DataFrame(rows, columns=["item", "kind", "i_in_A", "measured", "predicted", "error"])

    def parameters(self) -> pd.DataFrame:
        """Parameter table: value, 1σ (Jacobian; nan if held fixed), unit, and the 95 % interval
        with its identifiability flag where the fit estimated it."""
        table = pd.DataFrame([{"parameter": name, "value": getattr(self, name),
                               "sigma": self.uncertainty.get(name, np.nan), "unit": unit}
                              for name, (_, _, _, unit) in PARAMETERS.items()])
        if self.intervals is None or not len(self.intervals):
            return table
        table = table.merge(self.intervals[["parameter", "low", "high", "identified", "note"]], on="parameter",
                            how="left")
        table["note"] = table["note"].fillna("held fixed")
        return table

    def report(self, path: str | Path, held_out_waveforms: pd.DataFrame | None = None,
               held_out_fi: pd.DataFrame | None = None) -> pd.DataFrame:
        """Write ``dpi_neuron_fit.csv`` (parameters, then fit and held-out quality) and
        ``dpi_neuron_residuals.png`` into the folder ``path``; returns the quality table."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        parts = [] if self.fit_quality is None else [self.fit_quality.assign(set="fit")]
        if held_out_waveforms is not None or held_out_fi is not None:
            empty_w = pd.DataFrame(columns=["run", "time_s", "i_in_A", "i_mem_A"])
            held = self.evaluate(held_out_waveforms if held_out_waveforms is not None else empty_w,
                                 held_out_fi if held_out_fi is not None else pd.DataFrame(columns=["i_in_A", "rate_Hz"]))
            parts.append(held.assign(set="held_out"))
        quality = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
        table = pd.concat([self.parameters().assign(set="parameter"), quality], ignore_index=True)
        table.to_csv(path / "dpi_neuron_fit.csv", index=False)

        with style():
            figure = new_figure("page", aspect=0.32)
            ax_fi, ax_err, ax_tr = figure.subplots(1, 3)
        rates = quality[quality["kind"] == "rate"] if len(quality) else quality
        if len(rates):
            grid = np.geomspace(rates["i_in_A"].min(), rates["i_in_A"].max(), 200)
            ax_fi.plot(grid * 1e9, self.rate(grid), "k-", label="behavioural")
            for name, marker in (("fit", "o"), ("held_out", "s")):
                part = rates[rates["set"] == name]
                ax_fi.plot(part["i_in_A"] * 1e9, part["measured"], marker, mfc="none", label=f"ngspice ({name})")
                ax_err.plot(part["i_in_A"] * 1e9, 100 * part["error"], marker, label=name)
            ax_fi.set(xscale="log", xlabel="$I_{in}$ (nA)", ylabel="rate (Hz)", title="f–I")
            ax_err.axhline(0, color="k", lw=0.5)
            ax_err.set(xscale="log", xlabel="$I_{in}$ (nA)", ylabel="rate error (%)", title="f–I residuals")
            ax_fi.legend()
            ax_err.legend()
        sources = [("fit", None), ("held_out", held_out_waveforms)]
        for name, frame in sources:
            for run, time, i_in, i_mem in _runs(frame) if frame is not None else []:
                predicted, _ = self.predict(time, i_in, i_mem0=i_mem[0])
                ax_tr.plot(time * 1e3, (predicted - i_mem) * 1e9, lw=0.8, label=f"{run} ({name})")
        ax_tr.set(xlabel="time (ms)", ylabel="$I_{mem}$ model − ngspice (nA)", title="transient residuals")
        if ax_tr.lines:
            ax_tr.legend()
        save(figure, path / "dpi_neuron_residuals")
        return quality


def _solve(initial: DpiNeuronModel, free: tuple[str, ...], runs: list[tuple], i_fi: np.ndarray, r_fi: np.ndarray,
           fi_weight: float, max_nfev: int = 120) -> tuple[DpiNeuronModel, dict, float]:
    """One bounded least-squares fit of ``free``; returns the model, 1σ per parameter, the cost."""
    rate_rows = i_fi.size if fi_weight > 0 else 0

    def model_of(vector) -> DpiNeuronModel:
        return replace(initial, **{name: _from_fit(name, v) for name, v in zip(free, vector)})

    def residuals(vector) -> np.ndarray:
        try:
            model = model_of(vector)
        except ConfigError:  # e.g. i_spike below i_fb: push back hard
            return np.full(sum(r[1].size for r in runs) + rate_rows, 10.0)
        rates = [np.sqrt(fi_weight / i_fi.size) * _rate_errors(model, i_fi, r_fi)] if rate_rows else []
        return np.concatenate(_transient_residuals(model, runs) + rates)

    start = np.array([_to_fit(name, getattr(initial, name)) for name in free])
    low = np.array([_to_fit(name, PARAMETERS[name][1]) for name in free])
    high = np.array([_to_fit(name, PARAMETERS[name][2]) for name in free])
    margin = 1e-6 * (high - low)
    solution = least_squares(residuals, np.clip(start, low + margin, high - margin), bounds=(low, high),
                             x_scale="jac", max_nfev=max_nfev)
    model = model_of(solution.x)
    dof = max(solution.fun.size - len(free), 1)
    covariance = np.linalg.pinv(solution.jac.T @ solution.jac) * (2 * solution.cost / dof)
    sigma = np.sqrt(np.clip(np.diag(covariance), 0, None))
    # samples of one transient are correlated: the cluster-robust σ treats each run (and each
    # f–I point) as one cluster
    clusters = [f"run{k}" for k, run in enumerate(runs) for _ in range(run[1].size)] + \
        [f"fi{j}" for j in range(rate_rows)]
    robust = (sandwich_sigma(solution.jac, solution.fun, clusters) if len(set(clusters)) > 1
              else np.full(len(free), np.nan))
    to_si = lambda name, s: getattr(model, name) * s if PARAMETERS[name][0] else s * _linear_scale(name)  # noqa: E731
    return (model, {name: to_si(name, s) for name, s in zip(free, sigma)}, float(solution.cost),
            {name: to_si(name, s) for name, s in zip(free, robust)})


def _interval(name: str, value: float, sigma: float, robust: float) -> dict:
    """95 % interval (the larger of the Jacobian's and the cluster-robust σ; on the log scale for
    the log-scaled parameters), flagged when it reaches a limit of the parameter's range."""
    log, low, high, unit = PARAMETERS[name]
    s = float(np.nanmax([sigma, robust])) if np.isfinite([sigma, robust]).any() else float("nan")
    if log:   # σ of ln(value) is σ/value
        x, ds, allowed = np.log(value), s / value, (np.log(low), np.log(high))
        row = interval_row(name, x, low=x - 1.96 * ds, high=x + 1.96 * ds, allowed=allowed)
        row.update(value=value, low=float(np.exp(np.clip(row["low"], *allowed))),
                   high=float(np.exp(np.clip(row["high"], *allowed))))
    else:
        row = interval_row(name, value, low=value - 1.96 * s, high=value + 1.96 * s, allowed=(low, high))
        row.update(low=max(row["low"], low), high=min(row["high"], high))
    return {**row, "unit": unit}


def _runs(waveforms: pd.DataFrame | None) -> list[tuple]:
    """(name, time, i_in, i_mem) per run of a long waveform table."""
    if waveforms is None or len(waveforms) == 0:
        return []
    return [(str(name), g["time_s"].to_numpy(float), g["i_in_A"].to_numpy(float), g["i_mem_A"].to_numpy(float))
            for name, g in waveforms.groupby("run", sort=False)]


def _transient_residuals(model: DpiNeuronModel, runs: list[tuple]) -> list[np.ndarray]:
    """Per run (pred − meas)/range/√n, so the sum of squares is Σ NRMSE². Runs sharing a time
    grid are integrated together."""
    out = []
    groups: dict[bytes, list[int]] = {}
    for index, (_, time, _, _) in enumerate(runs):
        groups.setdefault(time.tobytes(), []).append(index)
    residual = [None] * len(runs)
    for members in groups.values():
        time = runs[members[0]][1]
        i_in = np.vstack([runs[m][2] for m in members])
        start = np.array([runs[m][3][0] for m in members])
        predicted, _ = model.predict(time, i_in, i_mem0=start)
        for row, m in enumerate(members):
            measured = runs[m][3]
            residual[m] = (predicted[row] - measured) / np.ptp(measured) / np.sqrt(measured.size)
    out.extend(residual)
    return out


def _rate_errors(model: DpiNeuronModel, i_in: np.ndarray, measured: np.ndarray) -> np.ndarray:
    if i_in.size == 0:
        return np.zeros(0)
    predicted = model.rate(i_in)
    return np.where(measured > 0, (predicted - measured) / np.where(measured > 0, measured, 1.0), predicted / 1.0)


def _linear_scale(name: str) -> float:
    return 1.0 if PARAMETERS[name][3] != "A" else 1e-9


def _to_fit(name: str, value: float) -> float:
    return float(np.log(value)) if PARAMETERS[name][0] else value / _linear_scale(name)


def _from_fit(name: str, value: float) -> float:
    return float(np.exp(value)) if PARAMETERS[name][0] else float(value) * _linear_scale(name)

