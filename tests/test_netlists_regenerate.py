"""Every committed netlist equals what the builders generate now, and runs standalone."""

import subprocess
from pathlib import Path


from ebn_circuit.experiments.netlists import catalogue, render_catalogue, write_catalogue

NETLIST_DIR = Path(__file__).resolve().parents[1] / "netlists"


def test_committed_netlists_match_builders(sky130_tt):
    rendered = render_catalogue(sky130_tt)
    assert rendered, "the catalogue is empty"
    for name, text in rendered.items():
        committed = NETLIST_DIR / f"{name}.spice"
        assert committed.is_file(), f"{committed} missing: run `ebn-circuit netlists`"
        assert committed.read_text() == text, f"{committed} differs from its builder: run `ebn-circuit netlists`"
    stale = {p.stem for p in NETLIST_DIR.glob("*.spice")} - set(rendered)
    assert not stale, f"netlists without a builder: {sorted(stale)}"


def test_written_netlists_run_standalone_in_ngspice_batch(sky130_tt, tmp_path):
    written = write_catalogue(tmp_path, sky130_tt)
    for path in written:
        if path.stem not in catalogue():
            continue
        proc = subprocess.run(["ngspice", "-b", path.name], cwd=tmp_path, capture_output=True, text=True,
                              timeout=600)
        assert proc.returncode == 0, f"{path.name}: ngspice -b failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}"
        assert "Index" in proc.stdout, f"{path.name}: no .print output"
