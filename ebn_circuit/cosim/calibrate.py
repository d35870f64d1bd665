"""Calibrating the hybrid circuit against the network's units, from plain ngspice runs.

The network speaks potentials and weight codes, the circuit currents; units.CircuitUnits fixes
the map (I_mem = I_rest + (V - V_rest)·i_per_unit, chip time = time_scale·network time). What the
map needs from the circuit, measured here (SI, chip time):

- per neuron and chip instance (the trims a chip's bias DACs would hold): the input current
  that holds I_mem at I_rest, the DC gain dI_mem/dI_in there, the membrane time constant τ,
  the leak-bias charge that divides I_mem by e (q_e = C·U_T/κ: a charge Q there multiplies I_mem
  by exp(-Q/q_e)), and the input node's voltage when its current is nearly zero (clip monitor);
- once, nominally: the synapse's equivalent jump per code and its offset at code 0, from
  lock-stepped runs with a sustained pulse train (``synapse_jump``).

``tune_design`` sets C_mem so that τ = time_scale/λV and the DAC's unit current so that one
code moves I_mem by δ·i_per_unit, the learning block's bounds from the rule's g and band. The
plain runs go through the Simulator and its cache, the lock-stepped ones through a JSON cache.
"""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from ebn_circuit.cosim.circuit import BITS, HybridDesign, code_bits, hybrid_testbench, with_learning
from ebn_circuit.errors import ConfigError, WaveformError
from ebn_circuit.network.params import NetworkParams
from ebn_circuit.network.units import CircuitUnits
from ebn_circuit.rule import classify
from ebn_circuit.spice.lockstep import pulse

GATE_CAPACITANCE = 0.9e-12   # F at the membrane of the 3×3 µm neuron (docs/ic.md), for the C_mem first guess
CLIP_FRACTION = 0.02         # the input counts as clipped below this share of its rest current
PROBE_CODE = 6


@dataclass(frozen=True)
class NeuronCalibration:
    """One hybrid neuron on one chip instance (A, s chip, C, V)."""

    drive_rest: float
    gain: float
    tau: float
    charge_per_efold: float
    v_clip: float
    i_mem_rest: float

    def input_per_unit(self, units: CircuitUnits, period: float) -> float:
        """Input current (A) held over one period that adds one potential unit per step."""
        return units.i_per_unit * self.tau / (self.gain * period)


@dataclass(frozen=True)
class Calibration:
    """All neurons of one instance, the synapse's jump per code (A) and its code-0 offset (codes),
    both nominal, and the learning front end's offset (A) that the instance's design trims out."""

    neurons: tuple[NeuronCalibration, ...]
    omega_per_code: float
    synapse_offset_codes: float = 0.0
    front_end_offset: float = 0.0

    def as_dict(self) -> dict:
        return {"neurons": [asdict(n) for n in self.neurons], "omega_per_code": self.omega_per_code,
                "synapse_offset_codes": self.synapse_offset_codes, "front_end_offset": self.front_end_offset}

    def with_neurons(self, neurons: tuple[NeuronCalibration, ...]) -> "Calibration":
        return replace(self, neurons=tuple(neurons))


def _stimuli(count: int, drive: float, code: int = 0, pulse_text: str = "DC 0", leak: str = "DC 0",
             drives: tuple[str, ...] | None = None) -> list[tuple]:
    bits = [f"DC {1.8 * b:g}" for b in code_bits(code)]
    return [(bits, pulse_text, drives[j] if drives else f"DC {drive:.6g}", leak if j == 0 else "DC 0")
            for j in range(count)]


def _pwl(wave) -> str:
    return "PWL(" + " ".join(f"{t:.9g} {v:.6g}" for t, v in wave) + ")"


