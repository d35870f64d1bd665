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

bench: setup
	@for script in benchmarks/bench_*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

netlists: setup
	.venv/bin/ebn-circuit netlists --out netlists

clean:
	rm -rf results .pytest_cache
