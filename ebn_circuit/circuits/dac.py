"""Signed 6-bit weight DAC: two's-complement code (−32…31) → signed synaptic weight current.

Convention: the output pin ``iout`` carries I_w = code · I_lsb, *positive = sourced into* the
node it is connected to (excitatory: raises the neuron's input and so I_mem), *negative = sunk
from* it (inhibitory). Code bits ``b0``…``b5`` are node voltages at 0 / vdd (b5 is the sign bit,
weight −32), so a counter drives them directly.

Topology (offset binary; 1 + 63 + 32 unit nFETs, 6 + 1 switch groups, 1 pFET mirror, 1 inverter)::

    iref ─ mref (nFET diode, 1 unit; its gate node iref biases every unit)  (ideal I_lsb into iref)
    bit k: mcs_k (2^k units, gate iref) ─ msw_k (switch, gate b_k)     → isum   k = 0…4
    bit 5: mcs_5 (32 units)            ─ msw_5 (gate b5_n = NOT b5)   → isum
    isum ─ mp_in (pFET diode) ; mp_out (pFET copy) sources I_sum      → iout
    iout ─ msw_off (always on) ─ mcs_off (32 units) sinks 32·I_lsb

so I_out = (code + 32)·I_lsb − 32·I_lsb. The offset code is built from identical unit devices,
which keeps the DNL small (no sign-magnitude mid-scale glitch); the pFET mirror gain error
shows up as a code-0 offset and a gain error, reported by ``dac_linearity``. The output is not
cascoded: its current changes by ~3 LSB per volt of output voltage at code 8 (DIBL of the two
output mirrors; ``dac_code_testbench``), < 0.4 LSB for a neuron-input node that stays within ±0.1 V.
Settling (tt, i_lsb = 100 pA, gear integration): within ~1 pA of the DC value 60 µs after the
worst code step (the −1 → 0 carry, all bits flip), 30 µs after 0 → 1; a code change once per
presynaptic pulse (ms apart) is settled long before the next pulse. The iref node carries the
gates of all 96 units (pF) on I_lsb, so its time constant C·U_T/(κ·I_lsb) is milliseconds: the
reference must be on from the start (a transient starting from its operating point is).
Simulate transients with ``.option method=gear``: trapezoidal ringing appears as spurious nA
currents through an ideal voltage source on ``iout``.

Characterisation: all 64 codes in one ``.dc`` sweep (``dac_sweep_testbench``) — about 2000
Newton iterations in total; a 64-step transient counter needs ~9000 and 12.8 ms of simulated time.
``dac_code_testbench``: the output characteristic (I_out against V_out) at one code. ``DacParams.bits`` (default 6) sets
the width; pins and code range follow it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from PySpice.Spice.Netlist import SubCircuit

from ebn_circuit.circuits.primitives import (SWITCH, Size, add, diode, inverter, mirror_out,
                                             reference_current, switch)
from ebn_circuit.errors import ConfigError
from ebn_circuit.spice.analysis import DcSweep
from ebn_circuit.spice.result import SimResult
from ebn_circuit.spice.testbench import Testbench
from ebn_circuit.technology.core import Technology

BITS = 6
CODE_MIN, CODE_MAX = -(2 ** (BITS - 1)), 2 ** (BITS - 1) - 1   # of the default 6-bit DAC
PINS = tuple(f"b{k}" for k in range(BITS)) + ("iref", "iout", "vdd", "vss")
POLARITIES = ("source", "sink", "offset")


def code_range(bits: int = BITS) -> tuple[int, int]:
    """Smallest and largest two's-complement code of ``bits`` bits."""
    return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1


def code_bits(code: int, bits: int = BITS) -> tuple[int, ...]:
    """Two's-complement bits (b0 first) of a code in −2^(bits−1) … 2^(bits−1) − 1."""
    lo, hi = code_range(bits)
    if not (lo <= code <= hi) or int(code) != code:
        raise ConfigError(f"DAC code must be an integer in {lo}…{hi}, got {code}")
    u = int(code) % 2 ** bits
    return tuple((u >> k) & 1 for k in range(bits))


