"""Ac and Noise analyses (circuits/analysis.py) run in ngspice, on both backends: complex phasors
against the RC low-pass, thermal noise against 4kTR; their frames; and bad analysis parameters."""

import numpy as np
import pytest

from ebn_circuit.errors import ConfigError
from ebn_circuit.spice import Ac, Noise, Testbench

R, C, R_LOAD = 1e3, 1e-9, 10e3
BODY = f"vin in 0 dc 0 ac 1\nr1 in out {R:g}\nc1 out 0 {C:g}\nr2 out 0 {R_LOAD:g}"
K_T = 1.380649e-23 * 300.15           # ngspice's default temperature, 27 °C


def lowpass(f):
    z = 1 / (1 / R_LOAD + 2j * np.pi * f * C)
    return z / (R + z)


@pytest.fixture(params=["simulator", "batch_simulator"])
def any_simulator(request):
    return request.getfixturevalue(request.param)


def test_ac_gives_complex_phasors(any_simulator):
    result = any_simulator.run(Testbench("rc_ac", BODY, Ac(1e3, 1e8, points=20), None))
    assert result.kind == "ac" and result.sweep_name == "frequency"
    f = result["frequency"]
    assert f.dtype == np.float64 and f[0] == pytest.approx(1e3) and f[-1] == pytest.approx(1e8)
    assert np.iscomplexobj(result.v("out"))
    np.testing.assert_allclose(result.v("out"), lowpass(f), rtol=1e-9)
    corner = np.argmin(abs(f - 1 / (2 * np.pi * (R * R_LOAD / (R + R_LOAD)) * C)))
    assert np.angle(result.v("out")[corner], deg=True) == pytest.approx(-45, abs=3)  # 20 points/decade
    frame = result.to_dataframe()
    assert frame.index.name == "frequency" and frame["v(out)"].dtype == np.complex128
    assert frame.attrs["units"] == {"frequency": "Hz", "i(vin)": "A", "v(in)": "V", "v(out)": "V"}
    chosen = result.select(["vdb(out)", "vp(out)", "v(in,out)"])
    np.testing.assert_allclose(chosen["vdb(out)"], 20 * np.log10(abs(lowpass(f))), atol=1e-7)
    np.testing.assert_allclose(chosen["v(in,out)"], 1 - lowpass(f), rtol=1e-9, atol=1e-15)
    assert chosen.units["vp(out)"] == "rad" and set(chosen.names) == {"frequency", "vdb(out)", "vp(out)", "v(in,out)"}


def test_noise_gives_the_spectra(any_simulator):
    result = any_simulator.run(Testbench("rc_noise", BODY, Noise("out", "vin", 10, 1e8, points=5), None))
    assert result.kind == "noise" and result.sweep_name == "frequency"
    f = result["frequency"]
    assert len(f) == 36 and result.units["onoise_spectrum"] == "V/√Hz"
    # r1 ∥ r2 shaped by c1: S(f) = 4kT·Re(Z), Z = r1 ∥ r2 ∥ c1
    z = 1 / (1 / R + 1 / R_LOAD + 2j * np.pi * f * C)
    np.testing.assert_allclose(result["onoise_spectrum"], np.sqrt(4 * K_T * z.real), rtol=0.01)
    # referred to the input: divided by the gain |out/in|
    np.testing.assert_allclose(result["inoise_spectrum"], result["onoise_spectrum"] / abs(lowpass(f)), rtol=1e-6)
    assert "onoise_spectrum" in result.to_dataframe().columns


@pytest.mark.parametrize("make, message", [
    (lambda: Ac(0, 1e6), "0 < start < stop"),
    (lambda: Ac(1e6, 1e3), "0 < start < stop"),
    (lambda: Ac(1, 1e6, points=0), "points must be an integer >= 1"),
    (lambda: Ac(1, 1e6, variation="log"), "variation must be one of dec, oct, lin"),
    (lambda: Noise("v(out)", "vin", 1, 1e6), "output must be a bare node"),
])
def test_bad_frequency_sweeps_are_refused(make, message):
    with pytest.raises(ConfigError, match=message):
        make()


def test_cards():
    assert Ac(1, 1e6).card() == ".ac dec 10 1 1000000"
    assert Noise("out", "vin", 1, 1e3, points=5, variation="oct", reference="ref").card() == \
        ".noise v(out,ref) vin oct 5 1 1000"
