"""The chip twin: probes measure the loop's own instance, the chip folder is checked, the mismatch
model reproduces and covers its instances, the twin follows the rule."""

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ebn_circuit.behavioural.learning_block import LearningBlockModel
from ebn_circuit.chip.model import MismatchModel, pelgrom, pelgrom_coefficients, validate
from ebn_circuit.chip.tables import BLOCKS, Chip, load_chip
from ebn_circuit.chip.twin import TwinParams, simulate_twin
from ebn_circuit.circuits.learning_loop import LoopProbe, learning_loop_testbench, probe_testbench
from ebn_circuit.errors import ConfigError
from ebn_circuit.experiments.ic_setup import load_run

REPO = Path(__file__).resolve().parents[1]
OMEGA = 0.075e-9


def test_a_probe_measures_the_instance_the_loop_is_made_of(simulator, sky130_tt):
    """ngspice draws each device's mismatch from the seed in the order devices appear: the probe
    (other sources, the same devices) reproduces the loop's I_mem before the first pulse bit for bit
    at the same seed, and another seed gives another instance."""
    run = replace(load_run("sim1").shortened(1), start_at_rest=True)
    grid = np.linspace(0.5e-3, run.first_pulse - 0.2e-3, 40)
    traces = {}
    for seed in (5, 6):
        loop = simulator.run(learning_loop_testbench(run, sky130_tt, OMEGA, seed=seed))
        probe = simulator.run(probe_testbench(run, sky130_tt, OMEGA, LoopProbe(code=run.initial_code, pulse_times=(),
                                                                                t_stop=run.first_pulse), seed=seed))
        traces[seed] = [np.interp(grid, r.time, r.i("vimem")) for r in (loop, probe)]
        np.testing.assert_allclose(traces[seed][1], traces[seed][0], rtol=1e-6)
    assert np.max(np.abs(traces[5][0] - traces[6][0]) / traces[5][0]) > 1e-3


def test_a_probe_with_code_steps_drives_the_synapse_bits_and_leaves_the_block_its_own(sky130_tt):
    """code_steps: every synapse bit from a source that steps at the given times; the block's counter
    on nets of its own; block_idle: the block's pulse input on a grounded net. The devices (and so
    the seed's draws) are the loop's, in the loop's order."""
    run = load_run("sim1")
    plain = probe_testbench(run, sky130_tt, OMEGA, LoopProbe(code=3, pulse_times=()), seed=1)
    stepped = probe_testbench(run, sky130_tt, OMEGA, LoopProbe(code=3, pulse_times=(), block_idle=True,
                                                                code_steps=((0.0, -24), (0.02, 5))), seed=1)
    devices = [line.split()[0] for line in plain.netlist().splitlines() if line[:1].lower() in "xm"]
    assert [line.split()[0] for line in stepped.netlist().splitlines() if line[:1].lower() in "xm"] == devices
    text = stepped.netlist().lower()
    xlb = next(line for line in text.splitlines() if line.startswith("xlb "))
    assert " lb_pulse " in xlb and " lb_b0 " in xlb and " b0 " not in xlb
    # -24 = 101000, 5 = 000101 (b0 first): b0 rises at 20 ms, b3 falls, b1 stays low
    sources = {line.split()[0]: line for line in text.splitlines() if line.startswith("vb")}
    assert "0 0 0.02 0 0.020001 1.8" in sources["vb0"] and "0 1.8 0.02 1.8 0.020001 0" in sources["vb3"]
    assert "1.8" not in sources["vb1"]
    with pytest.raises(ConfigError, match="code_steps"):
        probe_testbench(run, sky130_tt, OMEGA, LoopProbe(code_steps=((0.01, 4),)), seed=1)


