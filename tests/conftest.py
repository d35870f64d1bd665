"""Shared fixtures: the real sky130 technology and a real ngspice simulator."""

import os
from pathlib import Path

import pytest

from ebn_circuit.spice import Simulator
from ebn_circuit.sweep import SimSettings
from ebn_circuit.technology import get_technology

SHARED_REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference" / "cadence-sim1"

os.environ.setdefault("MPLBACKEND", "Agg")

# What `make test` (scripts/setup.sh) installs for the suite: missing, the suite stops at once
# with one line, instead of skipping the tests that need it and passing green.
NEEDED_MODULES = {"nbformat": "dev", "nbclient": "dev", "ipykernel": "dev", "spicelib": "dev",
                  "psf_parser": "dev", "dask": "dev", "distributed": "dev", "psutil": "dev", "numba": "fast"}
NEEDED_PROGRAMS = ("ngspice", "xschem", "openssl")


def pytest_sessionstart(session):
    import importlib.util
    import shutil

    missing = [f"{name} (extra [{extra}])" for name, extra in NEEDED_MODULES.items()
               if importlib.util.find_spec(name) is None]
    missing += [f"{program} (apt)" for program in NEEDED_PROGRAMS if shutil.which(program) is None]
    if missing:
        pytest.exit(f"the test suite needs {', '.join(missing)}: run `make test`, which installs them "
                    "(scripts/setup.sh)", returncode=2)


@pytest.fixture(scope="session", autouse=True)
def private_simulation_cache(tmp_path_factory):
    """No test reads or fills the user's simulation cache; workers forked later inherit this."""
    os.environ["EBN_CIRCUIT_CACHE"] = str(tmp_path_factory.mktemp("user_simcache"))


@pytest.fixture(scope="session")
def sky130_tt():
    return get_technology("sky130", corner="tt")


@pytest.fixture(scope="session")
def simulator(tmp_path_factory):
    """A shared-library simulator with a private cache (tests never read a user's cache)."""
    with Simulator(backend="shared", cache_dir=tmp_path_factory.mktemp("simcache")) as sim:
        yield sim


@pytest.fixture(scope="session")
def sim_settings(simulator):
    """The settings of jobs run by the engine in tests: the same private cache as ``simulator``."""
    return SimSettings(cache_dir=str(simulator.cache.root))


@pytest.fixture(scope="session")
def batch_simulator(tmp_path_factory):
    with Simulator(backend="batch", cache_dir=tmp_path_factory.mktemp("simcache_batch")) as sim:
        yield sim


@pytest.fixture
def reference_dir():
    if not SHARED_REFERENCE.is_dir():
        pytest.skip(f"reference waveforms not available: {SHARED_REFERENCE} is absent (needs ../shared beside the repo)")
    return SHARED_REFERENCE
