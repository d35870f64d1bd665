"""The transistor-level plant: k network neurons as sky130 circuits (cosim/circuit.py) in a
lock-stepped ngspice (spice/lockstep.py), one network step per period of chip time.

Per step and hybrid neuron j, the sources carry (chip time, offsets from the step's start):

- bits b0 … b5: the code of the synapse (j, k) of the neuron k that spiked in the previous step,
  from the step's start (the DACs settle until the pulse);
- pulse: high from pulse_start for pulse_width when there was such a spike; the S&H samples
  I_mem as it rises (V_before), the flags are read as it falls (the decision);
- drive: the network's input to neuron j during the step, I_in = I_rest,in + u·(input per unit),
  held over the step; what would be negative is clipped to 0 and its deficit goes to the leak;
- leak: after the neuron's own spike, the charge q_e·ln(I/(I - reset·i_per_unit)) on the leak
  bias between leak_start and leak_start + leak_width: the network's fixed reset (its threshold:
  back to rest), exactly, from I_mem read at the step's start (q_e from the calibration); plus a
  held deficit current.

Read at the step's end: I_mem → V = (I_mem - I_rest)/i_per_unit; the flags → INC/SL/DEC (both
set → SL, counted in ``conflicts``); the input node's maximum → clipped.
"""

from __future__ import annotations

import numpy as np

from ebn_circuit.cosim.calibrate import Calibration
from ebn_circuit.cosim.circuit import BITS, HybridDesign, code_bits, hybrid_testbench, observed, source_names
from ebn_circuit.cosim.plant import PlantStep, check_hybrid
from ebn_circuit.errors import ConfigError, SimulationError
from ebn_circuit.network.params import NetworkParams
from ebn_circuit.network.units import CircuitUnits
from ebn_circuit.rule import DEC, INC, SL
from ebn_circuit.spice.lockstep import EngineSpec, LockstepSession, command, hold, pulse

LOWEST_RESET_RATIO = 0.05   # a reset never asks the leak to take I_mem below 5 % of its value
OFF_REST = 2.0              # potential units: a trimmed neuron starts within a few hundredths of rest
VECTORS = len(observed(0))


def plant_spec(design: HybridDesign, tech, count: int, periods: int, drive_rest: tuple[float, ...],
               seed: int | None = None, name: str = "hybrid") -> EngineSpec:
    """The lock-stepped transient of ``count`` hybrid neurons over ``periods`` network steps."""
    technology = tech.with_mismatch(True) if seed is not None else tech
    stimuli = [(["external"] * BITS, "external", "external", "external")] * count
    bench = hybrid_testbench(design, technology, count, stimuli, periods * design.period, name, seed=seed,
                             max_step=design.max_step or design.period)
    sources = tuple(name.lower() for j in range(count) for name in source_names(j))
    initial = tuple(value for j in range(count) for value in (0.0,) * BITS + (0.0, drive_rest[j], 0.0))
    vectors = tuple(name for j in range(count) for name in observed(j))
    return EngineSpec(netlist=bench.netlist(), period=design.period, periods=periods, sources=sources,
                      initial=initial, vectors=vectors)


