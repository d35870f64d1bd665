"""Per-instance extraction of a chip: every block measured as the IC runs use it, on the loop's own
devices (``circuits.learning_loop.probe_testbench``), so that Monte-Carlo seed N gives the
parameters of the instance that the loop's run with seed N is made of.

One job per instance (``measure_instance``), a few short transients each:

- neuron: a drive staircase with the code held at 0 and no pulses → I_mem∞ at three drives (the
  power law I_mem∞ = A·(I_in/3 nA)^γ), τ_mem, the input's feedthrough k (I_mem moves by −k·ΔI_in
  at the instant the input steps; from the step at I_mem ≈ 9 nA, where the loops run), and the
  ratio of the learning block's copy of I_mem to I_mem (the copy mirror's mismatch: what the block
  compares is the copy); a strong drive → spike threshold, refractory, rate;
- synapse pair: a train of pulses at the run's period at each of eight codes, all in one
  transient with the learning block idle, its net current into the neuron input sensed → the
  charge per pulse / width A(code) in the train's steady state (its line through |code| ≥ 4: gain
  per code and offset at code 0; ±2 show the dead zone around 0) and τ_syn;
- learning block: its effective bounds at two codes, pulsed as the run pulses the loop (successive
  refinement from two levels around each bound to ±0.0125 nA, at most four rounds) → I_rest,
  I_SL, g, k;
- weight DAC: the all-code sweep of the synapse's DAC (its own netlist: another draw of the same
  distribution) → LSB, offset, DNL and the code → current curve.

Every parameter comes with a 1σ of its fit (``<name>_sigma``; the bounds' refinement resolution
for the learning block).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ebn_circuit.behavioural.learning_block import fit_bounds_model
from ebn_circuit.circuits.dac import DacParams, DacSweepParams
from ebn_circuit.circuits.learning_loop import IcRun, LoopProbe, probe_testbench, switched_on
from ebn_circuit.circuits.learning_timing import PulseSchedule
from ebn_circuit.circuits.testbench import Testbench
from ebn_circuit.errors import WaveformError
from ebn_circuit.extract.dac import measure_dac_table
from ebn_circuit.extract.learning_block import refine_code
from ebn_circuit.extract.neuron import exponential_fit, steady_rate, threshold_table
from ebn_circuit.measure.dac import dac_linearity
from ebn_circuit.measure.events import spike_times
from ebn_circuit.params import Params, param, positive
from ebn_circuit.sweep.jobs import JobOutput

NEURON_DRIVES = (2e-9, 3.5e-9, 5.5e-9)   # A: the staircase spans the IC runs' I_mem (7–18 nA)
NEURON_SEGMENT = 60e-3                    # s per stair: > 3 τ_mem
REFERENCE_DRIVE = 3e-9                    # A: the power law's reference input
STRONG_DRIVE = 30e-9                      # A: a few hundred Hz of spikes
# the IC runs settle at codes -18 … 5; ±2 sit in the pair's dead zone (a DPI below its gain current
# does not turn on: instance 16 at code 1 decays to 0, where the line through ±4 gives 0.76 nA), so
# they shape the twin's a(code) near 0 and stay out of the line (gain, offset) the network uses
SYNAPSE_CODES = (-24, -12, -4, -2, 2, 4, 12, 24)
LINE_CODES = tuple(c for c in SYNAPSE_CODES if abs(c) >= 4)
# eight pulses: at codes ±4 the pair reaches its steady charge per pulse only after ~6 periods (seed 7:
# -0.65 nA in the 4th period, -1.48 in the 7th, -1.49 in the 9th); the loop, whose code moves by one per
# pulse at most, drives it near that steady state
SYNAPSE_ONSET, SYNAPSE_PULSES, SYNAPSE_TAIL = 2e-3, 8, 10e-3
# the neuron input's drive during the synapse probe: the pair can only sink what the drive supplies,
# so at Simulation 1's 2.93 nA an inhibitory train at code -24 was cut to -13 nA per pulse (-18.6 at
# 5.5 nA); 5.5 nA covers the IC runs' strongest drive (Simulation 2, 5.3 nA), switched on at t = 0+ as in
# the runs: from the operating point, one instance of four did not converge at code -24
SYNAPSE_DRIVE = NEURON_DRIVES[-1]
# the synapse probe's step: 40 µs ran it ~30 % faster than 20 µs; on seeds 21-25 the pair's gain and
# every a(code) came out 0.4 % higher (the gain's own fit σ: 6-8 %, its spread over instances 11 %),
# the offset within 10 pA (its spread over instances: 0.6 nA), τ_syn within 0.6 %
SYNAPSE_MAX_STEP = 40e-6
LB_CODES = (-16, 16)
# the first staircase: two levels 0.1 nA apart around each nominal bound + its centre, so a bound
# between them is bracketed to 0.1 nA, and one outside them by the 0.1 nA beyond (LB_EXTENSION). The
# centres are the mean offsets of the 30-instance chip at the run's pulse timing (codes ±16: lower
# -84 and -93 pA, σ 29 and 41; upper +42 and +31 pA, σ 43 and 34); its bounds span -187 … +33 pA
# (lower) and -88 … +113 pA (upper), inside the -240 … +60 and -115 … +185 pA bracketed in one round.
# Three levels (0.1 nA apart, centred -100 and 0 pA) took two pulses more per code.
LB_SPAN, LB_STEP, LB_EXTENSION, LB_CENTRES = 0.05e-9, 0.1e-9, 0.1e-9, (-0.09e-9, 0.035e-9)
# then three pulses inside each 0.1 nA bracket: 25 pA brackets, half-width 12.5 pA <= lb_resolution
LB_POINTS = 3


@dataclass(frozen=True)
class ChipSpec(Params):
    """What a chip build measures: the IC run whose blocks are extracted (its neuron, synapse pair
    and learning block), the learning block's calibrated I_Ω per code (A), and the bounds'
    refinement resolution (A)."""

    run: IcRun = param(default_factory=IcRun, kind=IcRun)
    omega_per_code: float = positive(0.07e-9, "A", "the learning block's I_Ω per code (its replica DACs)")
    lb_resolution: float = positive(0.015e-9, "A", "half-width of the bounds' final brackets")
    # the XSPICE counter's reltol 1e-4 keeps the counter's clock events; the neuron and synapse probes
    # clock no counter (code preset or stepped on the bits); at 1e-3 they measured every parameter within
    # 1.2 % on nine instances (τ_mem's small level exponent within 4 %), the synapse probe 20 % faster
    probe_reltol: float = positive(1e-3, "", "relative tolerance of the neuron and synapse probes")
    # the bounds probes re-load the code at every pulse; at 3e-4 they found the brackets of 1e-4 on nine
    # instances, ~25 % faster (at 1e-3 a bound moved)
    bounds_reltol: float = positive(3e-4, "", "relative tolerance of the learning block's bounds probes")


@dataclass(frozen=True)
class ChipInstance:
    """One Monte-Carlo instance of a chip build, as a job's payload."""

    spec: ChipSpec
    seed: int


