"""Signed 6-bit weight DAC: construction checks and the 64-code sweep (sky130 tt)."""

import numpy as np
import pytest

from ebn_circuit.circuits.dac import (CODE_MAX, CODE_MIN, PINS, DacCodeParams, DacParams, DacSweepParams, code_bits,
                                      code_range, dac_cell, dac_code_testbench, dac_sweep_testbench)
from ebn_circuit.extract.dac import measure_dac_table
from ebn_circuit.measure.dac import dac_linearity
from ebn_circuit.errors import ConfigError


@pytest.mark.parametrize("kwargs, field", [({"i_lsb": -1e-10}, "i_lsb"), ({"i_lsb": 0.0}, "i_lsb"),
                                           ({"unit_l": 0.0}, "unit_l"), ({"mirror_w": -1e-6}, "mirror_w"),
                                           ({"bits": 0}, "bits"), ({"bits": 1}, "bits"), ({"bits": 6.5}, "bits")])
def test_bad_params_fail_at_construction(kwargs, field):
    with pytest.raises(ConfigError, match=field):
        DacParams(**kwargs)


def test_bad_bench_params_fail_at_construction():
    with pytest.raises(ConfigError, match="v_out"):
        DacSweepParams(v_out=2.5)
    for code in (CODE_MIN - 1, CODE_MAX + 1, 0.5):
        with pytest.raises(ConfigError, match="code"):
            DacCodeParams(code=code)
    with pytest.raises(ConfigError, match="code"):
        DacCodeParams(dac=DacParams(bits=4), code=8)


@pytest.mark.parametrize("code", [CODE_MIN - 1, CODE_MAX + 1, 1.5])
def test_code_outside_range_fails(code):
    with pytest.raises(ConfigError, match="code"):
        code_bits(code)


def test_code_bits_are_twos_complement():
    assert code_bits(0) == (0,) * 6
    assert code_bits(-1) == (1,) * 6
    assert code_bits(CODE_MIN) == (0, 0, 0, 0, 0, 1)
    assert code_bits(5) == (1, 0, 1, 0, 0, 0)
    for code in range(CODE_MIN, CODE_MAX + 1):
        bits = code_bits(code)
        assert sum(b << k for k, b in enumerate(bits[:5])) - 32 * bits[5] == code


def test_other_widths_scale_pins_and_codes(sky130_tt):
    params = DacParams(bits=4)
    assert params.pins == ("b0", "b1", "b2", "b3", "iref", "iout", "vdd", "vss")
    assert code_range(4) == (-8, 7) and code_bits(-8, 4) == (0, 0, 0, 1)
    text = dac_sweep_testbench(DacSweepParams(dac=params), sky130_tt).netlist()
    assert ".dc vcode -8 7 1" in text and "Xmcs_3 cs_3 iref vss vss" in text and "b4" not in text


def test_subcircuit_pins_and_unit_counts(sky130_tt):
    text = str(dac_cell(DacParams(), sky130_tt))
    assert DacParams().pins == PINS
    assert text.splitlines()[0].split()[2:] == list(PINS)
    # binary-weighted sources: 1, 2, 4, 8, 16 units and 32 for the (inverted) sign bit and the offset sink
    for k, m in enumerate((1, 2, 4, 8, 16, 32)):
        assert f"Xmcs_{k} cs_{k} iref vss vss" in text and (m == 1 or f" m={m}" in text.split(f"Xmcs_{k} ")[1].splitlines()[0])
    assert "Xmsw_5 isum b5_n cs_5" in text