@dataclass(frozen=True)
class DacParams:
    """Weight DAC: bits (sign included, two's complement); i_lsb (A) is the unit current, forced
    into ``iref`` by the reference source;
    unit_w, unit_l (m): the unit nFET current source; mirror_w, mirror_l (m): the output pFET mirror.
    Sized for mismatch (Monte Carlo, 2×8 µm units: max |DNL| 0.17–0.54 LSB over 6 seeds, 1×4 µm:
    0.27–1.07 LSB; always monotonic)."""

    i_lsb: float = 100e-12
    bits: int = BITS
    unit_w: float = 2e-6
    unit_l: float = 8e-6
    mirror_w: float = 2e-6
    mirror_l: float = 8e-6
    polarity: str = "source"

    def __post_init__(self) -> None:
        if self.polarity not in POLARITIES:
            raise ConfigError(f"DacParams.polarity must be one of {', '.join(POLARITIES)}, got {self.polarity!r}")
        if int(self.bits) != self.bits or not 2 <= self.bits <= 10:
            raise ConfigError(f"DacParams.bits must be an integer in 2…10 (sign included), got {self.bits}")
        if not self.i_lsb > 0:
            raise ConfigError(f"DacParams.i_lsb must be > 0 A, got {self.i_lsb}")
        if self.i_lsb * 2 ** self.bits > 1e-6:
            raise ConfigError(f"DacParams.i_lsb={self.i_lsb} A: full scale 2^bits·i_lsb leaves subthreshold; "
                              f"use ≤ {1e-6 / 2 ** self.bits:.3g} A")
        for field in ("unit_w", "unit_l", "mirror_w", "mirror_l"):
            if not getattr(self, field) > 0:
                raise ConfigError(f"DacParams.{field} must be > 0 m, got {getattr(self, field)}")

    @property
    def pins(self) -> tuple[str, ...]:
        return tuple(f"b{k}" for k in range(self.bits)) + ("iref", "iout", "vdd", "vss")


def dac_subckt(params: DacParams, tech: Technology, name: str = "weight_dac") -> SubCircuit:
    """The DAC as a PySpice SubCircuit with pins ``params.pins`` (b0 … b<bits−1> iref iout vdd vss).

    polarity "source": I_out = code·I_lsb sourced into the node on ``iout`` (as described above).
    polarity "sink": the same current *sunk* from it: the switched units pull (code + 32)·I_lsb
    from ``iout`` directly and a pFET mirror of a fixed 32-unit sink sources 32·I_lsb back. For
    inputs that excite by sinking, such as the DPI neuron's ``iin``.
    polarity "offset": the unsigned offset-binary current (code + 32)·I_lsb sourced into ``iout``
    (no offset subtraction): the weight current of a DPI synapse, whose input must be positive.
    """
    unit = Size(params.unit_w, params.unit_l)
    mirror = Size(params.mirror_w, params.mirror_l)
    sign, half = params.bits - 1, 2 ** (params.bits - 1)
    # source, offset: the switched units sum on isum, mirrored out; sink: they pull from iout directly
    cells_to = "iout" if params.polarity == "sink" else "isum"
    sub = SubCircuit(name, *params.pins)
    add(sub, diode(tech, "mref", "n", "iref", "vss", unit))
    for k in range(params.bits):
        gate = f"b{k}" if k < sign else f"b{k}_n"   # offset binary: the sign bit inverted
        add(sub,
            mirror_out(tech, f"mcs_{k}", "n", f"cs_{k}", "iref", "vss", unit.times(2 ** k)),
            switch(tech, f"msw_{k}", "n", cells_to, f"cs_{k}", gate, SWITCH.times(2 ** k)))
    add(sub, inverter(tech, "inv_sign", f"b{sign}", f"b{sign}_n"))
    if params.polarity in ("source", "offset"):
        add(sub,
            diode(tech, "mp_in", "p", "isum", "vdd", mirror),
            mirror_out(tech, "mp_out", "p", "iout", "isum", "vdd", mirror))
    if params.polarity == "source":
        add(sub,
            switch(tech, "msw_off", "n", "iout", "cs_off", "vdd", SWITCH.times(half)),
            mirror_out(tech, "mcs_off", "n", "cs_off", "iref", "vss", unit.times(half)))
    elif params.polarity == "sink":
        add(sub,
            switch(tech, "msw_off", "n", "ioff", "cs_off", "vdd", SWITCH.times(half)),
            mirror_out(tech, "mcs_off", "n", "cs_off", "iref", "vss", unit.times(half)),
            diode(tech, "mp_off", "p", "ioff", "vdd", mirror),
            mirror_out(tech, "mp_back", "p", "iout", "ioff", "vdd", mirror))
    return sub