class LoopBounds:
    """A bounds setup (``extract.learning_block``) whose columns are probes of the loop, pulsed as
    the run pulses it (its width and period) and stepped as the run is (its largest step).

    The period matters: at code −16 the block decides with memory of the pulses before when they come
    0.5 ms apart (the decision bench's timing): the same level above the upper bound decided DEC once,
    then nothing, and 18 of 30 columns there were non-monotonic. At the run's 5 ms every column was
    monotonic and the upper bound at −16 came out 25–38 pA lower (docs/chip.md, ninth session)."""

    def __init__(self, spec: ChipSpec):
        self.spec = spec
        self.block = spec.run.learning_block(spec.omega_per_code)

    def schedule(self, levels: tuple[float, ...], i_omega: float) -> PulseSchedule:
        run = self.spec.run
        return PulseSchedule(levels=levels, i_omega=(i_omega,), t_pulse=run.width, t_track=run.period - run.width)

    def column(self, code: int, schedule: PulseSchedule, seed: int | None, tech):
        step = self.spec.run.max_step
        probe = LoopProbe(code=code, schedule=schedule, t_stop=schedule.stop, max_step=step, print_step=step)
        return chip_probe(self.spec, self.spec.bounds_reltol, tech, probe, seed)


def chip_probe(spec: ChipSpec, reltol: float, tech, probe: LoopProbe, seed: int | None) -> Testbench:
    """A probe of the loop of ``spec`` at ``reltol``, with ngspice's gmin stepping off: on these
    netlists it always fails (gmin 1e-15) before source stepping finds the operating point, ~1 s of a
    probe's ~3 s set-up. On 11 instances × 5 probes the operating point was the same to the last digit
    (an IC run from I_mem = 0 found another one at some seeds: the runs keep gmin stepping)."""
    testbench = probe_testbench(replace(spec.run, reltol=reltol), tech, spec.omega_per_code, probe, seed)
    return replace(testbench, options=testbench.options + (("gminsteps", "0"),))


