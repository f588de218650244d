#!/usr/bin/env bash
# The main job: set up, bring the local sandbox up, and run the provisioning playbook against it
# with the example configuration (examples/sandbox.yml).  Extra arguments go to ansible-playbook.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/python -m sandbox up
eval "$(.venv/bin/python -m sandbox env)"
export PATH="$PWD/.venv/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$PWD/.build/collections"
export ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_INVENTORY_UNPARSED_WARNING=false
ansible-playbook playbooks/provision.yml -e @examples/sandbox.yml "$@"
