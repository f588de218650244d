#!/usr/bin/env bash
# Answer the sandbox's Cluster objects (caas.azimuth.stackhpc.com, every namespace) with the rulebook
# azimuth.ops.caas, in the foreground until stopped (Ctrl-C or SIGTERM stop it cleanly).
# From the repository root, after `bash scripts/provision.sh`:
#   eval "$(.venv/bin/python -m sandbox env)"
#   bash examples/eda/caas-sandbox.sh
# Then make a ClusterType (gitUrl may be a local file:// repository, uiMetaUrl a file:// URL), a credential Secret
# and a Cluster as the portal would (docs/event-driven.md shows how) and watch its status become Ready.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${KUBECONFIG:?export the environment of the sandbox first: eval \"\$(.venv/bin/python -m sandbox env)\"}"
export ANSIBLE_COLLECTIONS_PATH="$PWD/.build/collections" PATH="$PWD/.venv/bin:$PATH"   # ansible-rulebook runs ansible-playbook
# the appliances run with the portal's credential of each Cluster, never one of the caller's
unset OS_CLOUD OS_AUTH_URL OS_USERNAME OS_PASSWORD OS_PROJECT_NAME OS_PROJECT_ID OS_APPLICATION_CREDENTIAL_ID \
  OS_APPLICATION_CREDENTIAL_SECRET OS_TOKEN
work="$PWD/.build/eda/caas"
mkdir -p "$work/runs"
cat > "$work/inventory.yml" <<'YAML'
all:
  hosts:
    localhost:
      ansible_connection: local
YAML
cat > "$work/vars.yml" <<YAML
caas_eda:
  # the operator's global extra variables (the lowest layer of every appliance run)
  global_extravars: {}
  work_dir: $work/runs          # checkouts and the runs' private directories
  claims_dir: $work/claims      # one claim per cluster: one run at a time each
  resync_seconds: 600
YAML
exec .venv/bin/ansible-rulebook -r azimuth.ops.caas -i "$work/inventory.yml" --vars "$work/vars.yml" \
  --max-concurrent-actions "${CAAS_EDA_CONCURRENCY:-8}"