def rest_operating_point(simulator, design: HybridDesign, tech, units: CircuitUnits, count: int = 1,
                         seed: int | None = None, j: int = 0, nominal_drive: float = 2.9e-9):
    """DC sweep of neuron j's input: (drive for I_mem = I_rest, gain there, v(iin) near zero input)."""
    low, high = 0.05 * nominal_drive, 3.0 * nominal_drive
    steps = 80
    # downwards: started at a small input, the DC solver can land on the parked positive feedback's
    # latched state (I_mem near 1 µA; seen under mismatch) and the sweep then stays on it
    bench = hybrid_testbench(design, tech, count, _stimuli(count, nominal_drive), 0.0, f"cosim_cal_dc{j}",
                             seed=seed, saves=(f"i(vimem_{j})", f"v(iin_{j})"),
                             sweep=(f"idrive_{j}", high, low, -(high - low) / steps))
    result = simulator.run(bench)
    drive = result["i(i-sweep)"]
    order = np.argsort(drive)
    drive, i_mem, v_iin = drive[order], result.i(f"vimem_{j}")[order], result.v(f"iin_{j}")[order]
    if not (i_mem.min() < units.i_rest < i_mem.max()):
        raise ConfigError(f"cosim calibration: neuron {j}{'' if seed is None else f' (instance {seed})'} reaches "
                          f"I_mem {i_mem.min() * 1e9:.3g}…{i_mem.max() * 1e9:.3g} nA over inputs up to "
                          f"{high * 1e9:.3g} nA, not I_rest = {units.i_rest * 1e9:g} nA")
    if np.any(np.diff(i_mem) <= 0):
        raise ConfigError(f"cosim calibration: neuron {j}{'' if seed is None else f' (instance {seed})'}: I_mem does "
                          "not rise with the input over the DC sweep")
    rest = float(np.interp(units.i_rest, i_mem, drive))
    gain = float(np.interp(rest, drive, np.gradient(i_mem, drive)))
    v_clip = float(np.interp(CLIP_FRACTION * rest, drive, v_iin))
    return rest, gain, v_clip


def leak_response(simulator, design: HybridDesign, tech, drive_rest: float, count: int = 1, seed: int | None = None,
                  j: int = 0, drives: tuple[str, ...] | None = None):
    """(τ, q_e, I_mem at rest) of neuron j from one transient: a leak-bias charge pulse that lowers
    I_mem by ~5 %, then the relaxation back to rest (chip s, C, A)."""
    q_guess = (design.neuron.c_mem + GATE_CAPACITANCE) * 0.0366
    start, width, edge = 0.02 * design.time_scale, 2e-4 * design.time_scale, 1e-6
    current = 0.05 * q_guess / width
    tau_guess = q_guess / design.neuron.i_tau
    stop = start + width + 2.5 * tau_guess
    leak = _pwl(pulse(0.0, current, start, width, edge))
    stimuli = [(s[0], s[1], s[2], leak if n == j else "DC 0") for n, s in enumerate(_stimuli(count, drive_rest,
                                                                                            drives=drives))]
    bench = hybrid_testbench(design, tech, count, stimuli, stop, f"cosim_cal_leak{j}", seed=seed,
                             saves=(f"i(vimem_{j})",), max_step=tau_guess / 200)
    result = simulator.run(bench)
    time, i_mem = result.time, result.i(f"vimem_{j}")
    rest = float(np.interp(start, time, i_mem))
    after = float(np.interp(start + width + 2 * edge, time, i_mem))
    if not 0 < after < rest:
        raise WaveformError(f"cosim calibration: the leak pulse did not lower I_mem of neuron {j} "
                            f"({rest * 1e9:.4g} → {after * 1e9:.4g} nA)")
    tail = (time > start + width + 0.05 * tau_guess) & (time < start + width + 2 * tau_guess)
    deficit = rest - i_mem[tail]
    keep = deficit > 0.02 * (rest - after)
    slope, intercept = np.polyfit(time[tail][keep], np.log(deficit[keep]), 1)
    # the charge keeps acting after the pulse (the leak bias node recovers over ~ms): I_mem read at the
    # pulse's end has seen ~80 % of the drop. q_e is that of the equivalent instantaneous drop, the
    # membrane's exponential recovery extrapolated back to the pulse's end (what the network's reset is)
    drop = float(np.exp(intercept + slope * (start + width)))
    if not 0 < drop < rest:
        raise WaveformError(f"cosim calibration: the leak pulse's extrapolated drop of neuron {j} is "
                            f"{drop * 1e9:.4g} nA at I_mem {rest * 1e9:.4g} nA")
    charge = current * width / np.log(rest / (rest - drop))
    return float(-1.0 / slope), float(charge), rest


