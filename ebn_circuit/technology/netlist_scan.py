"""An allow-list scan of SPICE text before ngspice reads it: netlists from users' files, the model
files a technology includes, and every netlist the simulator runs.

ngspice executes more than `.control` blocks: a control line hides behind `*#` (a "comment"),
`.controlxyz` opens a block (ngspice matches prefixes), aliases, backquotes and `sh\\ell` expand
inside a block, and an included file can open a block that its parent continues. So nothing is
refused by name; everything not known to be harmless is refused:

- dot cards: only the cards in DOT_CARDS (and the `.inc*`, `.lib`, `.control`, `.endc` prefixes,
  matched as ngspice matches them);
- inside `.control` (and on `*#` lines): only the commands in CONTROL_COMMANDS, written with
  CONTROL_CHARS (no quotes, `$`, backquote, backslash, redirection, braces or `~`); `set` only
  for SAFE_VARIABLES; a block must end in the file that opens it;
- every included file is scanned the same way, whatever its size or quoting; an include that
  cannot be found, or that is not a regular file, is refused (ngspice would search elsewhere);
- outside comments, no control characters (they split lines differently for the two backends).

With ``allow_commands`` (the user trusts the file) nothing is checked.
"""

from __future__ import annotations

import functools
import os
import re
import stat
from pathlib import Path

from ebn_circuit.errors import UnsafeNetlistError

DOT_CARDS = frozenset({
    ".title", ".end", ".endl", ".param", ".func", ".csparam", ".model", ".subckt", ".ends", ".global",
    ".ic", ".nodeset", ".option", ".options", ".opt", ".temp", ".save", ".print", ".plot", ".four",
    ".fourier", ".meas", ".measure", ".probe", ".width", ".op", ".tran", ".dc", ".ac", ".noise", ".pz",
    ".tf", ".sens", ".disto", ".sp", ".pss", ".if", ".elseif", ".else", ".endif",
    ".lib",   # only as `.lib NAME`, a section of a library file; `.lib FILE NAME` is an include
})
# Analyses, printing, vector arithmetic and flow control: nothing that runs a program, loads code,
# reads a script, defines an alias or writes a file.
CONTROL_COMMANDS = frozenset({
    "op", "tran", "dc", "ac", "noise", "pz", "tf", "sens", "disto", "sp", "pss", "run", "resume", "reset",
    "stop", "print", "echo", "let", "unlet", "meas", "measure", "display", "show", "showmod", "alter",
    "altermod", "destroy", "setplot", "setscale", "linearize", "fourier", "spec", "rusage", "version",
    "status", "listing", "if", "else", "end", "while", "repeat", "dowhile", "foreach", "break", "continue",
    "label", "goto", "save", "option", "options", "set", "unset", "remcirc", "quit", "exit",
})
SAFE_VARIABLES = frozenset({
    "num_threads", "ngbehavior", "noaskquit", "nomoremode", "filetype", "width", "height", "numdgt",
    "units", "nobreak", "noprintscale", "nopage", "brief", "nonomod", "nobjthack",
})
CONTROL_CHARS = re.compile(r"[a-z0-9_ \t.,()=+\-*/:\[\]@%^]*")
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f\u0085\u2028\u2029]")
_FORBIDDEN_PLACES = ("/proc/", "/sys/", "/dev/")
ALLOW_HINT = "pass --allow-commands if you trust the file"


def check_text(text: str, origin: str, base_dir: Path | None = None, allow_commands: bool = False,
               title: bool = False) -> None:
    """Raise UnsafeNetlistError when ``text`` (or a file it includes) holds anything outside the
    allow-list. origin: names the text in messages (a path); base_dir: where its relative
    includes live (None: relative includes are refused); title: the first line is a title."""
    if allow_commands:
        return
    _walk(scan_lines(text.split("\n"), origin, base_dir, title))


