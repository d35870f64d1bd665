"""The behavioural twin of the IC learning loop (SCIENCE.md §5.1), built from one chip instance's
extracted parameters, run on the same drive and pulses as the transistor-level loop:

    neuron    I_mem = S − k·I_in,   τ(I_mem)·dS/dt = I∞(I_in) + k·I_in − S,   I∞ = A·(I_in/3 nA)^γ,
              I_in = drive + I_syn,   τ(I) = τ₉·(I/9 nA)^(−β) (faster at higher levels, the leak
              device's DIBL); k: the input's feedthrough — I_mem moves by −k·ΔI_in at the instant
              the input steps, so during a synaptic pulse it dips, and it peaks where the block samples
              it, just before the next onset (k ≈ 0.3; without it the twin's I_before ran ~0.4 nA low
              on the way down from the upper bound and the twin settled early);
              a spike when I_mem reaches I_threshold: I_mem held at 0 for the refractory time
    synapse   τ_syn·dI_syn/dt = a(code)·u(t) − I_syn,   u = 1 during a pulse; a(code) is the pair's
              measured charge per pulse / width, piecewise linear between the measured codes
    block     at each onset I_before = k·I_mem (the block's copy of I_mem, k the copy mirror's gain);
              INC below I_lower(code), DEC above I_upper(code)
              (the instance's bounds model: I_rest, I_SL, g, k; I_Ω = omega_per_code·code)
    counter   steps at the pulse's falling edge, saturating at ±2^(bits−1)

Both linear equations are integrated exactly over each step (their inputs are piecewise constant).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ebn_circuit.behavioural.learning_block import LearningBlockModel
from ebn_circuit.chip.measure import REFERENCE_DRIVE
from ebn_circuit.circuits.codes import code_range
from ebn_circuit.circuits.learning_loop import IcRun
from ebn_circuit.errors import ConfigError
from ebn_circuit.rule import step

STEP = 10e-6   # s: the twin's time step (the pulses' 1 µs edges are not resolved; their 1 ms width is)


@dataclass(frozen=True)
class TwinParams:
    """One instance's loop: neuron (A in amperes at 3 nA, γ, τ in s, k), synapse pair (codes and
    their a(code) in A, τ_syn in s), learning block (a bounds model with omega_per_code)."""

    gain: float
    gain_exponent: float
    tau: float
    tau_exponent: float
    feedthrough: float
    copy_gain: float
    i_threshold: float
    t_refractory: float
    synapse_codes: tuple[int, ...]
    synapse_amplitude: tuple[float, ...]
    tau_syn: float
    block: LearningBlockModel

    @classmethod
    def from_chip(cls, chip, instance: int, omega_per_code: float) -> "TwinParams":
        """The parameters of ``instance`` in a Chip (its neuron, synapse points and bounds model)."""
        points = chip.points["synapse_points"]
        return cls.from_measurements(instance_row(chip, "neuron", instance), instance_row(chip, "synapse", instance),
                                     points[points["instance"] == instance],
                                     characterised_block(chip, instance, omega_per_code))

    @classmethod
    def from_measurements(cls, neuron, synapse, points: pd.DataFrame, block: LearningBlockModel) -> "TwinParams":
        """From one instance's neuron and synapse-pair parameters (``chip.measure``'s dicts or a chip
        table's rows), its synapse points (code, amplitude) and a learning block."""
        points = points.sort_values("code")
        return cls(gain=float(neuron["gain"]), gain_exponent=float(neuron["gain_exponent"]), tau=float(neuron["tau"]),
                   tau_exponent=float(neuron["tau_exponent"]), feedthrough=float(neuron["feedthrough"]),
                   copy_gain=float(neuron["copy_gain"]),
                   i_threshold=float(neuron["i_threshold"]), t_refractory=float(neuron["t_refractory"]),
                   synapse_codes=tuple(int(c) for c in points["code"]),
                   synapse_amplitude=tuple(float(a) for a in points["amplitude"]), tau_syn=float(synapse["tau"]),
                   block=block)

    def amplitude(self, code: int) -> float:
        """a(code): linear between the measured codes, extrapolated along the nearest segment."""
        codes, amps = np.asarray(self.synapse_codes, float), np.asarray(self.synapse_amplitude)
        k = int(np.clip(np.searchsorted(codes, code) - 1, 0, len(codes) - 2))
        return float(amps[k] + (amps[k + 1] - amps[k]) * (code - codes[k]) / (codes[k + 1] - codes[k]))

    def i_inf(self, i_in: float) -> float:
        return self.gain * (max(i_in, 0.0) / REFERENCE_DRIVE) ** self.gain_exponent


