"""Spice layer: run testbenches in ngspice, cache by content hash, typed errors → SimResult."""

from ebn_circuit.spice.analysis import Custom, DcSweep, Op, Transient
from ebn_circuit.spice.result import SimMeta, SimResult
from ebn_circuit.spice.simulator import Simulator, simulate, write_netlist
from ebn_circuit.spice.testbench import Testbench

__all__ = ["Custom", "DcSweep", "Op", "Transient", "SimMeta", "SimResult", "Simulator", "Testbench",
           "simulate", "write_netlist"]