def check_file(path: str | Path) -> None:
    """Scan a file and everything it includes (model files; memoised per file version)."""
    path = Path(path).resolve()
    _walk(iter([(str(path), 0, path)]))


def parse_include(line: str) -> tuple[str, str, str] | None:
    """(keyword, file name, the rest of the line) of an include card, as ngspice reads it; None for
    any other line."""
    rest = _include_argument(line.strip())
    if rest is None:
        return None
    name, rest = _include_path(rest), rest.strip()
    tail = rest[len(name) + 2:] if rest[:1] in ("'", '"') else rest[len(name):]
    return line.split(None, 1)[0], name, tail


def include_targets(text: str, base_dir: Path | None = None) -> list[Path]:
    """The files a netlist includes directly, resolved as the scan resolves them (missing ones left
    out): for cache keys."""
    found = []
    for raw in text.split("\n"):
        rest = _include_argument(raw.strip())
        path = _include_path(rest) if rest is not None else ""
        if path:
            target = Path(os.path.expanduser(path))
            if not target.is_absolute() and base_dir is not None:
                target = base_dir / target
            if target.is_absolute():
                found.append(target)
    return found


def _walk(includes) -> None:
    """Scan included files where they are included (ngspice reads them in place), so that the first
    refusal is the first unsafe line ngspice would read; a stack, not recursion, for deep chains."""
    stack, seen = [iter(includes)], set()
    while stack:
        item = next(stack[-1], None)
        if item is None:
            stack.pop()
            continue
        origin, number, target = item
        if target in seen:
            continue
        try:
            info = target.stat()
        except OSError as exc:
            raise UnsafeNetlistError(f"{origin}:{number}: cannot read the included file {target}: "
                                     f"{exc.strerror}") from None
        if not stat.S_ISREG(info.st_mode):
            raise UnsafeNetlistError(f"{origin}:{number}: included {target} is not a regular file")
        seen.add(target)
        stack.append(iter(_scan_file(str(target), info.st_mtime_ns, info.st_size)))


@functools.lru_cache(maxsize=512)
def _scan_file(path: str, mtime_ns: int, size: int) -> tuple:
    """The includes of one file, (origin, line, resolved path); raises when the file is unsafe."""
    try:
        with open(path, "rb") as handle:   # streamed: any size, any encoding
            lines = (raw.decode("latin-1").rstrip("\n") for raw in handle)
            return tuple(scan_lines(lines, path, Path(path).parent, title=False))
    except OSError as exc:
        raise UnsafeNetlistError(f"{path}: cannot read: {exc.strerror}") from None


def scan_lines(lines, origin: str, base_dir: Path | None, title: bool):
    """Check lines one by one; yields (origin, line number, resolved path) per include."""
    control_start = 0
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r").strip()
        lowered = line.lower()
        where = f"{origin}:{number}"
        is_title = number == 1 and title   # free text, but ngspice still follows an include on it
        if is_title and lowered.startswith("*ng_script"):
            raise UnsafeNetlistError(f"{where}: refused: '*ng_script' makes the file a control script; "
                                     f"{ALLOW_HINT}")
        if not line or (lowered.startswith("*") and not lowered.startswith("*#")):
            continue   # blank or comment
        if _CONTROL_CHARACTERS.search(line):
            raise UnsafeNetlistError(f"{where}: refused: control character in {line[:60]!r}; "
                                     "remove it (ngspice and Python split such lines differently)")
        if control_start:
            if lowered.startswith(".endc"):
                control_start = 0
            elif not lowered.startswith("#"):
                check_control_command(lowered, where)
            continue
        if lowered.startswith("*#"):
            check_control_command(lowered[2:].strip(), where, note=" ('*#' lines are control commands)")
        elif lowered.startswith(".control"):
            control_start = number
        elif lowered.startswith(".endc"):
            raise UnsafeNetlistError(f"{where}: refused: .endc without .control")
        elif (rest := _include_argument(line)) is not None:
            yield origin, number, _resolve_include(_include_path(rest), where, base_dir)
        elif lowered.startswith("."):
            keyword = re.split(r"[\s=(]", lowered, maxsplit=1)[0]
            if keyword not in DOT_CARDS and not is_title:
                raise UnsafeNetlistError(f"{where}: refused unknown dot card {keyword!r}: only known SPICE "
                                         f"cards are allowed in an imported netlist ({ALLOW_HINT})")
    if control_start:
        raise UnsafeNetlistError(f"{origin}:{control_start}: refused: the .control block is not closed "
                                 "by .endc in the same file")