def test_the_neurons_feedthrough_predicts_its_edges_under_a_current_pulse(simulator, sky130_tt):
    """The neuron's input feedthrough k, measured from the drive staircase's steps, predicts what
    I_mem does at the edges of a pulse it never saw: a +2 nA, 1 ms pulse on Simulation 1's drive
    makes I_mem drop by k·2 nA at the onset (against the input) and rise by as much at the end,
    within 25 % (k moves ~10 % between the staircase's two levels)."""
    from ebn_circuit.chip.measure import measure_neuron, nominal_spec
    from ebn_circuit.circuits.comparator import pwl

    seed, run, bump = 4, load_run("sim1"), 2e-9
    tech = sky130_tt.with_mismatch(True)
    spec = nominal_spec(run, OMEGA)
    k = measure_neuron(simulator, tech, spec, seed)["feedthrough"]
    on, off, base = 60e-3, 61e-3, run.drive
    drive = pwl([(0, base), (on, base), (on + 1e-6, base + bump), (off, base + bump), (off + 1e-6, base)])
    res = simulator.run(probe_testbench(spec.run, tech, OMEGA, LoopProbe(drive=drive, pulse_times=(), t_stop=65e-3,
                                                                          max_step=10e-6, print_step=10e-6), seed=seed))
    t, i_mem = res.time, res.i("vimem")

    def edge(at):
        return float(np.interp(at + 20e-6, t, i_mem) - np.interp(at - 10e-6, t, i_mem))

    assert k > 0.1
    assert -edge(on) == pytest.approx(k * bump, rel=0.25)
    assert edge(off) == pytest.approx(k * bump, rel=0.25)


@pytest.mark.slow
def test_all_codes_in_one_transient_measure_what_each_code_alone_does(simulator, sky130_tt):
    """The chip's synapse probe (every code in one transient, the block idle) against a probe of one
    code alone with the block active, as the loop runs it: each code's steady charge per pulse agrees
    within 2 % (the code before, its tail and the idle block change nothing that the pair delivers);
    at ±2 the pair stays off."""
    from ebn_circuit.chip.measure import SYNAPSE_CODES, SYNAPSE_DRIVE, SYNAPSE_ONSET, SYNAPSE_PULSES, \
        measure_synapse, nominal_spec
    from ebn_circuit.circuits.learning_loop import switched_on

    seed, tech = 7, sky130_tt.with_mismatch(True)
    spec = nominal_spec(load_run("sim1"), OMEGA)
    _, points = measure_synapse(simulator, tech, spec, seed)
    width, period = spec.run.width, spec.run.period
    onsets = tuple(SYNAPSE_ONSET + period * np.arange(SYNAPSE_PULSES))
    for code in (-4, 12):   # after -12 (inhibitory to inhibitory), after 4 (a weak code before a strong one)
        assert code in SYNAPSE_CODES
        alone = simulator.run(probe_testbench(spec.run, tech, OMEGA, LoopProbe(
            code=code, pulse_times=onsets, drive=switched_on(SYNAPSE_DRIVE), sense_synapse=True,
            t_stop=onsets[-1] + width + 1e-3, max_step=20e-6, print_step=10e-6), seed=seed))
        window = (alone.time >= onsets[-1] - period) & (alone.time <= onsets[-1])
        amplitude = -np.trapezoid(alone.i("vsyn")[window], alone.time[window]) / width
        measured = float(points.set_index("code").loc[code, "amplitude"])
        assert measured == pytest.approx(amplitude, rel=0.02)
    # the pair's dead zone: at ±2 it does not turn on (a DPI below its gain current), < 10 % of ±4's
    a = points.set_index("code")["amplitude"]
    assert abs(a[2]) < 0.1 * abs(a[4]) and abs(a[-2]) < 0.1 * abs(a[-4])