def _probe(simulator, tech, spec: ChipSpec, seed: int, **probe):
    return simulator.run(chip_probe(spec, spec.probe_reltol, tech, LoopProbe(**probe), seed))


def measure_neuron(simulator, tech, spec: ChipSpec, seed: int) -> dict:
    """I_mem∞ power law, τ_mem, spike threshold, refractory time and rate of one instance."""
    d0, d1, d2 = NEURON_DRIVES
    t1, t2 = NEURON_SEGMENT, 2 * NEURON_SEGMENT
    ramp, fit_delay = 10e-6, 1e-3      # each stair's rise; its fit starts that long after the step
    drive = f"PWL(0 {d0:.6g} {t1:.6g} {d0:.6g} {t1 + ramp:.6g} {d1:.6g} {t2:.6g} {d1:.6g} {t2 + ramp:.6g} {d2:.6g})"
    res = _probe(simulator, tech, spec, seed, drive=drive, pulse_times=(), t_stop=3 * NEURON_SEGMENT,
                 max_step=250e-6, print_step=100e-6, sense_copy=True)
    t, i_mem = res.time, res.i("vimem")
    if res.v("spk").max() > tech.vdd / 2:
        raise WaveformError(f"chip instance {seed}: the neuron spiked under the staircase drive (I_mem up to "
                            f"{i_mem.max() * 1e9:.1f} nA); its drives are below the spike threshold by design")
    settled = float(np.mean(i_mem[(t > 0.7 * t1) & (t < t1)]))
    late = np.zeros(t.shape, bool)          # the settled end of each stair
    for start in (0.0, t1, t2):
        late |= (t > start + 0.7 * NEURON_SEGMENT) & (t < start + NEURON_SEGMENT)
    ratio = res.i("vimem_copy")[late] / i_mem[late]
    fits = [exponential_fit(t, i_mem, start + fit_delay, start + NEURON_SEGMENT) for start in (t1, t2)]
    levels = np.array([settled, fits[0][0], fits[1][0]])
    design = np.vstack([np.ones(3), np.log(np.array(NEURON_DRIVES) / REFERENCE_DRIVE)]).T
    coef, residual, *_ = np.linalg.lstsq(design, np.log(levels), rcond=None)
    sigma = np.sqrt(float(residual[0]) / 1 if residual.size else 0.0) * np.sqrt(np.diag(np.linalg.inv(design.T @ design)))
    taus = [tau for _, _, tau in fits]
    # the input's feedthrough: at a step of I_in, I_mem first moves by −k·ΔI_in (against the step), then
    # relaxes with τ_mem; the fits start after each step, so they are taken back to the end of its rise
    before = [float(i_mem[np.searchsorted(t, start) - 1]) for start in (t1, t2)]
    feedthrough = [-(a + b * np.exp((fit_delay - ramp) / tau) - level) / delta
                   for (a, b, tau), level, delta in zip(fits, before, (d1 - d0, d2 - d1))]
    # τ_mem falls with the level (the leak device's DIBL): τ = τ(9 nA)·(I/9 nA)^(−β) through both stairs
    beta = -np.log(taus[1] / taus[0]) / np.log(levels[2] / levels[1])
    tau_9n = taus[0] * (levels[1] / 9e-9) ** beta
    strong = _probe(simulator, tech, spec, seed, drive=f"PWL(0 0 1m 0 1.01m {STRONG_DRIVE:.6g})", pulse_times=(),
                    t_stop=40e-3, max_step=20e-6, print_step=10e-6)
    spikes = spike_times(strong.time, strong.v("spk"), tech.vdd / 2)
    threshold = threshold_table([(STRONG_DRIVE, strong)], tech.vdd)
    row = threshold.iloc[0] if len(threshold) else {}
    return {"i_mem_rest": settled, "i_mem_rest_sigma": float(np.std(i_mem[(t > 0.7 * t1) & (t < t1)])),
            "gain": float(np.exp(coef[0])), "gain_sigma": float(np.exp(coef[0]) * sigma[0]),
            "gain_exponent": float(coef[1]), "gain_exponent_sigma": float(sigma[1]),
            "tau": float(tau_9n), "tau_sigma": float(abs(taus[0] - taus[1]) / 2), "tau_exponent": float(beta),
            "feedthrough": float(feedthrough[1]),
            "feedthrough_sigma": float(abs(feedthrough[1] - feedthrough[0]) / 2),
            "copy_gain": float(np.median(ratio)), "copy_gain_sigma": float(np.std(ratio)),
            "i_threshold": float(row.get("i_mem_threshold_A", np.nan)), "t_refractory": float(row.get("refractory_s", np.nan)),
            "rate": steady_rate(spikes)}


