"""Weight-DAC transfer curves: code → current for every code, per Monte-Carlo instance.

One ``.dc`` sweep of all codes per instance (``circuits.dac.dac_sweep_testbench``) with mismatch
on and the instance's seed. The combined table keeps the columns the network layer reads
(instance, code, current (A)) plus the conditions as columns and each instance's endpoint LSB and
max |DNL|; ``run_dac_extraction`` saves every table, fits ``DacTableModel`` and writes its report.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ebn_circuit.behavioural.dac import DacTableModel
from ebn_circuit.circuits.dac import DacParams, DacSweepParams, dac_sweep_testbench
from ebn_circuit.errors import ConfigError
from ebn_circuit.extract.tables import TransferCurve, conditions_of
from ebn_circuit.measure.dac import dac_linearity, dac_table
from ebn_circuit.sweep.jobs import JobOutput, make_job, run_jobs
from ebn_circuit.sweep.settings import SimSettings
from ebn_circuit.technology.core import Technology

# the synapse DAC of the network: it sinks from the neuron input, held near 1.3 V
NEURON_INPUT_V = 1.3


def measure_dac_table(simulator, params: DacSweepParams, tech: Technology, instance: int | str = 0) -> pd.DataFrame:
    """Run the all-code sweep and return its table (``measure.dac.dac_table``)."""
    return dac_table(simulator.run(dac_sweep_testbench(params, tech)), instance, params.dac.polarity)


def dac_instance_curve(simulator, tech: Technology, seed: int, i_lsb: float = 1e-9, polarity: str = "sink",
                       v_out: float = NEURON_INPUT_V) -> TransferCurve:
    """Code → current (A, signed weight current) of Monte-Carlo instance ``seed``."""
    params = DacSweepParams(dac=DacParams(polarity=polarity, i_lsb=i_lsb), v_out=v_out, seed=seed)
    result = simulator.run(dac_sweep_testbench(params, tech.with_mismatch(True)))
    table = dac_table(result, instance=seed, polarity=polarity)
    lin = dac_linearity(table)
    conditions = conditions_of(result, i_lsb_A=i_lsb, v_out_V=v_out, polarity=polarity, bits=params.dac.bits)
    conditions["mc_seed"] = seed   # the mismatch instance, also when the result's meta lacks it
    return TransferCurve(f"dac_instance_{seed}", table.assign(lsb=lin.lsb, dnl_max=lin.dnl_max), conditions)


@dataclass(frozen=True)
class DacInstance:
    """One Monte-Carlo instance of the DAC sweep as a job's payload."""

    seed: int
    i_lsb: float = 1e-9
    polarity: str = "sink"
    v_out: float = NEURON_INPUT_V


def dac_instance_job(simulator, tech: Technology, inst: DacInstance) -> JobOutput:
    """Job function: one instance's code → current curve."""
    curve = dac_instance_curve(simulator, tech, inst.seed, inst.i_lsb, inst.polarity, inst.v_out)
    return JobOutput(tables={"curve": curve.table}, meta={"name": curve.name, "conditions": dict(curve.conditions)})


def extract_dac_curves(tech: Technology, settings: SimSettings, instances: int, out: Path, i_lsb: float = 1e-9,
                       polarity: str = "sink", v_out: float = NEURON_INPUT_V, executor=None, workers: int | None = None,
                       resume: bool = False, log=None) -> tuple[list[TransferCurve], pd.DataFrame]:
    """One curve per instance (seeds 1…instances; jobs stored in ``out``) and the combined table:
    columns instance, code, current (A), technology, corner, mc_seed, netlist_hash, i_lsb, lsb (A),
    dnl_max (LSB)."""
    if instances < 1:
        raise ConfigError(f"extract_dac_curves: instances must be >= 1, got {instances}")
    jobs = [make_job(dac_instance_job, DacInstance(seed, i_lsb, polarity, v_out), tech.with_mismatch(True), settings,
                     label=f"DAC instance {seed}") for seed in range(1, instances + 1)]
    results = run_jobs(jobs, out, name="DAC Monte Carlo", executor=executor, workers=workers, resume=resume,
                       progress=False, log=log)
    curves = [TransferCurve(r.meta["name"], r.tables["curve"], r.meta["conditions"]) for r in results]
    combined = pd.concat([c.table.assign(technology=c.conditions["technology"], corner=c.conditions["corner"],
                                         mc_seed=c.conditions["mc_seed"], netlist_hash=c.conditions["netlist_hash"],
                                         i_lsb=i_lsb) for c in curves], ignore_index=True)
    return curves, combined


def run_dac_extraction(tech: Technology, settings: SimSettings, out: Path, instances: int, i_lsb: float = 1e-9,
                       polarity: str = "sink", v_out: float = NEURON_INPUT_V, executor=None,
                       workers: int | None = None, resume: bool = False, log=None) -> dict:
    """Extract, save (``dac_instance_<seed>.*``, ``dac_code_current.*``), fit the table model and
    write its report (``dac_table_model.csv/.png``). Returns the Monte-Carlo spread (SI)."""
    out = Path(out)
    curves, combined = extract_dac_curves(tech, settings, instances, out / "runs", i_lsb, polarity, v_out, executor,
                                          workers, resume, log)
    for curve in curves:
        curve.save(out)
    conditions = {key: curves[0].conditions[key] for key in ("technology", "corner", "simulator", "i_lsb_A",
                                                             "v_out_V", "polarity", "bits")}
    conditions.update(mc_seed=[c.conditions["mc_seed"] for c in curves],
                      netlist_hash=",".join(sorted({c.conditions["netlist_hash"] for c in curves})))
    TransferCurve("dac_code_current", combined, conditions).save(out)
    model = DacTableModel.fit(combined)
    report = model.report(out / "dac_table_model")
    return {**model.spread(), "i_lsb_A": i_lsb, "polarity": polarity, "v_out_V": v_out,
            "reproduction_error_max_A": float(report["reproduction_error_A"].max()),
            "leave_one_out_error_max_lsb": float(report["leave_one_out_error_lsb"].max()),
            "lsb_per_instance_A": dict(zip(report["instance"].tolist(), report["lsb_A"].tolist())),
            "out": str(out), "combined_rows": int(len(combined)), "codes": int(combined["code"].nunique()),
            "current_range_A": [float(np.min(combined["current"])), float(np.max(combined["current"]))]}
