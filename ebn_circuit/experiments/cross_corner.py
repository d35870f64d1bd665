"""Cross-corner validation of the behavioural DPI neuron and synapse: each fitted at one corner and
scored on every corner's held-out runs, and which parameters move between corners.

``run_cross_corner`` extracts each block at each corner (the extraction jobs of ``extract.neuron``
and ``extract.synapse``, one folder per block and corner), then ``neuron_cross_corner`` and
``synapse_cross_corner`` read those folders: per (fitted_on, tested_on) the held-out error of the
model fitted on ``fitted_on`` (in-sample: its own fit runs; at its own corner the held-out runs
are the extraction's held-out split), and per corner the parameters with 95 % intervals. A parameter
"moves" when its interval at a corner does not overlap the reference corner's.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from ebn_circuit.behavioural.dpi_neuron_cv import fit_form
from ebn_circuit.behavioural.dpi_synapse import CANDIDATES, DpiSynapseModel
from ebn_circuit.circuits.neuron import DpiNeuronParams
from ebn_circuit.extract.neuron import held_out_split, initial_model, run_neuron_extraction, score
from ebn_circuit.extract.synapse import run_synapse_extraction, runs_of
from ebn_circuit.extract.tables import load_curve


def run_cross_corner(tech, settings, out: Path, corners=("tt", "ff", "ss"), blocks=("neuron", "synapse"),
                     quick: bool = True, log=print, **jobs) -> dict[str, pd.DataFrame]:
    """Extract ``blocks`` at each corner into ``out/<block>_<corner>`` (jobs, resumable) and return
    the cross-corner tables: {"<block>": scores, "<block>_parameters": parameters per corner}."""
    out = Path(out)
    tables = {}
    for block in blocks:
        folders = {}
        for corner in corners:
            folder = out / f"{block}_{corner}"
            log(f"== {block} at {corner}")
            if block == "neuron":
                run_neuron_extraction(tech.with_corner(corner), settings, folder, quick=quick, log=log,
                                      cross_validate=False, **jobs)
            else:
                run_synapse_extraction(tech.with_corner(corner), settings, folder, quick=quick, log=log,
                                       cross_validate=False, **jobs)
            folders[corner] = folder
        scores, parameters = (neuron_cross_corner if block == "neuron" else synapse_cross_corner)(folders)
        scores.to_csv(out / f"{block}_cross_corner.csv", index=False)
        parameters.to_csv(out / f"{block}_parameters_by_corner.csv", index=False)
        tables[block], tables[f"{block}_parameters"] = scores, parameters
    return tables


def moved(parameters: pd.DataFrame, reference: str) -> pd.DataFrame:
    """Per parameter and corner: relative change from ``reference`` and whether the 95 % intervals
    are disjoint (the parameter moves beyond its uncertainty)."""
    ref = parameters[parameters["corner"] == reference].set_index("parameter")
    rows = []
    for r in parameters[parameters["corner"] != reference].itertuples():
        if r.parameter not in ref.index:
            continue
        base = ref.loc[r.parameter]
        disjoint = bool(np.isfinite([r.low, r.high, base["low"], base["high"]]).all()
                        and (r.low > base["high"] or r.high < base["low"]))
        rows.append({"parameter": r.parameter, "corner": r.corner, "value": r.value, "reference": base["value"],
                     "relative_change": (r.value - base["value"]) / abs(base["value"]) if base["value"] else np.nan,
                     "moves": disjoint})
    return pd.DataFrame(rows)


# --- synapse -----------------------------------------------------------------------------------

def synapse_cross_corner(folders: dict[str, Path], form: str = "full") -> tuple[pd.DataFrame, pd.DataFrame]:
    """(scores, parameters) of the synapse model fitted per corner (``form`` of ``CANDIDATES``)."""
    data = {}
    for corner, folder in folders.items():
        transients = load_curve(Path(folder) / "synapse_transients.parquet").table
        data[corner] = (runs_of(transients, "fit"), runs_of(transients, "held_out"))
    free, fixed = CANDIDATES[form]
    models = {corner: DpiSynapseModel.fit(*fit, free=free, start=None if fixed is None else DpiSynapseModel(**fixed))
              for corner, (fit, _) in data.items()}
    rows = []
    for fit_corner, model in models.items():
        in_sample = float(model.fit_quality["nrmse"].max())
        for test_corner, (_, held) in data.items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                nrmse = model.evaluate(*held)["nrmse"]
            rows.append({"block": "synapse", "fitted_on": fit_corner, "tested_on": test_corner,
                         "in_sample_nrmse_max": in_sample, "held_out_nrmse_max": float(nrmse.max()),
                         "held_out_nrmse_mean": float(nrmse.mean())})
    parameters = pd.concat([m.parameters().assign(corner=c) for c, m in models.items()], ignore_index=True)
    return pd.DataFrame(rows), parameters


# --- neuron ------------------------------------------------------------------------------------

def _neuron_tables(folder: Path):
    curves = {name: load_curve(Path(folder) / f"{name}.parquet").table
              for name in ("neuron_fi", "neuron_imem_steady", "neuron_imem_step", "neuron_imem_waveforms",
                           "neuron_spike_threshold")}
    fi, steps, waves = curves["neuron_fi"], curves["neuron_imem_step"], curves["neuron_imem_waveforms"]
    fit_fi, held_fi = (fi.iloc[k] for k in held_out_split(len(fi)))
    runs = list(steps["run"])
    fit_runs, held_runs = ([runs[k] for k in part] for part in held_out_split(len(runs)))
    initial = initial_model(DpiNeuronParams(), curves["neuron_imem_steady"], steps, curves["neuron_spike_threshold"])
    return (waves[waves["run"].isin(fit_runs)], fit_fi), (waves[waves["run"].isin(held_runs)], held_fi), initial


def neuron_cross_corner(folders: dict[str, Path], form: str = "full") -> tuple[pd.DataFrame, pd.DataFrame]:
    """(scores, parameters) of the neuron model (``form`` of ``dpi_neuron_cv.CANDIDATES``) per corner."""
    data = {corner: _neuron_tables(folder) for corner, folder in folders.items()}
    models = {corner: fit_form(form, *fit, initial) for corner, (fit, _, initial) in data.items()}
    rows = []
    for fit_corner, model in models.items():
        in_sample = score(model.fit_quality)
        for test_corner, (_, held, _) in data.items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                held_score = score(model.evaluate(*held))
            rows.append({"block": "neuron", "fitted_on": fit_corner, "tested_on": test_corner,
                         "in_sample_nrmse_max": in_sample["max_transient_nrmse"],
                         "held_out_nrmse_max": held_score["max_transient_nrmse"],
                         "held_out_rate_error_max": held_score["max_rate_error"]})
    parameters = pd.concat([m.parameters().assign(corner=c) for c, m in models.items()], ignore_index=True)
    return pd.DataFrame(rows), parameters
