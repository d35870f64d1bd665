"""The learning-block transients ("Simulation 1" and "2" of SCIENCE.md §5.1) on our sky130
circuits: build the testbench, calibrate I_Ω per code, run, and read per-pulse decisions."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ebn_circuit.behavioural.learning_block import LearningBlockModel
from ebn_circuit.circuits.learning_loop import IcRun, fixed_code_testbench, learning_loop_testbench
from ebn_circuit.measure.events import sample_before
from ebn_circuit.measure.learning import pulse_table, settled_after
from ebn_circuit.rule import DEC, INC, SL, ideal_decision
from ebn_circuit.spice.result import SimResult
from ebn_circuit.spice.simulator import Simulator
from ebn_circuit.technology.core import Technology

BITS = 6
CALIBRATION_CODE = 16
GUARD = 0.1e-9  # A: the guard band around the bounds for the agreement that offsets cannot spoil
MIN_SETTLED_PULSES = 10  # a run counts as settled when at least this many final pulses (50 ms) are all SL
BAND_MARGIN = 0.1e-9  # A: the nominal band widened by this for `ends_in_band` (issue 18's goal)


def calibrate_omega_per_code(simulator: Simulator, run: IcRun, tech: Technology) -> float:
    """I_Ω per code unit (A), measured: the largest difference, over the period that one pulse
    starts, between I_mem at code +16 and at code 0, over 16 codes (the drive's own drift
    cancels; the DPI synapse spreads the pulse, so the jump peaks after the pulse ends). The drive
    switches on at t = 0 as in the run, so both traces are the same until the first pulse (started
    at the operating point under the drive, the DC solver sometimes landed on the DPI neuron's
    unstable equilibrium near its spike threshold: 28 nA instead of 15.7 nA in Simulation 2);
    voltage sources hold the code."""
    short = replace(run.shortened(1), t_stop=run.first_pulse + run.period, start_at_rest=False)
    grid = np.linspace(run.first_pulse, short.t_stop, 400)
    traces = []
    for code in (CALIBRATION_CODE, 0):
        bench = fixed_code_testbench(short, tech, code)
        result = simulator.run(replace(bench, name=f"{bench.name}_calibration"))
        traces.append(np.interp(grid, result.time, result.i("vimem")))
    return float(np.max(traces[0] - traces[1]) / CALIBRATION_CODE)


def waveforms_of(result: SimResult, vdd: float) -> pd.DataFrame:
    """Aligned waveforms: time, i_mem (A), pulse (V), code (signed, from the bit voltages), flags."""
    weights = [2 ** k for k in range(BITS - 1)] + [-(2 ** (BITS - 1))]
    code = sum(w * (result.v(f"b{k}") > vdd / 2) for k, w in enumerate(weights))
    frame = pd.DataFrame({"time": result.time, "i_mem": result.i("vimem"), "pulse": result.v("pulse"),
                          "code": code.astype(float)})
    for flag in ("inc", "dec", "sl"):
        frame[flag] = result.v(flag)
    return frame.drop_duplicates("time").reset_index(drop=True)


@dataclass(frozen=True)
class IcOutcome:
    """What one run shows: per-pulse table, agreement with the ideal rule, settling."""

    run: IcRun
    omega_per_code: float
    table: pd.DataFrame
    agreement: float
    agreement_outside_guard: float
    flag_agreement: float
    settle_time: float
    settled: bool
    settled_inside: bool
    ends_in_band: bool
    saturated: bool
    final_code: int
    wall_time: float
    technology: str = ""   # what the simulation ran on (from its result's metadata)
    backend: str = ""

    @property
    def model(self) -> LearningBlockModel:
        """The nominal rule these bounds come from (for figures)."""
        return LearningBlockModel(i_rest=self.run.i_rest, i_sl=self.run.i_sl, omega_per_code=self.omega_per_code)

    def summary(self) -> dict:
        counts = self.table["decision"].value_counts()
        return {"run": self.run.name, "corner": self.run.corner, "counter": self.run.counter,
                "omega_per_code_nA": self.omega_per_code * 1e9, "pulses": int(len(self.table)),
                "INC": int(counts.get(INC, 0)), "SL": int(counts.get(SL, 0)), "DEC": int(counts.get(DEC, 0)),
                "agreement_ideal_rule": self.agreement,
                "agreement_outside_guard": self.agreement_outside_guard,
                "flags_vs_code_change": self.flag_agreement,
                "settle_time_ms": self.settle_time * 1e3, "settled": self.settled, "saturated": self.saturated,
                "settled_inside_band": self.settled_inside, "ends_in_band": self.ends_in_band,
                "final_code": self.final_code, "code_min": int(self.table["code_after"].min()),
                "code_max": int(self.table["code_after"].max()), "ngspice_wall_s": self.wall_time}


def analyse(run: IcRun, omega_per_code: float, waveforms: pd.DataFrame, wall_time: float, vdd: float) -> IcOutcome:
    table = pulse_table(waveforms)
    i_omega = omega_per_code * table["code_before"].to_numpy()
    table["ideal"] = ideal_decision(table["i_before"], i_omega, run.i_rest, run.i_sl)
    lower, upper = run.i_rest - 0.5 * i_omega - run.i_sl, run.i_rest - 0.5 * i_omega + run.i_sl
    table["i_lower"], table["i_upper"] = lower, upper
    # the circuit's own flags, read just before each pulse ends (when the counter samples them)
    time = waveforms["time"].to_numpy()
    read_at = table["onset"].to_numpy() + 0.9 * run.width
    inc = sample_before(time, waveforms["inc"].to_numpy(), read_at) > vdd / 2
    dec = sample_before(time, waveforms["dec"].to_numpy(), read_at) > vdd / 2
    table["flag_decision"] = np.where(inc & ~dec, INC, np.where(dec & ~inc, DEC, SL))
    # the counter steps at the pulse's falling edge: a pulse that ends with the record has no code_after
    complete = table["onset"] + run.width < waveforms["time"].iloc[-1] - 1e-6
    usable = ~table["saturated"] & complete
    agreement = float(np.mean(table.loc[usable, "decision"] == table.loc[usable, "ideal"]))
    flag_agreement = float(np.mean(table.loc[usable, "decision"] == table.loc[usable, "flag_decision"]))
    # pulses whose I_before is at least GUARD from both bounds: offsets of the circuit cannot decide them
    clear = usable & (np.minimum(np.abs(table["i_before"] - lower), np.abs(table["i_before"] - upper)) >= GUARD)
    agreement_clear = float(np.mean(table.loc[clear, "decision"] == table.loc[clear, "ideal"])) if clear.any() else float("nan")
    settle_index = settled_after(table["decision"].to_numpy())
    last = table.iloc[-1]
    saturated = _saturated(last)
    # a counter held at a rail reads as SL (no code change) but has not settled
    if saturated or (settle_index is not None and len(table) - settle_index < min(MIN_SETTLED_PULSES, len(table))):
        settle_index = None
    settle_time = float(table["onset"].iloc[settle_index] - run.first_pulse) if settle_index is not None else float("nan")
    i_end = float(waveforms["i_mem"].iloc[-1])
    end_lower = run.i_rest - 0.5 * omega_per_code * last["code_after"] - run.i_sl
    end_upper = end_lower + 2 * run.i_sl
    return IcOutcome(run=run, omega_per_code=omega_per_code, table=table, agreement=agreement,
                     agreement_outside_guard=agreement_clear, flag_agreement=flag_agreement, settle_time=settle_time,
                     settled=settle_index is not None,
                     saturated=saturated,
                     settled_inside=bool(settle_index is not None and end_lower <= i_end <= end_upper),
                     # the last I_before inside its code's *nominal* band widened by BAND_MARGIN (the band the
                     # rule means, not the one an instance's offsets moved)
                     ends_in_band=bool(last["i_lower"] - BAND_MARGIN <= last["i_before"] <= last["i_upper"] + BAND_MARGIN),
                     final_code=int(last["code_after"]), wall_time=wall_time)


def _saturated(last_pulse: pd.Series) -> bool:
    """The counter sits at a rail and the block still asks to go beyond it: the weight range cannot
    bring I_mem into this block's band (e.g. a neuron whose gain mismatch moved I_mem too far)."""
    lo, hi = -(2 ** (BITS - 1)), 2 ** (BITS - 1) - 1
    code, flag = int(last_pulse["code_after"]), int(last_pulse["flag_decision"])
    return (code == hi and flag == INC) or (code == lo and flag == DEC)


def run_ic(simulator: Simulator, run: IcRun, tech: Technology, seed: int | None = None,
           omega_per_code: float | None = None) -> tuple[IcOutcome, pd.DataFrame]:
    """Calibrate (unless given), simulate and analyse one run; returns (outcome, waveforms)."""
    if omega_per_code is None:
        omega_per_code = calibrate_omega_per_code(simulator, run, tech)
    result = simulator.run(learning_loop_testbench(run, tech, omega_per_code, seed=seed))
    waveforms = waveforms_of(result, tech.vdd)
    outcome = analyse(run, omega_per_code, waveforms, result.meta.wall_time, tech.vdd)
    return replace(outcome, technology=result.meta.technology, backend=result.meta.backend), waveforms
