"""Technology layer: sky130 lookup, corners, user TOML files, and the physics of the devices."""

import time

import numpy as np
import pytest

from ebn_circuit.circuits.devices import IdVgParams, idvg_testbench
from ebn_circuit.errors import ConfigError, UnknownTechnologyError
from ebn_circuit.measure.devices import subthreshold_slope
from ebn_circuit.spice import Op, Testbench
from ebn_circuit.technology import get_technology, load_technology_toml


def test_technology_is_frozen_hashable_and_corner_aware(sky130_tt):
    assert hash(sky130_tt) == hash(get_technology("sky130"))
    ff = sky130_tt.with_corner("ff")
    assert ff != sky130_tt and ff.corner == "ff"
    assert "__ff.pm3.spice" in ff.include_text() and "__tt.pm3.spice" not in ff.include_text()
    assert "mc_mm_switch=1" in sky130_tt.with_mismatch().include_text()
    assert sky130_tt.cache_key() != ff.cache_key()
    with pytest.raises(Exception):
        sky130_tt.corner = "ss"  # frozen


def test_unknown_technology_and_corner_are_clear_errors():
    with pytest.raises(UnknownTechnologyError, match="unknown technology 'gf180'"):
        get_technology("gf180")
    with pytest.raises(UnknownTechnologyError, match="no corner 'xx'"):
        get_technology("sky130", corner="xx")


def test_minimal_model_set_loads_fast(simulator, sky130_tt):
    # One transistor at its operating point: the run time is the model load time.
    body = "vd d 0 1.8\nvg g 0 0.5\n" + sky130_tt.device_line("n", "n", "d", "g", "0", "0", 1e-6, 1e-6)
    simulator.run(Testbench("warm", body, Op(), sky130_tt))  # warm the worker
    start = time.perf_counter()
    result = simulator.run(Testbench("load_time", body + "\n* fresh", Op(), sky130_tt))
    elapsed = time.perf_counter() - start
    assert result["i(vd)"][0] < 0
    assert elapsed < 3.0, f"minimal sky130 include set took {elapsed:.2f} s (full library would take ~40 s)"


@pytest.fixture(scope="module")
def idvg_curves(simulator, sky130_tt):
    curves = {}
    for corner in ("tt", "ff", "ss"):
        tech = sky130_tt.with_corner(corner)
        for kind in ("n", "p"):
            result = simulator.run(idvg_testbench(IdVgParams(kind=kind), tech))
            curves[kind, corner] = (result.sweep, np.abs(result.i("vdrain")))
    return curves


@pytest.mark.parametrize("kind", ["n", "p"])
def test_subthreshold_slope_is_physical(idvg_curves, kind):
    vgs, current = idvg_curves[kind, "tt"]
    fit = subthreshold_slope(vgs, current, decades=3.0)
    assert 60.0 <= fit.slope_mv_per_decade <= 110.0, fit
    # the three decades lie in subthreshold: below 1 µA for W/L = 1/1 µm
    assert fit.id_stop < 1e-6
    assert 0.5 < fit.kappa() < 1.0


@pytest.mark.parametrize("kind, low, high", [("n", 20e-6, 500e-6), ("p", 5e-6, 200e-6)])
def test_on_current_is_plausible(idvg_curves, kind, low, high):
    _, current = idvg_curves[kind, "tt"]
    assert low < current[-1] < high, f"{kind}fet I_on = {current[-1]:.3g} A"


@pytest.mark.parametrize("kind", ["n", "p"])
def test_corners_are_ordered(idvg_curves, kind):
    on = {corner: idvg_curves[kind, corner][1][-1] for corner in ("tt", "ff", "ss")}
    assert on["ss"] < on["tt"] < on["ff"], on


def test_user_technology_from_toml(tmp_path, sky130_tt):
    files = [str(p) for p in sky130_tt.model_files()]
    toml = tmp_path / "mytech.toml"
    toml.write_text(
        'name = "mysky"\nvdd = 1.8\nnfet = "sky130_fd_pr__nfet_01v8"\npfet = "sky130_fd_pr__pfet_01v8"\n'
        'scale = 1e-6\nmismatch_param = "mc_mm_switch"\n[params]\nmc_pr_switch = 0\n'
        f"[corners]\ntt = {files!r}\n".replace("'", '"'))
    tech = get_technology(str(toml))
    assert tech.name == "mysky" and tech.corners == ("tt",)
    assert tech.model_files() == sky130_tt.model_files()


@pytest.mark.parametrize("text, message", [
    ('name = "x"\nvdd = 1.8\nnfet = "n"\npfet = "p"\ncolour = 1\n[corners]\ntt = ["a"]\n', "unknown key 'colour'"),
    ('name = "x"\nnfet = "n"\npfet = "p"\n[corners]\ntt = ["a"]\n', "missing required key 'vdd'"),
    ('name = "x"\nvdd = "high"\nnfet = "n"\npfet = "p"\n[corners]\ntt = ["a"]\n', "key 'vdd' has the wrong type"),
    ('name = "x"\nvdd = 1.8\nnfet = "n"\npfet = "p"\n[corners]\ntt = ["nope.lib"]\n', "model file 'nope.lib' not found"),
    ('name = "x"\nvdd = 1.8\nnfet = "n"\npfet = "p"\n[corners]\ntt = []\n', "corners.tt must be a non-empty list"),
    ("name = \n", "not valid TOML"),
])
def test_user_technology_errors_name_the_bad_key(tmp_path, text, message):
    toml = tmp_path / "bad.toml"
    toml.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_technology_toml(toml)


def test_device_multiplier_gives_parallel_copies(simulator, sky130_tt):
    # sky130's subcircuits use `mult` only for mismatch scaling: m=4 must still carry 4× the current
    def drain_current(m):
        body = "vd d 0 1.8\nvg g 0 0.4\n" + sky130_tt.device_line("n", "n", "d", "g", "0", "0", 1e-6, 1e-6, m=m)
        return -simulator.run(Testbench(f"mult{m}", body, Op(), sky130_tt))["i(vd)"][0]

    assert drain_current(4) / drain_current(1) == pytest.approx(4.0, rel=1e-3)


def test_bin_pruning_gives_identical_results(simulator, sky130_tt, tmp_path):
    from dataclasses import replace as dc_replace

    from ebn_circuit.spice import Transient

    # an inverter with a few device sizes, so several bins are in play
    body = "\n".join([
        "vdd vdd 0 1.8", "vin in 0 pulse(0 1.8 1n 1n 1n 5n 10n)",
        sky130_tt.device_line("p1", "p", "out", "in", "vdd", "vdd", 0.84e-6, 0.15e-6),
        sky130_tt.device_line("n1", "n", "out", "in", "0", "0", 0.42e-6, 0.15e-6),
        sky130_tt.device_line("n2", "n", "out", "in", "0", "0", 2e-6, 8e-6, m=4)])
    pruned = Testbench("pruning", body, Transient(0.1e-9, 20e-9), sky130_tt)
    full = Testbench("pruning", body, Transient(0.1e-9, 20e-9), dc_replace(sky130_tt, prune_bins=False))
    assert "pruned" in pruned.netlist() and "pruned" not in full.netlist()
    a, b = simulator.run(pruned), simulator.run(full)
    for name in a.names:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
    # the load-time saving is measured in benchmarks/bench_ic.py (a timed assert is noise on a shared machine)
