#!/usr/bin/env bash
# Answer the sandbox's Realm and Platform objects (identity.azimuth.stackhpc.com, every namespace) with the
# rulebook azimuth.ops.identity, in the foreground until stopped (Ctrl-C or SIGTERM stop it cleanly).
# From the repository root, after `bash scripts/provision.sh`:
#   eval "$(.venv/bin/python -m sandbox env)"
#   bash examples/eda/identity-sandbox.sh
# Then make a tenancy's namespace and its Realm as the portal would (docs/event-driven.md shows how) and
# watch its status become Ready.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${KUBECONFIG:?export the environment of the sandbox first: eval \"\$(.venv/bin/python -m sandbox env)\"}"
: "${KEYCLOAK_URL:?export the environment of the sandbox first: eval \"\$(.venv/bin/python -m sandbox env)\"}"
export ANSIBLE_COLLECTIONS_PATH="$PWD/.build/collections" PATH="$PWD/.venv/bin:$PATH"   # ansible-rulebook runs ansible-playbook
work=.build/eda/identity
mkdir -p "$work"
cat > "$work/inventory.yml" <<'YAML'
all:
  hosts:
    localhost:
      ansible_connection: local
YAML
cat > "$work/vars.yml" <<'YAML'
identity_eda:
  # the tenancies' Dex (in Azimuth: the portal's auth proxy); {tenancy_id} stands for each tenancy's ID
  azimuth_idp:
    issuer: https://portal.example.org/authproxy/{tenancy_id}
    client_id: keycloak-oidc
  ssl_required: none          # the sandbox's Keycloak speaks plain HTTP
  zenith_namespace: zenith-services
  resync_seconds: 600
YAML
exec .venv/bin/ansible-rulebook -r azimuth.ops.identity -i "$work/inventory.yml" --vars "$work/vars.yml"