class TransistorPlant:
    """Hybrid neurons as transistor-level circuits.

    params, hybrid: the network and the indices of its hybrid neurons. periods: the trial's
    steps plus one. design, calibration: the circuit and its measured trims (one neuron entry
    per hybrid neuron, from the same ``seed``). units: the potential ↔ current map. tech: the
    technology (its corner); ``seed``: a Monte-Carlo instance (mismatch on), None: nominal.
    """

    def __init__(self, params: NetworkParams, hybrid, periods: int, design: HybridDesign, calibration: Calibration,
                 units: CircuitUnits, tech, seed: int | None = None, context: str = "hybrid circuit",
                 step_timeout: float = 600.0):
        self.params, self.design, self.units = params, design, units
        self.hybrid = check_hybrid(hybrid, params)
        self.calibration = calibration
        if len(calibration.neurons) != len(self.hybrid):
            raise ConfigError(f"{context}: calibration has {len(calibration.neurons)} neurons, "
                              f"the plant {len(self.hybrid)}")
        if abs(design.time_scale - units.time_scale) > 1e-12 * units.time_scale:
            raise ConfigError(f"{context}: design time scale {design.time_scale} ≠ units {units.time_scale}")
        self.per_unit = np.array([n.input_per_unit(units, design.period) for n in calibration.neurons])
        self.drive_rest = np.array([n.drive_rest for n in calibration.neurons])
        self.leak_gain = np.array([n.gain * n.charge_per_efold / n.tau for n in calibration.neurons])
        self.q_e = np.array([n.charge_per_efold for n in calibration.neurons])
        self.v_clip = np.array([n.v_clip for n in calibration.neurons])
        self.spec = plant_spec(design, tech, len(self.hybrid), periods, tuple(self.drive_rest), seed)
        self.session = LockstepSession(self.spec, context, step_timeout=step_timeout)
        self.bits = [(0,) * BITS for _ in self.hybrid]
        self.i_mem = np.zeros(len(self.hybrid))
        self.conflicts = 0
        self.clipped_steps = 0
        self.reset = np.zeros(len(self.hybrid))

    def _unpack(self, values) -> np.ndarray:
        return np.asarray(values, float).reshape(len(self.hybrid), VECTORS)

    def start(self, reset: np.ndarray) -> np.ndarray:
        """``reset``: each hybrid neuron's fixed reset (potential units), delivered on the leak bias."""
        self.reset = np.asarray(reset, float)
        self.i_mem = self._unpack(self.session.first.values)[:, 0]
        v = (self.i_mem - self.units.i_rest) / self.units.i_per_unit
        if np.any(np.abs(v) > OFF_REST):
            self.close()
            raise SimulationError(f"{self.session.context}: the circuit's operating point is not at rest: I_mem = "
                                  f"{', '.join(f'{i * 1e9:.4g}' for i in self.i_mem)} nA against I_rest = "
                                  f"{self.units.i_rest * 1e9:g} nA (a wrong calibration, or the DC solver found "
                                  "another equilibrium)")
        return v

    def waves(self, drive: np.ndarray, spike: int, codes: np.ndarray):
        """The step's command: each neuron's bits, pulse, drive and leak, the flag sample and the
        short-step window of the pulse."""
        d, vdd = self.design, 1.8
        waves = []
        for j, neuron in enumerate(self.hybrid):
            if spike >= 0:
                self.bits[j] = code_bits(int(codes[j]))
            waves += [hold(vdd * bit) for bit in self.bits[j]]
            waves.append(pulse(0.0, vdd, d.pulse_start, d.pulse_width, d.pulse_edge) if spike >= 0 else hold(0.0))
            current = self.drive_rest[j] + drive[j] * self.per_unit[j]
            deficit_leak = 0.0
            if current < 0.0:
                deficit_leak = -current * self.leak_gain[j] / max(self.i_mem[j], 1e-12)
                current = 0.0
            waves.append(hold(current))
            if spike == neuron:
                waves.append(self._reset_wave(j, deficit_leak))
            else:
                waves.append(hold(deficit_leak))
        if spike < 0:
            return command(waves)
        window = (d.pulse_start - d.pulse_edge, d.pulse_start + d.pulse_width + 3 * d.pulse_edge, d.fine_step)
        return command(waves, samples=(d.sample_offset,), windows=(window,))

    def _reset_wave(self, j: int, base: float):
        d = self.design
        i_mem = max(self.i_mem[j], 1e-12)
        after = max(i_mem - self.reset[j] * self.units.i_per_unit, LOWEST_RESET_RATIO * i_mem)
        charge = self.q_e[j] * np.log(i_mem / after)
        height = charge / d.leak_width
        return pulse(base, base + height, d.leak_start, d.leak_width, d.pulse_edge)

    def advance(self, drive: np.ndarray, spike: int, codes: np.ndarray, learn: bool) -> PlantStep:
        readings = self.session.step(self.waves(np.asarray(drive, float), spike, codes))
        values = self._unpack(readings.values)
        self.i_mem = values[:, 0]
        clipped = self._unpack(readings.maxima)[:, 3] > self.v_clip
        self.clipped_steps += int(clipped.any())
        decisions = None
        if spike >= 0:
            flags = self._unpack(readings.samples[0])
            inc, dec = flags[:, 1] > 0.9, flags[:, 2] > 0.9
            self.conflicts += int(np.sum(inc & dec))
            decisions = np.where(inc & ~dec, INC, np.where(dec & ~inc, DEC, SL)).astype(np.int64)
        return PlantStep(v=(self.i_mem - self.units.i_rest) / self.units.i_per_unit, decisions=decisions,
                         i_mem=self.i_mem.copy(), clipped=clipped, points=readings.points,
                         source_calls=readings.source_calls, ngspice_s=readings.wall_s - readings.callback_s,
                         python_s=readings.callback_s, cpu_s=readings.cpu_s)

    def close(self) -> None:
        self.session.close()


