"""Waveform readers of other simulators (measure/readers): every format gives the same frame.

Where the files come from:
- ngspice raw (binary and ASCII, transient, AC, noise): written by ngspice 39 here.
- LTspice raw: LTspice does not run here; the files are written by spicelib's RawWrite (an
  independent implementation of the LTspice format: UTF-16 header, float32 values beside a float64
  time, complex128 AC, optional fastaccess), filled with ngspice's results, and also read back by
  spicelib's RawRead to check that both readers agree.
- Xyce raw/.prn/.csv and Spectre PSF ASCII/CSV: Xyce and Spectre do not run here; the files are
  written by the helpers below in the layouts of real Xyce output (the gold files of the Xyce
  regression suite, e.g. OutputData/ACtests/RC_simple.cir.FD.prn, Netlists/MEASURE_NOISE/
  InputNoiseOpsRawData.NOISE.prn, OutputData/Certification_Tests/BUG_927_SON/bug927-op-raw.cir.raw)
  and of Spectre's psfascii output, filled with ngspice's results. PSF files are also read by the
  independent psf-parser package, which must agree.
"""

import subprocess

import numpy as np
import pytest

from ebn_circuit.errors import WaveformError
from ebn_circuit.measure import detect_format, read_raw_frame, read_waveforms

R, C = 1e3, 1e-9                      # the RC low-pass of every test: f_c = 159 kHz
RC_DECK = f"""* rc
v1 in 0 dc 0 ac 1 pulse(0 1 0 1n 1n 1 2)
r1 in out {R:g}
c1 out 0 {C:g}
r2 out 0 10k
"""


def ngspice(tmp_path, name: str, analysis: str, ascii_: bool = False):
    deck = RC_DECK + analysis + ("\n.options filetype=ascii" if ascii_ else "") + "\n.end\n"
    (tmp_path / f"{name}.cir").write_text(deck)
    subprocess.run(["ngspice", "-b", "-r", f"{name}.raw", f"{name}.cir"], cwd=tmp_path, check=True,
                   capture_output=True, timeout=60)
    return tmp_path / f"{name}.raw"


def lowpass(f):
    """H(f) of the deck: r1 into (c1 ∥ r2)."""
    z = 1 / (1 / 10e3 + 2j * np.pi * f * C)
    return z / (R + z)


