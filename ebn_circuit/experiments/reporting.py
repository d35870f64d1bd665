"""What every report of a run carries: the facts to reproduce it, and its spec verdicts."""

from __future__ import annotations

import datetime
from importlib import metadata

import pandas as pd

from ebn_circuit.experiments import specs
from ebn_circuit.report import Report
from ebn_circuit.sweep.settings import SimSettings
from ebn_circuit.technology.core import Technology


def run_facts(tech: Technology, settings: SimSettings, mode: str = "full") -> dict[str, str]:
    """Versions and settings a reader needs to reproduce the numbers."""
    from ebn_circuit.spice.locate import simulator_version
    from ebn_circuit.technology.pdk_sky130 import models_source

    def version(package):
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return "not installed"

    return {"date": datetime.datetime.now().isoformat(timespec="seconds"),
            "ebn_circuit": version("ebn_circuit"), "ngspice": simulator_version(settings.backend),
            "PySpice": version("PySpice"), "numpy": version("numpy"),
            "PDK": f"{tech.name} {tech.corner}" + (f", {models_source()}" if tech.name == "sky130" else ""),
            "simulation": f"{settings.backend} backend, cache {'on' if settings.cache else 'off'}",
            "mode": mode}


def add_specs(report: Report, title: str, table: pd.DataFrame, source: str) -> None:
    """A checked spec table into the report's pass/fail summary (``source``: its CSV)."""
    report.add_specs(title, specs.verdict(table), specs.display(table), source)


def verification_report(out, title: str, tech: Technology, settings: SimSettings, group: str, spec_title: str,
                        measured: dict, not_applicable: dict, limits: dict, section_title: str, fill) -> int:
    """One verification command's verdict: the ``group`` specs checked against ``limits``, written
    (specs_<group>.csv/.md), printed, and report.html / report.md in ``out`` (facts, verdicts, the
    section ``fill(section)`` writes). Returns the exit code: 1 when a spec fails, else 0."""
    table = specs.check(group, measured, limits, not_applicable)
    specs.write(table, out, group, spec_title)
    specs.print_table(table, spec_title)
    report = Report(title, out, run_facts(tech, settings))
    add_specs(report, spec_title, table, f"specs_{group}.csv")
    fill(report.section(section_title))
    report.write()
    return 1 if specs.failed(table) else 0
