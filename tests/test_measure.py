"""Waveform readers and event measurements."""

import numpy as np
import pandas as pd
import pytest

from ebn_circuit.errors import WaveformError
from ebn_circuit.measure import (align, crossings, firing_rate, pulses, read_raw_frame, read_viewer_csv,
                                 read_viewer_csv_dir, sample_before, settling_time, spike_times, to_long)
from ebn_circuit.measure.learning import pulse_table
from ebn_circuit.spice import Testbench, Transient
from ebn_circuit.spice.rawfile import read_raw

REFERENCE_FILES = {"i_mem": "Sim1_I_mem.csv", "pulse": "Sim1_INPUT.csv", "inc": "Sim1_INC.csv",
                   "sl": "Sim1_SL.csv", "code": "Sim1_BitValue.csv"}


def test_reference_run_has_100_pulses_at_200_hz_and_code_starts_at_8(reference_dir):
    signals = read_viewer_csv_dir(reference_dir, REFERENCE_FILES)
    pulse = signals["pulse"]
    edges = crossings(pulse["time"], pulse["value"], 0.9, "rising")
    assert len(edges) == 100
    rate = 1.0 / np.median(np.diff(edges))
    assert rate == pytest.approx(200.0, rel=0.01)
    assert edges[0] == pytest.approx(4e-3, abs=0.5e-3)
    assert round(signals["code"]["value"].iloc[0]) == 8
    assert signals["i_mem"].attrs["signal"] == "/M2/D"
    aligned = align(signals, step=1e-5, hold=("code",))
    assert list(aligned.columns) == ["time", *REFERENCE_FILES]
    assert np.all(np.diff(aligned["time"]) > 0)
    assert set(np.round(aligned["code"]).astype(int)) <= set(range(-32, 32))
    assert set(to_long(signals)["signal"]) == set(REFERENCE_FILES)


def test_viewer_csv_rejects_bad_files(tmp_path):
    bad_header = tmp_path / "a.csv"
    bad_header.write_text("time,value\n0,1\n1,2\n")
    with pytest.raises(WaveformError, match="a.csv: header"):
        read_viewer_csv(bad_header)
    backwards = tmp_path / "b.csv"
    backwards.write_text("s X,s Y\n0,1\n2,2\n1,3\n")
    with pytest.raises(WaveformError, match="b.csv: time is not monotonic"):
        read_viewer_csv(backwards)
    with pytest.raises(WaveformError, match="signal 'x' expected in nope.csv"):
        read_viewer_csv_dir(tmp_path, {"x": "nope.csv"})


def test_crossings_interpolate_and_pulses_pair_edges():
    t = np.linspace(0, 1, 1001)
    y = np.sin(2 * np.pi * 3 * t)  # rising zero crossings at 0, 1/3, 2/3
    rising = crossings(t, y, 0.5, "rising")
    expected = np.arcsin(0.5) / (2 * np.pi * 3) + np.arange(3) / 3
    np.testing.assert_allclose(rising, expected, atol=1e-4)
    assert len(crossings(t, y, 0.5, "both")) == 6
    square = (np.cos(2 * np.pi * 3 * t) > 0).astype(float)
    found = pulses(t, square, 0.5)
    assert found.shape == (2, 2)  # high at the start and still high at the end: both left out
    np.testing.assert_allclose(found[:, 1] - found[:, 0], 1 / 6, atol=2e-3)


def test_spikes_rate_sample_before_and_settling():
    t = np.arange(0, 1, 1e-4)
    y = ((t % 0.1) < 0.002).astype(float)  # 10 Hz spikes
    spikes = spike_times(t, y, 0.5)
    assert firing_rate(spikes, 0.05, 0.95) == pytest.approx(10.0, rel=0.15)
    ramp = np.where(t < 0.5, 1.0, 2.0)
    assert sample_before(t, ramp, [0.5])[0] == 1.0  # not the value after the jump
    decay = 5 * np.exp(-t / 0.05)
    settle = settling_time(t, decay, -0.1, 0.1)
    assert settle == pytest.approx(0.05 * np.log(50), abs=2e-4)
    assert np.isnan(settling_time(t, decay, 1.0, 2.0))


def test_raw_reader_binary_and_ascii_agree(tmp_path, simulator):
    import subprocess

    netlist = Testbench("rc", "v1 in 0 pulse(0 1 0 1n 1n 1 2)\nr1 in out 1k\nc1 out 0 1n",
                        Transient(1e-8, 3e-6)).netlist()
    deck = tmp_path / "rc.cir"
    deck.write_text(netlist)
    subprocess.run(["ngspice", "-b", "-r", "bin.raw", "rc.cir"], cwd=tmp_path, check=True, capture_output=True)
    (tmp_path / "ascii.cir").write_text(netlist.replace(".end\n", ".options filetype=ascii\n.end\n"))
    subprocess.run(["ngspice", "-b", "-r", "ascii.raw", "ascii.cir"], cwd=tmp_path, check=True,
                   capture_output=True)
    binary, ascii_ = read_raw_frame(tmp_path / "bin.raw"), read_raw_frame(tmp_path / "ascii.raw")
    assert list(binary.columns) == list(ascii_.columns) == ["time", "v(in)", "v(out)", "i(v1)"]
    np.testing.assert_allclose(binary.to_numpy(), ascii_.to_numpy(), rtol=1e-6, atol=1e-15)
    assert read_raw(tmp_path / "bin.raw")[0].plotname == "Transient Analysis"
    truncated = tmp_path / "cut.raw"
    truncated.write_bytes((tmp_path / "bin.raw").read_bytes()[:-100])
    with pytest.raises(WaveformError, match="truncated"):
        read_raw(truncated)


def test_i_before_is_read_before_the_pulse_edge_not_during_it():
    """A memory's switches steer I_mem at the pulse edge and glitch the node that senses it: the
    pulse table reads I_before where the edge leaves the low level, not at its mid-point."""
    t = np.round(np.arange(0, 20e-3, 1e-7), 12)
    onsets = (4e-3, 9e-3, 14e-3)
    pulse = np.zeros_like(t)
    i_mem = 1e-9 + 0.1 * t * 1e-6          # a slow drift: 1.0…1.002 nA
    for onset in onsets:
        pulse += np.clip((t - onset) / 1e-6, 0, 1) * (t < onset + 1e-3) * 1.8
        i_mem = i_mem + np.where((t > onset + 0.2e-6) & (t < onset + 20e-6), 5e-9, 0.0)   # glitch in the edge
    frame = pd.DataFrame({"time": t, "i_mem": i_mem, "pulse": pulse, "code": np.zeros_like(t)})
    table = pulse_table(frame)
    np.testing.assert_allclose(table["onset"], np.array(onsets) + 0.5e-6, atol=1e-9)
    np.testing.assert_allclose(table["i_before"], 1e-9 + 0.1e-6 * np.array(onsets), rtol=1e-4)