def instance_row(chip, block: str, instance: int) -> pd.Series:
    table = chip.blocks[block]
    match = table[table["instance"] == instance]
    if match.empty:
        raise ConfigError(f"the chip has no instance {instance} (instances: {chip.instances})")
    return match.iloc[0]


def characterised_block(chip, instance: int, omega_per_code: float) -> LearningBlockModel:
    """``instance``'s learning block as its characterisation measured it (bounds probed across the
    codes: I_rest, I_SL, g and the band's growth per I_Ω); it sees the block's copy of I_mem, the
    neuron's ``copy_gain`` × I_mem."""
    lb = instance_row(chip, "learning_block", instance)
    return LearningBlockModel(i_rest=float(lb["i_rest"]), i_sl=float(lb["i_sl"]), gain=float(lb["gain"]),
                              sl_gain=float(lb["sl_gain"]), omega_per_code=omega_per_code)


def nominal_block(chip, omega_per_code: float) -> LearningBlockModel:
    """The nominal rule at the chip's design values (I_rest, I_SL of its conditions, else its
    instances' medians; g = 1)."""
    table = chip.blocks["learning_block"]
    design = {name: float(chip.conditions.get(name, table[name].median())) for name in ("i_rest", "i_sl")}
    return LearningBlockModel(omega_per_code=omega_per_code, **design)


def drive_at(run: IcRun, t: float) -> float:
    """The run's drive (A): switched on at t = 0+ (10 µs ramp), or on from the operating point."""
    return run.drive if run.start_at_rest else run.drive * min(t / 10e-6, 1.0)


def simulate_twin(run: IcRun, twin: TwinParams, bits: int = 6) -> pd.DataFrame:
    """One row per pulse: onset, i_before, code_before, decision, code_after (and the twin's I_mem
    at the end of the run in ``attrs['i_mem_end']``)."""
    lo, hi = code_range(bits)
    onsets = run.onsets
    n_steps = int(round(run.t_stop / STEP))
    decay_s, k = np.exp(-STEP / twin.tau_syn), twin.feedthrough
    i_mem = twin.i_inf(drive_at(run, 0.0)) if run.start_at_rest else 0.0
    state = i_mem + k * drive_at(run, 0.0) if run.start_at_rest else 0.0   # S
    i_syn, code = 0.0, int(run.initial_code)
    on, off = np.round(onsets / STEP).astype(int), np.round((onsets + run.width) / STEP).astype(int)
    next_pulse, active, amplitude, rows = 0, None, 0.0, []
    refractory_steps, held = int(round(twin.t_refractory / STEP)), 0
    for n in range(n_steps):
        if next_pulse < len(on) and n == on[next_pulse]:
            decision = int(twin.block.decide_code(twin.copy_gain * i_mem, code))
            active, amplitude = (next_pulse, decision), twin.amplitude(code)
            rows.append({"pulse": next_pulse, "onset": onsets[next_pulse], "i_before": i_mem, "code_before": code,
                         "decision": decision})
            next_pulse += 1
        target = amplitude if active is not None else 0.0
        i_syn = target + (i_syn - target) * decay_s
        i_in = max(drive_at(run, n * STEP) + i_syn, 0.0)
        if held:
            held -= 1
            state = k * i_in   # I_mem held at 0
        else:
            s_target = twin.i_inf(i_in) + k * i_in
            tau = twin.tau * (max(i_mem, 0.5e-9) / 9e-9) ** -twin.tau_exponent
            state = s_target + (state - s_target) * np.exp(-STEP / tau)
            i_mem = state - k * i_in
            if i_mem >= twin.i_threshold:
                i_mem, held, state = 0.0, refractory_steps, k * i_in
        if active is not None and n + 1 == off[active[0]]:
            code = int(step(code, active[1], lo, hi))
            rows[-1]["code_after"] = code
            active = None
    table = pd.DataFrame(rows)
    if "code_after" not in table:
        table["code_after"] = table["code_before"]
    table["code_after"] = table["code_after"].fillna(table["code_before"]).astype(int)
    table.attrs["i_mem_end"] = i_mem
    return table
