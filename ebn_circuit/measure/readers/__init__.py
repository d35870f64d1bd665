"""Waveform files of any simulator as one frame (see ``frame.py``): ngspice, LTspice and Xyce raw
files, Xyce ``.prn``/``.csv``, Spectre PSF ASCII and Cadence viewer CSV.

    frame = read_waveforms("rc.raw")          # the format is recognised from the content
    frame["time"], frame["v(out)"], frame.attrs["units"]["v(out)"]
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ebn_circuit.errors import WaveformError
from ebn_circuit.measure.readers.frame import waveform_frame
from ebn_circuit.measure.readers.psf import read_psf_ascii
from ebn_circuit.measure.readers.raw import read_raw_frame
from ebn_circuit.measure.readers.viewer_csv import (is_viewer_header, read_spectre_csv, read_viewer_csv,
                                                    read_viewer_csv_dir)
from ebn_circuit.measure.readers.xyce import read_xyce

READERS = {
    "raw": read_raw_frame,            # ngspice, LTspice, Xyce; binary or ASCII
    "xyce-prn": read_xyce,
    "xyce-csv": read_xyce,
    "psf-ascii": read_psf_ascii,
    "spectre-csv": read_spectre_csv,  # Cadence viewer X/Y pairs
}
_RAW_KEYS = ("title:", "plotname:", "date:")


def detect_format(path: str | Path) -> str:
    """The format of a waveform file, from its first bytes (and its suffix when they are plain
    text columns)."""
    path = Path(path)
    if path.is_dir():
        raise WaveformError(f"{path}: is a folder; give one waveform file (for a Spectre raw folder, "
                            "the analysis file inside it, e.g. tran.tran)")
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError as exc:
        raise WaveformError(f"{path}: cannot read waveform file: {exc.strerror}") from None
    if not head.strip():
        raise WaveformError(f"{path}: empty file")
    text = head.decode("utf-16-le", "replace") if head[1:2] == b"\x00" or head[:2] == b"\xff\xfe" \
        else head.decode("latin-1")
    first = text.lstrip("\ufeff").lstrip().splitlines()[0] if text.strip() else ""
    lowered = first.lower()
    if lowered.startswith(_RAW_KEYS):
        return "raw"
    if first.strip() == "HEADER":
        return "psf-ascii"
    if is_viewer_header(first):
        return "spectre-csv"
    if lowered.split()[:1] == ["index"]:
        return "xyce-prn"
    if path.suffix.lower() == ".csv" or "," in first:
        return "xyce-csv"
    if path.suffix.lower() == ".prn":
        return "xyce-prn"
    raise WaveformError(f"{path}: unknown waveform format (first line {first[:40]!r}); "
                        f"give format= one of {', '.join(READERS)}")


def read_waveforms(path: str | Path, format: str | None = None, **options) -> pd.DataFrame:
    """Any supported waveform file as the common frame. ``options`` go to the format's reader
    (``plot=`` for a raw file with several plots)."""
    fmt = format or detect_format(path)
    if fmt not in READERS:
        raise WaveformError(f"{path}: unknown format {fmt!r}; known: {', '.join(READERS)}")
    return READERS[fmt](path, **options)


__all__ = ["READERS", "detect_format", "read_psf_ascii", "read_raw_frame", "read_spectre_csv", "read_viewer_csv",
           "read_viewer_csv_dir", "read_waveforms", "read_xyce", "waveform_frame"]
