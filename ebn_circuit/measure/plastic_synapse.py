"""Readouts of the plastic synapse's and the loop neuron's fixed-input testbenches."""

from __future__ import annotations

from ebn_circuit.measure.events import mean_over


def net_current(params, result) -> float:
    """The net current (A) the synapse sinks from its output (> 0 excites), averaged over the last
    pulse period of a ``plastic_synapse_testbench`` run (``params``: PlasticSynapseBenchParams)."""
    stop = params.stop
    return -mean_over(result.time, result.i("vout"), stop - params.period, stop)


def drive_currents(result, window: float = 20e-3) -> dict[str, float]:
    """I_mem and the learning block's copy of it (A), averaged over the last ``window`` seconds of a
    ``learning_loop.drive_testbench`` run."""
    t = result.time
    return {name: mean_over(t, result.i(vector), t[-1] - window, t[-1])
            for name, vector in (("i_mem", "vimem"), ("i_copy", "vcopy"))}
