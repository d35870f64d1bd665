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


def verification_report(out, title: str, tech: Technology, settings: SimSettings, spec_title: str,
                        table: pd.DataFrame, spec_source: str, section_title: str, fill) -> None:
    """report.html / report.md in ``out`` for one verification command: facts, its spec verdicts
    (``spec_source``: their CSV), and the section ``fill(section)`` writes."""
    report = Report(title, out, run_facts(tech, settings))
    add_specs(report, spec_title, table, spec_source)
    fill(report.section(section_title))
    report.write()
