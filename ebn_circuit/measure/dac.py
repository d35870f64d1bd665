"""Readout of the DAC sweep (``circuits.dac.dac_sweep_testbench``): the code → current table and
its linearity."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ebn_circuit.errors import ConfigError


def dac_table(result, instance: int | str = 0, polarity: str = "source") -> pd.DataFrame:
    """The code → current table of a sweep result: columns instance, code, current (A, the signed
    weight current: positive = sourced into the output node for a "source" or "offset" DAC, sunk
    from it for a "sink" DAC), the format the network layer reads."""
    sweep = next(v for k, v in result.vectors.items() if k.startswith("v(v-sweep)") or k == "v(code)")
    sign = -1.0 if polarity == "sink" else 1.0
    return pd.DataFrame({"instance": instance, "code": np.rint(sweep).astype(int),
                         "current": sign * np.asarray(result.i("vout"), dtype=float)})


@dataclass(frozen=True)
class DacLinearity:
    """lsb: endpoint LSB (A); offset: current at code 0 (A); dnl, inl: per code step / code in LSB."""

    lsb: float
    offset: float
    dnl: np.ndarray
    inl: np.ndarray

    @property
    def dnl_max(self) -> float:
        return float(np.max(np.abs(self.dnl)))

    @property
    def inl_max(self) -> float:
        return float(np.max(np.abs(self.inl)))

    @property
    def monotonic(self) -> bool:
        return bool(np.all(self.dnl > -1.0))


def dac_linearity(table: pd.DataFrame) -> DacLinearity:
    """Endpoint-fit DNL and INL of one instance's code → current table."""
    table = table.sort_values("code")
    codes, current = table["code"].to_numpy(), table["current"].to_numpy()
    if len(codes) < 2:
        raise ConfigError("dac_linearity needs at least two codes")
    lsb = (current[-1] - current[0]) / (codes[-1] - codes[0])
    dnl = np.diff(current) / np.diff(codes) / lsb - 1.0
    inl = (current - (current[0] + (codes - codes[0]) * lsb)) / lsb
    offset = float(np.interp(0, codes, current))
    return DacLinearity(lsb=float(lsb), offset=offset, dnl=dnl, inl=inl)