@pytest.mark.slow
def test_the_bounds_probes_fast_settings_decide_every_pulse_as_the_decision_benchs_do(simulator, sky130_tt):
    """The chip's bounds probe (reltol 3e-4, the run's 15 µs steps, no gmin stepping) against the decision
    bench's settings (reltol 1e-4, 1 µs steps, gmin stepping) on one column of both staircases at a
    Monte-Carlo instance: the same decision at every pulse, and the same I_before within 1 pA."""
    from ebn_circuit.chip.measure import LoopBounds, nominal_spec
    from ebn_circuit.extract.learning_block import run_levels

    class DecisionBenchSettings(LoopBounds):
        def column(self, code, schedule, seed, tech):
            probe = LoopProbe(code=code, schedule=schedule, t_stop=schedule.stop, max_step=1e-6, print_step=1e-6)
            return probe_testbench(self.spec.run, tech, self.spec.omega_per_code, probe, seed)

    seed, code, tech = 9, -16, sky130_tt.with_mismatch(True)
    spec = nominal_spec(load_run("sim1"), OMEGA)
    assert spec.run.reltol == 1e-4 and spec.bounds_reltol > spec.run.reltol
    fast = LoopBounds(spec)
    lower, upper = fast.block.bounds(code * fast.block.omega_per_code)
    levels = [lower - 0.2e-9, lower - 0.1e-9, lower, upper - 0.1e-9, upper, upper + 0.1e-9]
    tables = [run_levels(simulator, tech, setup, code, levels, seed)[0]
              for setup in (fast, DecisionBenchSettings(spec))]
    assert set(tables[1]["decision"]) >= {1, -1}          # the column crosses both bounds
    np.testing.assert_array_equal(tables[0]["decision"], tables[1]["decision"])
    np.testing.assert_allclose(tables[0]["i_before"], tables[1]["i_before"], atol=1e-12)


@pytest.mark.slow
def test_at_the_runs_period_the_blocks_decision_at_code_minus_16_has_no_memory(simulator, sky130_tt):
    """The nominal block at code −16, its upper bound measured at the run's timing (1 ms pulses every
    5 ms): levels 3 resolutions above and below it, alternated, decide DEC / not DEC at every pulse.
    At the decision bench's timing (0.2 ms track, 0.3 ms pulses) the same column does not: a pulse
    above the bound right after another one decides nothing (the reason the chip's probe pulses at
    the run's period)."""
    from ebn_circuit.chip.measure import LoopBounds, nominal_spec
    from ebn_circuit.extract.learning_block import BoundsSetup, refine_code, run_levels
    from ebn_circuit.rule import DEC

    class BenchTiming(LoopBounds):
        schedule = BoundsSetup.schedule

    code, spec = -16, nominal_spec(load_run("sim1"), OMEGA)
    loop = LoopBounds(spec)
    row = refine_code(simulator, sky130_tt, loop, code, resolution=spec.lb_resolution, span=0.1e-9,
                      coarse_step=0.1e-9, points=3, max_rounds=4, each_bound=True)[0]
    assert row["monotonic"]
    above, below = row["i_upper_A"] + 3 * row["resolution_upper_A"], row["i_upper_A"] - 3 * row["resolution_upper_A"]
    levels = (above, below, above, below, above, above, above)
    expected = [lvl == above for lvl in levels]
    at_run = run_levels(simulator, sky130_tt, loop, code, levels)[0]
    assert list(at_run["decision"] == DEC) == expected
    at_bench = run_levels(simulator, sky130_tt, BenchTiming(spec), code, levels)[0]
    assert list(at_bench["decision"] == DEC) != expected


def synthetic_chip(n: int, rng) -> Chip:
    """A chip whose parameters are drawn from a known distribution (log-normal where positive,
    correlated gain and τ in the neuron)."""
    blocks = {}
    for block, params in BLOCKS.items():
        z = rng.standard_normal((n, len(params)))
        values = {p: np.exp(np.log(1e-9 * (k + 1)) + 0.2 * z[:, k]) for k, p in enumerate(params)}
        if block == "neuron":
            values["tau"] = np.exp(np.log(0.02) + 0.1 * (0.8 * z[:, 1] + 0.6 * z[:, 3]))
        if block == "learning_block":
            values["offset_lower"] = 0.2e-9 * z[:, 4]   # signed: normal
        blocks[block] = pd.DataFrame({"instance": np.arange(1, n + 1), **values})
    return Chip(blocks, {}, {"technology": "synthetic", "corner": "tt", "netlist_hash": ""})


