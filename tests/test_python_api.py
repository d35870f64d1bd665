"""The toolkit from Python and notebooks: the top-level names, ready testbenches that run as they
are (a neuron that spikes), the warning of a neuron that latched, a short Testbench repr, and sweeps
and jobs whose functions live in ``__main__`` (a notebook or a script) on local and Dask workers."""

import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

import ebn_circuit as ebn
from ebn_circuit.circuits.neuron import NeuronStepParams, neuron_step_testbench
from ebn_circuit.errors import ConfigError
from ebn_circuit.sweep import load_spec


def test_import_is_light_and_exposes_the_surface():
    code = "import sys, ebn_circuit as e; print(sorted(m for m in sys.modules if m.startswith('ebn_circuit')))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "['ebn_circuit', 'ebn_circuit.errors']"     # nothing else until used
    for name in ebn.__all__:
        assert getattr(ebn, name) is not None, name
    assert ebn.Simulator is ebn.spice.Simulator and "neuron_bench" in dir(ebn)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        ebn.nope


def test_testbench_repr_is_one_short_line(sky130_tt):
    bench = ebn.neuron_bench(tech=sky130_tt)
    text = repr(bench)
    assert "\n" not in text and len(text) < 200
    assert text.startswith("<Testbench 'dpi_neuron_step_0n_+30n': .tran") and "sky130 tt" in text
    assert len(bench.netlist()) > 10 * len(text)


def test_the_ready_neuron_spikes_out_of_the_box(simulator, sky130_tt):
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # neither ngspice nor the readout may warn
        run = ebn.run_neuron(simulator, i_in=30e-9, tech=sky130_tt)
    # circuits/neuron.py: ≈ 35 Hz at 15 nA up to ≈ 230 Hz at 100 nA, so 30 nA lies between
    assert run.spikes.size >= 3 and 35 < run.rate < 230
    assert run.spikes[0] > 1e-3                 # after the drive came on


def test_a_latched_neuron_warns(simulator, sky130_tt):
    # the drive present at t = 0: the operating point lands on the upper equilibrium
    with pytest.warns(ebn.NgspiceWarning, match="gmin stepping failed"):   # ngspice's own warning reaches us
        latched = simulator.run(neuron_step_testbench(
            NeuronStepParams(i_in=30e-9, i_step=0.0, t_step=1e-3, t_stop=50e-3), sky130_tt))
    assert any("gmin stepping failed" in line for line in latched.meta.warnings)
    with pytest.warns(ebn.NeuronSilentWarning, match=r"never spiked .* 30 nA drive, 4\.0× its rheobase"):
        assert ebn.neuron_spikes(latched, i_in=30e-9).size == 0
    below = simulator.run(ebn.neuron_bench(i_in=5e-9, tech=sky130_tt))   # under rheobase: silence is right
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ebn.neuron_spikes(below, i_in=5e-9, t_on=1e-3).size == 0


def test_ready_device_bench_runs_and_benches_take_overrides(simulator, sky130_tt):
    result = simulator.run(ebn.device_bench("n", tech=sky130_tt))
    current = np.abs(result.i("vdrain"))
    assert np.all(np.diff(current) > 0) and current[-1] / current[0] > 1e4   # subthreshold to strong inversion
    assert "spike_times" not in ebn.synapse_bench(tech=sky130_tt, spike_times=(2e-3,)).netlist()
    with pytest.raises(ConfigError, match="SynapsePulseParams: .*its fields: synapse, spike_times"):
        ebn.synapse_bench(tech=sky130_tt, spikes=(1e-3,))


SCRIPT = textwrap.dedent('''
    """Functions defined in __main__ (as in a notebook) sent to workers by value."""
    import json, sys
    from dataclasses import dataclass
    import numpy as np
    import ebn_circuit as ebn
    from ebn_circuit.sweep import JobOutput

    @dataclass(frozen=True)
    class Rc:
        r: float = 1e3
        c: float = 1e-9

    def rc_bench(params: Rc, tech) -> ebn.Testbench:
        body = f"v1 in 0 pulse(0 1 0 1n 1n 1 2)\\nr1 in out {params.r:g}\\nc1 out 0 {params.c:g}"
        return ebn.Testbench("rc", body, ebn.Transient(1e-8, 10 * params.r * params.c), None)

    def t50(result, params):
        out = result.v("out")
        return {"t50": float(np.interp(0.5, out, result.time))}

    def job(simulator, tech, r):
        return JobOutput(row=t50(simulator.run(rc_bench(Rc(r=r), tech)), None))

    if __name__ == "__main__":   # Dask's worker processes import this file again
        out = {}
        for name, executor in (("pool", ebn.ProcessExecutor(workers=2)), ("dask", ebn.DaskExecutor(workers=1))):
            spec = ebn.SweepSpec(name="rc", builder=rc_bench, measure=t50, grid={"r": [1e3, 2e3]},
                                 technology="sky130", out=sys.argv[1] + "/" + name, cache=False)
            with executor:
                ebn.run_sweep(spec, executor=executor, progress=False)
            out[name] = ebn.load_results(spec)["t50"].tolist()
        settings = ebn.SimSettings(cache=False)
        tech = ebn.get_technology("sky130")
        results = ebn.run_jobs([ebn.make_job(job, r, tech, settings) for r in (1e3, 2e3)], sys.argv[1] + "/jobs",
                               workers=2, progress=False)
        out["jobs"] = [r.row["t50"] for r in results]
        out["builder"] = spec.builder[:40]
        print(json.dumps(out))
''')


def test_sweeps_and_jobs_take_functions_defined_in_main(tmp_path):
    (tmp_path / "notebook_like.py").write_text(SCRIPT)
    proc = subprocess.run([sys.executable, "notebook_like.py", str(tmp_path)], capture_output=True, text=True,
                          cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    import json

    out = json.loads(proc.stdout.strip().splitlines()[-1])
    expected = [np.log(2) * 1e3 * 1e-9, np.log(2) * 2e3 * 1e-9]            # t50 = RC·ln 2
    for name in ("pool", "dask", "jobs"):
        np.testing.assert_allclose(out[name], expected, rtol=0.02, err_msg=name)
    assert out["builder"].startswith("by-value:__main__:rc_bench:")


def test_toml_specs_keep_import_paths(tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text('[sweep]\nbuilder = "by-value:__main__:f:eJzL"\nmeasure = "m:f"\n')
    with pytest.raises(ConfigError, match=r"builder must be an import path; a TOML spec cannot carry code"):
        load_spec(spec)
