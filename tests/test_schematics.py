"""Schematics: the xschem export netlists back (with xschem itself) to the cells it came from; the
drawings are written and hold every device and net; the CLI writes both."""

import os
import re
import subprocess
import sys

import pytest

from ebn_circuit.circuits.schematic import Schematic, Size
from ebn_circuit.errors import ConfigError
from ebn_circuit.schematics.blocks import BLOCKS, MAIN_BLOCKS, block_cell
from ebn_circuit.schematics.parse import device_models, differences, parse_hierarchy, parse_subcircuits
from ebn_circuit.schematics.xschem import TERMINAL_AT, export_xschem, netlist_with_xschem, read_xschem_netlist

CLI = [sys.executable, "-m", "ebn_circuit.cli"]


def round_trip(cell, tech, folder, symbols="generic", library=()):
    """The cell's own subcircuits and those xschem netlists from the export, by name."""
    export_xschem(cell, tech, folder, symbols=symbols)
    spice = netlist_with_xschem(folder / f"{cell.name}.sch", library=library)
    return parse_hierarchy(cell, tech), parse_subcircuits(spice, device_models(tech))


@pytest.mark.parametrize("block", list(BLOCKS))
def test_xschem_netlists_the_export_as_the_cell(block, sky130_tt, tmp_path):
    """Every device, source, capacitor and instance with the same nets on the same terminals, the
    same sizes or value, the same pins in order, and the XSPICE lines intact, in every cell of the
    hierarchy (net names are kept: every terminal is labelled)."""
    cell = block_cell(block, sky130_tt)
    want, got = round_trip(cell, sky130_tt, tmp_path)
    assert set(got) == set(want)
    assert sum(len(n.elements) for n in want.values()) > 0
    for name, netlist in want.items():
        assert differences(netlist, got[name]) == [], name


def test_a_miswired_export_is_caught(sky130_tt, tmp_path):
    """The comparison has teeth: one label moved to another net in the .sch is found."""
    cell = block_cell("neuron", sky130_tt)
    export_xschem(cell, sky130_tt, tmp_path, symbols="generic")
    sch = tmp_path / f"{cell.name}.sch"
    lines = sch.read_text().splitlines()
    k = next(k for k, line in enumerate(lines) if line.startswith("C {lab_pin.sym}") and line.endswith("lab=vmem}"))
    lines[k] = lines[k].replace("lab=vmem}", "lab=vfb}")
    sch.write_text("\n".join(lines) + "\n")
    got = parse_subcircuits(netlist_with_xschem(sch), device_models(sky130_tt))[cell.name]
    found = differences(parse_hierarchy(cell, sky130_tt)[cell.name], got)
    assert len(found) == 1 and "vfb" in found[0]


def test_every_element_kind_and_value_survives(sky130_tt, tmp_path):
    """Sources with waveform values (spaces, parentheses), a 0 V sense source to ground, a
    capacitor, devices with explicit bulks and parallel copies, a verbatim line."""
    s = Schematic(sky130_tt, "kinds", pins=("a", "b", "en", "vdd", "vss"))
    s.current("ref", "vdd", "a", "PWL(0 0 1e-3 2e-9)")
    s.voltage("sense", "b", "0", 0)
    s.capacitor("hold", "b", "vss", 1.5e-12)
    s.fet("sw", "n", "a", "en", "b", Size(0.42e-6, 0.15e-6, m=3), bulk="vss")
    s.fet("pu", "p", "a", "en", "vdd", Size(0.84e-6, 0.15e-6), bulk="b")
    s.line("abuf [en] [en_d] buf_model")
    cell = s.cell()
    want, got = round_trip(cell, sky130_tt, tmp_path)
    assert differences(want[cell.name], got[cell.name]) == []
    source = next(e for e in got[cell.name].elements if e.name == "Iref")
    assert source.param("value") == "PWL(0 0 1e-3 2e-9)"


def test_the_exported_xschemrc_is_enough_to_netlist(sky130_tt, tmp_path):
    """`cd <export> && xschem -n -s -q -x <cell>.sch`, as docs/schematics.md says: the folder's
    xschemrc finds xschem's devices and the exported cells, and puts the netlist in simulation/."""
    cell = block_cell("learning_block", sky130_tt)
    folder = tmp_path / "export"
    export_xschem(cell, sky130_tt, folder, symbols="generic")
    home = tmp_path / "home"      # no user xschemrc
    home.mkdir()
    subprocess.run(["xschem", "-n", "-s", "-q", "-x", "-r", f"{cell.name}.sch"], cwd=folder, timeout=120,
                   capture_output=True, env={**os.environ, "HOME": str(home)})
    got = parse_subcircuits(read_xschem_netlist(folder / "simulation" / f"{cell.name}.spice"),
                            device_models(sky130_tt))
    for name, netlist in parse_hierarchy(cell, sky130_tt).items():
        assert differences(netlist, got[name]) == [], name


