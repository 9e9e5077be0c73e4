#!/usr/bin/env bash
# The forecasting benchmark's peer: statsforecast (PyPI) in its own virtual
# environment, target/peer-venv. Idempotent: an existing venv that already
# imports statsforecast is left as it is. benches/forecast.rs runs
# scripts/forecast_peer.py with this venv's python.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/peer-venv
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import statsforecast' >/dev/null 2>&1; then
    "$venv/bin/python" -c 'import statsforecast; print("statsforecast", statsforecast.__version__, "already in", "'"$venv"'")'
    exit 0
fi
if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
    echo "installing python3-venv"
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
    else
        echo "python3 -m venv is not available and we are not root: install python3-venv" >&2
        exit 1
    fi
fi
mkdir -p target
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --upgrade pip
"$venv/bin/pip" install --quiet 'statsforecast>=2,<3'
"$venv/bin/python" -c 'import statsforecast; print("statsforecast", statsforecast.__version__, "installed in", "'"$venv"'")'