@dataclass(frozen=True)
class DacSweepParams:
    """All codes in one .dc sweep: v(code) steps −32…31 (6 bits) and behavioural sources decode
    it into b0…b5 (0 / vdd). The output pin is held at v_out (V), the neuron-input node voltage.
    seed: Monte-Carlo instance (with ``tech.with_mismatch(True)``); None for none."""

    dac: DacParams = DacParams()
    v_out: float = 0.9
    gmin: float = 1e-15
    seed: int | None = None

    def __post_init__(self) -> None:
        if not 0 < self.v_out < 1.8:
            raise ConfigError(f"DacSweepParams.v_out must be inside the 1.8 V supply, got {self.v_out}")
        if not 0 < self.gmin <= 1e-12:
            raise ConfigError(f"DacSweepParams.gmin must be in (0, 1e-12] S, got {self.gmin}")


def dac_sweep_testbench(params: DacSweepParams, tech: Technology) -> Testbench:
    """Output current (sourced into the node, A) is i(vout) over the swept code v(v-sweep).
    gmin is lowered from ngspice's 1e-12 S, which alone would leak ~1 pA per junction (1 % of an LSB)."""
    vdd, bits = tech.vdd, params.dac.bits
    lo, hi = code_range(bits)
    w = f"(v(code)+{-lo + 0.25:g})"  # offset code (sign bit inverted) + margin against rounding
    decoders = [f"bb{k} b{k} 0 v={vdd:g}*(floor({w}/{2 ** k})-2*floor({w}/{2 ** (k + 1)}))" for k in range(bits - 1)]
    decoders.append(f"bb{bits - 1} b{bits - 1} 0 v={vdd:g}*(1-floor({w}/{2 ** (bits - 1)}))")
    return _bench("dac_code_sweep", params.dac, tech, ["vcode code 0 0", *decoders], params.v_out,
                  DcSweep("vcode", lo, hi, 1.0), params.gmin, params.seed)


def _bench(name: str, dac: DacParams, tech: Technology, code_sources: list[str], v_out: float, analysis,
           gmin: float, seed: int | None) -> Testbench:
    sub = dac_subckt(dac, tech)
    body = [str(sub).rstrip(),
            f"vdd vdd 0 {tech.vdd:g}",
            "vss vss 0 0",
            *code_sources,
            *reference_current("ref", "iref", dac.i_lsb),   # the unit current into the diode mref
            "* the neuron-input node: current sourced by the DAC enters vout's + terminal",
            f"vout iout 0 {v_out:g}",
            f"xdac {' '.join(dac.pins)} {sub.name}"]
    return Testbench(name=name, body="\n".join(body), technology=tech, analysis=analysis,
                     options=(("gmin", f"{gmin:g}"),), seed=seed)


