"""Every plot function returns a Figure, writes a 300 dpi PNG and a PDF of an IEEE width, keeps the
caller's matplotlib backend, and puts subscripts in mathtext; no module switches backends."""

import ast
import re
from pathlib import Path

import matplotlib
import matplotlib.image
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text

from ebn_circuit.behavioural.learning_block import LearningBlockModel, fit_bounds_model
from ebn_circuit.behavioural.learning_block_plot import plot_residuals
from ebn_circuit.circuits.learning_block import LearningBlockParams
from ebn_circuit.experiments.chip_figures import plot_twin_check
from ebn_circuit.experiments.decision_map import plot_decision_map
from ebn_circuit.experiments.device_characterisation import DeviceCurve, plot_idvg
from ebn_circuit.experiments.ic_figures import plot_code_overlay, plot_learning_transient
from ebn_circuit.experiments.ic_study import plot_monte_carlo
from ebn_circuit.network import figures
from ebn_circuit.network.training import reproduce_figure1
from ebn_circuit.plotting import DPI, WIDTHS
from ebn_circuit.rule import NONE, ideal_decision

PACKAGE = Path(__file__).resolve().parents[1] / "ebn_circuit"


def decision_table() -> pd.DataFrame:
    """Three columns of levels around the ideal bounds, decided by the ideal rule but for one
    readout without a decision."""
    block = LearningBlockParams()
    columns = []
    for code in (-16, 0, 16):
        i_omega = code * block.omega_per_code
        lower, upper = block.bounds(i_omega)
        levels = np.linspace(lower - 1e-9, upper + 1e-9, 12)
        ideal = ideal_decision(levels, i_omega, block.i_rest, block.i_sl, block.omega_ratio)
        columns.append(pd.DataFrame({"corner": "tt", "seed": -1, "code": code, "i_before": levels,
                                     "decision": ideal, "ideal": ideal, "ideal_lower": lower, "ideal_upper": upper,
                                     "i_omega": i_omega, "wall_time": 1.0}))
    table = pd.concat(columns, ignore_index=True)
    table.loc[0, "decision"] = NONE
    return table


def learning_waveforms(pulses: int = 12) -> pd.DataFrame:
    """A 5 ms pulse train; the code steps up after each pulse until I_mem reaches the band."""
    time = np.arange(0, pulses * 5e-3, 1e-5)
    pulse = 1.8 * ((time % 5e-3) >= 1e-3) * ((time % 5e-3) < 2e-3)
    code = np.minimum(np.floor((time - 2e-3) / 5e-3) + 1, 6).clip(0)
    i_mem = 8e-9 + 0.15e-9 * code + 0.05e-9 * pulse
    return pd.DataFrame({"time": time, "i_mem": i_mem, "pulse": pulse, "code": code})


def residuals(path):
    """Two instances of a linear bounds model, fitted without code 0 and checked on it."""
    codes = np.arange(-8, 9, 4)
    rows = [pd.DataFrame({"instance": label, "code": codes, "i_lower_A": 8.7e-9 + shift - 0.02e-9 * codes,
                          "i_upper_A": 9.3e-9 + shift - 0.02e-9 * codes})
            for label, shift in (("a", 0.0), ("b", 0.1e-9))]
    table = pd.concat(rows, ignore_index=True)
    held_out = table["code"] == 0
    return plot_residuals(fit_bounds_model(table[~held_out], 0.04e-9), path, table[held_out])


def twin_pulses() -> pd.DataFrame:
    pulse = np.arange(20)
    code = np.minimum(pulse, 7)
    return pd.concat([pd.DataFrame({"run": run, "instance": inst, "pulse": pulse, "code_circuit": code,
                                    "code_twin": code + (pulse > 15), "i_before_circuit": 8e-9 + 0.1e-9 * code,
                                    "i_before_twin": 8.02e-9 + 0.1e-9 * code})
                      for run in ("sim1", "sim2") for inst in (1, 2)], ignore_index=True)


def network_table() -> pd.DataFrame:
    return pd.DataFrame({"seed": [0, 1, 2], "correlation": [0.96, 0.97, 0.95], "slope": [0.6, 0.7, 0.65],
                         "error_ratio": [1.05, 1.02, 1.08], "spike_ratio": [1.2, 1.4, 1.1]})


@pytest.fixture(scope="module")
def network_run():
    return reproduce_figure1(seed=0, n_trials=2, n_steps=6000)


def idvg_curves() -> list[DeviceCurve]:
    vgs = np.linspace(0, 1.8, 50)
    return [DeviceCurve(kind, corner, vgs, np.minimum(1e-12 * np.exp(vgs / (0.04 * scale)), 1e-4), 0.1, "0" * 12)
            for kind in ("n", "p") for corner, scale in (("tt", 1.0), ("ff", 0.9), ("ss", 1.1))]


