#!/usr/bin/env bash
# The execution environment's build context: ansible-builder create turns execution-environment.yml
# (with the collection's tarball) into .build/ee, and scripts/ee_check.py checks that it names
# every Python and system requirement the plugins need. Building the image needs a container
# engine: podman build -t azimuth-ops-ee .build/ee (docs/execution-environment.md).
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf .build/ee .build/ee-collection
mkdir -p .build/ee-collection
ansible-galaxy collection build --force --output-path .build/ee-collection > /dev/null
mv .build/ee-collection/azimuth-ops-*.tar.gz .build/ee-collection/azimuth-ops.tar.gz
ansible-builder create -f execution-environment.yml -c .build/ee --output-filename Containerfile
python scripts/ee_check.py .build/ee