@pytest.fixture(scope="module")
def ac_files(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ac")
    return (ngspice(tmp, "bin", ".ac dec 10 1k 100meg"), ngspice(tmp, "asc", ".ac dec 10 1k 100meg", True))


def test_ngspice_ac_raw_keeps_complex_values(ac_files):
    binary, ascii_ = (read_raw_frame(p) for p in ac_files)
    assert list(binary.columns) == ["frequency", "v(in)", "v(out)", "i(v1)"]
    assert binary["v(out)"].dtype == np.complex128 and binary["frequency"].dtype == np.float64
    expected = lowpass(binary["frequency"].to_numpy())
    np.testing.assert_allclose(binary["v(out)"], expected, rtol=1e-9)         # phase and magnitude
    assert np.angle(binary["v(out)"].iloc[-1], deg=True) == pytest.approx(-90, abs=1)
    np.testing.assert_allclose(ascii_["v(out)"], binary["v(out)"], rtol=1e-12)  # 15 digits in ASCII
    assert binary.attrs["kind"] == "ac" and binary.attrs["units"] == {
        "frequency": "Hz", "v(in)": "V", "v(out)": "V", "i(v1)": "A"}
    assert read_waveforms(ac_files[0]).equals(binary)


def test_ngspice_noise_raw_gives_the_spectrum(tmp_path):
    path = ngspice(tmp_path, "noise", ".noise v(out) v1 dec 5 1 1k")
    frame = read_raw_frame(path)
    assert frame.attrs["sweep"] == "frequency" and frame.attrs["kind"] == "noise"
    assert frame.attrs["units"]["onoise_spectrum"] == "V/√Hz"
    # thermal noise of r1 ∥ r2 at low frequency: sqrt(4kTR), T = 300.15 K
    r_parallel = 1 / (1 / R + 1 / 10e3)
    expected = np.sqrt(4 * 1.380649e-23 * 300.15 * r_parallel)
    assert frame["onoise_spectrum"].iloc[0] == pytest.approx(expected, rel=0.01)
    totals = read_raw_frame(path, plot="Integrated")
    assert totals.attrs["sweep"] is None and len(totals) == 1


def _ltspice(tmp_path, frame, name, fastaccess=False, plot_name=None):
    from spicelib.raw.raw_write import RawWrite, Trace

    writer = RawWrite(plot_name=plot_name, fastacces=fastaccess)
    for column in frame.columns:
        values = frame[column].to_numpy()
        if column == "frequency":
            writer.add_trace(Trace("frequency", values.astype(complex), numerical_type="complex"))
        elif column == "time":
            writer.add_trace(Trace("time", values))
        else:
            kind = "current" if column.startswith("i(") else "voltage"
            values = values if np.iscomplexobj(values) else values.astype(np.float32)
            writer.add_trace(Trace(column.upper(), values, whattype=kind))
    writer.save(tmp_path / name)
    return tmp_path / name


@pytest.mark.parametrize("fastaccess", [False, True])
def test_ltspice_transient_raw(tmp_path, fastaccess):
    from spicelib import RawRead

    ours = read_raw_frame(ngspice(tmp_path, "tran", ".tran 20n 5u"))
    path = _ltspice(tmp_path, ours, "lt.raw", fastaccess)
    assert path.read_bytes()[:4] == "Ti".encode("utf-16-le")
    frame = read_waveforms(path)
    assert frame.attrs["format"] == "ltspice-raw" and frame.attrs["kind"] == "tran"
    assert list(frame.columns) == ["time", "v(in)", "v(out)", "i(v1)"]
    np.testing.assert_array_equal(frame["time"], ours["time"])                  # time stays float64
    np.testing.assert_allclose(frame["v(out)"], ours["v(out)"], rtol=1e-6, atol=1e-7)  # float32 values
    spicelib_read = RawRead(path, traces_to_read="*", verbose=False)
    np.testing.assert_array_equal(spicelib_read.get_wave("V(OUT)"), frame["v(out)"])


def test_complex_ac_round_trip_ngspice_to_ltspice(tmp_path, ac_files):
    ours = read_raw_frame(ac_files[0])
    back = read_waveforms(_ltspice(tmp_path, ours, "ac.raw", plot_name="AC Analysis"))
    assert back.attrs["format"] == "ltspice-raw" and back.attrs["kind"] == "ac"
    for column in ours.columns:
        np.testing.assert_array_equal(back[column], ours[column])               # complex128, bit for bit


def _xyce_ascii_raw(frame) -> str:
    """The layout of Xyce's ASCII raw file (``Xyce -r file.raw -a``): upper-case names,
    bare node names, ``re, im`` complex values, one plot after another without a title."""
    names = {"frequency": "frequency", "v(in)": "IN", "v(out)": "OUT", "i(v1)": "V1#branch"}
    types = {"frequency": "frequency", "v(in)": "voltage", "v(out)": "voltage", "i(v1)": "current"}
    lines = ["Title: * rc", "Date: Thu Mar 18 12:07:54 2021", "Plotname: AC Analysis", "Flags: complex",
             f"No. Variables: {len(names)}", f"No. Points: {len(frame)}                ", "Variables:"]
    lines += [f"\t{k}\t{names[c]}\t{types[c]}" for k, c in enumerate(names)]
    lines.append("Values:")
    for point, row in enumerate(frame[list(names)].to_numpy()):
        for k, value in enumerate(row):
            value = complex(value)
            lines.append(f"{point if k == 0 else ''}\t{value.real:.8e}, {value.imag:.8e}")
        lines.append("")
    return "\n".join(lines) + "\n"


def test_xyce_ascii_raw(tmp_path, ac_files):
    ours = read_raw_frame(ac_files[0])
    path = tmp_path / "xyce.raw"
    path.write_text(_xyce_ascii_raw(ours))
    frame = read_waveforms(path)
    assert list(frame.columns) == list(ours.columns)
    np.testing.assert_allclose(frame["v(out)"], ours["v(out)"], rtol=1e-7)     # 9 digits printed
    path.write_text(_xyce_ascii_raw(ours) + "End of Xyce(TM) Simulation\n")     # trailing text is ignored
    assert len(read_waveforms(path)) == len(ours)


def _prn(frame, complex_style="re_im", comma=False) -> str:
    """Xyce ``.print ac`` output: ``Index FREQ Re(V(OUT)) Im(V(OUT))`` (prn) or
    ``FREQ,VR(OUT),VI(OUT)`` (``format=csv``)."""
    if comma:
        header = ["FREQ", "VR(OUT)", "VI(OUT)"]
        rows = [f"{f:.8e},{v.real:.8e},{v.imag:.8e}" for f, v in zip(frame["frequency"], frame["v(out)"])]
        return "\n".join([",".join(header)] + rows) + "\n"
    header = f"{'Index':<9}{'FREQ':<18}{'Re(V(OUT))':<18}{'Im(V(OUT))':<18}"
    rows = [f"{k:<9}{f:<18.8e}{v.real:<18.8e}{v.imag:<18.8e}"
            for k, (f, v) in enumerate(zip(frame["frequency"], frame["v(out)"]))]
    return "\n".join([header] + rows + ["End of Xyce(TM) Simulation"]) + "\n"


@pytest.mark.parametrize("comma", [False, True])
def test_xyce_prn_and_csv_ac(tmp_path, ac_files, comma):
    ours = read_raw_frame(ac_files[0])
    path = tmp_path / ("ac.FD.csv" if comma else "ac.FD.prn")
    path.write_text(_prn(ours, comma=comma))
    assert detect_format(path) == ("xyce-csv" if comma else "xyce-prn")
    frame = read_waveforms(path)
    assert list(frame.columns) == ["frequency", "v(out)"] and frame.attrs["kind"] == "ac"
    np.testing.assert_allclose(frame["v(out)"], ours["v(out)"], rtol=1e-7)
    assert frame.attrs["units"]["v(out)"] == "V"


def test_xyce_noise_prn_and_steps(tmp_path):
    header = f"{'Index':<9}{'FREQ':<18}{'ONOISE':<18}{'DNI(Q1,IB)':<18}"
    rows = [f"{k % 3:<9}{10.0 ** (k % 3):<18.8e}{1e-9 * (k + 1):<18.8e}{2e-12:<18.8e}" for k in range(6)]
    path = tmp_path / "noise.NOISE.prn"
    path.write_text("\n".join([header] + rows + ["End of Xyce(TM) Parameter Sweep"]) + "\n")
    frame = read_waveforms(path)
    assert list(frame.columns) == ["frequency", "onoise_spectrum", "dni(q1,ib)", "step"]
    assert frame.attrs["kind"] == "noise" and list(frame["step"]) == [0, 0, 0, 1, 1, 1]


def _psf(frame, sweep: str, grouped: bool = False) -> str:
    """Spectre's psfascii layout: HEADER, TYPE, SWEEP, TRACE, VALUE, END; complex as (re im)."""
    complex_ = any(np.iscomplexobj(frame[c]) for c in frame.columns)
    value_type = "COMPLEX DOUBLE" if complex_ else "FLOAT DOUBLE"
    signals = [c for c in frame.columns if c.startswith("v(")]
    lines = ["HEADER", '"PSFversion" "1.00"', '"simulator" "spectre"',
             f'"analysis type" "{"ac" if complex_ else "tran"}"', "TYPE", '"sweep" FLOAT DOUBLE PROP(',
             '"key" "sweep"', ")", f'"V" {value_type} PROP(', '"units" "V"', '"key" "node"', ")",
             '"Noise" STRUCT(', '"total" FLOAT DOUBLE', ")", "SWEEP", f'"{sweep}" "sweep" PROP(',
             f'"units" "{"Hz" if complex_ else "s"}"', ")", "TRACE"]
    if grouped:
        lines.append(f'"group" GROUP {len(signals)}')
    lines += [f'"{c[2:-1]}" "V"' for c in signals]

    def text(v):
        return f"({v.real:.15e} {v.imag:.15e})" if complex_ else f"{v:.15e}"

    lines.append("VALUE")
    for k in range(len(frame)):
        lines.append(f'"{sweep}" {frame.iloc[k, 0]:.15e}')
        if grouped:
            lines.append('"group" ' + " ".join(text(frame[c].iloc[k]) for c in signals))
        else:
            lines += [f'"{c[2:-1]}" {text(frame[c].iloc[k])}' for c in signals]
    lines.append("END")
    return "\n".join(lines) + "\n"


def test_psf_ascii_ac_and_transient(tmp_path, ac_files):
    from psf_parser import PsfFile

    ours = read_raw_frame(ac_files[0])
    (tmp_path / "ac.ac").write_text(_psf(ours, "freq"))
    frame = read_waveforms(tmp_path / "ac.ac")
    assert list(frame.columns) == ["frequency", "v(in)", "v(out)"] and frame.attrs["kind"] == "ac"
    np.testing.assert_allclose(frame["v(out)"], ours["v(out)"], rtol=1e-15)   # 16 digits printed
    independent = {t.name: np.array(t.data) for t in PsfFile(tmp_path / "ac.ac").traces}
    np.testing.assert_array_equal(independent["out"], frame["v(out)"])

    tran = read_raw_frame(ngspice(tmp_path, "tran", ".tran 20n 5u"))
    (tmp_path / "tran.tran").write_text(_psf(tran, "time", grouped=True))
    frame = read_waveforms(tmp_path / "tran.tran")
    assert frame.attrs["units"] == {"time": "s", "v(in)": "V", "v(out)": "V"}
    np.testing.assert_allclose(frame["v(out)"], tran["v(out)"], rtol=1e-15, atol=1e-300)


def test_psf_operating_point(tmp_path):
    (tmp_path / "dcOp.dc").write_text('HEADER\n"PSFversion" "1.00"\n"analysis type" "dc"\nTYPE\n'
                                      '"V" FLOAT DOUBLE PROP(\n"units" "V"\n)\n"I" FLOAT DOUBLE PROP(\n'
                                      '"units" "A"\n)\nVALUE\n"out" "V" 4.99e-01\n"V1:p" "I" -5.0e-04 PROP(\n'
                                      '"units" "A"\n)\nEND\n')
    frame = read_waveforms(tmp_path / "dcOp.dc")
    assert frame.attrs["kind"] == "op" and frame.attrs["sweep"] is None
    assert frame["v(out)"].iloc[0] == 0.499 and frame.attrs["units"]["i(v1:p)"] == "A"


def test_spectre_csv_pairs(tmp_path):
    t1, t2 = np.linspace(0, 1e-6, 5), np.linspace(0, 1e-6, 9)
    rows = [f"{t2[k]},{2 * t2[k]}" + (f",{t1[k]},{t1[k]}" if k < 5 else ",,") for k in range(9)]
    (tmp_path / "w.csv").write_text("/out X,/out Y,/I0/in X,/I0/in Y\n" + "\n".join(rows) + "\n")
    frame = read_waveforms(tmp_path / "w.csv")
    assert frame.attrs["format"] == "spectre-csv" and list(frame.columns) == ["time", "out", "i0.in"]
    assert frame.attrs["resampled"] == ["/I0/in"]
    np.testing.assert_allclose(frame["i0.in"], t2)          # a line, so interpolation is exact


@pytest.mark.parametrize("name, content, message", [
    ("cut.prn", "Index TIME V(1)\n0 0 1\n1 1e-9\n", "cut.prn: line 3 is truncated"),
    ("bad.csv", "TIME,V(1)\n0,x\n", "bad.csv: line 2 holds a non-number"),
    ("cut.tran", 'HEADER\n"PSFversion" "1.00"\nSWEEP\n"time" "sweep"\nTRACE\n"a" "V"\nVALUE\n"time" 0\n',
     "cut.tran: PSF file is truncated"),
    ("odd.tran", 'HEADER\nSWEEP\n"time" "sweep"\nTRACE\n"a" "V"\nVALUE\n"time" 0\n"a" 1\n"time" 1\nEND\n',
     "odd.tran: trace 'a' has 1 values for 2 sweep points"),
    ("what.txt", "hello world\n", "what.txt: unknown waveform format"),
    ("empty.raw", "", "empty.raw: empty file"),
])
def test_bad_files_say_which_and_what(tmp_path, name, content, message):
    (tmp_path / name).write_text(content)
    with pytest.raises(WaveformError, match=message):
        read_waveforms(tmp_path / name)


def test_truncated_raw_files(tmp_path, ac_files):
    for source in ac_files:
        cut = tmp_path / f"cut_{source.name}"
        cut.write_bytes(source.read_bytes()[:-200])
        with pytest.raises(WaveformError, match=f"{cut.name}: .*truncated"):
            read_waveforms(cut)
    header_only = tmp_path / "header.raw"
    header_only.write_bytes("Title: x\nPlotname: AC Analysis\n".encode("utf-16-le"))
    with pytest.raises(WaveformError, match="header.raw: truncated raw header"):
        read_waveforms(header_only)
