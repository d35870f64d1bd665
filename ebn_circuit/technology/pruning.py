"""Model-bin pruning: include only the model bins a netlist's devices can select.

sky130 defines each device as a subcircuit holding all its binned ``.model`` cards (180 for the
nfet_01v8, 108 for the pfet_01v8). ngspice copies every card into every instance, so a netlist
of ~150 transistors spends tens of seconds just expanding models before it simulates. A device
only ever uses the bin whose [lmin, lmax] × [wmin, wmax] holds its l and w, so a copy of the
model file that keeps just the bins covering the sizes in the netlist simulates identically
(same bin, same card) and loads in a fraction of the time. Pruned copies are written once per
(file content, size set) into a cache folder and reused.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import tempfile
from pathlib import Path

from ebn_circuit.technology.files import file_sha256

_BOUNDS = {key: re.compile(rf"\b{key}\s*=\s*([-+0-9.eE]+)") for key in ("lmin", "lmax", "wmin", "wmax")}
_TOLERANCE = 1e-12  # m: a size on a bin edge keeps both neighbours


def pruned_dir() -> Path:
    root = os.environ.get("EBN_CIRCUIT_PDK_CACHE") or Path(
        os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "ebn_circuit" / "pdk"
    return Path(root) / "pruned"


def device_sizes(netlist_body: str, device_names: tuple[str, ...], scale: float) -> frozenset[tuple[float, float]]:
    """The (w, l) pairs in metres of every instance of the named devices in a netlist body."""
    names = "|".join(re.escape(n) for n in device_names)
    pattern = re.compile(rf"^\s*[xXmM]\S*\s.*?\b(?:{names})\b(.*)$", re.MULTILINE)
    sizes = set()
    for match in pattern.finditer(netlist_body):
        params = match.group(1)
        w = re.search(r"\bw\s*=\s*([-+0-9.eE]+)", params)
        l = re.search(r"\bl\s*=\s*([-+0-9.eE]+)", params)
        nf = re.search(r"\bnf\s*=\s*([-+0-9.eE]+)", params)
        if w and l:
            fingers = float(nf.group(1)) if nf else 1.0
            sizes.add((round(float(w.group(1)) / fingers * scale, 15), round(float(l.group(1)) * scale, 15)))
    return frozenset(sizes)


def _keep(block: str, sizes) -> bool:
    bounds = {}
    for key, pattern in _BOUNDS.items():
        match = pattern.search(block)
        if match is None:
            return True  # not a binned card: keep it
        bounds[key] = float(match.group(1))
    return any(bounds["lmin"] - _TOLERANCE <= l <= bounds["lmax"] + _TOLERANCE and
               bounds["wmin"] - _TOLERANCE <= w <= bounds["wmax"] + _TOLERANCE for w, l in sizes)


def prune_text(text: str, sizes) -> tuple[str, int, int]:
    """The text with binned ``.model`` cards outside ``sizes`` removed; (text, kept, dropped)."""
    out, block, kept, dropped = [], None, 0, 0

    def flush():
        nonlocal block, kept, dropped
        if block is not None:
            joined = "".join(block)
            if _keep(joined, sizes):
                out.append(joined)
                kept += 1
            else:
                dropped += 1
            block = None

    for line in text.splitlines(keepends=True):
        stripped = line.lstrip()
        if stripped.lower().startswith(".model"):
            flush()
            block = [line]
        elif block is not None and (stripped.startswith(("+", "*")) or not stripped.strip()):
            block.append(line)
        else:
            flush()
            out.append(line)
    flush()
    return "".join(out), kept, dropped


def pruned_file(path: Path, sizes, out_dir: Path | None = None) -> Path:
    """A pruned copy of a model file (its ``.include``d files pruned too); the original path when
    nothing would be dropped. Remembered per (file version, sizes): pruning reads megabytes, and
    every netlist of a run (cache hits included) asks again."""
    path, out_dir = Path(path), out_dir or pruned_dir()
    try:
        stat = path.stat()
    except OSError:
        return _pruned_file(path, frozenset(sizes), out_dir)
    target = _pruned_memo(str(path), stat.st_mtime_ns, stat.st_size, frozenset(sizes), str(out_dir))
    if target != path and not target.is_file():   # the pruned copy was deleted: make it again
        _pruned_memo.cache_clear()
        target = _pruned_memo(str(path), stat.st_mtime_ns, stat.st_size, frozenset(sizes), str(out_dir))
    return target


@functools.lru_cache(maxsize=256)
def _pruned_memo(path: str, mtime_ns: int, size: int, sizes: frozenset, out_dir: str) -> Path:
    return _pruned_file(Path(path), sizes, Path(out_dir))


def _pruned_file(path: Path, sizes, out_dir: Path) -> Path:
    text = path.read_text(errors="replace")
    lines = []
    for line in text.splitlines(keepends=True):
        parts = line.strip().split(None, 1)
        if len(parts) == 2 and parts[0].lower() == ".include":
            target = (path.parent / parts[1].strip().strip("'\"")).resolve()
            if target.is_file():
                line = f'.include "{pruned_file(target, sizes, out_dir)}"\n'
        lines.append(line)
    pruned, kept, dropped = prune_text("".join(lines), sizes)
    if dropped == 0 and pruned == text:
        return path
    key = hashlib.sha256(f"{file_sha256(path)}|{sorted(sizes)}".encode()).hexdigest()[:16]
    target = out_dir / f"{path.stem}.{key}{path.suffix}"
    if not target.is_file():
        out_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=out_dir, suffix=".tmp")
        with os.fdopen(fd, "w") as handle:
            handle.write(f"* pruned by ebn_circuit from {path}: {kept} model cards kept, {dropped} dropped\n")
            handle.write(pruned)
        os.replace(tmp, target)
    return target
