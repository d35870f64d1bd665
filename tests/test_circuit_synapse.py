"""DPI synapse at transistor level (sky130 tt): time constant, linearity, weight."""

import numpy as np
import pytest

from ebn_circuit.circuits.devices import IdVgParams, idvg_testbench
from ebn_circuit.circuits.synapse import (UNIT, DpiSynapseParams, SynapsePulseParams, dpi_synapse,
                                          synapse_pulse_testbench)
from ebn_circuit.errors import ConfigError
from ebn_circuit.measure.devices import subthreshold_slope, thermal_voltage

TEMPERATURE_C = 27.0  # ngspice's default simulation temperature


def output_kappa(simulator, tech) -> float:
    """κ of the synapse's output (and leak-type) nFET, from its own Id–Vg sweep at the output's
    drain voltage; the steepest 3 decades span the pA–nA range the synapse works in."""
    res = simulator.run(idvg_testbench(IdVgParams(kind="n", w=UNIT.w, l=UNIT.l, vds=tech.vdd), tech))
    return subthreshold_slope(res.sweep, res.i("vdrain"), decades=3.0).kappa(TEMPERATURE_C)


def decay_time_constant(t, i, t_from, hi=0.6, lo=0.1):
    """-1/slope of ln(i) over the decay after ``t_from`` while i is between lo and hi × its peak."""
    after = t >= t_from
    t, i = t[after], i[after]
    peak = i.max()
    k_peak = int(np.argmax(i))
    window = (np.arange(i.size) > k_peak) & (i <= hi * peak) & (i >= lo * peak)
    assert window.sum() >= 5, "too few samples in the decay window"
    slope = np.polyfit(t[window], np.log(i[window]), 1)[0]
    return -1.0 / slope


def single_pulse(simulator, tech, synapse, onset=2e-3, t_stop=30e-3, max_step=50e-6):
    params = SynapsePulseParams(synapse=synapse, spike_times=(onset,), t_stop=t_stop,
                                max_step=max_step, print_step=max_step / 2)
    return simulator.run(synapse_pulse_testbench(params, tech))


def test_params_validate_before_any_netlist():
    with pytest.raises(ConfigError, match="i_w"):
        DpiSynapseParams(i_w=-1e-9)
    with pytest.raises(ConfigError, match="i_tau"):
        DpiSynapseParams(i_tau=0.0)
    with pytest.raises(ConfigError, match="c_syn"):
        DpiSynapseParams(c_syn=-2e-12)
    with pytest.raises(ConfigError, match="pair_ratio"):
        DpiSynapseParams(pair_ratio=0)
    with pytest.raises(ConfigError, match="unit_w"):
        DpiSynapseParams(unit_w=50e-6)
    with pytest.raises(ConfigError, match="overlap"):
        SynapsePulseParams(spike_times=(5e-3, 5.5e-3), pulse_width=1e-3)


def test_subcircuit_reads_like_the_schematic(sky130_tt):
    text = str(dpi_synapse(DpiSynapseParams(), sky130_tt))
    assert text.splitlines()[0].split()[2:] == ["spk", "isyn", "vw", "vthr", "vtau", "vdd", "vss"]
    devices = [line for line in text.splitlines() if line.startswith("X")]
    assert len(devices) == 9
    assert "* ideal capacitor" in text


def test_tau_matches_c_ut_over_kappa_itau_at_three_decades(simulator, sky130_tt):
    kappa = output_kappa(simulator, sky130_tt)
    u_t = thermal_voltage(TEMPERATURE_C)
    assert 0.55 < kappa < 0.85, f"implausible subthreshold slope factor {kappa}"
    base = DpiSynapseParams()
    measured = []
    for i_tau in (7.2e-12, 72e-12, 720e-12):
        synapse = DpiSynapseParams(c_syn=base.c_syn, i_tau=i_tau, i_gain=base.i_gain, i_w=base.i_w)
        tau_pred = synapse.c_syn * u_t / (kappa * i_tau)
        res = single_pulse(simulator, sky130_tt, synapse, t_stop=3e-3 + 2.5 * tau_pred,
                           max_step=min(50e-6, tau_pred / 20))
        tau = decay_time_constant(res.time, res.i("visyn"), t_from=3e-3)
        measured.append(tau)
        print(f"I_tau={i_tau:.3g} A: tau={tau * 1e3:.3f} ms, predicted {tau_pred * 1e3:.3f} ms "
              f"(kappa={kappa:.3f}, U_T={u_t * 1e3:.2f} mV), wall {res.meta.wall_time:.1f} s")
        assert tau == pytest.approx(tau_pred, rel=0.25)
    assert measured[0] > measured[1] > measured[2]


def test_two_spikes_give_the_sum_of_single_responses(simulator, sky130_tt):
    synapse = DpiSynapseParams()
    t = np.linspace(0, 20e-3, 4001)
    runs = {}
    for times in ((5e-3,), (10e-3,), (5e-3, 10e-3)):
        res = simulator.run(synapse_pulse_testbench(
            SynapsePulseParams(synapse=synapse, spike_times=times, t_stop=20e-3), sky130_tt))
        runs[times] = np.interp(t, res.time, res.i("visyn"))
    summed = runs[(5e-3,)] + runs[(10e-3,)]
    error = np.abs(runs[(5e-3, 10e-3)] - summed).max() / summed.max()
    print(f"linearity: max |I_two - (I_a + I_b)| = {error:.1%} of the summed peak "
          f"({summed.max() * 1e9:.2f} nA)")
    assert error < 0.10


def test_weight_current_scales_the_amplitude_monotonically(simulator, sky130_tt):
    base = DpiSynapseParams()
    peaks = []
    for i_w in (2.5e-9, 5e-9, 10e-9):
        synapse = DpiSynapseParams(c_syn=base.c_syn, i_tau=base.i_tau, i_gain=base.i_gain, i_w=i_w)
        # same testbench as the linearity test's first spike: a cache hit for the default I_w
        res = simulator.run(synapse_pulse_testbench(
            SynapsePulseParams(synapse=synapse, spike_times=(5e-3,), t_stop=20e-3), sky130_tt))
        peaks.append(res.i("visyn").max())
    print("peaks (nA) at I_w = 2.5, 5, 10 nA:", [f"{p * 1e9:.2f}" for p in peaks])
    assert peaks[0] > 0 and np.all(np.diff(peaks) > 0)