def test_mismatch_model_reproduces_its_distribution_and_covers_held_out_instances():
    rng = np.random.default_rng(0)
    chip = synthetic_chip(300, rng)
    model, coverage = validate(chip)
    assert coverage["inside_90"].between(0.8, 1.0).all(), coverage
    neuron = model.blocks["neuron"]
    assert dict(zip(neuron.params, neuron.log))["gain"] and not dict(zip(model.blocks["learning_block"].params,
                                                                           model.blocks["learning_block"].log))["offset_lower"]
    drawn = model.draw("neuron", 20_000, np.random.default_rng(1))
    measured = chip.blocks["neuron"]
    corr = np.corrcoef(np.log(drawn["gain"]), np.log(drawn["tau"]))[0, 1]
    expected = np.corrcoef(np.log(measured["gain"]), np.log(measured["tau"]))[0, 1]
    assert corr == pytest.approx(expected, abs=0.05) and expected > 0.5
    assert np.std(np.log(drawn["gain"])) == pytest.approx(np.std(np.log(measured["gain"])), rel=0.1)
    wider = MismatchModel.fit(chip).draw("neuron", 20_000, np.random.default_rng(2), scale=2.0)
    assert np.std(np.log(wider["gain"])) == pytest.approx(2 * np.std(np.log(drawn["gain"])), rel=0.1)


def test_pelgrom_scale_follows_one_over_root_area(sky130_tt):
    coefficients = pelgrom_coefficients(sky130_tt.model_files())
    assert 1e-9 < coefficients["nfet"] < 20e-9 and 1e-9 < coefficients["pfet"] < 20e-9   # V·m: mV·µm scale
    table = pelgrom(coefficients, {"small": ("nfet", 1e-6, 1e-6), "big": ("nfet", 4e-6, 4e-6)})
    small, big = table["pelgrom_sigma_ln_i_pair"]
    assert small / big == pytest.approx(4.0)