@dataclass(frozen=True)
class DacCodeParams:
    """One code held on the bit pins (0 / vdd); the output voltage is swept from v_out_min to
    v_out_max in v_out_step (V): the output characteristic (compliance) at that code. gmin, seed
    as in ``DacSweepParams``."""

    dac: DacParams = DacParams()
    code: int = 8
    v_out_min: float = 0.2
    v_out_max: float = 1.6
    v_out_step: float = 0.1
    gmin: float = 1e-15
    seed: int | None = None

    def __post_init__(self) -> None:
        lo, hi = code_range(self.dac.bits)
        if int(self.code) != self.code or not lo <= self.code <= hi:
            raise ConfigError(f"DacCodeParams.code must be an integer in {lo}…{hi} for a {self.dac.bits}-bit "
                              f"DAC, got {self.code}")
        if not 0 < self.v_out_min < self.v_out_max < 1.8:
            raise ConfigError(f"DacCodeParams: need 0 < v_out_min < v_out_max < 1.8 V, got "
                              f"{self.v_out_min}, {self.v_out_max}")
        if not 0 < self.v_out_step <= self.v_out_max - self.v_out_min:
            raise ConfigError(f"DacCodeParams.v_out_step must be in (0, v_out_max − v_out_min], got {self.v_out_step}")
        if not 0 < self.gmin <= 1e-12:
            raise ConfigError(f"DacCodeParams.gmin must be in (0, 1e-12] S, got {self.gmin}")


def dac_code_testbench(params: DacCodeParams, tech: Technology) -> Testbench:
    """One code, output voltage swept: i(vout) (A, positive = sourced) against v(v-sweep)."""
    bits = code_bits(params.code, params.dac.bits)
    sources = [f"vb{k} b{k} 0 {tech.vdd * bit:g}" for k, bit in enumerate(bits)]
    return _bench(f"dac_code_{params.code}_output", params.dac, tech, sources, params.v_out_min,
                  DcSweep("vout", params.v_out_min, params.v_out_max, params.v_out_step), params.gmin, params.seed)


def dac_table(result: SimResult, instance: int | str = 0, polarity: str = "source") -> pd.DataFrame:
    """The code → current table of a sweep result: columns instance, code, current (A, the signed
    weight current: positive = sourced into the output node for a "source" or "offset" DAC, sunk
    from it for a "sink" DAC), the format the network layer reads."""
    sweep = next(v for k, v in result.vectors.items() if k.startswith("v(v-sweep)") or k == "v(code)")
    sign = -1.0 if polarity == "sink" else 1.0
    return pd.DataFrame({"instance": instance, "code": np.rint(sweep).astype(int),
                         "current": sign * np.asarray(result.i("vout"), dtype=float)})


def measure_dac_table(simulator, params: DacSweepParams, tech: Technology, instance: int | str = 0) -> pd.DataFrame:
    """Run the all-code sweep and return its table (see ``dac_table``)."""
    return dac_table(simulator.run(dac_sweep_testbench(params, tech)), instance, params.dac.polarity)


@dataclass(frozen=True)
class DacLinearity:
    """lsb: endpoint LSB (A); offset: current at code 0 (A); dnl, inl: per code step / code in LSB."""

    lsb: float
    offset: float
    dnl: np.ndarray
    inl: np.ndarray

    @property
    def dnl_max(self) -> float:
        return float(np.max(np.abs(self.dnl)))

    @property
    def inl_max(self) -> float:
        return float(np.max(np.abs(self.inl)))

    @property
    def monotonic(self) -> bool:
        return bool(np.all(self.dnl > -1.0))


def dac_linearity(table: pd.DataFrame) -> DacLinearity:
    """Endpoint-fit DNL and INL of one instance's code → current table."""
    table = table.sort_values("code")
    codes, current = table["code"].to_numpy(), table["current"].to_numpy()
    if len(codes) < 2:
        raise ConfigError("dac_linearity needs at least two codes")
    lsb = (current[-1] - current[0]) / (codes[-1] - codes[0])
    dnl = np.diff(current) / np.diff(codes) / lsb - 1.0
    inl = (current - (current[0] + (codes - codes[0]) * lsb)) / lsb
    offset = float(np.interp(0, codes, current))
    return DacLinearity(lsb=float(lsb), offset=offset, dnl=dnl, inl=inl)


NETLISTS = {
    "dac_code_sweep": (DacSweepParams(), dac_sweep_testbench, ("i(vout)",)),
    "dac_code_output": (DacCodeParams(), dac_code_testbench, ("i(vout)",)),
}
