"""Bias helpers shared by the DPI blocks: ideal reference currents into diode-connected
transistors, and the simulator options that subthreshold (pA-level) circuits need.

Bias scheme: every bias voltage a block needs (``vtau``, ``vthr``, ``vw`` …) is generated in
the testbench by an ideal current source forcing the reference current into a diode-connected
transistor of the same type and size as the block device it biases; the block's device then
mirrors that current. On a chip the ideal source is a bias generator's output branch.
"""

from __future__ import annotations

from dataclasses import dataclass

from ebn_circuit.errors import ConfigError
from ebn_circuit.technology.core import Technology

# ngspice adds gmin (default 1e-12 S) across every junction: ~0.3 pA at 0.3 V per device, which
# is the same order as the pA leak currents of a 20 ms DPI. Testbenches of the DPI blocks (and
# any testbench that instantiates them) should carry these options.
SUBTHRESHOLD_OPTIONS: tuple[tuple[str, str], ...] = (("gmin", "1e-15"), ("method", "gear"))


@dataclass(frozen=True)
class DeviceSize:
    """Width and length (metres) of one transistor and its number of parallel copies ``m``.

    Parallel copies, not a wider device: a wide device is not a scaled unit (narrow-width
    effects change the current per µm by up to 2x between w = 1 µm and 100 µm in sky130), and
    the DPI relies on exact ratios between a unit device and m of them."""

    w: float
    l: float
    m: int = 1

    def __post_init__(self) -> None:
        if not (self.w > 0 and self.l > 0):
            raise ConfigError(f"DeviceSize: w and l must be > 0 m, got w={self.w}, l={self.l}")
        if int(self.m) != self.m or self.m < 1:
            raise ConfigError(f"DeviceSize.m must be an integer >= 1, got {self.m}")


def fet(tech: Technology, name: str, kind: str, drain: str, gate: str, source: str, size: DeviceSize,
        vdd: str = "vdd", vss: str = "vss") -> str:
    """One transistor, bulk at its rail (nFET → vss, pFET → vdd); ``size.m`` parallel copies."""
    bulk = vss if kind == "n" else vdd
    return tech.device_line(name, kind, drain, gate, source, bulk, size.w, size.l, size.m)


def check_current(owner: str, field: str, value: float, low: float = 0.0, high: float = 1e-3) -> None:
    """Raise ConfigError unless low < value <= high (amperes)."""
    if not isinstance(value, (int, float)) or not (low < value <= high):
        raise ConfigError(f"{owner}.{field} must be a current in ({low:g}, {high:g}] A, got {value!r}")


def check_positive(owner: str, field: str, value: float, unit: str) -> None:
    if not isinstance(value, (int, float)) or not value > 0:
        raise ConfigError(f"{owner}.{field} must be > 0 {unit}, got {value!r}")


LEAK_LENGTH_RATIO = 4  # DPI leak devices and their bias diodes: long, little DIBL


def leak_size(unit: DeviceSize) -> DeviceSize:
    """The DPI leak device (Mtau) for matched devices of size ``unit``: LEAK_LENGTH_RATIO × longer."""
    return DeviceSize(unit.w, LEAK_LENGTH_RATIO * unit.l)


def check_matched_size(owner: str, params) -> None:
    """``params.unit_w`` and ``params.unit_l`` (m): a matched device between 0.42 and 20 µm."""
    for field in ("unit_w", "unit_l"):
        value = getattr(params, field)
        if not 0.42e-6 <= value <= 20e-6:
            raise ConfigError(f"{owner}.{field}={value} m is outside [0.42, 20] µm")


def diode_bias(tech: Technology, name: str, kind: str, node: str, current: float, size: DeviceSize,
               vdd: str = "vdd", vss: str = "0") -> list[str]:
    """Testbench lines: an ideal current source forcing ``current`` (A) into a diode-connected
    transistor, so that ``node`` sits at the gate voltage that carries ``current`` in a device
    of ``size``. nFET: source at vss, current from vdd into ``node``; pFET: source at vdd,
    current drawn from ``node`` to vss."""
    check_current(f"bias {name}", "current", current)
    if kind == "n":
        return [f"I{name} {vdd} {node} DC {current:.6g}",
                tech.device_line(f"b{name}", "n", node, node, vss, vss, size.w, size.l)]
    if kind == "p":
        return [f"I{name} {node} {vss} DC {current:.6g}",
                tech.device_line(f"b{name}", "p", node, node, vdd, vdd, size.w, size.l)]
    raise ConfigError(f"diode_bias {name}: kind must be 'n' or 'p', got {kind!r}")
