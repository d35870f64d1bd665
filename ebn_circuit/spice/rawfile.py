"""Reader for SPICE3-style raw files: ngspice, LTspice and Xyce; binary and ASCII; one or more plots.

The dialects differ only where the data is stored:

- ngspice and Xyce: a UTF-8 header; every value a little-endian float64 (complex128 when the
  plot's flags say ``complex``). Xyce writes complex ASCII values as ``re, im``, ngspice ``re,im``.
- LTspice: a UTF-16LE header; in a real plot the first variable (time) is a float64 and every
  other one a float32 (all float64 with the ``double`` flag); AC plots are complex128 throughout.
  ``fastaccess`` stores the data column by column; compressed transients mark some time points
  negative (the magnitude is the time).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import numpy as np

from ebn_circuit.errors import WaveformError

_HEADER_START = re.compile(r"^(title|plotname|date|flags|command):", re.IGNORECASE | re.MULTILINE)
_SWEEP_TYPES = ("time", "frequency")


@dataclass(frozen=True)
class RawPlot:
    """One plot of a raw file: its name, variables (name, type) and data per variable (sweep
    variables real, the others complex in a complex plot)."""

    title: str
    plotname: str
    variables: tuple[tuple[str, str], ...]
    data: dict[str, np.ndarray]
    flags: tuple[str, ...] = ()
    dialect: str = "spice3"          # ngspice, ltspice, xyce, or spice3 when the header does not say
    header: Mapping[str, str] = field(default_factory=dict)


def read_raw(path: str | Path) -> list[RawPlot]:
    """All plots in a raw file, in file order."""
    path = Path(path)
    try:
        blob = path.read_bytes()
    except OSError as exc:
        raise WaveformError(f"{path}: cannot read raw file: {exc.strerror}") from None
    reader = _Reader(blob, path)
    plots: list[RawPlot] = []
    while reader.skip_blank_lines():
        if plots and not reader.at_header():
            break   # Xyce may append a text section after the last plot
        plots.append(reader.plot())
    if not plots:
        raise WaveformError(f"{path}: raw file holds no plot")
    return plots


class _Reader:
    """A cursor over the file's bytes that knows the text encoding."""

    def __init__(self, blob: bytes, path: Path):
        self.blob, self.path, self.pos = blob, path, 0
        if blob[:2] == b"\xff\xfe":
            self.encoding, self.pos = "utf-16-le", 2
        elif len(blob) > 1 and blob[1:2] == b"\x00":
            self.encoding = "utf-16-le"
        else:
            self.encoding = "latin-1"
        self.char = 2 if self.encoding == "utf-16-le" else 1
        self.newline = "\n".encode(self.encoding)

    def fail(self, what: str) -> WaveformError:
        return WaveformError(f"{self.path}: {what}")

    def skip_blank_lines(self) -> bool:
        """Move past blank lines; False at the end of the file."""
        blanks = {c.encode(self.encoding) for c in "\n\r \t"}
        while self.pos < len(self.blob) and self.blob[self.pos:self.pos + self.char] in blanks:
            self.pos += self.char
        return self.pos + self.char <= len(self.blob)

    def at_header(self) -> bool:
        head = self.blob[self.pos:self.pos + 40 * self.char].decode(self.encoding, "replace")
        return bool(_HEADER_START.match(head))

    def line(self) -> str:
        start = self.pos
        while True:
            end = self.blob.find(self.newline, self.pos)
            if end < 0:
                raise self.fail("truncated raw header")
            if (end - start) % self.char == 0:
                break
            self.pos = end + 1   # a newline byte inside a UTF-16 character, not a line end
        self.pos = end + len(self.newline)
        return self.blob[start:end].decode(self.encoding, "replace").rstrip("\r")

    def plot(self) -> RawPlot:
        header: dict[str, str] = {}
        variables: list[tuple[str, str]] = []
        while True:
            key, _, value = self.line().partition(":")
            key = key.strip().lower()
            if key in ("binary", "values"):
                break
            if key == "variables":
                variables = self._variables(header, value)
            else:
                header[key] = value.strip()
        try:
            npoints = int(header["no. points"])
        except (KeyError, ValueError):
            raise self.fail("raw header has no valid 'No. Points'") from None
        if not variables:
            raise self.fail("raw header lists no variables")
        flags = tuple(header.get("flags", "").lower().split())
        dialect = self._dialect(header)
        dtypes = _dtypes(dialect, flags, len(variables))
        if key == "binary":
            columns = self._binary(npoints, dtypes, "fastaccess" in flags)
        else:
            columns = self._ascii(npoints, len(variables), "complex" in flags)
        data = {}
        for (name, vtype), column in zip(variables, columns):
            if vtype in _SWEEP_TYPES:
                column = np.real(column)   # ngspice leaves junk in the imaginary part of frequency
                if dialect == "ltspice" and vtype == "time":
                    column = np.abs(column)
            data[name] = np.ascontiguousarray(column)
        return RawPlot(title=header.get("title", ""), plotname=header.get("plotname", ""),
                       variables=tuple(variables), data=data, flags=flags, dialect=dialect, header=header)

    def _variables(self, header: dict, rest: str) -> list[tuple[str, str]]:
        try:
            nvars = int(header["no. variables"])
        except (KeyError, ValueError):
            raise self.fail("raw header has no valid 'No. Variables' before 'Variables:'") from None
        lines = [rest] if rest.strip() else []
        while len(lines) < nvars:
            lines.append(self.line())
        variables = []
        for text in lines:
            fields = text.split()
            if len(fields) < 2:
                raise self.fail(f"bad variable line {text.strip()!r}")
            variables.append((fields[1], fields[2].lower() if len(fields) > 2 else ""))
        return variables

    def _dialect(self, header: dict) -> str:
        text = f"{header.get('command', '')} {header.get('title', '')}".lower()
        if self.encoding == "utf-16-le" or "ltspice" in text:
            return "ltspice"
        for name in ("ngspice", "xyce"):
            if name in text:
                return name
        return "spice3"

    def _binary(self, npoints: int, dtypes: list[np.dtype], fastaccess: bool) -> list[np.ndarray]:
        need = npoints * sum(d.itemsize for d in dtypes)
        have = len(self.blob) - self.pos
        if have < need:
            raise self.fail(f"binary data truncated ({have} of {need} bytes)")
        if fastaccess:   # column after column
            columns, offset = [], self.pos
            for dtype in dtypes:
                columns.append(np.frombuffer(self.blob, dtype=dtype, count=npoints, offset=offset))
                offset += npoints * dtype.itemsize
        else:            # point after point
            record = np.dtype([(f"v{k}", d) for k, d in enumerate(dtypes)])
            table = np.frombuffer(self.blob, dtype=record, count=npoints, offset=self.pos)
            columns = [table[f"v{k}"] for k in range(len(dtypes))]
        self.pos += need
        # native float64/complex128 (LTspice's float32 widened), a copy that owns its memory
        return [c.astype(np.complex128 if c.dtype.kind == "c" else np.float64) for c in columns]

    def _ascii(self, npoints: int, nvars: int, complex_data: bool) -> list[np.ndarray]:
        text = self.blob[self.pos:].decode(self.encoding, "replace")
        following = _HEADER_START.search(text)
        section = text[:following.start()] if following else text
        self.pos += len(section.encode(self.encoding))
        width = 2 if complex_data else 1
        per_point = 1 + nvars * width          # each point starts with its index
        tokens = section.replace(",", " ").split()
        if len(tokens) < npoints * per_point:
            raise self.fail(f"ASCII data truncated ({len(tokens)} of {npoints * per_point} numbers)")
        try:
            values = np.array(tokens[:npoints * per_point], dtype=float).reshape(npoints, per_point)
        except ValueError as exc:
            raise self.fail(f"ASCII data holds a non-number ({exc})") from None
        if npoints and not np.array_equal(values[:, 0], np.arange(npoints)):
            raise self.fail("ASCII data is out of step (point indices are not 0, 1, 2, …)")
        if complex_data:
            return [values[:, 1 + 2 * k] + 1j * values[:, 2 + 2 * k] for k in range(nvars)]
        return [values[:, 1 + k] for k in range(nvars)]


def _dtypes(dialect: str, flags: tuple[str, ...], nvars: int) -> list[np.dtype]:
    if "complex" in flags:
        return [np.dtype("<c16")] * nvars
    if dialect == "ltspice" and "double" not in flags:
        return [np.dtype("<f8")] + [np.dtype("<f4")] * (nvars - 1)
    return [np.dtype("<f8")] * nvars
