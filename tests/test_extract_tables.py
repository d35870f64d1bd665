"""TransferCurve round-trips through Parquet and CSV with its conditions."""

import pandas as pd
import pytest

from ebn_circuit.errors import ConfigError
from ebn_circuit.extract.tables import TransferCurve, load_curve

CONDITIONS = {"technology": "sky130", "corner": "tt", "mc_seed": None, "netlist_hash": "abc", "i_tau_A": 7.2e-12}


def test_round_trip_parquet_and_csv(tmp_path):
    table = pd.DataFrame({"i_in_A": [1e-9, 2e-9], "rate_Hz": [3.0, 40.5]})
    paths = TransferCurve("neuron_fi", table, CONDITIONS).save(tmp_path)
    assert [p.name for p in paths] == ["neuron_fi.parquet", "neuron_fi.csv", "neuron_fi.meta.json"]
    for path in paths[:2]:
        curve = load_curve(path)
        pd.testing.assert_frame_equal(curve.table, table)
        assert curve.conditions == CONDITIONS


def test_missing_conditions_and_files_are_named(tmp_path):
    with pytest.raises(ConfigError, match="lack corner"):
        TransferCurve("x", pd.DataFrame(), {"technology": "sky130", "mc_seed": 1, "netlist_hash": "h"})
    pd.DataFrame({"a": [1]}).to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(ConfigError, match="t.meta.json is missing"):
        load_curve(tmp_path / "t.csv")
