"""The exactness check: the co-simulation loop with its plant replaced by exact stand-ins (the
network's own neuron model in Python, and the same model integrated by a lock-stepped ngspice)
reproduces the pure NumPy model spike for spike."""

from __future__ import annotations

import time

import numpy as np

from ebn_circuit.cosim.loop import run_hybrid_trial
from ebn_circuit.cosim.plant import BehaviouralPlant, IntegratorPlant
from ebn_circuit.network.batch import run_batch
from ebn_circuit.network.inputs import command_signal
from ebn_circuit.network.params import NetworkParams, initial_codes, make_decoder
from ebn_circuit.network.simulate import run_trial


def compare_with_pure(params: NetworkParams, steps: int, seed: int, hybrid, plant: str) -> dict:
    """One learning trial from the §5.2 initial weights, hybrid loop against network/batch.py
    (same arithmetic) and network/simulate.py (event-driven). Potentials of the hybrid neurons
    are compared on steps without a spike (the loop records them before the step's spike)."""
    rng = np.random.default_rng(seed)
    decoder, codes = make_decoder(params, rng), initial_codes(params, rng)
    command = command_signal(params, rng, steps)
    noise = rng.standard_normal((steps, params.n_neurons))
    reference = run_batch(params, decoder, codes[None], command, noise=noise[None], learn=True, record_v=True)[0]
    events = run_trial(params, decoder, codes, command, noise=noise, learn=True, engine="numpy")
    stand_in = BehaviouralPlant(params, hybrid) if plant == "behavioural" else IntegratorPlant(params, hybrid, steps + 1)
    started = time.perf_counter()
    try:
        trial = run_hybrid_trial(params, decoder, codes, command, noise, stand_in, record_v=True)
    finally:
        stand_in.close()
    seconds = time.perf_counter() - started
    rows = list(stand_in.hybrid)
    others = [i for i in range(params.n_neurons) if i not in rows]
    quiet = np.ones(steps, bool)
    quiet[trial.spike_steps] = False
    return {"plant": plant, "steps": steps, "spikes": trial.n_spikes, "reference_spikes": reference.n_spikes,
            "same_spikes": bool(np.array_equal(trial.spike_steps, reference.spike_steps)
                                and np.array_equal(trial.spike_ids, reference.spike_ids)),
            "same_spikes_event_driven": bool(np.array_equal(trial.spike_steps, events.spike_steps)
                                             and np.array_equal(trial.spike_ids, events.spike_ids)),
            "same_codes": bool(np.array_equal(trial.codes, reference.codes)),
            "max_dv_behavioural": float(np.max(np.abs(trial.v[:, others] - reference.v[:, others]))),
            "max_dv_hybrid": float(np.max(np.abs(trial.v[quiet][:, rows] - reference.v[quiet][:, rows]))),
            "hybrid_decisions": int(len(trial.events)), "seconds": seconds, "error": trial.error}


def check_exactness(steps: int = 2000, seed: int = 0, hybrid=(0, 7)) -> list[str]:
    """Both stand-ins; one line each."""
    params = NetworkParams()
    lines = []
    for plant in ("behavioural", "integrator"):
        r = compare_with_pure(params, steps, seed, hybrid, plant)
        lines.append(f"{plant}: {r['spikes']} spikes ({r['reference_spikes']} pure), same spikes {r['same_spikes']} "
                     f"(event-driven model: {r['same_spikes_event_driven']}), same codes {r['same_codes']}, "
                     f"max |ΔV| hybrid {r['max_dv_hybrid']:.2e}, others {r['max_dv_behavioural']:.2e}, "
                     f"{r['hybrid_decisions']} hybrid decisions, {r['seconds']:.2f} s")
    return lines