def test_all_codes_monotonic_small_dnl(simulator, sky130_tt):
    params = DacSweepParams()
    table = measure_dac_table(simulator, params, sky130_tt)
    assert list(table["code"]) == list(range(CODE_MIN, CODE_MAX + 1))
    lin = dac_linearity(table)
    current = table.set_index("code")["current"]
    print(f"\nDAC tt: LSB {lin.lsb * 1e12:.1f} pA (nominal {params.dac.i_lsb * 1e12:.0f} pA), "
          f"offset {lin.offset / lin.lsb:+.2f} LSB, DNL max {lin.dnl_max:.3f} LSB, INL max {lin.inl_max:.3f} LSB")
    assert lin.monotonic
    assert lin.dnl_max < 0.5
    assert lin.inl_max < 1.0
    assert abs(lin.offset) < 0.5 * lin.lsb
    assert 0.8 < lin.lsb / params.dac.i_lsb < 1.25      # reference diode vs unit V_ds (DIBL): a gain error
    # sign convention: positive codes source current into the node, negative codes sink it
    assert (current[current.index > 0] > 0).all() and (current[current.index < 0] < 0).all()
    assert np.isclose(current[CODE_MIN], CODE_MIN * lin.lsb, rtol=0.03)


def test_fixed_code_output_characteristic(simulator, sky130_tt):
    """At a fixed code the output current matches the sweep's at v_out = 0.9 V. The output is the
    difference of two uncascoded mirrors (source of code+32 units, sink of 32), so sky130's
    subthreshold DIBL gives a finite output conductance (measured ≈ 3 LSB/V at code 8): below
    4 LSB/V around 0.9 V, i.e. < 0.4 LSB for the ±0.1 V a neuron-input node moves."""
    table = measure_dac_table(simulator, DacSweepParams(), sky130_tt).set_index("code")["current"]
    lsb = dac_linearity(table.reset_index()).lsb
    for code in (8, -8):
        result = simulator.run(dac_code_testbench(DacCodeParams(code=code), sky130_tt))
        v_out, i_out = result["v(v-sweep)"], result.i("vout")
        assert np.isclose(np.interp(0.9, v_out, i_out), table[code], rtol=0.01, atol=1e-12)
        slope = np.polyfit(v_out[(v_out > 0.55) & (v_out < 1.25)], i_out[(v_out > 0.55) & (v_out < 1.25)], 1)[0]
        print(f"\nDAC code {code:+d}: {i_out[0] * 1e9:.3f} nA at {v_out[0]:.1f} V … {i_out[-1] * 1e9:.3f} nA at "
              f"{v_out[-1]:.1f} V; slope around 0.9 V {slope / lsb:+.2f} LSB/V")
        assert abs(slope) < 4 * lsb


def test_sweep_netlist_decodes_all_bits(sky130_tt):
    text = dac_sweep_testbench(DacSweepParams(), sky130_tt).netlist()
    assert ".dc vcode -32 31 1" in text and ".option gmin=1e-15" in text
    assert all(f"bb{k} b{k} 0 v=" in text for k in range(6))


@pytest.mark.slow
@pytest.mark.parametrize("v_out, i_lsb", [(0.4, 100e-12), (1.4, 100e-12), (0.9, 20e-12), (0.9, 1e-9)])
def test_linear_across_output_voltage_and_unit_current(simulator, sky130_tt, v_out, i_lsb):
    params = DacSweepParams(dac=DacParams(i_lsb=i_lsb), v_out=v_out)
    lin = dac_linearity(measure_dac_table(simulator, params, sky130_tt))
    print(f"\nDAC v_out={v_out} V, i_lsb={i_lsb * 1e12:g} pA: LSB {lin.lsb * 1e12:.1f} pA, offset "
          f"{lin.offset / lin.lsb:+.2f} LSB, DNL max {lin.dnl_max:.3f}, INL max {lin.inl_max:.3f} LSB")
    assert lin.monotonic and lin.dnl_max < 0.5
    assert abs(lin.offset) < 2 * lin.lsb   # the output mirrors' V_ds follows v_out: an offset, not a DNL


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_monotonic_under_mismatch(simulator, sky130_tt, seed):
    lin = dac_linearity(measure_dac_table(simulator, DacSweepParams(seed=seed), sky130_tt.with_mismatch(True)))
    print(f"\nDAC MC seed {seed}: LSB {lin.lsb * 1e12:.1f} pA, offset {lin.offset / lin.lsb:+.2f} LSB, "
          f"DNL max {lin.dnl_max:.3f}, INL max {lin.inl_max:.3f} LSB")
    assert lin.monotonic


