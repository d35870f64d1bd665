"""Spice layer: run testbenches in ngspice, cache by content hash, typed errors → SimResult.

Testbench and the analyses are plain data of the circuits layer; they are re-exported here
because every run starts from them."""

from ebn_circuit.circuits.analysis import Ac, Custom, DcSweep, Noise, Op, Transient
from ebn_circuit.circuits.testbench import Testbench
from ebn_circuit.spice.files import load_netlist
from ebn_circuit.spice.result import SimMeta, SimResult
from ebn_circuit.spice.simulator import Simulator, simulate, write_netlist

__all__ = ["Ac", "Custom", "DcSweep", "Noise", "Op", "Transient", "SimMeta", "SimResult", "Simulator", "Testbench",
           "load_netlist", "simulate", "write_netlist"]
