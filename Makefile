# Two commands do everything on a fresh Debian machine (as root): `make run` and `make test`.
PY := .venv/bin/python
SETUP := scripts/setup.sh

.PHONY: setup run test test-slow bench netlists clean

setup:
	@bash $(SETUP)

run: setup
	.venv/bin/ebn-circuit run --out results

test: setup
	.venv/bin/pytest -q

test-slow: setup
	.venv/bin/pytest -q -m slow

# Brian2 (the network benchmark's reference) needs numpy < 2.4: its own venv, never the project's
BRIAN2_VENV := benchmarks/.venv-brian2

$(BRIAN2_VENV)/.installed:
	python3 -m venv $(BRIAN2_VENV)
	$(BRIAN2_VENV)/bin/pip install -q "brian2>=2.9,<2.10" "numpy<2.4" cython
	touch $@

bench: setup $(BRIAN2_VENV)/.installed
	@for script in benchmarks/bench_*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

netlists: setup
	.venv/bin/ebn-circuit netlists --out netlists

clean:
	rm -rf results .pytest_cache
