#!/usr/bin/env bash
# The benchmark suite (bench/suite.py), in one command: bash bench/run.sh [suite options]
# Makes bench/.venv-stock (the stock ansible package, bench/requirements-stock.txt) when missing or
# out of date, brings the sandbox up, and runs the suite with the collection's own venv.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
venv=bench/.venv-stock
if ! cmp -s bench/requirements-stock.txt "$venv/.stamp" 2>/dev/null; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet -r bench/requirements-stock.txt
    cp bench/requirements-stock.txt "$venv/.stamp"
fi
.venv/bin/python -m sandbox up
exec .venv/bin/python bench/suite.py "$@"
