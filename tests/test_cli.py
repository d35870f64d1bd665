"""The CLI: the main job end to end, and bad input as one line with a non-zero exit."""

import argparse
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from report_check import problems

CLI = [sys.executable, "-m", "ebn_circuit.cli"]


def run_cli(*args, cwd=None, timeout=900):
    return subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=cwd, timeout=timeout)


# every stage from a cold simulation cache: ~10 min of CPU (24 min wall at load 12 on 2 cores)
@pytest.mark.timeout(2400)
def test_main_job_quick_runs_every_stage_end_to_end(tmp_path):
    """The whole pipeline, shortened: netlists → ngspice → verification → figures → network."""
    results = tmp_path / "results"
    proc = run_cli("run", "--quick", "--out", str(results), "--netlists", str(tmp_path / "netlists"), timeout=2400)
    assert proc.returncode == 0, proc.stderr[-3000:]
    table = pd.read_csv(results / "device_characterisation.csv")
    assert set(table["device"]) == {"nfet", "pfet"} and set(table["corner"]) == {"tt", "ff", "ss"}
    assert table["S_V_per_dec"].between(0.060, 0.110).all()   # 60 mV/dec at best, sky130 ~83–100
    for name in ("device_idvg.png", "device_idvg.pdf", "report.md", "report.html", "decision_map/decision_map_tt.png", "ic/sim1_transient.png",
                 "ic/sim2_transient.png", "ic/summary.csv", "learning_block_fits.csv", "dac_mc_table.parquet",
                 "network/ideal/figure1.png", "network/circuit/figure1.png", "network_summary.csv",
                 "extract/neuron/neuron_fi.parquet", "extract/synapse/synapse_tau_gain.parquet",
                 "extract/learning-block/learning_block_bounds.parquet", "extract/summary.json",
                 "chip_twin/chip/neuron.parquet", "chip_twin/chip/summary.md", "chip_twin/twin/twin_check.csv",
                 "chip_twin/study/mismatch_study.csv", "chip_twin/study_trimmed/mismatch_study.csv",
                 "chip_twin/study_calibrated/mismatch_study.csv"):
        assert (results / name).stat().st_size > 0, name
    assert (tmp_path / "netlists" / "device_idvg_nfet.spice").is_file()
    report = (results / "report.md").read_text()
    for heading in ("Device characterisation", "decision map", "transients", "Behavioural", "Transfer-curve", "DAC",
                    "Network", "Chip twin"):
        assert heading in report
    ic = pd.read_csv(results / "ic" / "summary.csv")
    assert (ic["flags_vs_code_change"] == 1.0).all()
    # the learning block from each instance's characterisation predicts that instance's runs, within one
    # pulse of the nominal rule or better (issue 15's cross-run goal; docs/models.md)
    twin = pd.read_csv(results / "chip_twin" / "twin" / "twin_check.csv")
    assert (twin["agreement_teacher_forced"] >= twin["agreement_nominal_rule"] - 1 / 12 - 1e-9).all(), twin
    assert problems(results / "report.html") == []
    for stem in ("learning_block", "ic", "extraction"):     # every verification's specs, checked and written
        assert (results / "specs" / f"specs_{stem}.csv").is_file()


@pytest.mark.parametrize("args, message", [
    (["run", "--technology", "gf180", "--out", "x"], "unknown technology 'gf180'"),
    (["pdk", "show", "sky130", "--corner", "zz"], "no corner 'zz'"),
    (["simulate", "/nonexistent/deck.cir"], "/nonexistent/deck.cir: cannot read netlist"),
])
def test_bad_input_is_one_line_and_exit_2(args, message):
    proc = run_cli(*args)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr


def test_simulate_refuses_shell_and_runs_a_clean_deck(tmp_path):
    evil = tmp_path / "evil.cir"
    evil.write_text("* evil\nv1 a 0 1\nr1 a 0 1k\n.op\n.control\nshell touch pwned\n.endc\n.end\n")
    proc = run_cli("simulate", str(evil), cwd=tmp_path)
    assert proc.returncode == 2 and "refused control command" in proc.stderr
    assert not (tmp_path / "pwned").exists()
    clean = tmp_path / "clean.cir"
    clean.write_text("* rc\nv1 in 0 pulse(0 1 0 1n 1n 1 2)\nr1 in out 1k\nc1 out 0 1n\n.tran 10n 2u\n.end\n")
    proc = run_cli("simulate", str(clean), "--csv", str(tmp_path / "rc.csv"), "--backend", "batch", "--no-cache")
    assert proc.returncode == 0, proc.stderr
    frame = pd.read_csv(tmp_path / "rc.csv")
    assert frame.columns[0] == "time" and frame["v(out)"].iloc[-1] > 0.8


