"""The Technology type: which models to include, for which corner, with or without mismatch."""

from __future__ import annotations

import hashlib
import functools
import math
import re
from dataclasses import dataclass, replace
from pathlib import Path

from ebn_circuit.errors import ConfigError, UnknownTechnologyError
from ebn_circuit.technology.files import tree_sha256

# Every string of a technology is pasted into netlists (and file names): identifiers only, so that
# none can start a new line, a card or a `.control` block.
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_UNSAFE_PATH = re.compile(r"[\x00-\x1f\x7f\"\u0085\u2028\u2029]")


@dataclass(frozen=True)
class Technology:
    """A process technology as ngspice sees it. Frozen and hashable: part of every cache key.

    name: short name (``sky130``).
    vdd: supply voltage in volts.
    nfet, pfet: subcircuit (or model) names of the core devices; instantiated as ``X``
        lines when ``devices_are_subcircuits`` else as ``M`` lines.
    corner_files: per corner name, the model files to ``.include`` (absolute paths).
    corner: the corner this instance emits.
    mismatch: whether device mismatch is on (sets ``mismatch_param`` to 1).
    scale: ngspice ``.option scale``; 1e-6 means device w and l are written in µm.
    params: extra ``.param`` settings the model files expect, as (name, value) pairs.
    mismatch_param: the model parameter that switches Monte-Carlo mismatch on (or "").
    """

    name: str
    vdd: float
    nfet: str
    pfet: str
    corner_files: tuple[tuple[str, tuple[str, ...]], ...]
    corner: str = "tt"
    mismatch: bool = False
    scale: float = 1e-6
    params: tuple[tuple[str, float], ...] = ()
    mismatch_param: str = ""
    devices_are_subcircuits: bool = True
    prune_bins: bool = True

    def __post_init__(self) -> None:
        self._check_strings()
        if not _finite_positive(self.vdd):
            raise ConfigError(f"technology {self.name!r}: vdd must be a finite number > 0 V, got {self.vdd!r}")
        if not _finite_positive(self.scale):
            raise ConfigError(f"technology {self.name!r}: scale must be a finite number > 0, got {self.scale!r}")
        for key, value in self.params:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ConfigError(f"technology {self.name!r}: params.{key} must be a finite number, got {value!r}")
        if not self.corner_files:
            raise ConfigError(f"technology {self.name!r}: no corners defined")
        if self.corner not in self.corners:
            raise UnknownTechnologyError(
                f"technology {self.name!r} has no corner {self.corner!r}; "
                f"known corners: {', '.join(self.corners)}"
            )
        if self.mismatch and not self.mismatch_param:
            raise ConfigError(f"technology {self.name!r} has no mismatch switch; cannot enable mismatch")

    def _check_strings(self) -> None:
        named = [("name", self.name), ("nfet", self.nfet), ("pfet", self.pfet), ("corner", self.corner)]
        named += [("mismatch_param", self.mismatch_param)] if self.mismatch_param else []
        named += [("params key", key) for key, _ in self.params]
        named += [("corner name", corner) for corner, _ in self.corner_files]
        for what, value in named:
            if not isinstance(value, str) or IDENTIFIER.fullmatch(value) is None:
                raise ConfigError(f"technology {self.name!r}: {what} {value!r} is not an identifier (letters, "
                                  "digits and _, not starting with a digit); it is written into every netlist")
        for corner, files in self.corner_files:
            for path in files:
                if not isinstance(path, str) or _UNSAFE_PATH.search(path) or not Path(path).is_absolute():
                    raise ConfigError(f"technology {self.name!r}: corner {corner}: model file {path!r} must be an "
                                      "absolute path without quotes or control characters")

    @property
    def corners(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.corner_files)

    def model_files(self) -> tuple[Path, ...]:
        """The files the current corner includes, in include order."""
        return tuple(Path(p) for p in dict(self.corner_files)[self.corner])

    def with_corner(self, corner: str) -> "Technology":
        return replace(self, corner=corner)

    def with_mismatch(self, mismatch: bool = True) -> "Technology":
        return replace(self, mismatch=mismatch)

    def include_text(self, portable: bool = False, body: str | None = None, stem: str = "") -> str:
        """The SPICE lines that load this technology's models for the current corner.

        portable: include ``pdk/[<stem>.]<name>_<corner>.spice`` relative to the netlist instead
        of the machine's absolute model paths, so that committed netlists are the same
        everywhere; `write_portable_include` writes that file (pruned for the netlist ``stem``).
        body: the netlist's devices; with ``prune_bins`` the model files are replaced by copies
        holding only the bins those device sizes select (same results, far faster loading; see
        technology/pruning.py).
        """
        lines = [f"* technology {self.name}, corner {self.corner}, mismatch {'on' if self.mismatch else 'off'}"]
        if self.scale != 1.0:
            lines.append(f".option scale={self.scale:g}")
        params = dict(self.params)
        if self.mismatch_param:
            params[self.mismatch_param] = 1 if self.mismatch else 0
        if params:
            lines.append(".param " + " ".join(f"{k}={v:g}" for k, v in params.items()))
        if portable:
            lines.append(f'.include "{self.portable_include_name(stem)}"')
        else:
            lines += [f'.include "{path}"' for path in self.model_files_for(body)]
        return "\n".join(lines)

    def model_files_for(self, body: str | None) -> tuple[Path, ...]:
        """The model files to include for a netlist body: bin-pruned copies when ``prune_bins``."""
        files = self.model_files()
        if self.prune_bins and body is not None:
            from ebn_circuit.technology.pruning import device_sizes, pruned_file

            sizes = device_sizes(body, (self.nfet, self.pfet), self.scale)
            if sizes:
                files = tuple(pruned_file(path, sizes) for path in files)
        return files

    def portable_include_name(self, stem: str = "") -> str:
        return f"pdk/{stem + '.' if stem else ''}{self.name}_{self.corner}.spice"

    def write_portable_include(self, netlist_dir: Path, body: str | None = None, stem: str = "") -> Path:
        """Write the portable include (this machine's model paths, pruned for ``body``)."""
        target = Path(netlist_dir) / self.portable_include_name(stem)
        target.parent.mkdir(parents=True, exist_ok=True)
        text = "* generated by ebn_circuit: this machine's model files\n" + "\n".join(
            f'.include "{path}"' for path in self.model_files_for(body)) + "\n"
        if not target.is_file() or target.read_text() != text:
            target.write_text(text)
        return target

    def files_digest(self) -> str:
        """sha256 over the contents of every model file of this corner (and what they include)."""
        missing = [p for p in self.model_files() if not p.is_file()]
        if missing:
            raise ConfigError(f"technology {self.name!r}, corner {self.corner!r}: model file {missing[0]} not found")
        return tree_sha256(self.model_files())

    def cache_key(self) -> str:
        """Everything about this technology that changes a simulation result."""
        return hashlib.sha256(
            repr((self.name, self.vdd, self.nfet, self.pfet, self.corner, self.mismatch,
                  self.scale, self.params, self.mismatch_param, self.files_digest())).encode()
        ).hexdigest()

    def device_line(self, name: str, kind: str, drain: str, gate: str, source: str, bulk: str,
                    w: float, l: float, m: int = 1) -> str:
        """One transistor line; w and l in metres (written in the technology's scale)."""
        model = {"n": self.nfet, "p": self.pfet}[kind]
        w_s, l_s = w / self.scale, l / self.scale
        prefix = "X" if self.devices_are_subcircuits else "M"
        # m parallel copies: sky130's subcircuits read `mult` only to scale mismatch, so the
        # instance multiplier `m` goes alongside it (the xschem convention `mult=N m=N`).
        if m == 1:
            mult = ""
        else:
            mult = f" mult={m} m={m}" if self.devices_are_subcircuits else f" m={m}"
        return f"{prefix}{name} {drain} {gate} {source} {bulk} {model} w={w_s:g} l={l_s:g}{mult}"


def _finite_positive(value) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value) and value > 0