def pdk_stand_ins(folder):
    """Symbols named and shaped like the sky130 PDK's nfet_01v8/pfet_01v8 (pins D G S B where the
    PDK has them, its attribute names) in the pre-1.2 format xschem 2.8.1 reads; the real ones use
    `K` records and @spiceprefix, which 2.8.1 does not know, so the X is written out here."""
    (folder / "sky130_fd_pr").mkdir(parents=True)
    pin_names = {"d": "D", "g": "G", "s": "S", "b": "B"}
    for kind in ("nfet", "pfet"):
        boxes = [f"B 5 {x - 2.5} {y - 2.5} {x + 2.5} {y + 2.5} {{name={pin_names[t]} dir=inout}}"
                 for t, (x, y) in TERMINAL_AT[kind].items()]
        (folder / "sky130_fd_pr" / f"{kind}_01v8.sym").write_text("\n".join([
            "v {xschem version=2.8.1 file_version=1.0}",
            f'G {{type={kind[0]}mos\nformat="X@name @pinlist sky130_fd_pr__@model L=@L W=@W nf=@nf mult=@mult m=@mult"\n'
            f'template="name=M1 W=1 L=0.15 nf=1 mult=1 model={kind}_01v8"}}',
            "V {}", "S {}", "E {}", *boxes, ""]))
    return folder


def test_pdk_symbols_carry_the_devices_to_the_pdk_pins(sky130_tt, tmp_path):
    """The default export for sky130 (sky130_fd_pr/*.sym): netlisted through symbols with the PDK's
    pin positions and attribute names, every device keeps its nets, W, L and mult = m."""
    library = pdk_stand_ins(tmp_path / "pdk")
    cell = block_cell("learning_block", sky130_tt)
    want, got = round_trip(cell, sky130_tt, tmp_path / "export", symbols="auto", library=(library,))
    for name, netlist in want.items():
        assert differences(netlist, got[name]) == [], name
        for element in got[name].elements:
            if element.is_fet:
                assert element.param("mult") == element.param("m"), element
    sch = (tmp_path / "export" / "learning_block.sch").read_text()
    assert "C {sky130_fd_pr/pfet_01v8.sym}" in sch and "C {sky130_fd_pr/nfet_01v8.sym}" in sch
    assert "nmos4" not in sch


def test_missing_pdk_symbols_are_an_error_not_a_silent_netlist(sky130_tt, tmp_path):
    cell = block_cell("synapse", sky130_tt)
    export_xschem(cell, sky130_tt, tmp_path, symbols="pdk")
    with pytest.raises(ConfigError, match="found no symbol nfet_01v8, pfet_01v8"):
        netlist_with_xschem(tmp_path / f"{cell.name}.sch")


def test_export_writes_a_sheet_and_a_symbol_per_cell(sky130_tt, tmp_path):
    cell = block_cell("learning_block", sky130_tt)
    paths = export_xschem(cell, sky130_tt, tmp_path)
    names = {c for c in parse_hierarchy(cell, sky130_tt)}
    assert {p.name for p in paths} == {f"{n}{s}" for n in names for s in (".sch", ".sym")} | {"xschemrc"}
    symbol = (tmp_path / "learning_block.sym").read_text()
    assert re.findall(r"\{name=(\w+) dir=", symbol) == list(cell.pins)     # node order of an instance


def test_drawings_show_every_device_and_net(sky130_tt):
    """The neuron's sheet: every device name and every net appears as text on the figure."""
    from ebn_circuit.schematics.drawing import draw_cell

    cell = block_cell("neuron", sky130_tt)
    netlist = parse_hierarchy(cell, sky130_tt)[cell.name]
    fig = draw_cell(cell, sky130_tt)
    texts = {t.get_text() for ax in fig.axes for t in ax.texts}
    words = {w for t in texts for w in t.split()}
    assert {e.name for e in netlist.elements} <= words
    assert netlist.nets() <= words


def test_draw_catalogue_writes_the_main_blocks(sky130_tt, tmp_path):
    from ebn_circuit.schematics.catalogue import draw_catalogue
    from PIL import Image

    pngs = draw_catalogue(tmp_path, sky130_tt)
    assert [p.stem for p in pngs] == [block_cell(name, sky130_tt).name for name in MAIN_BLOCKS]
    for png in pngs:
        assert png.with_suffix(".pdf").stat().st_size > 5_000
        assert png.stat().st_size > 20_000
        assert min(Image.open(png).size) > 500


def test_drawing_keeps_the_callers_backend(tmp_path):
    """A caller that chose a backend keeps it, and pyplot holds no figure afterwards."""
    script = f"""
import matplotlib
matplotlib.use("svg")
import matplotlib.pyplot as plt
from ebn_circuit.plotting import save
from ebn_circuit.schematics import block_cell, draw_cell
from ebn_circuit.technology import get_technology
tech = get_technology("sky130")
save(draw_cell(block_cell("synapse", tech), tech), {str(tmp_path / "synapse")!r})
print(matplotlib.get_backend(), len(plt.get_fignums()))
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ["svg", "0"]


def test_cli_writes_drawings_and_xschem_files(tmp_path):
    proc = subprocess.run([*CLI, "schematics", "--out", str(tmp_path), "--block", "neuron", "synapse", "--xschem"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    for name in ("dpi_neuron", "dpi_synapse"):
        assert (tmp_path / f"{name}.png").stat().st_size > 20_000 and (tmp_path / f"{name}.pdf").is_file()
        assert (tmp_path / "xschem" / f"{name}.sch").is_file() and (tmp_path / "xschem" / f"{name}.sym").is_file()
    assert (tmp_path / "xschem" / "xschemrc").is_file()
    assert len(proc.stdout.splitlines()) == 9


def test_cli_unknown_block_is_one_line_exit_2(tmp_path):
    proc = subprocess.run([*CLI, "schematics", "--out", str(tmp_path), "--block", "neuron", "nope"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "'nope'" in proc.stderr
    assert not any(tmp_path.iterdir())