def synapse_jump(design: HybridDesign, tech, neuron: NeuronCalibration, code: int = PROBE_CODE, every: int = 10,
                 cache_dir: Path | None = None) -> tuple[float, float]:
    """(equivalent I_mem jump per code in A, the synapse's offset in codes) from two lock-stepped
    runs with the synapse pulsed every ``every`` steps at +code and at -code.

    A DPI is linear only while its output is well above I_gain, and one pulse moves its capacitor
    by a few mV, so single probes drown in the simulator's tolerance; a sustained train measures
    the mean charge per pulse q instead. An instantaneous jump J of I_mem and a charge q at the
    neuron's input have the same time integral when J = gain·q/τ: that J is the jump per code.
    The offset is the net current at code 0 (the excitatory and inhibitory halves differ) in codes.
    ``code`` and ``every`` keep the net inhibition below the neuron's rest input (the input
    cannot go below zero: a stronger train would measure the clip, not the synapse).
    """
    from ebn_circuit.cosim.transistor import plant_spec, synapse_drive

    key = hashlib.sha256((plant_spec(design, tech, 1, 1, (neuron.drive_rest,)).netlist
                          + f"{code} {every} {neuron}").encode()).hexdigest()[:20]
    cached = _read_cache(cache_dir, key)
    if cached is None:
        def net_current(signed_code: int) -> float:
            return synapse_drive(design, tech, neuron.drive_rest, signed_code, every=every, steps=30 * every,
                                 average=20 * every)[0]

        with ThreadPoolExecutor(2) as pool:  # each run is its own child process: the two signs at once
            plus, minus = pool.map(net_current, (code, -code))
        if min(plus, minus) < -0.9 * neuron.drive_rest:
            raise WaveformError(f"cosim calibration: the synapse's inhibition at code {-code} clips the neuron's "
                                f"input ({minus * 1e9:.3g} nA against {neuron.drive_rest * 1e9:.3g} nA at rest)")
        cached = _write_cache(cache_dir, key, {"plus": plus, "minus": minus})
    rate = 1.0 / (every * design.period)
    charge = (cached["plus"] - cached["minus"]) / (2 * code) / rate
    offset = (cached["plus"] + cached["minus"]) / 2 / (charge * rate) if charge else float("nan")
    return neuron.gain * charge / neuron.tau, offset


def _read_cache(cache_dir: Path | None, key: str) -> dict | None:
    if cache_dir is None:
        return None
    path = Path(cache_dir) / f"cosim_calibration_{key}.json"
    return json.loads(path.read_text()) if path.is_file() else None


def _write_cache(cache_dir: Path | None, key: str, value: dict) -> dict:
    if cache_dir is not None:
        Path(cache_dir).mkdir(parents=True, exist_ok=True)
        (Path(cache_dir) / f"cosim_calibration_{key}.json").write_text(json.dumps(value))
    return value


def calibrate_neurons(simulator, design: HybridDesign, tech, units: CircuitUnits, count: int,
                      seed: int | None = None) -> tuple[NeuronCalibration, ...]:
    """The per-neuron trims of one instance (``seed``; None: nominal)."""
    rests = [rest_operating_point(simulator, design, tech, units, count, seed, j) for j in range(count)]
    drives = tuple(f"DC {rest:.9g}" for rest, _, _ in rests)
    out = []
    for j, (rest, gain, v_clip) in enumerate(rests):
        tau, charge, i_mem = leak_response(simulator, design, tech, rest, count, seed, j, drives)
        out.append(NeuronCalibration(drive_rest=rest, gain=gain, tau=tau, charge_per_efold=charge, v_clip=v_clip,
                                     i_mem_rest=i_mem))
    return tuple(out)


def learning_bounds(design: HybridDesign, units: CircuitUnits, params: NetworkParams) -> HybridDesign:
    """The front end's I_rest, I_SL, I_Ω per code and mirror ratio from the network's rule."""
    return with_learning(design, i_rest=units.i_rest, i_sl=units.i_sl(params),
                         omega_per_code=units.omega_current(params), omega_ratio=units.omega_ratio(params))


