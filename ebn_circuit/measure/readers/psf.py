"""Spectre's PSF ASCII files (``spectre -format psfascii``: ``tran.tran``, ``ac.ac``, ``dcOp.dc``,
``noise.noise``) as the common frame.

The file has sections HEADER, TYPE (each type: FLOAT DOUBLE, COMPLEX DOUBLE, STRUCT(…) with a
``units`` property), SWEEP (the swept variable), TRACE (each trace's name and type; GROUPs of
traces) and VALUE (per sweep point: the sweep value, then one value per trace; complex values are
``(re im)``). An operating point has no SWEEP and one ``"name" "type" value`` line per quantity.
Struct-valued traces (noise contributions per device) are not waveforms and are left out; their
names are in ``attrs['dropped']``.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from ebn_circuit.errors import WaveformError
from ebn_circuit.measure.readers.frame import SWEEP_SPELLINGS, unique, waveform_frame

_SECTION = re.compile(r"^(HEADER|TYPE|SWEEP|TRACE|VALUE|END)\s*$", re.MULTILINE)
_TOKEN = re.compile(r'"((?:[^"\\]|\\.)*)"|([()*])|([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|nan|inf)|([A-Za-z_]\w*)')
_UNIT_OF_TYPE_NAME = {"V": "V", "I": "A"}
_KINDS = {"op": "op", "dcop": "op", "tran": "tran", "ac": "ac", "dc": "dc", "noise": "noise"}


def read_psf_ascii(path: str | Path) -> pd.DataFrame:
    path = Path(path)
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        raise WaveformError(f"{path}: cannot read PSF file: {exc.strerror}") from None
    sections = _sections(text, path)
    header = dict(_pairs(_tokens(sections.get("HEADER", ""), path), path))
    types = _types(_tokens(sections.get("TYPE", ""), path), path)
    if "VALUE" not in sections:
        raise WaveformError(f"{path}: PSF file has no VALUE section")
    if "END" not in sections:
        raise WaveformError(f"{path}: PSF file is truncated (no END line)")
    kind = _KINDS.get(str(header.get("analysis type", "")).lower(), "")
    if "SWEEP" in sections:
        return _swept(path, sections, types, kind)
    return _operating_point(path, sections["VALUE"], types, kind)


def _sections(text: str, path: Path) -> dict[str, str]:
    marks = list(_SECTION.finditer(text))
    if not marks or marks[0].group(1) != "HEADER":
        raise WaveformError(f"{path}: not a PSF ASCII file (it does not start with HEADER)")
    return {m.group(1): text[m.end():marks[k + 1].start() if k + 1 < len(marks) else len(text)]
            for k, m in enumerate(marks)}


def _tokens(text: str, path: Path) -> list:
    tokens, pos = [], 0
    for match in _TOKEN.finditer(text):
        if text[pos:match.start()].strip():
            raise WaveformError(f"{path}: unexpected text {text[pos:match.start()].strip()[:30]!r}")
        string, punct, number, word = match.groups()
        tokens.append(("s", string) if string is not None else ("p", punct) if punct else
                      ("n", float(number)) if number is not None else ("w", word.upper()))
        pos = match.end()
    return tokens


def _pairs(tokens: list, path: Path):
    for k in range(0, len(tokens) - 1, 2):
        yield tokens[k][1], tokens[k + 1][1]


def _skip_group(tokens: list, k: int) -> int:
    """Index after the parenthesised group that starts at tokens[k] ('(')."""
    depth = 0
    while k < len(tokens):
        depth += (tokens[k] == ("p", "(")) - (tokens[k] == ("p", ")"))
        k += 1
        if depth == 0:
            return k
    return k


def _types(tokens: list, path: Path) -> dict[str, tuple[str, str]]:
    """type name → (complex|float|struct|other, units)."""
    types, k = {}, 0
    while k < len(tokens):
        if tokens[k][0] != "s":
            raise WaveformError(f"{path}: bad TYPE section near {tokens[k][1]!r}")
        name, k = tokens[k][1], k + 1
        words = []
        while k < len(tokens) and tokens[k][0] == "w" and tokens[k][1] != "PROP":
            words.append(tokens[k][1])
            k += 1
            if words[-1] in ("STRUCT", "ARRAY") and k < len(tokens) and tokens[k] == ("p", "("):
                k = _skip_group(tokens, k)
        units = ""
        if k < len(tokens) and tokens[k] == ("w", "PROP"):
            end = _skip_group(tokens, k + 1)
            props = dict(_pairs(tokens[k + 2:end - 1], path))
            units, k = str(props.get("units", "")), end
        kind = "complex" if "COMPLEX" in words else "float" if "FLOAT" in words or "INT" in words else \
            "struct" if "STRUCT" in words else "other"
        types[name] = (kind, units)
    return types


def _groups(tokens: list) -> dict[str, list[str]]:
    """GROUP name → its member traces (``"name" GROUP n`` then n declarations)."""
    groups, k = {}, 0
    while k < len(tokens):
        if tokens[k][0] == "s" and k + 2 < len(tokens) and tokens[k + 1] == ("w", "GROUP"):
            size = int(tokens[k + 2][1])
            groups[tokens[k][1]] = [name for name, _ in _declarations(tokens[k + 3:])[:size]]
            k += 3
        else:
            k += 1
    return groups


def _declarations(tokens: list) -> list[tuple[str, str]]:
    """(name, type name) of each trace of a SWEEP or TRACE section; GROUPs give their members."""
    found, k = [], 0
    while k < len(tokens):
        if tokens[k][0] == "s" and k + 1 < len(tokens) and tokens[k + 1] == ("w", "GROUP"):
            k += 3   # "name" GROUP n: its members follow as ordinary declarations
        elif tokens[k][0] == "s" and k + 1 < len(tokens) and tokens[k + 1][0] == "s":
            found.append((tokens[k][1], tokens[k + 1][1]))
            k += 2
        elif tokens[k] == ("w", "PROP"):
            k = _skip_group(tokens, k + 1)
        else:
            k += 1
    return found


def _swept(path: Path, sections: dict, types: dict, kind: str) -> pd.DataFrame:
    sweeps = _declarations(_tokens(sections["SWEEP"], path))
    trace_tokens = _tokens(sections.get("TRACE", ""), path)
    traces = _declarations(trace_tokens)
    if not sweeps:
        raise WaveformError(f"{path}: SWEEP section names no variable")
    declared = [sweeps[0]] + traces
    kinds = {name: types.get(type_name, ("float", ""))[0] for name, type_name in declared}
    values: dict[str, list] = {name: [] for name, _ in declared}
    if ("w", "GROUP") in trace_tokens:
        _values_by_token(path, sections["VALUE"], values, kinds, _groups(trace_tokens))
    else:
        _values_by_line(path, sections["VALUE"], values, kinds)
    return _frame(path, sweeps[0][0], declared, values, types, kinds, kind)


_ENTRY = re.compile(r'"((?:[^"\\]|\\.)*)"\s+(\((?:[^()]|\([^()]*\))*\)|[^\s"()]+)')


def _values_by_line(path: Path, text: str, values: dict, kinds: dict) -> None:
    """The fast path: every entry is ``"name" number`` or ``"name" (…)``."""
    pos = 0
    for match in _ENTRY.finditer(text):
        if text[pos:match.start()].strip():
            raise WaveformError(f"{path}: unexpected text in the VALUE section: {text[pos:match.start()].strip()[:40]!r}")
        name, value = match.groups()
        if name not in values:
            raise WaveformError(f"{path}: VALUE section names {name!r}, which no SWEEP/TRACE declares")
        values[name].append(value)
        pos = match.end()
    if text[pos:].strip():
        raise WaveformError(f"{path}: unexpected text at the end of the VALUE section: {text[pos:].strip()[:40]!r}")
    for name, texts in values.items():
        try:
            if kinds[name] == "complex":
                pairs = [t.strip("()").split() for t in texts]
                values[name] = [complex(float(a), float(b)) for a, b in pairs]
            elif kinds[name] == "float":
                values[name] = list(np.array(texts, dtype=float))
        except ValueError:
            raise WaveformError(f"{path}: trace {name!r} holds a value that is not a number") from None


def _values_by_token(path: Path, text: str, values: dict, kinds: dict, groups: dict) -> None:
    """The general path (grouped traces): ``"group" v1 v2 …`` lists its members' values."""
    tokens, k = _tokens(text, path), 0
    while k < len(tokens):
        if tokens[k][0] != "s" or (tokens[k][1] not in values and tokens[k][1] not in groups):
            raise WaveformError(f"{path}: VALUE section names {tokens[k][1]!r}, which no SWEEP/TRACE declares")
        name, k = tokens[k][1], k + 1
        for member in groups.get(name, [name]):
            if k < len(tokens) and tokens[k] == ("p", "("):
                end = _skip_group(tokens, k)
                numbers = [t[1] for t in tokens[k + 1:end - 1] if t[0] == "n"]
                values[member].append(complex(*numbers) if kinds[member] == "complex" and len(numbers) == 2
                                      else None)
                k = end
            elif k < len(tokens) and tokens[k][0] == "n":
                values[member].append(tokens[k][1])
                k += 1
            else:
                raise WaveformError(f"{path}: no value for {member!r} in the VALUE section")