def test_vocabulary_sizes_multipliers_mirror_and_pins(sky130_tt):
    """The one device vocabulary: an m > 1 device carries the instance multiplier m= (the sky130
    subcircuits use mult= only to scale mismatch), a ratio mirror is built from unit devices, and an
    instance connects every pin by name (a miswired pin is an error)."""
    from ebn_circuit.circuits.schematic import Schematic, Size

    with pytest.raises(ConfigError, match="Size.w"):
        Size(-1e-6, 1e-6)
    with pytest.raises(ConfigError, match="Size.m"):
        Size(1e-6, 1e-6, 0)
    s = Schematic(sky130_tt, "cell", pins=("i_in", "i_half", "vss"))
    s.fet("m1", "n", "d", "g", "vss", Size(1e-6, 2e-6, 4))
    s.mirror("mh", "n", "i_in", "vss", Size(1e-6, 4e-6), {"i_half": 1}, m_in=2)
    s.reference("bias", "vcas", 2e-9)
    assert s.lines[0].endswith("mult=4 m=4")
    assert s.lines[1].startswith("Xmh_in i_in i_in vss vss") and "m=2" in s.lines[1]
    assert s.lines[2].startswith("Xmh_i_half i_half i_in vss vss") and " m=" not in s.lines[2]
    assert s.lines[3] == "Ibias vdd vcas 2e-09"
    with pytest.raises(ConfigError, match="must be > 0 A"):
        s.reference("bias", "vcas", -2e-9)
    top, cell = Schematic(sky130_tt), s.cell()
    with pytest.raises(ConfigError, match="unconnected pin.*i_half"):
        top.instance("x1", cell, i_in="a", vss="0")
    with pytest.raises(ConfigError, match="no pin.*vdd"):
        top.instance("x1", cell, i_in="a", i_half="b", vss="0", vdd="1")
    top.instance("x1", cell, vss="0", i_half="b", i_in="a")
    assert top.lines[-1] == "x1 a b 0 cell"


def test_sink_polarity_dac_sinks_the_signed_weight_current(simulator, sky130_tt):
    """The "sink" DAC (for inputs that excite by sinking, like the DPI neuron's iin) pulls
    code·I_lsb from its output: monotonic, small DNL, and the raw current into the node is the
    opposite of the weight."""
    from ebn_circuit.circuits.dac import DacParams

    params = DacSweepParams(dac=DacParams(polarity="sink", i_lsb=200e-12), v_out=1.3)
    table = measure_dac_table(simulator, params, sky130_tt)
    lin = dac_linearity(table)
    assert lin.monotonic and lin.dnl_max < 0.5
    # the 32·I_lsb offset returns through an uncascoded pFET mirror: a few % of it is ~1 LSB at
    # code 0 (a constant input current, which learning absorbs like any drive)
    assert abs(lin.offset) < 2.0 * lin.lsb
    assert 0.8 < lin.lsb / params.dac.i_lsb < 1.25
    weight = table.set_index("code")["current"]
    assert weight[CODE_MAX] > 0 > weight[CODE_MIN]


def test_offset_polarity_dac_sources_the_unsigned_offset_code(simulator, sky130_tt):
    """The "offset" DAC (the DPI synapse pair's weight input) sources (code + 32)·I_lsb: ~0 at
    the most negative code, 32 LSB at code 0, monotonic, into a node held near an nFET diode's gate."""
    from ebn_circuit.circuits.dac import DacParams

    params = DacSweepParams(dac=DacParams(polarity="offset", i_lsb=100e-12), v_out=0.5)
    table = measure_dac_table(simulator, params, sky130_tt)
    current = table.set_index("code")["current"]
    lin = dac_linearity(table)
    assert lin.monotonic and lin.dnl_max < 0.5
    assert 0.8 < lin.lsb / params.dac.i_lsb < 1.25
    assert abs(current[CODE_MIN]) < 0.5 * lin.lsb
    assert current[0] == pytest.approx(32 * lin.lsb, rel=0.05)
