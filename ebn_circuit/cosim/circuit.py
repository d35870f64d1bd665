"""The transistor-level part of a hybrid network: the one module of the cosim layer that uses the
circuit builders (circuits/ and the testbench types), so that a change there is adapted here only.

Per hybrid neuron j (node names end in ``_j``)::

    idrive_j (EXTERNAL, sinks from iin_j) ─┐
    pulse_j ─► plastic synapse (DAC + DPI pair) ─► iin_j ─► DPI neuron ─► I_mem ─► front end
                 ▲ b0_j … b5_j  (EXTERNAL: the code of the synapse in use)                       │
    ileak_j (EXTERNAL, into the neuron's leak-bias diode vtau_j)                 inc_j, dec_j ◄──┘

- DPI neuron (circuits/neuron.py): the membrane is transistor level; its positive feedback is
  parked (spike threshold 1 µA, never reached) because the network decides spikes (one per step,
  furthest above threshold) from I_mem read at each step boundary.
- One plastic synapse per hybrid neuron, time-multiplexed over all presynaptic neurons: the
  network emits at most one spike per step, so during the step after neuron k spikes the
  synapse's bits carry code (j, k) and its pulse carries the spike; the DPI pair is linear, so
  one synapse sums what N synapses would.
- The learning block's analog path (circuits/learning_block.py without its counter): current
  memories, replica DAC, window comparator, flags. It takes I_mem itself: its pFET memory supplies
  the neuron's output transistor (no copy mirror, whose mismatch the block was redesigned to avoid). The counters are digital: one per synapse, kept by
  the network (its codes), stepped from the flags at the end of each pulse.
- ``ileak_j`` adds current to the neuron's leak bias: a charge pulse there is a fast, exact-size
  subtraction from I_mem (the neuron's own fixed reset), which its input cannot do (the DPI's
  input current cannot go below zero).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ebn_circuit.circuits.analysis import DcSweep, Transient
from ebn_circuit.circuits.codes import bit_names
from ebn_circuit.circuits.comparator import SIM_OPTIONS as COMPARATOR_OPTIONS
from ebn_circuit.circuits.dac import DacParams
from ebn_circuit.circuits.learning_block import LearningBlockParams, learning_block_biases, learning_block_cell
from ebn_circuit.circuits.neuron import DpiNeuronParams, dpi_neuron
from ebn_circuit.circuits.plastic_synapse import PlasticSynapseParams, plastic_synapse, plastic_synapse_biases
from ebn_circuit.circuits.schematic import SUBTHRESHOLD_OPTIONS, Cell, Schematic, leak_size
from ebn_circuit.circuits.synapse import DpiSynapseParams
from ebn_circuit.circuits.testbench import Testbench
from ebn_circuit.errors import ConfigError
from ebn_circuit.technology.core import Technology

BITS = 6
FRONT_END = "lb_front_end"


def neuron_for(time_scale: float, tau_mem: float) -> DpiNeuronParams:
    """The IC runs' 3×3 µm neuron with C_mem chosen for τ_mem = time_scale·tau_mem (chip s): the
    3×3 µm neuron has C_mem + 0.9 pF of gates at I_τ = 3.6 pA for 18 ms; its positive feedback is
    parked at 1 µA."""
    total = 2.0e-12 * time_scale * tau_mem / 18e-3
    return DpiNeuronParams(c_mem=max(total - 0.9e-12, 0.1e-12), unit_w=3e-6, unit_l=3e-6, i_spk_thr=1e-6)


SYNAPSE_GAIN = 40    # I_gain/I_τ of the DPI pair: the tail current must stay below pair_ratio·I_gain


def synapse_for(time_scale: float, tau_syn: float, i_lsb: float) -> PlasticSynapseParams:
    """The plastic synapse's DPI pair with τ_syn = time_scale·tau_syn (chip s; 10 pF: I_τ = 3.66 pA
    per 100 ms), gain 40, and the DAC's unit current i_lsb (A). A pulse of width t_p adds the charge
    40·I_w·t_p. At gain 5 (the IC runs) the charge a network jump needs asks for a weight current
    far above the pair's headroom pair_ratio·I_gain (the DPI then charges with only that); a
    higher gain raises I_gain towards the synaptic current itself, where the DPI is no longer
    linear (it is linear for I_syn ≫ I_gain)."""
    c_syn = 10e-12
    i_tau = c_syn * 0.0366 / (time_scale * tau_syn)
    return PlasticSynapseParams(dac=DacParams(polarity="split", i_lsb=i_lsb),
                                dpi=DpiSynapseParams(c_syn=c_syn, i_tau=i_tau, i_gain=SYNAPSE_GAIN * i_tau,
                                                     i_w=1e-9))


@dataclass(frozen=True)
class HybridDesign:
    """The circuit of the hybrid neurons and its timing inside one network step (SI units).

    time_scale: chip seconds per network second (the learning block needs ~0.5 ms per decision,
    the network steps every 0.1 ms). period: one network step in chip time (s). pulse_start,
    pulse_width, pulse_edge: the presynaptic pulse inside a step (chip s; the bits change at
    the step's start, so pulse_start lets the DACs settle). leak_start, leak_width: the leak-bias
    charge pulse of a reset (chip s, after the S&H has sampled). learning: the front end's
    bounds (i_rest, i_sl, omega_per_code, omega_ratio; initial_code and counter unused).
    """

    neuron: DpiNeuronParams
    synapse: PlasticSynapseParams
    learning: LearningBlockParams
    time_scale: float
    period: float
    pulse_start: float
    pulse_width: float
    pulse_edge: float = 1e-6
    leak_start: float = 0.0
    leak_width: float = 0.0
    max_step: float = 0.0
    fine_step: float = 0.0
    options: tuple[tuple[str, str], ...] = field(default=(), repr=False)

    def __post_init__(self) -> None:
        if not (0 < self.pulse_start and self.pulse_start + self.pulse_width + 2 * self.pulse_edge < self.period):
            raise ConfigError(f"HybridDesign: the pulse ({self.pulse_start:g} s + {self.pulse_width:g} s) must "
                              f"fit inside the step of {self.period:g} s")
        if self.leak_width and not (self.pulse_start < self.leak_start and self.leak_start + self.leak_width
                                    + 2 * self.pulse_edge < self.period):
            raise ConfigError("HybridDesign: the reset's leak pulse must start after the S&H samples "
                              "(pulse_start) and end inside the step")

    @property
    def sample_offset(self) -> float:
        """Where the flags are read (chip s after the step's start): as the pulse starts falling."""
        return self.pulse_start + self.pulse_width

    @property
    def vdd(self) -> float:
        return 1.8


def design_for(dt: float, time_scale: float = 10.0, tau_mem: float = 0.05, tau_syn: float = 5e-3,
               i_lsb: float = 180e-12, learning: LearningBlockParams | None = None,
               neuron: DpiNeuronParams | None = None) -> HybridDesign:
    """A design for a network step ``dt`` (network s). Defaults: 10× slower than the network, so
    a step is 1 ms of chip time: the bits change at its start, the pulse runs from 0.3 ms to
    0.75 ms (the replica DACs settle for 0.3 ms; comparator reset delay 36 µs), the reset's leak
    pulse from 0.35 ms to 0.55 ms. chgtol 5e-14 (default 1e-14) takes ~25 % fewer points with the
    same decisions (docs/ic.md); reltol stays 1e-4 (3e-4 already changed decisions)."""
    period = time_scale * dt
    learning = learning or LearningBlockParams()
    return HybridDesign(neuron=neuron or neuron_for(time_scale, tau_mem),
                        synapse=synapse_for(time_scale, tau_syn, i_lsb), learning=learning,
                        time_scale=time_scale, period=period, pulse_start=0.3 * period,
                        pulse_width=0.45 * period, leak_start=0.35 * period, leak_width=0.2 * period,
                        max_step=period, fine_step=0.02 * period, options=(("chgtol", "5e-14"),))


def with_learning(design: HybridDesign, **changes) -> HybridDesign:
    return replace(design, learning=replace(design.learning, **changes))


# --- netlist --------------------------------------------------------------------------------------

def source_names(j: int) -> tuple[str, ...]:
    """The stimulus sources of hybrid neuron j: its code bits b0 … b5 (V), pulse (V), drive (I),
    leak (I)."""
    return (*(f"vb{k}_{j}" for k in range(BITS)), f"vpulse_{j}", f"idrive_{j}", f"ileak_{j}")


def observed(j: int) -> tuple[str, ...]:
    """Vectors read back per hybrid neuron j: I_mem, the two flags, the neuron input node, and the
    synapse's net output (-i(vsyn_j) > 0: excitatory)."""
    return (f"i(vimem_{j})", f"v(inc_{j})", f"v(dec_{j})", f"v(iin_{j})", f"i(vsyn_{j})")


def stimulus_lines(j: int, bits: list[str], pulse: str, drive: str, leak: str) -> list[str]:
    """The sources of neuron j with the given value texts (``external``, ``DC 0``, ``PWL(…)``);
    ``bits`` has one text per code bit, b0 first."""
    names = source_names(j)
    return ([f"{names[k]} b{k}_{j} 0 {text}" for k, text in enumerate(bits)]
            + [f"{names[BITS]} pulse_{j} 0 {pulse}", f"{names[BITS + 1]} iin_{j} 0 {drive}",
               f"{names[BITS + 2]} vdd vtau_{j} {leak}"])


def front_end_cell(params: LearningBlockParams, tech: Technology) -> Cell:
    """The learning block without its counter: the code bits become inputs."""
    block = learning_block_cell(params, tech)
    lines = block.spice.splitlines()
    kept = [line for line in lines if not line.lower().startswith("xcnt ")]
    children = tuple(child for child in block.children if not child.name.lower().startswith("counter"))
    if len(kept) != len(lines) - 1 or len(children) != len(block.children) - 1:
        raise ConfigError("the learning block no longer has exactly one counter instance 'xcnt' and one "
                          "'counter…' child: adapt cosim/circuit.py front_end_cell")
    name = f"{block.name}_front_end"
    kept = [line.replace(block.name, name) if line.lower().startswith((".subckt", ".ends")) else line for line in kept]
    return Cell(name, block.pins, "\n".join(kept), children)


def hybrid_schematic(design: HybridDesign, tech: Technology, count: int) -> Schematic:
    """The top level of ``count`` hybrid neurons without their stimulus sources (add
    ``stimulus_lines`` for each): devices, shared and per-neuron biases, start-up hints."""
    neuron_params, synapse_params = design.neuron, design.synapse
    neuron, synapse = dpi_neuron(neuron_params, tech), plastic_synapse(synapse_params, tech)
    front_end = front_end_cell(design.learning, tech)
    unit = neuron_params.unit
    s = Schematic(tech, vss="0")
    s.define(neuron, synapse, front_end)
    s.voltage("dd", "vdd", "0", tech.vdd)
    s.voltage("ss", "vss", "0", 0)
    s.comment("shared biases: gates only (the neuron's leak bias is per neuron: it carries the reset)")
    s.bias("thr", "n", "vthr", neuron_params.i_th * neuron_params.pair_ratio, unit)
    s.bias("ref", "n", "vref", neuron_params.i_ref, unit)
    s.bias("spk", "p", "vspk", neuron_params.i_spk_thr, unit)
    s.bias("pw", "p", "vpw", neuron_params.i_pw, unit)
    plastic_synapse_biases(s, synapse_params)
    for j in range(count):
        bits = dict(zip(bit_names(BITS), _bits(j).split()))
        s.comment(f"--- hybrid neuron {j}")
        s.bias(f"tau_{j}", "n", f"vtau_{j}", neuron_params.i_tau, leak_size(unit))
        s.instance(f"xneuron_{j}", neuron, iin=f"iin_{j}", spk=f"spk_{j}", imem=f"imem_{j}", vtau=f"vtau_{j}",
                   vthr="vthr", vspk="vspk", vpw="vpw", vref="vref", vdd="vdd", vss="vss")
        s.voltage(f"imem_{j}", f"imem_p_{j}", f"imem_{j}", 0)
        s.instance(f"xsyn_{j}", synapse, **bits, pulse=f"pulse_{j}", iref=f"isyn_ref_{j}", iout=f"isyn_{j}",
                   vthr="svthr", vtau="svtau", vdd="vdd", vss="vss")
        s.voltage(f"syn_{j}", f"isyn_{j}", f"iin_{j}", 0)
        s.reference(f"syn_{j}", f"isyn_ref_{j}", synapse_params.dac.i_lsb)
        s.instance(f"xlb_{j}", front_end, imem=f"imem_p_{j}", pulse=f"pulse_{j}", rst="vss", inc=f"inc_{j}",
                   dec=f"dec_{j}", sl=f"sl_{j}", **bits, irest=f"irest_{j}", isl=f"isl_{j}", iomega=f"iomega_{j}",
                   idelay=f"idelay_{j}", vcas=f"vcas_{j}", vdd="vdd", vss="vss")
        learning_block_biases(s, design.learning, prefix=f"lb{j}_",
                              pins={pin: f"{pin}_{j}" for pin in design.learning.bias_currents()})
        # the parked positive feedback still has a latched-high equilibrium (I_mem near 1 µA) that the
        # DC solver can land on under mismatch: start it with the membrane low and the feedback off
        s.line(f".nodeset v(xneuron_{j}.vmem)=0.3 v(xneuron_{j}.vfb)={tech.vdd:g}")
    return s


def _bits(j: int) -> str:
    return " ".join(f"b{k}_{j}" for k in range(BITS))


def code_bits(code: int) -> tuple[int, ...]:
    """The two's-complement bits of ``code`` (b0 first)."""
    value = int(code) % 2 ** BITS
    return tuple((value >> k) & 1 for k in range(BITS))


def simulator_options(design: HybridDesign) -> tuple[tuple[str, str], ...]:
    merged = dict(SUBTHRESHOLD_OPTIONS)
    merged.update(dict(COMPARATOR_OPTIONS))
    merged.update({"gmin": "1e-15", "num_threads": "1"})
    merged.update(dict(design.options))
    return tuple(merged.items())


def hybrid_testbench(design: HybridDesign, tech: Technology, count: int, stimuli: list[tuple], stop: float,
                     name: str, seed: int | None = None, saves: tuple[str, ...] = (), max_step: float | None = None,
                     sweep: tuple[str, float, float, float] | None = None) -> Testbench:
    """A complete testbench of ``count`` hybrid neurons; ``stimuli[j]`` are the value texts of
    neuron j's sources (the arguments of ``stimulus_lines``). A transient to ``stop`` (chip s)
    unless ``sweep`` = (source, start, stop, step) asks for a DC sweep. ``seed``: a Monte-Carlo
    instance (the technology must have mismatch on)."""
    s = hybrid_schematic(design, tech, count)
    for j in range(count):
        for line in stimulus_lines(j, *stimuli[j]):
            s.line(line)
    saves = saves or tuple(name for j in range(count) for name in observed(j))
    if sweep is not None:
        analysis = DcSweep(*sweep)
    else:
        analysis = Transient(step=design.period, stop=stop, max_step=max_step or design.max_step or None)
    return Testbench(name, s.text(), analysis, tech, seed=seed, options=simulator_options(design),
                     saves=(() if sweep else ("time",)) + saves)


__all__ = ["BITS", "HybridDesign", "LearningBlockParams", "Testbench", "design_for", "hybrid_testbench", "observed",
           "source_names", "stimulus_lines", "code_bits", "with_learning"]
