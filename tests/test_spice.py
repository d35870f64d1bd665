"""Spice layer: analytic RC, backend agreement, cache behaviour, and every typed error."""

import os
import shutil
import signal
import threading
import time

import numpy as np
import pytest

from ebn_circuit.errors import (ConvergenceError, NetlistError, SimulationTimeoutError,
                                SimulatorCrashError, SimulatorMissingError, UnsafeNetlistError)
from ebn_circuit.spice import DcSweep, Op, Simulator, Testbench, Transient, load_netlist
from ebn_circuit.spice.cache import ResultCache, cache_key

R, C = 1e3, 1e-9  # tau = 1 µs
RC_BODY = f"vin in 0 pulse(0 1 1u 1p 1p 1 2)\nr1 in out {R:g}\nc1 out 0 {C:g}"
NON_CONVERGING = "v1 a 0 pulse(0 1 0 1p 1p 1n 2n)\nb1 0 b i=1e3*exp(v(b)*200)\nr1 b 0 1e12\nc1 b 0 1f"


def rc_testbench():
    return Testbench("rc_step", RC_BODY, Transient(step=5e-9, stop=8e-6, max_step=5e-9))


def test_rc_transient_matches_analytic_exponential(simulator):
    result = simulator.run(rc_testbench())
    t, v = result.time, result.v("out")
    after = t > 1e-6 + 1e-9
    expected = 1 - np.exp(-(t[after] - 1e-6) / (R * C))
    error = np.max(np.abs(v[after] - expected))
    assert error < 0.01, f"max deviation from 1 - exp(-t/RC) is {error:.4f} V (> 1 %)"
    assert result.units["time"] == "s" and result.units["v(out)"] == "V"
    assert result.kind == "tran"


def test_shared_and_batch_backends_give_identical_vectors(simulator, batch_simulator, sky130_tt):
    for testbench in (rc_testbench(),
                      Testbench("idvg", "vd d 0 1.8\nvg g 0 0\n" +
                                sky130_tt.device_line("n1", "n", "d", "g", "0", "0", 1e-6, 1e-6),
                                DcSweep("vg", 0, 1.8, 0.01), sky130_tt)):
        shared, batch = simulator.run(testbench), batch_simulator.run(testbench)
        assert shared.kind == batch.kind
        assert set(shared.names) == set(batch.names)
        for name in shared.names:
            np.testing.assert_array_equal(shared[name], batch[name], err_msg=name)


def test_cache_hit_returns_identical_result_without_running_ngspice(tmp_path, monkeypatch):
    # A wrapper that logs every simulation ngspice is asked to run, then runs the real one.
    log = tmp_path / "runs.log"
    wrapper = tmp_path / "ngspice"
    wrapper.write_text(f'#!/bin/sh\ncase "$1" in -b) echo run >> {log};; esac\nexec {shutil.which("ngspice")} "$@"\n')
    wrapper.chmod(0o755)
    monkeypatch.setenv("NGSPICE_PROGRAM", str(wrapper))
    monkeypatch.setenv("EBN_CIRCUIT_SANDBOX", "off")   # the wrapper runs a shell and writes outside its run folder
    with Simulator(backend="batch", cache_dir=tmp_path / "cache") as sim:
        first = sim.run(rc_testbench())
        again = sim.run(rc_testbench())
    assert log.read_text().count("run") == 1, "the second run must come from the cache"
    assert not first.meta.cached and again.meta.cached
    for name in first.names:
        np.testing.assert_array_equal(first[name], again[name])


