"""The report: column units in engineering form, Markdown and a self-contained HTML page that
a standard parser reads back (sections with numbers, figures embedded, links resolving)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from ebn_circuit.plotting import new_figure, save, style
from ebn_circuit.report import Report
from ebn_circuit.report.units import engineering, parse, quantity
from report_check import problems


@pytest.mark.parametrize("name, expected", [
    ("i_in_A", ("i_in", "A", 1.0, None)),
    ("settle_time_ms", ("settle_time", "s", 1e-3, None)),       # an older scaled name reads as SI
    ("S_mV_per_dec", ("S", "V", 1e-3, "dec")),
    ("agreement", ("agreement", None, 1.0, None)),
])
def test_column_names_give_quantity_and_si_unit(name, expected):
    assert parse(name) == expected


def test_columns_shown_in_engineering_units():
    frame = pd.DataFrame({"code": [1, 2], "i_before_A": [8.5e-9, 12e-9], "settle_time_s": [0.25, np.nan],
                          "t_flag_s": [44e-6, 47e-6], "agreement": [0.984, 1.0], "settled": [True, False]})
    headers, rows = engineering(frame)
    assert headers == ["code", "i before (nA)", "settle time (ms)", "t flag (µs)", "agreement (%)", "settled"]
    assert rows[0] == ["1", "8.5", "250", "44", "98.4", "yes"]
    assert rows[1][2] == "—"                                    # missing, never nan
    assert quantity("tau_range_s", (0.017, 0.019)) == ("tau range", "17 … 19 ms")


@pytest.fixture
def report(tmp_path):
    with style():
        fig = new_figure()
        fig.subplots().plot([0, 1], [0, 1])
    save(fig, tmp_path / "stage" / "curve")
    frame = pd.DataFrame({"code": [-16, 0, 16], "offset_A": [-1e-11, math.nan, 5.5e-11]})
    frame.to_csv(tmp_path / "stage" / "offsets.csv", index=False)
    doc = Report("test report", tmp_path, {"ngspice": "39"})
    section = doc.section("Decision map")
    section.text("# Sub-report\n\nA stage's own text: 3 codes.\n\n![its figure](curve.png)", base="stage")
    section.table(frame, "bounds per code", "stage/offsets.csv")
    section.figure("stage/curve.png", "a curve")
    doc.add_specs("Learning-block specs", "FAIL (1 of 2)",
                  pd.DataFrame({"quantity": ["a", "b"], "measured": ["99 %", "1 nA"], "result": ["pass", "FAIL"]}),
                  "stage/offsets.csv")
    doc.section("Timing-free stage").text("nothing measured here but 1 number")
    doc.sections[0].seconds = 2.0
    return doc


def test_html_is_self_contained_and_sound(report):
    md, html = report.write()
    assert problems(html) == []
    text = html.read_text()
    assert text.count("data:image/png;base64,") == 2           # the stage's image and the figure, inline
    assert "<h3>Sub-report</h3>" in text                       # the stage's H1 nests under its section
    assert 'href="stage/offsets.csv"' in text and "offset (pA)" in text and "—" in text
    assert "FAIL (1 of 2)" in text and 'class="fail"' in text
    assert report.failed_specs() == 1


def test_markdown_embeds_images_by_relative_path(report):
    md, _ = report.write()
    text = md.read_text()
    assert "![its figure](stage/curve.png)" in text and "![a curve](stage/curve.png)" in text
    assert "### Sub-report" in text and "| code | offset (pA) |" in text
    assert "nan" not in text.lower().replace("nanoa", "")


def test_the_checker_catches_what_it_should(report, tmp_path):
    report.sections[0].figure("stage/missing.png", "gone")
    report.sections[1].text("value nan")
    _, html = report.write()
    found = problems(html)
    assert any("missing" in p for p in found) and any("shows nan" in p for p in found)