def synapse_segment(spec: ChipSpec) -> float:
    """Length (s) of one code's part of the synapse probe: onset, the train, the tail."""
    return SYNAPSE_ONSET + (SYNAPSE_PULSES - 1) * spec.run.period + spec.run.width + SYNAPSE_TAIL


def measure_synapse(simulator, tech, spec: ChipSpec, seed: int) -> tuple[dict, pd.DataFrame]:
    """The pair's net current per pulse A(code) = charge / width at SYNAPSE_CODES, its line (gain
    per code, offset at code 0) and τ_syn (decay after the last pulse).

    The charge is that of one period late in a train at the run's period, as the loop drives the
    pair: the DPI starts slowly from rest (below I_gain), so an isolated pulse gave a(8) 0.8 nA
    where a train gives 3.8 nA, and the twin's I_mem at code -12 came out 2-3 nA
    above the transistor-level loop's.

    All codes run in one transient, one segment each (the code stepped on the synapse's bits), with
    the learning block idle: it reads nothing here, and one model expansion and no decisions cost
    ~4× less than a transient per code."""
    width, period, segment = spec.run.width, spec.run.period, synapse_segment(spec)
    starts = segment * np.arange(len(SYNAPSE_CODES))
    train = SYNAPSE_ONSET + period * np.arange(SYNAPSE_PULSES)
    onsets = tuple(float(start + o) for start in starts for o in train)
    res = _probe(simulator, tech, spec, seed, code_steps=tuple(zip(starts.tolist(), SYNAPSE_CODES)),
                 block_idle=True, pulse_times=onsets, drive=switched_on(SYNAPSE_DRIVE), sense_synapse=True,
                 t_stop=float(starts[-1] + segment), max_step=SYNAPSE_MAX_STEP, print_step=10e-6)
    t, i_syn = res.time, -res.i("vsyn")   # current sunk from the neuron input: excitatory
    rows = []
    for start, code in zip(starts, SYNAPSE_CODES):
        last = float(start + train[-1])
        _, _, tau = exponential_fit(t, i_syn, last + width + 0.2e-3, start + segment)
        # the net charge of the train's last full period, leak included: what the neuron receives per
        # period in the train's steady state (at rest the pair's current is ~1 pA: nothing to subtract)
        window = (t >= last - period) & (t <= last)
        charge = float(np.trapezoid(i_syn[window], t[window]))
        base = float(np.mean(i_syn[(t > start + 0.5e-3) & (t < start + SYNAPSE_ONSET - 0.1e-3)]))
        inside = (t >= start) & (t < start + segment)
        rows.append({"code": code, "amplitude": charge / width, "tau": tau, "baseline": base,
                     "peak": float(np.max(np.abs(i_syn[inside])))})
    points = pd.DataFrame(rows)
    line = points[points["code"].isin(LINE_CODES)]
    design = np.vstack([line["code"], np.ones(len(line))]).T
    coef, residual, *_ = np.linalg.lstsq(design, line["amplitude"], rcond=None)
    dof = max(len(line) - 2, 1)
    sigma = np.sqrt((float(residual[0]) if residual.size else 0.0) / dof * np.diag(np.linalg.inv(design.T @ design)))
    strong = points.loc[points["code"].abs() == max(abs(c) for c in SYNAPSE_CODES), "tau"]
    return ({"gain": float(coef[0]), "gain_sigma": float(sigma[0]), "offset": float(coef[1]),
             "offset_sigma": float(sigma[1]), "tau": float(strong.mean()), "tau_sigma": float(strong.std(ddof=0)),
             "baseline": float(points["baseline"].mean())}, points)


