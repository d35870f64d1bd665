"""Turn an ngspice log into the right typed error."""

from __future__ import annotations

import re

from ebn_circuit.errors import ConvergenceError, NetlistError, SimulationError

_CONVERGENCE = re.compile(
    r"timestep too small|singular matrix|no convergence|iteration limit reached|"
    r"transient solution failed|gmin stepping failed|source stepping failed|op failed",
    re.IGNORECASE)
_NETLIST = re.compile(
    r"error on line|unknown subckt|unknown model|can't find model|could not find include file|"
    r"circuit not parsed|could not find a valid modelname|unknown parameter|no such vector|"
    r"syntax error|undefined|unknown device|too few nodes|mismatch of .subckt|there aren't any circuits",
    re.IGNORECASE)


# Follow-up messages that say only that an earlier error happened; the earlier one names the cause.
_GENERIC = re.compile(r"cannot recover|awaits to be detached|there aren't any circuits loaded|"
                      r"fatal error in ngspice|circuit not parsed", re.IGNORECASE)


def first_error_line(log: str) -> str:
    """The most telling error line: the first 'Error…' line that names a cause, else any line that
    mentions an error, else the first generic one."""
    lines = [line.strip() for line in log.splitlines()]
    for wanted in (lambda l: l.lower().startswith("error") and not _GENERIC.search(l),
                   lambda l: "error" in l.lower() and not _GENERIC.search(l),
                   lambda l: l.lower().startswith("error")):
        for line in lines:
            if wanted(line):
                return line
    return ""


def offending_netlist_line(log: str) -> str:
    """The netlist line ngspice complains about, when it names one."""
    lines = log.splitlines()
    for index, line in enumerate(lines):
        match = re.search(r"error on line \d+ or its substitute:", line, re.IGNORECASE)
        if match and index + 1 < len(lines):
            return lines[index + 1].strip()
        match = re.search(r"unknown (?:subckt|model)[^:]*:\s*(.+)", line, re.IGNORECASE)
        if match:
            return match.group(1).strip()
        match = re.search(r"netlist line no\. (\d+)", line, re.IGNORECASE)
        if match:
            return f"netlist line {match.group(1)}"
    return ""


def error_from_log(log: str, context: str, netlist_path: str | None = None) -> SimulationError:
    """The typed error for a failed run; ``context`` says which testbench."""
    if _NETLIST.search(log):
        detail = first_error_line(log) or "ngspice rejected the netlist"
        offending = offending_netlist_line(log)
        if offending and offending not in detail:
            detail += f" (line: {offending})"
        return NetlistError(f"{context}: netlist error: {detail}", log=log, netlist_path=netlist_path)
    if _CONVERGENCE.search(log):
        found = _CONVERGENCE.search(log).group(0)
        return ConvergenceError(f"{context}: convergence failure ({found}); see the simulator log",
                                log=log, netlist_path=netlist_path)
    detail = first_error_line(log) or "no result produced"
    return SimulationError(f"{context}: simulation failed: {detail}", log=log, netlist_path=netlist_path)
