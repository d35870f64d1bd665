"""Ready testbenches, one per block, that run as they are: biases, start-up nodeset and simulator
options set (the catalogue's settings of ``experiments/netlists.py``); any field of the block's
bench params can be overridden by keyword. And the neuron's spike readout, which warns when a
neuron stays silent under a drive that should make it fire.

    import ebn_circuit as ebn
    with ebn.Simulator() as sim:
        result = sim.run(ebn.neuron_bench(i_in=30e-9))
    spikes = ebn.neuron_spikes(result, i_in=30e-9)        # ~90 Hz at the defaults
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass

import numpy as np

from ebn_circuit.circuits import comparator, dac, devices, learning_block, sample_hold, synapse
from ebn_circuit.circuits.counter import CounterParams, counter_testbench
from ebn_circuit.circuits.neuron import DpiNeuronParams, NeuronStepParams, neuron_step_testbench
from ebn_circuit.circuits.testbench import Testbench
from ebn_circuit.errors import ConfigError
from ebn_circuit.measure.events import firing_rate, spike_times
from ebn_circuit.spice.result import SimResult
from ebn_circuit.technology import Technology, get_technology

U_T = 0.02585        # thermal voltage at 27 °C, V
KAPPA = 0.7          # subthreshold slope factor of sky130's nfet_01v8 (measured: 0.68–0.72)
SPIKE_THRESHOLD = 0.9  # V, half of the 1.8 V rail: v(spk) is 0 or vdd
RHEOBASE_MARGIN = 2.0  # the circuit's gain is ≈ 3.1, not I_th/I_τ = 4 (circuits/neuron.py): a drive
                       # this far above the DPI estimate surely fires


class NeuronSilentWarning(UserWarning):
    """A neuron did not spike although its drive was well above rheobase."""


def _technology(tech: Technology | None) -> Technology:
    return tech if tech is not None else get_technology("sky130")


def _bench(params, overrides: dict):
    try:
        return dataclasses.replace(params, **overrides)
    except TypeError as exc:   # an unknown keyword: name the fields there are
        names = ", ".join(f.name for f in dataclasses.fields(params))
        raise ConfigError(f"{type(params).__name__}: {exc}; its fields: {names}") from None


def neuron_bench(i_in: float = 30e-9, t_on: float = 1e-3, t_stop: float = 50e-3,
                 neuron: DpiNeuronParams | None = None, tech: Technology | None = None, **overrides) -> Testbench:
    """A DPI neuron driven by ``i_in`` (A) from ``t_on`` (s) on. The drive starts after t = 0 on
    purpose: present at t = 0 it puts the operating point on the neuron's upper equilibrium,
    where it latches without spiking. Vectors: ``v(spk)`` (spikes, 0/vdd), ``i(vimem)`` (I_mem),
    ``v(xneuron.vmem)``."""
    params = NeuronStepParams(neuron=neuron or DpiNeuronParams(), i_in=0.0, i_step=i_in, t_step=t_on,
                              t_stop=t_stop)
    return neuron_step_testbench(_bench(params, overrides), _technology(tech))


def synapse_bench(tech: Technology | None = None, **overrides) -> Testbench:
    """A DPI synapse under input pulses (default two, at 5 and 15 ms); I_syn is ``i(visyn)``."""
    params = synapse.SynapsePulseParams(spike_times=(5e-3, 15e-3))
    return synapse.synapse_pulse_testbench(_bench(params, overrides), _technology(tech))


def dac_bench(tech: Technology | None = None, **overrides) -> Testbench:
    """The weight DAC swept over its codes (DC); its output current is ``i(vout)``."""
    return dac.dac_sweep_testbench(_bench(dac.DacSweepParams(), overrides), _technology(tech))


def comparator_bench(tech: Technology | None = None, **overrides) -> Testbench:
    """The current comparator deciding a sequence of input pairs; ``v(out)``, ``v(outb)``, ``v(rst)``."""
    return comparator.comparator_testbench(_bench(comparator.ComparatorBenchParams(), overrides), _technology(tech))


def sample_hold_bench(tech: Technology | None = None, **overrides) -> Testbench:
    """The sample-and-hold: sample, then hold and droop; ``v(hold)``, ``i(viout1)``."""
    return sample_hold.sample_hold_testbench(_bench(sample_hold.SampleHoldBenchParams(), overrides),
                                             _technology(tech))


def counter_bench(tech: Technology | None = None, **overrides) -> Testbench:
    """The up/down counter under a random INC/DEC stimulus (XSPICE variant); ``v(b0)`` …"""
    return counter_testbench(_bench(CounterParams(variant="xspice"), overrides), _technology(tech))


def learning_block_bench(tech: Technology | None = None, **overrides) -> Testbench:
    """The learning block at code +8 with I_before below, inside and above its band (three pulses);
    read it with ``ebn_circuit.measure.learning_block.readout``."""
    params = learning_block.NETLISTS["learning_block_decisions"][0]
    return learning_block.learning_block_testbench(_bench(params, overrides), _technology(tech))


def device_bench(kind: str = "n", tech: Technology | None = None, **overrides) -> Testbench:
    """Id–Vg of one sky130 device (``kind`` "n" or "p"); the drain current is ``i(vdrain)``."""
    return devices.idvg_testbench(_bench(devices.IdVgParams(kind=kind), overrides), _technology(tech))


def neuron_rheobase(neuron: DpiNeuronParams | None = None) -> float:
    """The DPI estimate of the smallest DC drive that makes the neuron fire (A): the steady state
    I_mem = (I_th/I_τ)·(I_in − I_τ) reaches I_spk_thr."""
    n = neuron or DpiNeuronParams()
    return n.i_tau + n.i_spk_thr * n.i_tau / n.i_th


def neuron_tau(neuron: DpiNeuronParams | None = None) -> float:
    """Membrane time constant τ = C_mem·U_T/(κ·I_τ) (s)."""
    n = neuron or DpiNeuronParams()
    return n.c_mem * U_T / (KAPPA * n.i_tau)


def neuron_spikes(result: SimResult, i_in: float | None = None, t_on: float = 0.0,
                  neuron: DpiNeuronParams | None = None) -> np.ndarray:
    """Spike times (s) in ``v(spk)``. Given the drive ``i_in`` (A, on from ``t_on``), a silent
    neuron warns (NeuronSilentWarning) when the drive is over twice its rheobase and the run lasted
    at least two membrane time constants after the drive came on."""
    spikes = spike_times(result.time, np.real(result.v("spk")), SPIKE_THRESHOLD)
    if spikes.size or i_in is None:
        return spikes
    rheobase, tau = neuron_rheobase(neuron), neuron_tau(neuron)
    observed = result.time[-1] - t_on
    if i_in >= RHEOBASE_MARGIN * rheobase and observed >= 2 * tau:
        warnings.warn(
            f"the neuron never spiked in {observed * 1e3:.3g} ms under a {i_in * 1e9:.3g} nA drive, "
            f"{i_in / rheobase:.1f}× its rheobase ({rheobase * 1e9:.3g} nA): it has probably latched. A drive "
            "present at t = 0 puts the operating point on its upper equilibrium; start it after t = 0 and keep "
            "the biases, the .nodeset of v(xneuron.vmem) and SUBTHRESHOLD_OPTIONS (neuron_bench does all three)",
            NeuronSilentWarning, stacklevel=2)
    return spikes


@dataclass(frozen=True)
class NeuronRun:
    """One neuron run: the result, its spike times (s) and the rate after the drive came on (Hz)."""

    result: SimResult
    spikes: np.ndarray
    rate: float


def run_neuron(simulator, i_in: float = 30e-9, t_on: float = 1e-3, t_stop: float = 50e-3,
               neuron: DpiNeuronParams | None = None, tech: Technology | None = None, **overrides) -> NeuronRun:
    """Simulate `neuron_bench` with ``simulator`` and read its spikes (with the silence warning)."""
    result = simulator.run(neuron_bench(i_in, t_on, t_stop, neuron, tech, **overrides))
    spikes = neuron_spikes(result, i_in=i_in, t_on=t_on, neuron=neuron)
    return NeuronRun(result, spikes, firing_rate(spikes, t_on, t_stop) if spikes.size else 0.0)
