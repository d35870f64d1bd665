"""What simulates the hybrid neurons: the plant interface and its two exact stand-ins.

A plant owns k of the network's neurons (``hybrid``, their network indices) and advances them
one network step at a time (``advance``). Per step it receives the network's input to those
neurons (``drive``: the step's feed-forward input plus noise, potential units per step) and the
spike of the previous step with the codes of the synapses it arrives through (``spike``,
``codes``); it returns the neurons' potentials at the step's end, before that step's spike, and
the learning rule's decisions for the previous step's spike (its synapses onto these neurons).

Potentials are deviations from rest (V - V_rest), as in network/batch.py.

- ``BehaviouralPlant``: the network's own neuron and rule (network/batch.py arithmetic), so the
  co-simulation loop with it must reproduce the pure model spike for spike.
- ``IntegratorPlant``: the same model whose state lives in ngspice, one ideal integrating
  capacitor per neuron driven by an EXTERNAL current, lock-stepped through spice/lockstep.py:
  it proves that the coupling adds nothing (backward Euler integrates a piecewise-constant
  current exactly; the net step is computed here).
- The transistor-level plant is cosim/transistor.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from ebn_circuit.errors import ConfigError
from ebn_circuit.network.params import NetworkParams
from ebn_circuit.network.substrate import Substrate
from ebn_circuit.rule import decide, step
from ebn_circuit.spice.lockstep import EngineSpec, LockstepSession, command, hold


@dataclass(frozen=True, eq=False)
class PlantStep:
    """One step of a plant (arrays have one entry per hybrid neuron).

    v: potentials at the step's end (V - V_rest). decisions: INC/SL/DEC of the rule for the
    previous step's spike (None when there was none). i_mem: I_mem at the step's end (A; circuit
    plants). clipped: the neuron's input current reached zero during the step. points: accepted
    ngspice time points; source_calls: EXTERNAL source evaluations; ngspice_s, python_s: time
    the child spent in ngspice and in its Python callbacks; cpu_s: the child's CPU time.
    """

    v: np.ndarray
    decisions: np.ndarray | None = None
    i_mem: np.ndarray | None = None
    clipped: np.ndarray | None = None
    points: int = 0
    source_calls: int = 0
    ngspice_s: float = 0.0
    python_s: float = 0.0
    cpu_s: float = 0.0


class Plant(Protocol):
    hybrid: tuple[int, ...]

    def start(self, reset: np.ndarray) -> np.ndarray: ...

    def advance(self, drive: np.ndarray, spike: int, codes: np.ndarray, learn: bool) -> PlantStep: ...

    def close(self) -> None: ...


def check_hybrid(hybrid, params: NetworkParams) -> tuple[int, ...]:
    """The hybrid neurons' indices as a sorted tuple; ConfigError unless 1 ≤ k ≤ N distinct indices."""
    indices = tuple(sorted(int(i) for i in hybrid))
    if not indices or len(set(indices)) != len(indices) or indices[0] < 0 or indices[-1] >= params.n_neurons:
        raise ConfigError(f"hybrid neurons must be distinct indices in 0…{params.n_neurons - 1}, got {tuple(hybrid)}")
    return indices


