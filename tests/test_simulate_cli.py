"""`ebn-circuit simulate`: tables by suffix (Parquet, CSV), complex AC vectors as real/imaginary
columns, the deck's .print selection, ngspice warnings on stderr, and bad decks as exit 2."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

CLI = [sys.executable, "-m", "ebn_circuit.cli"]
RC = "* rc\nv1 in 0 dc 0 ac 1\nr1 in out 1k\nc1 out 0 1n\n"


def simulate(tmp_path, deck: str, *options):
    (tmp_path / "deck.cir").write_text(deck)
    return subprocess.run([*CLI, "simulate", "deck.cir", "--no-cache", *options], capture_output=True, text=True,
                          cwd=tmp_path, timeout=300)


def h(f):
    return 1 / (1 + 2j * np.pi * f * 1e3 * 1e-9)


def test_ac_to_parquet_with_the_print_selection(tmp_path):
    proc = simulate(tmp_path, RC + ".ac dec 5 1k 10meg\n.print ac vdb(out) vp(out)\n.end\n", "--csv", "ac.parquet")
    assert proc.returncode == 0, proc.stderr
    table = pq.read_table(tmp_path / "ac.parquet")
    assert table.column_names == ["frequency", "vdb(out)", "vp(out)"]      # only what .print asks for
    frame = table.to_pandas()
    f = frame["frequency"].to_numpy()
    np.testing.assert_allclose(frame["vdb(out)"], 20 * np.log10(abs(h(f))), atol=1e-6)
    np.testing.assert_allclose(frame["vp(out)"], np.angle(h(f)), atol=1e-9)
    units = json.loads(table.schema.metadata[b"ebn_circuit.units"])
    assert units == {"frequency": "Hz", "vdb(out)": "dB", "vp(out)": "rad"}


def test_ac_to_csv_as_real_and_imaginary_columns(tmp_path):
    proc = simulate(tmp_path, RC + ".ac dec 5 1k 10meg\n.end\n", "--csv", "ac.csv", "--backend", "batch")
    assert proc.returncode == 0, proc.stderr
    text = (tmp_path / "ac.csv").read_text()
    assert "j)" not in text and "(" not in text.splitlines()[1]           # no "(1+0j)" strings
    frame = pd.read_csv(tmp_path / "ac.csv")
    assert list(frame.columns) == ["frequency", "i(v1).real", "i(v1).imag", "v(in).real", "v(in).imag",
                                   "v(out).real", "v(out).imag"]
    phasor = frame["v(out).real"] + 1j * frame["v(out).imag"]
    np.testing.assert_allclose(phasor, h(frame["frequency"].to_numpy()), rtol=1e-9)


def test_print_of_a_missing_vector_warns_and_keeps_the_others(tmp_path):
    proc = simulate(tmp_path, RC + ".tran 1u 10u\n.print tran v(out) v(nowhere)\n.end\n", "--csv", "t.csv")
    assert proc.returncode == 0, proc.stderr
    assert "warning:" in proc.stderr and ".print asks for v(nowhere)" in proc.stderr
    assert list(pd.read_csv(tmp_path / "t.csv").columns) == ["time", "v(out)"]


def test_ngspice_warnings_reach_the_user(tmp_path):
    deck = "* warns\nv1 in 0 dc 1\nr1 in out 1k\nc1 out mid 1n\nc2 mid 0 1n\n.tran 1u 10u\n.end\n"
    proc = simulate(tmp_path, deck)
    assert proc.returncode == 0, proc.stderr
    assert "warning: deck.cir: ngspice: singular matrix: check node mid" in proc.stderr


@pytest.mark.parametrize("deck, option, message", [
    (RC + ".tran 1u 10u\n.print tran v(out) v()\n.end\n", (), "'v()' names no vector"),
    (RC + ".tran 1u 10u\n.end\n", ("--csv", "out.xlsx"), "unknown table format '.xlsx'"),
])
def test_bad_selection_or_output_is_one_line_and_exit_2(tmp_path, deck, option, message):
    proc = simulate(tmp_path, deck, *option)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in proc.stderr


def test_print_lines_choose_vectors_per_analysis():
    from ebn_circuit.spice.result import printed_vectors

    deck = "r1 a b 1k\n.print tran v(a) v(a,b) i(vdd)\n.PRINT ac vdb(out)\n.print tran v(a)"
    assert printed_vectors(deck, "tran") == ("v(a)", "v(a,b)", "i(vdd)")
    assert printed_vectors(deck, "ac") == ("vdb(out)",) and printed_vectors(deck, "dc") == ()
    assert printed_vectors(deck + "\n.print tran all", "tran") == ()      # all: every vector