def synapse_drive(design: HybridDesign, tech, drive_rest: float, code: int, steps: int = 250, every: int = 5,
                  average: int = 100, context: str = "synapse calibration") -> tuple[float, float]:
    """(mean net synaptic current, mean I_mem) over the last ``average`` steps of a lock-stepped run
    of one hybrid neuron whose synapse gets a pulse at ``code`` every ``every`` steps (A)."""
    spec = plant_spec(design, tech, 1, steps, (drive_rest,), name=f"cosim_synapse_{code:+d}")
    net = i_mem = 0.0
    d = design
    window = ((d.pulse_start - d.pulse_edge, d.pulse_start + d.pulse_width + 3 * d.pulse_edge, d.fine_step),)
    with LockstepSession(spec, context) as session:
        for n in range(steps):
            firing = n % every == 0
            waves = ([hold(1.8 * bit) for bit in code_bits(code)]
                     + [pulse(0.0, 1.8, d.pulse_start, d.pulse_width, d.pulse_edge) if firing else hold(0.0),
                        hold(drive_rest), hold(0.0)])
            readings = session.step(command(waves, windows=window if firing else ()))
            if n >= steps - average:
                net -= readings.integrals[4]
                i_mem += readings.integrals[0]
    span = average * design.period
    return net / span, i_mem / span


def transistor_factory(params: NetworkParams, hybrid, design: HybridDesign, calibration: Calibration,
                       units: CircuitUnits, tech, seed: int | None = None, step_timeout: float = 600.0):
    """``periods → TransistorPlant``: a fresh lock-stepped circuit per trial (ngspice starts each
    trial from the operating point, as the network starts each trial from rest)."""

    def make(periods: int) -> TransistorPlant:
        return TransistorPlant(params, hybrid, periods, design, calibration, units, tech, seed=seed,
                               step_timeout=step_timeout)

    return make


ALTERNATING_CODES = (0, *(c for n in range(1, 32) for c in (-n, n)), -32)


def front_end_decisions(design: HybridDesign, tech, drive_rest: float, seed: int | None = None, every: int = 8,
                        codes: tuple[int, ...] = ALTERNATING_CODES,
                        context: str = "front-end calibration") -> list[tuple[int, float, int]]:
    """(code, I_mem at the pulse's step start, decision) for one pulse per code, ``every`` steps
    apart, with the neuron at rest: the bounds sweep past I_mem as the code runs through its range
    (alternating signs, so that the synapse's own pushes cancel)."""
    spec = plant_spec(design, tech, 1, every * len(codes), (drive_rest,), seed, name="cosim_front_end")
    d = design
    window = ((d.pulse_start - d.pulse_edge, d.pulse_start + d.pulse_width + 3 * d.pulse_edge, d.fine_step),)
    out = []
    with LockstepSession(spec, context) as session:
        i_mem = session.first.values[0]
        for n in range(every * len(codes)):
            firing = n % every == 0
            code = codes[n // every]
            waves = ([hold(1.8 * bit) for bit in code_bits(code)]
                     + [pulse(0.0, 1.8, d.pulse_start, d.pulse_width, d.pulse_edge) if firing else hold(0.0),
                        hold(drive_rest), hold(0.0)])
            readings = session.step(command(waves, samples=(d.sample_offset,) if firing else (),
                                            windows=window if firing else ()))
            if firing:
                inc, dec = readings.samples[0][1] > 0.9, readings.samples[0][2] > 0.9
                out.append((code, i_mem, INC if inc and not dec else DEC if dec and not inc else SL))
            i_mem = readings.values[0]
    return out