PLOTS = {
    "decision_map": lambda path, _: plot_decision_map(decision_table(), LearningBlockParams(), path, "tt"),
    "idvg": lambda path, _: plot_idvg(idvg_curves(), path),
    "learning_transient": lambda path, _: plot_learning_transient(learning_waveforms(), LearningBlockModel(), path,
                                                                  title="synthetic"),
    "code_overlay": lambda path, _: plot_code_overlay({"synthetic": learning_waveforms(),
                                                      "shorter": learning_waveforms(8)}, path),
    "monte_carlo": lambda path, _: plot_monte_carlo(pd.DataFrame({"run": ["sim1"] * 4 + ["sim2"] * 4,
                                                                  "settle_time_ms": [90, 120, np.nan, 100] * 2,
                                                                  "final_code": [3, 4, 4, 5, -2, -1, -2, -3]}), path),
    "residuals": lambda path, _: residuals(path),
    "twin_check": lambda path, _: plot_twin_check(twin_pulses(), path),
    "figure1": lambda path, run: figures.figure1(run, path),
    "learning_curve": lambda path, run: figures.learning_curve(run.history, path),
    "sweep": lambda path, _: figures.sweep_figure(network_table().assign(margin=[0.0, 0.5, 1.0]), "margin", path),
    "seeds": lambda path, _: figures.seeds_figure(network_table(), path),
    "mismatch": lambda path, _: figures.mismatch_figure(
        pd.DataFrame({"case": ["a_optimal_deployed", "b_learned_on_chip", "c_ideal_optimal"] * 2,
                      "reconstruction_error": [0.3, 0.2, 0.1, 0.35, 0.25, 0.1],
                      "membrane_variance": [1e-3, 2e-3, 1e-3, 2e-3, 3e-3, 1e-3],
                      "mismatch_scale": [1.0] * 3 + [2.0] * 3}), path),
}


@pytest.fixture
def foreign_backend():
    """A backend other than the Agg that plot code used to force, restored afterwards."""
    before = matplotlib.get_backend()
    matplotlib.use("pdf")
    yield "pdf"
    matplotlib.use(before)


def plain_text(fig: Figure) -> list[str]:
    """Every visible text of the figure with its mathtext parts removed."""
    return [re.sub(r"\$[^$]*\$", "", t.get_text()) for t in fig.findobj(Text) if t.get_visible()]


@pytest.mark.parametrize("name", PLOTS)
def test_plot_returns_a_figure_and_writes_png_and_pdf(name, tmp_path, foreign_backend, network_run):
    fig = PLOTS[name](tmp_path / f"{name}.png", network_run)
    assert isinstance(fig, Figure)
    assert matplotlib.get_backend() == foreign_backend
    png, pdf = tmp_path / f"{name}.png", tmp_path / f"{name}.pdf"
    assert png.stat().st_size > 0 and pdf.read_bytes().startswith(b"%PDF")
    width_px = matplotlib.image.imread(png).shape[1]
    assert width_px in {round(w * DPI) for w in WIDTHS.values()}
    stray = [text for text in plain_text(fig) if "_" in text]
    assert not stray, f"subscripts or internal names outside mathtext: {stray}"


def test_plot_without_a_path_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert isinstance(plot_monte_carlo(pd.DataFrame({"run": ["sim1"], "settle_time_ms": [90.0], "final_code": [3]})),
                      Figure)
    assert not list(tmp_path.iterdir())


def backend_switches(source: str) -> list[str]:
    """Imports of pyplot and calls of matplotlib.use in ``source`` (code only, not its docstrings)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if alias.name.startswith("matplotlib.pyplot")]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("matplotlib"):
            found += [f"{node.module}.{alias.name}" for alias in node.names
                      if "pyplot" in f"{node.module}.{alias.name}"]
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "use"
              and isinstance(node.func.value, ast.Name) and node.func.value.id in ("matplotlib", "mpl")):
            found.append(f"{node.func.value.id}.use")
    return found


def test_backend_scan_finds_pyplot_and_use():
    source = ("import matplotlib\nmatplotlib.use('Agg')\n"
              "import matplotlib.pyplot as plt\nfrom matplotlib import pyplot\n")
    assert sorted(backend_switches(source)) == ["matplotlib.pyplot", "matplotlib.pyplot", "matplotlib.use"]
    docstring_only = '"""never pyplot, never matplotlib.use("Agg")"""\nfrom matplotlib.figure import Figure\n'
    assert backend_switches(docstring_only) == []


def test_no_module_switches_the_backend_or_uses_pyplot():
    offenders = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if found := backend_switches(path.read_text()):
            offenders[relative] = found
    assert not offenders, f"use ebn_circuit.plotting (Figure objects) instead of pyplot / matplotlib.use: {offenders}"