def tune_design(simulator, design: HybridDesign, tech, units: CircuitUnits, params: NetworkParams,
                cache_dir: Path | None = None):
    """(design, nominal calibration): C_mem for τ = time_scale/λV, the DAC's unit current for one
    code = δ·i_per_unit of I_mem, the bounds for the rule; then measured."""
    if abs(design.time_scale - units.time_scale) > 1e-12 * units.time_scale:
        raise ConfigError(f"design time scale {design.time_scale} ≠ units time scale {units.time_scale}")
    design = learning_bounds(design, units, params)
    target_tau = units.time_scale / params.lambda_v
    rest, _, _ = rest_operating_point(simulator, design, tech, units)
    tau, _, _ = leak_response(simulator, design, tech, rest)
    total = (design.neuron.c_mem + GATE_CAPACITANCE) * target_tau / tau
    design = replace(design, neuron=replace(design.neuron, c_mem=max(total - GATE_CAPACITANCE, 0.1e-12)))
    neurons = calibrate_neurons(simulator, design, tech, units, 1)
    target_jump = units.omega_current(params)
    for _ in range(2):  # the DPI pair is not quite linear in its weight current: two corrections
        jump, _ = synapse_jump(design, tech, neurons[0], cache_dir=cache_dir)
        if not jump > 0:
            raise WaveformError(f"cosim calibration: the synapse's jump per code is {jump:g} A (not positive)")
        dac = replace(design.synapse.dac, i_lsb=design.synapse.dac.i_lsb * target_jump / jump)
        design = replace(design, synapse=replace(design.synapse, dac=dac))
    jump, offset = synapse_jump(design, tech, neurons[0], cache_dir=cache_dir)
    return design, Calibration(neurons=neurons, omega_per_code=jump, synapse_offset_codes=offset)




def front_end_offset(design: HybridDesign, tech, neuron: NeuronCalibration, seed: int | None = None,
                     cache_dir: Path | None = None) -> float:
    """The learning front end's offset (A): how far the centre of its decision band sits above the
    nominal I_rest − r·I_Ω, from one pulse per code with the neuron at rest (the best constant shift
    of the ideal bounds that reproduces the circuit's decisions; the bounds move by r·I_Ω per code,
    25 pA, which is the resolution)."""
    from ebn_circuit.cosim.transistor import front_end_decisions

    key = hashlib.sha256((f"{design!r} {tech.cache_key()} {seed} {neuron.drive_rest}").encode()).hexdigest()[:20]
    cached = _read_cache(cache_dir, "front_end_" + key)
    if cached is None:
        rows = front_end_decisions(design, tech, neuron.drive_rest, seed)
        cached = _write_cache(cache_dir, "front_end_" + key, {"rows": rows})
    block = design.learning
    codes, i_before, decisions = (np.array(column) for column in zip(*cached["rows"]))
    shifts = np.linspace(-1e-9, 1e-9, 401)
    scores = [np.mean(classify(i_before - shift, *block.bounds(codes * block.omega_per_code)) == decisions)
              for shift in shifts]
    best = np.flatnonzero(np.asarray(scores) == max(scores))
    return float(shifts[best].mean())


def prepare_circuit(simulator, tech, units: CircuitUnits, params: NetworkParams, count: int = 1,
                    mismatch_seed: int | None = None, cache_dir: Path | None = None, design: HybridDesign | None = None):
    """(design, calibration) for ``count`` hybrid neurons: the design tuned at the nominal corner
    of ``tech``; for a Monte-Carlo instance, its neurons' trims measured on that instance. The
    learning front end's I_rest is trimmed by its measured offset, at the nominal corner too (a
    chip's bias trim: the nominal front end sits ~55 pA off at tt, under sky130 mismatch a good part
    of a nA, while the rule's band is ±5 pA). The synapse's jump per code and offset stay nominal:
    learning is what compensates them. ``count`` > 1 shares one front-end trim (that of neuron 0)."""
    from ebn_circuit.cosim.circuit import design_for

    design, calibration = tune_design(simulator, design or design_for(params.dt, time_scale=units.time_scale), tech,
                                      units, params, cache_dir)
    technology = tech.with_mismatch(True) if mismatch_seed is not None else tech
    if count > 1 or mismatch_seed is not None:
        calibration = calibration.with_neurons(calibrate_neurons(simulator, design, technology, units, count,
                                                                 mismatch_seed))
    offset = front_end_offset(design, technology, calibration.neurons[0], mismatch_seed, cache_dir)
    trimmed = with_learning(design, i_rest=design.learning.i_rest - offset)
    return trimmed, replace(calibration, front_end_offset=offset)


__all__ = ["BITS", "Calibration", "NeuronCalibration", "calibrate_neurons", "learning_bounds", "prepare_circuit",
           "synapse_jump", "tune_design"]
__all__ += ["front_end_offset"]
