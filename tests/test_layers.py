"""The layers of docs/architecture.md: data flows one way, a layer imports only from layers above
it; circuits/ is pure description (no simulator, no measurement)."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "ebn_circuit"
# top to bottom; the first four are the shared vocabulary every layer may use
LAYERS = ["errors", "params", "rule", "plotting", "tomlfile", "technology", "circuits", "spice", "sweep", "measure",
          "blocks", "behavioural", "extract", "chip", "network", "cosim", "experiments", "cli"]


def imports_of(path: Path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("ebn_circuit."):
            yield node.lineno, node.module.split(".")[1]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("ebn_circuit."):
                    yield node.lineno, alias.name.split(".")[1]


def test_no_import_runs_back_up_a_layer():
    upward, unknown = [], []
    for path in sorted(PACKAGE.rglob("*.py")):
        layer = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
        if layer in ("__init__", "__main__"):
            continue
        if layer not in LAYERS:
            unknown.append(str(path))
            continue
        for line, target in imports_of(path):
            if target in LAYERS and LAYERS.index(target) > LAYERS.index(layer):
                upward.append(f"{path.relative_to(PACKAGE)}:{line} ({layer} imports {target})")
    assert not unknown, f"modules outside the known layers: {unknown}"
    assert not upward, "imports that run back up a layer:\n" + "\n".join(upward)


def test_circuits_are_pure_description():
    """No simulator, no readout, no netlist library: a builder draws on a Schematic."""
    for path in sorted((PACKAGE / "circuits").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [node.module] if isinstance(node, ast.ImportFrom) else \
                [a.name for a in node.names] if isinstance(node, ast.Import) else []
            for name in filter(None, names):
                assert not name.startswith(("ebn_circuit.spice", "ebn_circuit.measure", "PySpice")), \
                    f"{path.name}:{node.lineno} imports {name}"


def test_benchmarks_import_what_exists():
    """Every name a benchmark script imports from the package exists (they run outside the suite)."""
    import importlib

    missing = []
    for path in sorted((PACKAGE.parent / "benchmarks").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("ebn_circuit"):
                module = importlib.import_module(node.module)
                for alias in node.names:
                    try:   # a name of the module, or one of its submodules
                        getattr(module, alias.name, None) or importlib.import_module(f"{node.module}.{alias.name}")
                    except ImportError:
                        missing.append(f"{path.name}: {node.module}.{alias.name}")
    assert not missing, missing
