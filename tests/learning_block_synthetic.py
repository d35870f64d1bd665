"""A synthetic learning run whose truth is known: a leaky neuron with a constant-plus-slow drive, a
first-order synapse, and a learning block that decides with a given model (used by the tests of
the behavioural learning block, its jump estimator and the cross-run table)."""

import numpy as np
import pandas as pd

from ebn_circuit.behavioural.learning_block import LearningBlockModel

TAU_MEM = 20e-3
PERIOD, WIDTH, FIRST = 5e-3, 1e-3, 4e-3


def synthetic_run(truth: LearningBlockModel, pulses: int = 100, seed: int = 0, dt: float = 2e-6,
                  injected_per_code: float | None = None, tau_syn: float = 0.0, drive: float = 11e-9,
                  start_code: int = 8, noise: float = 0.02e-9) -> pd.DataFrame:
    """Waveforms (time, i_mem, pulse, code) of a block deciding by ``truth`` with I_Ω per code
    ``truth.omega_per_code``. Each pulse injects code × ``injected_per_code`` (A: what I_mem would
    gain without its leak; default truth.omega_per_code) over its 1 ms, through a synapse of time
    constant ``tau_syn`` (0: the current flows only during the pulse). The code steps at the
    pulse's end."""
    rng = np.random.default_rng(seed)
    injected = truth.omega_per_code if injected_per_code is None else injected_per_code
    time = np.arange(0, FIRST + pulses * PERIOD, dt)
    level = drive + 0.8e-9 * np.sin(2 * np.pi * time / 0.13) + rng.normal(0, noise, time.size)
    i_mem, code, pulse = np.empty_like(time), np.empty_like(time), np.zeros_like(time)
    current, value, syn, pending = 9e-9, start_code, 0.0, None
    onsets = FIRST + PERIOD * np.arange(pulses)
    next_pulse, in_pulse_until = 0, -1.0
    for index, t in enumerate(time):
        if next_pulse < pulses and t >= onsets[next_pulse]:
            pending = int(truth.decide(current, truth.omega_per_code * value))
            in_pulse_until = t + WIDTH
            next_pulse += 1
        drive_in = injected * value / WIDTH if t < in_pulse_until else 0.0
        if t >= in_pulse_until and pending is not None:   # the pulse just ended: the counter steps
            value, pending = int(np.clip(value + pending, -32, 31)), None
        syn = drive_in if tau_syn <= 0 else syn + dt * (drive_in - syn) / tau_syn
        current += dt * ((level[index] - current) / TAU_MEM + syn)
        i_mem[index], code[index] = current, value
        pulse[index] = 1.8 if t < in_pulse_until else 0.0
    return pd.DataFrame({"time": time, "i_mem": i_mem, "pulse": pulse, "code": code})


def counterfactual_jump(injected_per_code: float, tau_syn: float, dt: float = 2e-6) -> float:
    """The jump per code one pulse causes, measured as our calibration does: I_mem with the pulse
    minus without it (linear system: the response to one code unit from zero), largest over one period."""
    time = np.arange(0, PERIOD, dt)
    current, syn, response = 0.0, 0.0, []
    for t in time:
        drive_in = injected_per_code / WIDTH if t < WIDTH else 0.0
        syn = drive_in if tau_syn <= 0 else syn + dt * (drive_in - syn) / tau_syn
        current += dt * (-current / TAU_MEM + syn)
        response.append(current)
    return float(np.max(response))