# --- conventions every command follows (cli/parsers.py) ---

def command_tree():
    """(path, parser) of the top level, every command group and every command."""
    from ebn_circuit.cli import build_parser

    def walk(parser, path):
        yield path, parser
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, child in action.choices.items():
                    yield from walk(child, path + (name,))

    return list(walk(build_parser(), ()))


def examples_of(parser) -> list[list[str]]:
    section = parser.epilog.split("Examples:\n", 1)[1].split("\n\n", 1)[0]
    return [shlex.split(line)[1:] for line in section.splitlines()]


def test_every_option_has_help_and_every_command_examples_and_exit_codes():
    tree = command_tree()
    assert len(tree) > 20
    for path, parser in tree:
        where = " ".join(("ebn-circuit",) + path)
        for action in parser._actions:
            assert action.help and action.help.strip(), f"{where}: {action.option_strings or action.dest} has no help"
        assert parser.formatter_class is argparse.RawDescriptionHelpFormatter, where
        assert "Examples:" in parser.epilog and len(examples_of(parser)) >= 1, where
        for code, meaning in (("0", "ok"), ("1", "failed"), ("2", "bad input"), ("130", "interrupted")):
            assert re.search(rf"^  {code} +.*{meaning}", parser.epilog, re.MULTILINE), (where, code)


def test_every_example_in_the_help_parses():
    from ebn_circuit.cli import build_parser

    parser = build_parser()
    for path, command in command_tree():
        for argv in examples_of(command):
            args = parser.parse_args(argv)   # a bad example exits here
            assert callable(args.func), argv


def test_shared_options_are_spelled_and_defaulted_alike():
    """-q everywhere; --workers defaults to the cores and the cache is on wherever they exist."""
    from ebn_circuit.cli import build_parser

    parser = build_parser()
    for path, command in command_tree():
        if not command.get_default("func") or command._subparsers is not None:
            continue
        options = {o for a in command._actions for o in a.option_strings}
        assert {"-q", "--quiet"} <= options, path
        if "--workers" in options:
            args = parser.parse_args([*path, *required_arguments(path)])
            assert args.workers is None and not args.no_cache and {"--scheduler", "--resume"} <= options, path


def required_arguments(path) -> list[str]:
    return {("sweep",): ["spec.toml"], ("chip", "twin"): ["--chip", "c"], ("simulate",): ["deck.cir"],
            ("verify", "mismatch"): ["learning-block"]}.get(path, [])


def test_the_old_corner_spelling_still_works():
    from ebn_circuit.cli import build_parser

    parser = build_parser()
    for command in (["figures", "ic"], ["extract"], ["verify", "learning-block"]):
        new = parser.parse_args([*command, "--corner", "tt", "--corner", "ff"])
        old = parser.parse_args([*command, "--corners", "tt", "ff"])
        assert new.corners == old.corners == ["tt", "ff"], command
    assert parser.parse_args(["extract", "--corner", "ss", "neuron"]).blocks == ["neuron"]
    assert parser.parse_args(["simulate", "d.cir", "--csv", "o.csv"]).out == Path("o.csv")   # old --csv


def test_an_unknown_corner_in_either_spelling_is_one_line_before_any_run(capsys):
    from ebn_circuit.cli import main

    for spelling in (["--corners", "tt", "zz"], ["--corner", "zz"]):
        assert main(["extract", "dac", *spelling, "--out", "/nonexistent/x"]) == 2
        lines = capsys.readouterr().err.strip().splitlines()
        assert len(lines) == 1 and "no corner(s) zz" in lines[0]


def test_python_m_ebn_circuit_help_and_version():
    proc = subprocess.run([sys.executable, "-m", "ebn_circuit", "--help"], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0 and "Exit codes:" in proc.stdout and "cache" in proc.stdout, proc.stderr
    proc = subprocess.run([sys.executable, "-m", "ebn_circuit", "--version"], capture_output=True, text=True,
                          timeout=120)
    import ebn_circuit

    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith(f"ebn-circuit {ebn_circuit.__version__} ")
    assert re.search(r"^ngspice-\d+", proc.stdout, re.MULTILINE)
    assert re.search(r"^PySpice \d", proc.stdout, re.MULTILINE)


def test_a_command_group_without_its_command_is_bad_input(capsys):
    from ebn_circuit.cli import main

    assert main(["verify"]) == 2 and "learning-block" in capsys.readouterr().out
    assert main([]) == 2