class BehaviouralPlant:
    """The network model's neurons and rule for the hybrid neurons (``substrate``: their leak,
    gain, DAC and bound offsets; ideal by default), in network/batch.py's order of operations:
    the fast synapse's charge s, the jump of a spike into s (or straight into V without it), the
    spiking neuron's own diagonal jump minus its fixed reset straight into V."""

    def __init__(self, params: NetworkParams, hybrid, substrate: Substrate | None = None):
        self.params = params
        self.hybrid = check_hybrid(hybrid, params)
        self.rows = np.array(self.hybrid)
        self.substrate = substrate if substrate is not None else Substrate.ideal(params)
        self.substrate.check(params)
        self.a = 1.0 - self.substrate.lambda_v[self.rows] * params.dt
        self.rho = params.synapse_decay
        lo, hi = self.substrate.offsets()
        self.lo, self.hi = lo[self.rows], hi[self.rows]
        self.v = np.zeros(len(self.hybrid))
        self.s = np.zeros(len(self.hybrid))
        self.reset = np.zeros(len(self.hybrid))

    def start(self, reset: np.ndarray) -> np.ndarray:
        """From rest; ``reset``: each hybrid neuron's fixed reset (potential units)."""
        self.reset = np.asarray(reset, float)
        self.v = np.zeros(len(self.hybrid))
        self.s = np.zeros(len(self.hybrid))
        return self.v.copy()

    def jumps(self, codes: np.ndarray, spike: int) -> np.ndarray:
        """Membrane jumps of the synapses (hybrid rows, column ``spike``) at ``codes``."""
        sub, params = self.substrate, self.params
        codes = np.asarray(codes, dtype=np.int64)
        raw = codes * params.delta if sub.dac is None else sub.dac[self.rows, spike, codes - params.code_min]
        return sub.gain[self.rows] * raw

    def event(self, spike: int, codes: np.ndarray, learn: bool) -> tuple[np.ndarray, np.ndarray | None]:
        """The previous step's spike: (the jumps it causes here, the rule's decisions)."""
        params = self.params
        jump = self.jumps(codes, spike)
        if not learn:
            return jump, None
        before = self.v + self.s if params.rule_sample == "settled" else self.v
        decisions = decide(before, jump, params.gain_g, params.half_band, self.lo[:, spike], self.hi[:, spike])
        if not params.learn_diagonal and spike in self.hybrid:
            decisions[self.hybrid.index(spike)] = 0
        new = step(codes, decisions, params.code_min, params.code_max)
        return self.jumps(new, spike), decisions

    def next_state(self, drive: np.ndarray, spike: int, codes: np.ndarray, learn: bool):
        """(potentials and synaptic charges at the step's end, decisions)."""
        v, s = self.v.copy(), self.s.copy()
        decisions = None
        if spike >= 0:
            jump, decisions = self.event(spike, codes, learn)
            own = None
            if spike in self.hybrid:
                j = self.hybrid.index(spike)
                own = jump[j] - self.reset[j]
                jump[j] = 0.0
            if self.rho > 0.0:
                s += jump
            else:
                v += jump
            if own is not None:
                v[j] += own
        v = self.a * v + drive + (1.0 - self.rho) * s
        return v, self.rho * s, decisions

    def advance(self, drive: np.ndarray, spike: int, codes: np.ndarray, learn: bool) -> PlantStep:
        self.v, self.s, decisions = self.next_state(np.asarray(drive, float), spike, codes, learn)
        return PlantStep(v=self.v.copy(), decisions=decisions)

    def close(self) -> None:
        pass


INTEGRATOR_C = 1e-9       # F: one ideal capacitor per neuron, 1 V per potential unit
INTEGRATOR_PERIOD = 1e-4  # s of circuit time per network step


class IntegratorPlant(BehaviouralPlant):
    """``BehaviouralPlant`` whose potentials are capacitor voltages in ngspice (1 V per unit).

    Each step the net change of the step (leak, jump, reset, drive, the fast synapse's share, all
    from this model) becomes the current C·Δv/period held over the period; ``.option method=gear maxord=1`` (backward
    Euler) integrates it exactly, so the potential read back at the boundary equals the model's
    to rounding. ``periods``: the trial's steps plus one (the last spike's decisions).
    """

    def __init__(self, params: NetworkParams, hybrid, periods: int, substrate: Substrate | None = None,
                 context: str = "integrator plant"):
        super().__init__(params, hybrid, substrate)
        k = len(self.hybrid)
        lines = ["* ideal integrators, one per hybrid neuron"]
        for j in range(k):
            lines += [f"ivin_{j} 0 v_{j} external", f"cv_{j} v_{j} 0 {INTEGRATOR_C:g}", f"rv_{j} v_{j} 0 1e18"]
        lines += [".options method=gear maxord=1 reltol=1e-9 abstol=1e-18 vntol=1e-12 gmin=1e-30",
                  f".tran {INTEGRATOR_PERIOD:g} {periods * INTEGRATOR_PERIOD:.12g} 0 {INTEGRATOR_PERIOD:g}",
                  ".save " + " ".join(f"v(v_{j})" for j in range(k)), ".end"]
        spec = EngineSpec(netlist="* integrator plant\n" + "\n".join(lines), period=INTEGRATOR_PERIOD,
                          periods=periods, sources=tuple(f"ivin_{j}" for j in range(k)), initial=(0.0,) * k,
                          vectors=tuple(f"v(v_{j})" for j in range(k)))
        self.session = LockstepSession(spec, context)

    def start(self, reset: np.ndarray) -> np.ndarray:
        super().start(reset)
        self.v = np.array(self.session.first.values)
        return self.v.copy()

    def advance(self, drive: np.ndarray, spike: int, codes: np.ndarray, learn: bool) -> PlantStep:
        target, self.s, decisions = self.next_state(np.asarray(drive, float), spike, codes, learn)
        currents = INTEGRATOR_C * (target - self.v) / INTEGRATOR_PERIOD
        readings = self.session.step(command([hold(i) for i in currents]))
        self.v = np.array(readings.values)
        return PlantStep(v=self.v.copy(), decisions=decisions, points=readings.points,
                         source_calls=readings.source_calls)

    def close(self) -> None:
        self.session.close()
