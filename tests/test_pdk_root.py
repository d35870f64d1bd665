"""PDK_ROOT: an open_pdks install is used when it holds the models; a PDK_ROOT that does not is
named in a warning before the local model cache is used instead (never a silent fallback)."""

import warnings

import pytest

from ebn_circuit.technology.pdk_sky130 import cache_dir, find_models_dir


def test_invalid_pdk_root_warns_and_names_the_path(tmp_path, monkeypatch):
    monkeypatch.setenv("PDK_ROOT", str(tmp_path / "no_pdk_here"))
    with pytest.warns(UserWarning, match=rf"PDK_ROOT={tmp_path / 'no_pdk_here'} holds no sky130"):
        found = find_models_dir()
    assert found == cache_dir() / "models"


def test_valid_pdk_root_is_used_without_a_warning(tmp_path, monkeypatch):
    ngspice_dir = tmp_path / "sky130A" / "libs.tech" / "ngspice"
    ngspice_dir.parent.mkdir(parents=True)
    ngspice_dir.symlink_to(cache_dir() / "models")       # an install laid out as open_pdks does
    monkeypatch.setenv("PDK_ROOT", str(tmp_path))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert find_models_dir() == ngspice_dir
