#!/usr/bin/env bash
# Create .venv with the pinned Python dependencies and link this checkout into a collections
# path (.build/collections/ansible_collections/azimuth/ops), so that Ansible and the tests find
# it as azimuth.ops.  Quick when nothing changed since the last run.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
stamp=.venv/.azimuth-ops-deps
wanted=$(cat constraints.txt requirements.txt requirements-dev.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -c constraints.txt -r requirements-dev.txt
    echo "$wanted" > "$stamp"
fi

mkdir -p .build/collections/ansible_collections/azimuth
ln -sfn ../../../.. .build/collections/ansible_collections/azimuth/ops
