"""Row measurements for sweeps: ``measure(result, params) → {column: scalar}``.

Name them in a sweep spec as ``"ebn_circuit.measure.rows:idvg_metrics"``; your own follow the
same signature in any importable module.
"""

from __future__ import annotations

import numpy as np

from ebn_circuit.measure.devices import subthreshold_slope
from ebn_circuit.spice.result import SimResult


def idvg_metrics(result: SimResult, params) -> dict[str, float]:
    """For the Id–Vg testbench (``ebn_circuit.circuits.devices:idvg_testbench``):

    ss_mv_per_decade: steepest subthreshold slope over 3 decades (mV/decade).
    kappa: subthreshold slope factor at 27 °C.
    i_on: |Id| at |Vgs| = vdd (A).  i_off: |Id| at Vgs = 0 (A).
    vgs_at_1ua: |Vgs| where |Id| first reaches 1 µA × W/L (a constant-current threshold, V;
        NaN when never reached).
    """
    vgs = result.sweep
    current = np.abs(np.real(result.i("vdrain")))
    fit = subthreshold_slope(vgs, current)
    target = 1e-6 * params.w / params.l
    above = np.flatnonzero(current >= target)
    if above.size and above[0] > 0:
        j = above[0]
        vth = float(np.interp(np.log10(target), np.log10(current[j - 1:j + 1]), vgs[j - 1:j + 1]))
    else:
        vth = float("nan")
    return {"ss_mv_per_decade": float(fit.slope_mv_per_decade), "kappa": float(fit.kappa()),
            "i_on": float(current[-1]), "i_off": float(current[0]), "vgs_at_1ua": vth}


def final_values(result: SimResult, params) -> dict[str, float]:
    """The last value of every vector (``final_v(out)``, …): a quick generic row."""
    return {f"final_{name}": float(np.real(values[-1])) for name, values in result.vectors.items()
            if name != result.sweep_name and len(values)}
