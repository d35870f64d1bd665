#!/usr/bin/env bash
# Idempotent set-up on a fresh Debian machine: ngspice + libngspice0, xschem (the tests netlist
# the schematic export with it), openssl (the TLS scheduler test makes its certificates with it; a
# minimal Debian image has none), python3-venv, a virtual environment with the package and its dev extras, and
# the sky130 device models. Safe to run again: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=()
command -v ngspice >/dev/null 2>&1 || apt_packages+=(ngspice)
compgen -G "/usr/lib/*/libngspice.so.0" >/dev/null || compgen -G "/usr/lib/libngspice.so.0" >/dev/null \
  || compgen -G "/usr/local/lib/libngspice.so.0" >/dev/null || apt_packages+=(libngspice0)
command -v xschem >/dev/null 2>&1 || apt_packages+=(xschem)
command -v openssl >/dev/null 2>&1 || apt_packages+=(openssl)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || apt_packages+=(python3-venv)
if [ ${#apt_packages[@]} -gt 0 ]; then
  cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y ${apt_packages[*]}"
  if [ "$(id -u)" -eq 0 ]; then
    echo "setup: installing ${apt_packages[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_packages[@]}" >/dev/null
  else
    echo "setup: missing ${apt_packages[*]}; as root run: $cmd" >&2
    exit 1
  fi
fi

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  python3 -m venv .venv
fi
# Reinstall only when the project definition changed.
stamp=.venv/.ebn_circuit_installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: installing ebn_circuit with dev and fast extras"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[dev,fast]"
  echo "$want" > "$stamp"
fi

.venv/bin/ebn-circuit pdk install sky130
