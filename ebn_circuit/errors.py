"""One error hierarchy; the CLI turns each into one line and a non-zero exit."""

from __future__ import annotations


class EbnCircuitError(Exception):
    """Base of every error the toolkit raises on purpose."""


class ConfigError(EbnCircuitError, ValueError):
    """Bad input: parameters, files, options. Says what, where, and what to do."""


class UnknownTechnologyError(ConfigError):
    """A technology name or corner that is not defined."""


class SimulatorMissingError(EbnCircuitError):
    """ngspice or libngspice is not installed or not found."""


class SimulationError(EbnCircuitError):
    """A simulation failed; carries the simulator log."""

    def __init__(self, message: str, log: str = "", netlist_path: str | None = None):
        super().__init__(message)
        self.log = log
        self.netlist_path = netlist_path


class NetlistError(SimulationError):
    """ngspice rejected the netlist (syntax, unknown model, bad node)."""


class ConvergenceError(SimulationError):
    """ngspice did not converge (timestep too small, singular matrix, gmin stepping failed)."""


class SimulationTimeoutError(SimulationError):
    """A run exceeded its time limit and was killed."""


class SimulatorCrashError(SimulationError):
    """The simulator process died (segfault in libngspice, killed worker)."""


class UnsafeNetlistError(ConfigError):
    """A user-supplied netlist asks ngspice to run external commands."""


class WaveformError(ConfigError):
    """A waveform file or signal is missing, malformed or inconsistent."""


class RunFailedError(EbnCircuitError):
    """Jobs of a run failed (simulation or measurement); the finished ones are kept on disk."""
