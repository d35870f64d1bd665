"""Reader for ngspice raw files, binary and ASCII, with one or more plots."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ebn_circuit.errors import WaveformError


@dataclass(frozen=True)
class RawPlot:
    """One plot of a raw file: its name, variables (name, type) and data per variable."""

    title: str
    plotname: str
    variables: tuple[tuple[str, str], ...]
    data: dict[str, np.ndarray]


def read_raw(path: str | Path) -> list[RawPlot]:
    """All plots in an ngspice raw file, in file order."""
    path = Path(path)
    try:
        blob = path.read_bytes()
    except OSError as exc:
        raise WaveformError(f"{path}: cannot read raw file: {exc.strerror}") from None
    plots: list[RawPlot] = []
    pos = 0
    while pos < len(blob):
        # Skip blank space between plots.
        while pos < len(blob) and blob[pos:pos + 1] in (b"\n", b"\r", b" "):
            pos += 1
        if pos >= len(blob):
            break
        plot, pos = _read_plot(blob, pos, path)
        plots.append(plot)
    if not plots:
        raise WaveformError(f"{path}: raw file holds no plot")
    return plots


def _read_plot(blob: bytes, pos: int, path: Path) -> tuple[RawPlot, int]:
    header: dict[str, str] = {}
    variables: list[tuple[str, str]] = []
    while True:
        end = blob.find(b"\n", pos)
        if end < 0:
            raise WaveformError(f"{path}: truncated raw header")
        line = blob[pos:end].decode("latin-1").rstrip("\r")
        pos = end + 1
        key, _, value = line.partition(":")
        key = key.strip().lower()
        if key == "variables":
            nvars = int(header["no. variables"])
            for _ in range(nvars):
                end = blob.find(b"\n", pos)
                fields = blob[pos:end].decode("latin-1").split()
                pos = end + 1
                variables.append((fields[1], fields[2] if len(fields) > 2 else ""))
            continue
        if key in ("binary", "values"):
            break
        header[key] = value.strip()
    try:
        npoints = int(header["no. points"])
    except (KeyError, ValueError):
        raise WaveformError(f"{path}: raw header has no 'No. Points'") from None
    complex_data = "complex" in header.get("flags", "")
    nvars = len(variables)
    width = 2 if complex_data else 1
    if key == "binary":
        count = npoints * nvars * width
        nbytes = count * 8
        if pos + nbytes > len(blob):
            raise WaveformError(f"{path}: binary data truncated ({len(blob) - pos} of {nbytes} bytes)")
        values = np.frombuffer(blob, dtype="<f8", count=count, offset=pos).reshape(npoints, nvars * width)
        pos += nbytes
    else:
        values, pos = _read_ascii_values(blob, pos, npoints, nvars, complex_data, path)
    data = {}
    for index, (name, _) in enumerate(variables):
        if complex_data:
            data[name] = values[:, 2 * index] + 1j * values[:, 2 * index + 1]
        else:
            data[name] = values[:, index].copy()
    plot = RawPlot(title=header.get("title", ""), plotname=header.get("plotname", ""),
                   variables=tuple(variables), data=data)
    return plot, pos


def _read_ascii_values(blob: bytes, pos: int, npoints: int, nvars: int, complex_data: bool,
                       path: Path) -> tuple[np.ndarray, int]:
    width = 2 if complex_data else 1
    values = np.empty((npoints, nvars * width))
    tokens: list[str] = []
    needed = npoints * (nvars + 1)  # each point starts with its index
    while len(tokens) < needed:
        end = blob.find(b"\n", pos)
        if end < 0:
            end = len(blob)
        line = blob[pos:end].decode("latin-1")
        if not line.strip() and end == len(blob):
            break
        pos = end + 1
        tokens.extend(line.split())
    if len(tokens) < needed:
        raise WaveformError(f"{path}: ASCII data truncated")
    for point in range(npoints):
        row = tokens[point * (nvars + 1) + 1:(point + 1) * (nvars + 1)]
        for index, token in enumerate(row):
            if complex_data:
                real, imag = token.split(",")
                values[point, 2 * index], values[point, 2 * index + 1] = float(real), float(imag)
            else:
                values[point, index] = float(token)
    return values, pos