def _frame(path, sweep_name, declared, values, types, kinds, kind) -> pd.DataFrame:
    npoints = len(values[sweep_name])
    columns, units, names, dropped = {}, {}, {}, []
    for name, type_name in declared:
        if kinds[name] not in ("float", "complex"):
            dropped.append(name)
            continue
        data = values[name]
        if len(data) != npoints:
            raise WaveformError(f"{path}: trace {name!r} has {len(data)} values for {npoints} sweep points "
                                "(truncated file?)")
        column = unique(_column(name, type_name, name == sweep_name), columns)
        columns[column] = np.array(data, dtype=complex if kinds[name] == "complex" else float)
        units[column] = types.get(type_name, ("", ""))[1] or _UNIT_OF_TYPE_NAME.get(type_name.upper(), "")
        names[column] = name
    sweep = next(iter(columns))
    if sweep == "time":
        units[sweep] = units[sweep] or "s"
    if sweep == "frequency":
        units[sweep] = units[sweep] or "Hz"
    return waveform_frame(columns, units, sweep, path, "psf-ascii", kind=kind, names=names, dropped=dropped)


def _column(name: str, type_name: str, is_sweep: bool) -> str:
    lowered = name.lower()
    if is_sweep:
        return SWEEP_SPELLINGS.get(lowered, lowered)
    if type_name.upper() == "V":
        return f"v({lowered})"
    if type_name.upper() == "I":
        return f"i({lowered})"
    return lowered


