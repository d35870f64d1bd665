"""Progress bars: every run on the CLI's executor shows one (with ETA) when a person watches — stderr
a terminal — and none with --quiet or into a file or pipe, so that logs and tests stay clean."""

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios

from ebn_circuit.circuits.devices import IdVgParams
from ebn_circuit.experiments.device_characterisation import idvg_job
from ebn_circuit.sweep import ProcessExecutor, SimSettings, make_job, run_jobs

ETA = re.compile(r"100%.*\[\d\d:\d\d<\d\d:\d\d")   # tqdm's [elapsed<remaining, rate]
RC = dict(builder="ebn_circuit.sweep.examples:rc_ladder_testbench",
          measure="ebn_circuit.sweep.examples:rc_ladder_metrics")


def test_an_executor_with_progress_draws_a_bar_for_a_stage_that_asks_for_none(tmp_path, sky130_tt, capsys):
    """The stages (decision map, IC runs, extraction, chip) call run_jobs(progress=False); the CLI's
    executor brings the bar, and the stage's per-run lines print above it."""
    settings = SimSettings(backend="batch", cache_dir=str(tmp_path / "cache"))
    jobs = [make_job(idvg_job, IdVgParams(kind=kind, vg_step=0.1), sky130_tt, settings, label=kind) for kind in "np"]
    with ProcessExecutor(workers=1, progress=True) as executor:
        run_jobs(jobs, tmp_path / "store", name="device stage", executor=executor, progress=False, log=print)
    out, err = capsys.readouterr()
    assert "device stage" in err and ETA.search(err), err
    assert out.count("device stage: ") == 2 and "device stage" not in out.split("\n")[-1]
    with ProcessExecutor(workers=1) as executor:
        run_jobs(jobs, tmp_path / "store2", name="device stage", executor=executor, progress=False)
    assert capsys.readouterr().err == ""


def run_on_a_terminal(args, cwd):
    """The CLI with stderr on a pseudo-terminal (as in a person's shell): exit code, stderr text."""
    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))   # 24 × 100 characters
    proc = subprocess.Popen([sys.executable, "-m", "ebn_circuit", *args], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=child, env={**os.environ, "EBN_CIRCUIT_CACHE": str(cwd / "cache")})
    os.close(child)
    chunks = []
    while True:
        try:
            chunk = os.read(main, 4096)
        except OSError:   # the child closed its end
            break
        if not chunk:
            break
        chunks.append(chunk)
    proc.wait(timeout=300)
    os.close(main)
    return proc.returncode, b"".join(chunks).decode(errors="replace")


def test_the_cli_shows_a_bar_on_a_terminal_and_none_with_quiet(tmp_path):
    spec = tmp_path / "rc.toml"
    spec.write_text(f'[sweep]\nname = "rc"\nbuilder = "{RC["builder"]}"\nmeasure = "{RC["measure"]}"\n'
                    '[params]\nstop = 2e-6\n[grid]\nr = [1e3, 2e3, 3e3]\n')
    code, err = run_on_a_terminal(["sweep", str(spec), "--out", str(tmp_path / "a"), "--workers", "1"], tmp_path)
    assert code == 0 and ETA.search(err), err
    code, err = run_on_a_terminal(["sweep", str(spec), "--out", str(tmp_path / "b"), "--workers", "1", "-q"], tmp_path)
    assert code == 0 and "%" not in err, err
    piped = subprocess.run([sys.executable, "-m", "ebn_circuit", "sweep", str(spec), "--out", str(tmp_path / "c"),
                            "--workers", "1"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert piped.returncode == 0 and "%" not in piped.stderr and "ok 3" in piped.stdout, piped.stderr