def check_control_command(lowered: str, where: str, note: str = "") -> None:
    """One line of a `.control` block (lower case): an allow-listed command in plain characters."""
    command = lowered.split(None, 1)[0] if lowered.split() else ""
    if command not in CONTROL_COMMANDS:
        raise UnsafeNetlistError(f"{where}: refused control command {lowered[:60]!r}{note}: only analysis, "
                                 f"print and vector commands may run from an imported netlist ({ALLOW_HINT})")
    if CONTROL_CHARS.fullmatch(lowered) is None:
        bad = sorted({c for c in lowered if CONTROL_CHARS.fullmatch(c) is None})
        raise UnsafeNetlistError(f"{where}: refused {lowered[:60]!r}: characters {''.join(bad)!r} can expand "
                                 f"to other commands or redirect output ({ALLOW_HINT})")
    if command in ("set", "unset"):
        names = re.sub(r"=\s*[^\s=]+", " ", lowered.split(None, 1)[1] if " " in lowered else "").split()
        unsafe = [n for n in names if n not in SAFE_VARIABLES]
        if unsafe or "(" in lowered:
            raise UnsafeNetlistError(f"{where}: refused {lowered[:60]!r}: only the variables "
                                     f"{', '.join(sorted(SAFE_VARIABLES))} may be set ({ALLOW_HINT})")


def _include_argument(line: str) -> str | None:
    """The text after the keyword when the line includes a file, as ngspice reads it: any card that
    starts with `.inc`, or `.lib` with a file argument (`.lib NAME` alone opens a library section)."""
    parts = line.split(None, 1)
    keyword = parts[0].lower() if parts else ""
    if keyword.startswith(".inc"):
        return parts[1] if len(parts) == 2 else ""
    if keyword.startswith(".lib") and len(parts) == 2 and len(_split_words(parts[1])) >= 2:
        return parts[1]
    return None


def _split_words(text: str) -> list[str]:
    return re.findall(r"\"[^\"]*\"|'[^']*'|\S+", text)


def _include_path(rest: str) -> str:
    """The file name of an include: quoted (spaces allowed) or up to the first blank."""
    rest = rest.strip()
    if rest[:1] in ("'", '"'):
        end = rest.find(rest[0], 1)
        return rest[1:end] if end > 0 else ""
    return rest.split()[0] if rest else ""


def _resolve_include(name: str, where: str, base_dir: Path | None) -> Path:
    if not name:
        raise UnsafeNetlistError(f"{where}: refused: include without a (terminated) file name")
    if any(c in name for c in "$`") or _CONTROL_CHARACTERS.search(name):
        raise UnsafeNetlistError(f"{where}: refused include {name!r}: '$', '`' and control characters "
                                 "are not allowed in file names")
    target = Path(os.path.expanduser(name))
    if not target.is_absolute():
        if base_dir is None:
            raise UnsafeNetlistError(f"{where}: refused relative include {name!r}: its folder is unknown; "
                                     "use an absolute path")
        target = base_dir / target
    target = target.resolve()
    if str(target).startswith(_FORBIDDEN_PLACES) or not target.is_file():
        raise UnsafeNetlistError(f"{where}: refused include {name!r}: {target} is not an existing regular "
                                 "file (ngspice would search other folders for it)")
    return target