@pytest.mark.parametrize("damage, message", [
    (lambda d: (d / "synapse.parquet").unlink() or (d / "synapse.csv").unlink(), "synapse.parquet: block table missing"),
    (lambda d: pd.read_csv(d / "dac.csv").drop(columns="lsb").to_csv(d / "dac.csv", index=False)
     or (d / "dac.parquet").unlink(), "dac.csv: missing column(s) lsb"),
    (lambda d: pd.read_csv(d / "neuron.csv").assign(tau=np.nan).to_csv(d / "neuron.csv", index=False)
     or (d / "neuron.parquet").unlink(), "neuron.csv: non-finite values in tau"),
])
def test_a_damaged_chip_folder_is_one_clear_error(tmp_path, damage, message):
    folder = synthetic_chip(6, np.random.default_rng(3)).save(tmp_path / "chip")
    load_chip(folder)
    damage(folder)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_chip(folder)
    proc = subprocess.run([sys.executable, "-m", "ebn_circuit.cli", "chip", "twin", "--chip", str(folder)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and message.split(":")[0] in proc.stderr


def test_too_few_instances_for_the_model(tmp_path):
    folder = synthetic_chip(2, np.random.default_rng(4)).save(tmp_path / "chip")
    with pytest.raises(ConfigError, match="2 instance.*at least 3"):
        load_chip(folder)


def test_twin_settles_in_the_band_when_its_blocks_are_ideal():
    """An ideal learning block in the twin loop, a synapse whose jump per code is of the order of
    the block's I_Ω per code: once settled, only SL, and I_before inside the band."""
    run = load_run("sim1")
    block = LearningBlockModel(i_rest=9e-9, i_sl=0.3e-9, gain=1.0, omega_per_code=OMEGA)
    twin = TwinParams(gain=11e-9, gain_exponent=0.85, tau=0.019, tau_exponent=0.3, feedthrough=0.3, copy_gain=1.0,
                      i_threshold=25e-9, t_refractory=0.8e-3, synapse_codes=(-24, 24), synapse_amplitude=(-11e-9, 11e-9),
                      tau_syn=2.9e-3, block=block)
    table = simulate_twin(run, twin)
    tail = table.iloc[-15:]
    lower, upper = block.bounds_code(tail["code_before"])
    assert (tail["decision"] == 0).all()
    assert ((tail["i_before"] >= lower) & (tail["i_before"] <= upper)).all()
    assert table["code_after"].diff().abs().max() <= 1   # one step per pulse


@pytest.mark.slow
@pytest.mark.parametrize("name, code", [("sim1", 4), ("sim2", -12)])
def test_twin_holds_the_loops_i_mem_at_a_held_code(simulator, sky130_tt, name, code):
    """One instance's neuron and synapse pair as the chip measures them, in the twin, against the
    loop of the same instance with the code held (counter preset), under the run's drive and pulses:
    once settled, I_before agrees within the band's half-width I_SL. Where the IC runs settle
    (Simulation 1 near code 4, Simulation 2 near -12). The pair measured by one isolated pulse put
    the twin 2-3 nA above the loop at code -12 (docs/chip.md)."""
    from ebn_circuit.chip.measure import measure_neuron, measure_synapse, nominal_spec

    seed, run = 12, load_run(name)
    tech = sky130_tt.with_mismatch(True)
    spec = nominal_spec(load_run("sim1"), OMEGA)          # a chip build's probes (sim1's blocks)
    neuron = measure_neuron(simulator, tech, spec, seed)
    synapse, points = measure_synapse(simulator, tech, spec, seed)
    inert = LearningBlockModel(i_rest=9e-9, i_sl=1.0, omega_per_code=OMEGA)   # never leaves the band
    twin = TwinParams.from_measurements(neuron, synapse, points, inert)
    held = replace(run.shortened(29), initial_code=code, start_at_rest=True)
    loop = simulator.run(probe_testbench(spec.run, tech, OMEGA, LoopProbe(code=code, drive=f"{run.drive:.6g}",
                                                                           t_stop=held.t_stop, max_step=20e-6,
                                                                           print_step=10e-6), seed=seed))
    last = held.onsets[-1]
    i_loop = float(loop.i("vimem")[np.searchsorted(loop.time, last) - 1])
    i_twin = float(simulate_twin(held, twin)["i_before"].iloc[-1])
    assert abs(i_twin - i_loop) < run.i_sl, (i_twin, i_loop)


def chip_with_dac_curves(n: int, rng) -> Chip:
    """A synthetic chip with the point tables a network chip needs (DAC curves per instance)."""
    chip = synthetic_chip(n, rng)
    codes = np.arange(-32, 32)
    curves = [pd.DataFrame({"instance": i, "code": codes,
                            "current": 100e-12 * (codes + 32) * (1 + 0.05 * rng.standard_normal())
                            + 2e-12 * rng.standard_normal(codes.size)}) for i in chip.blocks["neuron"]["instance"]]
    chip.blocks["dac"]["lsb"] = 100e-12
    return Chip(chip.blocks, {"dac_curve": pd.concat(curves, ignore_index=True)},
                {**chip.conditions, "i_rest": 9e-9, "i_sl": 0.3e-9})


def test_network_chip_draws_every_block_per_instance_at_the_chips_spread():
    from ebn_circuit.network.params import NetworkParams
    from ebn_circuit.network.substrate import Substrate

    chip = chip_with_dac_curves(40, np.random.default_rng(5))
    params = NetworkParams(n_neurons=200)
    one = Substrate.from_chip(chip, params, np.random.default_rng(6), scale=1.0)
    two = Substrate.from_chip(chip, params, np.random.default_rng(6), scale=2.0)
    flat = Substrate.from_chip(chip, params, np.random.default_rng(6), scale=0.0)
    assert one.dac.shape == (200, 200, params.code_max - params.code_min + 1)
    def spread(substrate):
        return np.std(np.log(substrate.gain))

    assert spread(two) == pytest.approx(2 * spread(one), rel=0.2) and spread(flat) < 1e-9
    assert np.std(one.bound_lo) > 0 and np.std(flat.bound_lo) < 1e-12
    assert np.all(one.threshold_scale > 0) and np.std(one.threshold_scale) > 0
    # without mismatch a synapse's jump is a line in the code, saturating at the 6-bit DAC's ends
    column = flat.dac[0, 1]
    codes = np.arange(params.code_min, params.code_max + 1)
    inside = (codes >= -32) & (codes <= 31)
    slope = np.polyfit(codes[inside], column[inside], 1)[0]
    assert np.allclose(column[inside], np.polyval(np.polyfit(codes[inside], column[inside], 1), codes[inside]),
                       atol=1e-9) and slope > 0
    assert column[0] == pytest.approx(column[codes == -32][0]) and column[-1] == pytest.approx(column[codes == 31][0])


def test_a_chip_parameter_the_network_does_not_use_leaves_its_chips_unchanged():
    """The network draws the chip parameters it uses (their marginal): a chip table that gains a
    column (the neuron's feedthrough did) gives the same network chips at the same seed; the
    marginal keeps the drawn parameters' spread and correlation."""
    from ebn_circuit.chip.model import BlockDistribution
    from ebn_circuit.network.params import NetworkParams
    from ebn_circuit.network.substrate import Substrate

    chip = chip_with_dac_curves(40, np.random.default_rng(5))
    params = NetworkParams(n_neurons=30)
    full = MismatchModel.fit(chip)
    fewer = dict(full.blocks)
    fewer["neuron"] = BlockDistribution.fit(chip.blocks["neuron"], BLOCKS["neuron"][:-1])
    one = Substrate.from_chip(chip, params, np.random.default_rng(6), model=full)
    two = Substrate.from_chip(chip, params, np.random.default_rng(6), model=MismatchModel(fewer))
    for name in ("gain", "lambda_v", "threshold_scale", "dac", "bound_lo", "bound_hi"):
        np.testing.assert_array_equal(getattr(one, name), getattr(two, name))
    drawn = full.draw("neuron", 20_000, np.random.default_rng(1), params=("tau", "gain"))
    assert list(drawn.columns) == ["tau", "gain"]
    assert np.corrcoef(np.log(drawn["gain"]), np.log(drawn["tau"]))[0, 1] == pytest.approx(
        full.blocks["neuron"].correlation().loc["gain", "tau"], abs=0.05)
    with pytest.raises(ConfigError, match="no parameter"):
        full.draw("neuron", 3, np.random.default_rng(1), params=("gain", "nonsense"))


def test_a_chip_trims_its_synapses_common_offset_and_keeps_their_own():
    from ebn_circuit.network.params import NetworkParams
    from ebn_circuit.network.substrate import Substrate

    chip = chip_with_dac_curves(40, np.random.default_rng(5))
    common = 20 * float(chip.blocks["synapse"]["gain"].median())   # a pair 20 codes off by design
    chip.blocks["synapse"]["offset"] = chip.blocks["synapse"]["offset"] + common
    params = NetworkParams(n_neurons=30)
    code0 = -params.code_min   # index of code 0 on a curve
    jump_per_code = params.delta
    trimmed = Substrate.from_chip(chip, params, np.random.default_rng(6), scale=1.0)
    untrimmed = Substrate.from_chip(chip, params, np.random.default_rng(6), scale=1.0, trim_synapse_offset=False)

    def at_zero(substrate):   # each synapse's jump at code 0, in codes' worth
        return substrate.dac[..., code0] / jump_per_code

    # the same draws: the trim moves every synapse by the same number of codes, the median's 20 and more
    shift = at_zero(untrimmed) - at_zero(trimmed)
    assert np.ptp(shift) < 1e-9 and float(np.median(shift)) > 19
    assert abs(float(np.median(at_zero(trimmed)))) < 2 and np.std(at_zero(trimmed)) > 0


def test_at_scale_zero_a_chip_with_skewed_synapse_offsets_has_no_offset_left():
    """The trim removes what the draws are centred on: with a few pairs far off (a skewed spread,
    as sky130 gives: median and mean nanoamps apart) scale 0 still leaves every synapse at 0."""
    from ebn_circuit.network.params import NetworkParams
    from ebn_circuit.network.substrate import Substrate

    chip = chip_with_dac_curves(30, np.random.default_rng(8))
    offsets = chip.blocks["synapse"]["offset"].to_numpy(float).copy()
    offsets[:5] += 60 * float(chip.blocks["synapse"]["gain"].median())   # five pairs 60 codes off
    chip.blocks["synapse"]["offset"] = offsets
    assert abs(np.mean(offsets) - np.median(offsets)) > 5 * float(chip.blocks["synapse"]["gain"].median())
    params = NetworkParams(n_neurons=20)
    flat = Substrate.from_chip(chip, params, np.random.default_rng(9), scale=0.0)
    assert np.max(np.abs(flat.dac[..., -params.code_min])) < 1e-9 * params.delta


def test_a_chip_keeping_one_blocks_mismatch_takes_it_from_its_own_draw_and_the_rest_from_zero_spread():
    from ebn_circuit.network.params import NetworkParams
    from ebn_circuit.network.substrate import Substrate

    chip = chip_with_dac_curves(30, np.random.default_rng(8))
    params = NetworkParams(n_neurons=10)
    full = Substrate.from_chip(chip, params, np.random.default_rng(3), scale=1.0)
    flat = Substrate.from_chip(chip, params, np.random.default_rng(4), scale=0.0)
    neurons = full.keeping_mismatch_of(["neuron"], flat)
    for name in ("gain", "lambda_v", "threshold_scale"):
        np.testing.assert_array_equal(getattr(neurons, name), getattr(full, name))
    for name in ("dac", "bound_lo", "bound_hi"):
        np.testing.assert_array_equal(getattr(neurons, name), getattr(flat, name))
    assert np.std(neurons.gain) > 0 and np.std(neurons.bound_lo) == 0
    with pytest.raises(ConfigError, match="unknown block"):
        full.keeping_mismatch_of(["neurons"], flat)


def test_learning_blocks_offsets_act_only_through_learning(tmp_path):
    """A study whose chips keep only their learning blocks' mismatch: the optimal weights deployed
    (no learning) run exactly as on chips without mismatch, the weights learned on them do not."""
    from ebn_circuit.experiments import network_study

    folder = chip_with_dac_curves(6, np.random.default_rng(7)).save(tmp_path / "chip")
    kwargs = dict(seeds=[0], instances=2, trials=2, chip_dir=folder)
    network_study.mismatch(tmp_path / "none", scales=(0.0,), **kwargs)
    network_study.mismatch(tmp_path / "blocks", scales=(3.0,), mismatch_in=("learning-block",), **kwargs)
    none, blocks = (pd.read_csv(tmp_path / name / "mismatch_study.csv").set_index(["instance", "case"])
                    for name in ("none", "blocks"))
    deployed = [(i, "a_optimal_deployed") for i in range(2)]
    np.testing.assert_allclose(blocks.loc[deployed, "reconstruction_error"], none.loc[deployed, "reconstruction_error"],
                               rtol=1e-12)
    learned = [(i, "b_learned_on_chip") for i in range(2)]
    assert not np.allclose(blocks.loc[learned, "reconstruction_error"], none.loc[learned, "reconstruction_error"])


def test_network_study_runs_on_a_chip_folder(tmp_path):
    folder = chip_with_dac_curves(6, np.random.default_rng(7)).save(tmp_path / "chip")
    proc = subprocess.run([sys.executable, "-m", "ebn_circuit.cli", "network", "study", "--chip", str(folder),
                           "--instances", "2", "--trials", "1", "--mismatch-scale", "1", "--out", str(tmp_path / "s"),
                           "--quiet"], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    written = __import__("json").loads((tmp_path / "s" / "mismatch_study.json").read_text())
    assert written["chip"] == str(folder)
    no_chip = subprocess.run([sys.executable, "-m", "ebn_circuit.cli", "network", "study", "--trials", "1",
                              "--out", str(tmp_path / "t")], capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert no_chip.returncode == 2 and "chips/sky130_tt" in no_chip.stderr and "--synthetic" in no_chip.stderr
