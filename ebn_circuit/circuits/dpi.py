"""The differential-pair integrator (DPI) core shared by the synapse and the neuron
(Bartolozzi & Indiveri 2007): a log-domain low-pass filter in current mode.

    v1 ─ Mthr(vthr) ─ vg           pair branch that charges the capacitor …
    v1 ─ Mpair(vcap) ─ vdd         … and its partner, gated by the capacitor voltage
    vg ─ Mmd (pFET diode), Mmc     pFET mirror: the Mthr share → ``charge``
    vcap ─ Mtau(vtau) ─ vss        leak I_τ (``leak``)

The tail current at ``v1`` splits as I_th : I_out, so the capacitor current is
I_in·I_th/(I_th + I_out): with the pair devices nFETs like the output, the split is exact in κ.
The pair partner is ``pair_ratio`` unit devices in parallel, so the common node v1 stays high
enough to keep the tail saturated; its bias diode carries pair_ratio·I_th (I_th then is the
current of one unit nFET at gate ``vthr``).
"""

from __future__ import annotations

from ebn_circuit.circuits.schematic import Schematic, Size, leak_size


def pair_and_mirror(s: Schematic, vcap: str, charge: str, unit: Size, pair_ratio: int) -> None:
    """Mthr, Mpair and the pFET mirror Mmd/Mmc whose output ``charge`` carries the Mthr share
    (the tail node is ``v1``, the gate bias ``vthr``)."""
    s.fet("thr", "n", "vg", "vthr", "v1", unit)
    s.fet("pair", "n", "vdd", vcap, "v1", unit.times(pair_ratio))
    s.fet("md", "p", "vg", "vg", "vdd", unit)
    s.fet("mc", "p", charge, "vg", "vdd", unit)


def leak(s: Schematic, vcap: str, unit: Size) -> None:
    """Mtau: the leak I_τ from the capacitor node, a long device (little DIBL)."""
    s.fet("tau", "n", vcap, "vtau", "vss", leak_size(unit))


def biases(s: Schematic, i_tau: float, i_th: float, pair_ratio: int, unit: Size, suffix: str = "") -> None:
    """Testbench lines for the ``vtau<suffix>`` and ``vthr<suffix>`` gates: ideal references into
    nFET diodes like Mtau (long) and like one pair unit (carrying pair_ratio·I_th)."""
    s.bias(f"tau{suffix}", "n", f"vtau{suffix}", i_tau, leak_size(unit))
    s.bias(f"thr{suffix}", "n", f"vthr{suffix}", i_th * pair_ratio, unit)
