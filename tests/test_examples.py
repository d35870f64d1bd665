"""The notebooks in examples/ run from top to bottom in a real Jupyter kernel (nbclient), against
real ngspice runs and the original IC's exported waveforms; their last cells assert what they
claim, so a change that breaks a notebook fails here."""

import os
from pathlib import Path

import pytest

from conftest import SHARED_REFERENCE

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def execute(name: str, tmp_path, env: dict) -> None:
    import nbclient
    import nbformat

    notebook = nbformat.read(EXAMPLES / name, as_version=4)
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)                    # the kernel inherits this environment
    try:
        nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                                resources={"metadata": {"path": str(tmp_path)}}).execute()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    errors = [o for cell in notebook.cells for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors


def test_characterise_neuron_notebook(tmp_path):
    execute("characterise_neuron.ipynb", tmp_path, {
        "EBN_EXAMPLES_OUT": str(tmp_path / "out"), "EBN_CIRCUIT_CACHE": str(tmp_path / "cache"),
        "MPLBACKEND": "Agg"})


def test_fit_foreign_waveforms_notebook(tmp_path):
    if not SHARED_REFERENCE.is_dir():
        pytest.skip(f"the original IC's waveforms are not available: {SHARED_REFERENCE} is absent "
                    "(needs ../shared beside the repo)")
    execute("fit_foreign_waveforms.ipynb", tmp_path, {"EBN_REFERENCE": str(SHARED_REFERENCE), "MPLBACKEND": "Agg"})