def _operating_point(path: Path, text: str, types: dict, kind: str) -> pd.DataFrame:
    tokens, k = _tokens(text, path), 0
    declared, values, kinds = [], {}, {}
    while k < len(tokens):
        if tokens[k][0] == "s" and k + 2 < len(tokens) and tokens[k + 1][0] == "s":
            name, type_name = tokens[k][1], tokens[k + 1][1]
            k += 2
            if tokens[k][0] == "n":
                declared.append((name, type_name))
                values[name], kinds[name] = [tokens[k][1]], "float"
                k += 1
            elif tokens[k] == ("p", "("):
                end = _skip_group(tokens, k)
                numbers = [t[1] for t in tokens[k + 1:end - 1] if t[0] == "n"]
                if types.get(type_name, ("",))[0] == "complex" and len(numbers) == 2:
                    declared.append((name, type_name))
                    values[name], kinds[name] = [complex(*numbers)], "complex"
                k = end
        elif tokens[k] == ("w", "PROP"):
            k = _skip_group(tokens, k + 1)
        else:
            k += 1
    if not declared:
        raise WaveformError(f"{path}: PSF operating point holds no values")
    columns = {}
    units, names = {}, {}
    for name, type_name in declared:
        column = unique(_column(name, type_name, False), columns)
        columns[column] = np.array(values[name], dtype=complex if kinds[name] == "complex" else float)
        units[column] = types.get(type_name, ("", ""))[1] or _UNIT_OF_TYPE_NAME.get(type_name.upper(), "")
        names[column] = name
    return waveform_frame(columns, units, None, path, "psf-ascii", kind="op", names=names)