def measure_learning_block(simulator, tech, spec: ChipSpec, seed: int) -> tuple[dict, pd.DataFrame]:
    """The block's bounds at LB_CODES (successive refinement on the loop's devices) and the bounds
    model of this instance: I_rest, I_SL, g, k."""
    setup = LoopBounds(spec)
    rows = [refine_code(simulator, tech, setup, code, seed, resolution=spec.lb_resolution, span=LB_SPAN,
                        coarse_step=LB_STEP, points=LB_POINTS, max_rounds=4, each_bound=True,
                        centres=LB_CENTRES, extension=LB_EXTENSION)[0] for code in LB_CODES]
    bounds = pd.DataFrame(rows)
    model = fit_bounds_model(bounds, spec.omega_per_code)
    sigma = float(bounds["resolution_A"].max()) / np.sqrt(3)   # uniform within the final bracket
    return ({"i_rest": model.i_rest, "i_rest_sigma": sigma, "i_sl": model.i_sl, "i_sl_sigma": sigma,
             "gain": model.gain, "gain_sigma": sigma / (spec.omega_per_code * max(LB_CODES)),
             "sl_gain": model.sl_gain, "offset_lower": float(model.bounds(0.0)[0] - (spec.run.i_rest - spec.run.i_sl)),
             "offset_upper": float(model.bounds(0.0)[1] - (spec.run.i_rest + spec.run.i_sl)),
             "monotonic": bool(bounds["monotonic"].all())}, bounds)


def measure_dac(simulator, tech, spec: ChipSpec, seed: int) -> tuple[dict, pd.DataFrame]:
    """The synapse DAC's code → current (A) in its own sweep netlist, instance ``seed``."""
    dac = DacParams(polarity="offset", i_lsb=spec.run.i_lsb)
    table = measure_dac_table(simulator, DacSweepParams(dac=dac, v_out=0.6, seed=seed), tech, instance=seed)
    lin = dac_linearity(table)
    return ({"lsb": lin.lsb, "offset": lin.offset, "dnl_max": lin.dnl_max, "inl_max": lin.inl_max,
             "monotonic": lin.monotonic}, table)


def measure_instance(simulator, tech, inst: ChipInstance) -> JobOutput:
    """Job function: every block of one instance. Row columns ``<block>_<parameter>``."""
    spec, seed = inst.spec, inst.seed
    neuron = measure_neuron(simulator, tech, spec, seed)
    synapse, points = measure_synapse(simulator, tech, spec, seed)
    block, bounds = measure_learning_block(simulator, tech, spec, seed)
    dac, curve = measure_dac(simulator, tech, spec, seed)
    row = {"instance": seed}
    for prefix, values in (("neuron", neuron), ("synapse", synapse), ("lb", block), ("dac", dac)):
        row.update({f"{prefix}_{k}": v for k, v in values.items()})
    return JobOutput(row=row, tables={"synapse_points": points.assign(instance=seed),
                                      "lb_bounds": bounds.assign(instance=seed), "dac_curve": curve})


def nominal_spec(run: IcRun, omega_per_code: float, **changes) -> ChipSpec:
    """A ChipSpec for ``run`` with the drive and pulses irrelevant (each probe sets its own). The
    probes hold the code by the counter's preset, with the decision bench's XSPICE counter and
    reltol: with the behavioural counter, the bounds probe (ideal I_mem source, code -16) found an
    operating point with the replica DAC's reference node at 8 V (gmin stepping failed) and its
    bounds ran off. Held codes give the counter no step to lose."""
    return ChipSpec(run=replace(run, start_at_rest=True).with_xspice_counter(), omega_per_code=omega_per_code,
                    **changes)