def test_corrupted_cache_entry_is_recomputed(tmp_path):
    with Simulator(backend="batch", cache_dir=tmp_path) as sim:
        first = sim.run(rc_testbench())
        entry = ResultCache(tmp_path).path(cache_key(rc_testbench().netlist(), sim.version))
        assert entry.is_file()
        entry.write_bytes(entry.read_bytes()[: entry.stat().st_size // 2])  # truncate
        again = sim.run(rc_testbench())
    assert not again.meta.cached, "a corrupt entry must not be served"
    np.testing.assert_array_equal(first.v("out"), again.v("out"))
    assert ResultCache(tmp_path).get(cache_key(rc_testbench().netlist(), sim.version)) is not None


def test_a_flipped_byte_in_a_cached_vector_is_caught(tmp_path):
    """The zip format's CRC-32 of each vector is checked as it is read: a changed byte is a miss."""
    with Simulator(backend="batch", cache_dir=tmp_path) as sim:
        first = sim.run(rc_testbench())
        entry = ResultCache(tmp_path).path(cache_key(rc_testbench().netlist(), sim.version))
        data = bytearray(entry.read_bytes())
        vector = data.find(first.v("out")[len(first.v("out")) // 2].tobytes())
        assert vector > 0
        data[vector] ^= 0xFF
        entry.write_bytes(bytes(data))
        assert ResultCache(tmp_path).get(cache_key(rc_testbench().netlist(), sim.version)) is None
        again = sim.run(rc_testbench())
    assert not again.meta.cached
    np.testing.assert_array_equal(first.v("out"), again.v("out"))


def test_no_cache_always_simulates(tmp_path):
    with Simulator(backend="batch", cache=False) as sim:
        assert not sim.run(rc_testbench()).meta.cached
        assert not sim.run(rc_testbench()).meta.cached


@pytest.mark.parametrize("backend", ["shared", "batch"])
def test_malformed_netlist_is_a_netlist_error_naming_the_line(backend):
    with Simulator(backend=backend, cache=False) as sim:
        with pytest.raises(NetlistError, match="qq a b") as info:
            sim.run(Testbench("bad_syntax", "v1 a 0 1\nqq a b\nr1 a 0 1k", Op()))
    assert info.value.log


@pytest.mark.parametrize("backend", ["shared", "batch"])
def test_unknown_model_is_a_netlist_error(backend, sky130_tt):
    with Simulator(backend=backend, cache=False) as sim:
        with pytest.raises(NetlistError, match="no_such_fet"):
            sim.run(Testbench("unknown_model", "v1 a 0 1\nxn a a 0 0 no_such_fet w=1 l=1", Op(), sky130_tt))


@pytest.mark.parametrize("backend", ["shared", "batch"])
def test_non_converging_circuit_is_a_convergence_error_with_log(backend):
    with Simulator(backend=backend, cache=False) as sim:
        with pytest.raises(ConvergenceError) as info:
            sim.run(Testbench("diverges", NON_CONVERGING, Transient(1e-12, 1e-8)))
    assert "timestep too small" in info.value.log.lower()


@pytest.mark.parametrize("backend", ["shared", "batch"])
def test_hung_run_times_out_and_the_simulator_recovers(backend):
    slow = Testbench("slow", "v1 a 0 sin(0 1 1meg)\nr1 a b 1k\nc1 b 0 1n", Transient(1e-12, 1.0, max_step=1e-12))
    with Simulator(backend=backend, cache=False, timeout=1.0) as sim:
        start = time.perf_counter()
        with pytest.raises(SimulationTimeoutError):
            sim.run(slow)
        assert time.perf_counter() - start < 10
        assert sim.run(rc_testbench()).kind == "tran"  # a fresh worker serves the next run


def test_missing_library_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("NGSPICE_LIBRARY_PATH", "/nonexistent/libngspice.so.0")
    with pytest.raises(SimulatorMissingError, match="apt-get install -y ngspice libngspice0"):
        Simulator(backend="shared")


def test_missing_program_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.delenv("NGSPICE_PROGRAM", raising=False)
    with pytest.raises(SimulatorMissingError, match="apt-get install"):
        Simulator(backend="batch")


def test_worker_crash_mid_run_is_reported_and_the_next_run_works():
    slow = Testbench("slow", "v1 a 0 sin(0 1 1meg)\nr1 a b 1k\nc1 b 0 1n", Transient(1e-12, 1.0, max_step=1e-12))
    with Simulator(backend="shared", cache=False, timeout=120) as sim:
        sim.run(rc_testbench())
        # SIGKILL the libngspice process while it simulates, as a segfault would end it
        threading.Timer(1.0, os.kill, (sim.worker_pid, signal.SIGKILL)).start()
        with pytest.raises(SimulatorCrashError, match="crashed"):
            sim.run(slow)
        assert sim.run(rc_testbench()).kind == "tran"  # a fresh worker serves the next run


def test_worker_is_recycled_after_n_runs():
    with Simulator(backend="shared", cache=False, recycle_after=2) as sim:
        pids = []
        for index in range(5):
            sim.run(Testbench(f"tiny{index}", "v1 a 0 1\nr1 a 0 1k", Op()))
            pids.append(sim.worker_pid)
    assert len(set(pids)) == 3, pids


@pytest.mark.parametrize("line", ["shell rm -rf /tmp/x", "!ls", "gnuplot out v(a)", "aspice other.cir"])
def test_imported_netlist_with_external_commands_is_refused(tmp_path, line):
    path = tmp_path / "user.cir"
    path.write_text(f"* user deck\nv1 a 0 1\nr1 a 0 1k\n.op\n.control\nrun\n{line}\n.endc\n.end\n")
    with pytest.raises(UnsafeNetlistError, match="user.cir:7"):
        load_netlist(path)
    assert load_netlist(path, allow_commands=True).name == "user deck"


def test_refusal_reaches_into_included_files(tmp_path):
    (tmp_path / "evil.inc").write_text(".control\nshell touch pwned\n.endc\n")
    path = tmp_path / "user.cir"
    path.write_text("* deck\n.include evil.inc\nv1 a 0 1\nr1 a 0 1k\n.op\n.end\n")
    with pytest.raises(UnsafeNetlistError, match="evil.inc"):
        load_netlist(path)


def test_imported_netlist_runs_with_its_own_analysis(tmp_path, simulator):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "load.inc").write_text("r1 a 0 2k\n")
    path = tmp_path / "user.cir"
    path.write_text("* divider\n.include sub/load.inc\nv1 in 0 2\nr0 in a 2k\n.op\n.end\n")
    result = simulator.run(load_netlist(path))
    assert result.kind == "op"
    assert result.v("a")[0] == pytest.approx(1.0, rel=1e-6)


def test_dataframe_has_the_sweep_as_index_and_units_in_attrs(simulator):
    result = simulator.run(rc_testbench())
    frame = result.to_dataframe()
    assert frame.index.name == "time" and "time" not in frame.columns
    np.testing.assert_array_equal(frame.index, result.time)
    np.testing.assert_array_equal(frame["v(out)"], result.v("out"))            # plain names
    assert frame.attrs["units"]["time"] == "s" and frame.attrs["units"]["v(out)"] == "V"
