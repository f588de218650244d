#!/usr/bin/env bash
# The whole test suite: every quality gate, each reported, the run failing if any gate fails.
#   unit        pytest tests/unit
#   changelog   antsibull-changelog lint
#   lint        ansible-lint, profile production
#   sanity      ansible-test sanity on the built collection, no ignore file
#   sandbox     python -m sandbox up (real Keystone + Neutron, kube-apiserver, Keycloak, tofu)
#   smoke       pytest tests/sandbox: each sandbox service through its official client
#   integration pytest tests/integration: real ansible-playbook runs, incl. the Galaxy tarball
#   molecule    molecule test --all: a scenario per role (molecule/) against the sandbox
#   docs        scripts/docs.sh: antsibull-docs lint-collection-docs --plugin-docs, the docs site
#               (.build/docs/html) with Sphinx, no warning allowed
#   galaxy      scripts/galaxy_import.sh: galaxy-importer on the built tarball, no warning allowed
#   ee          scripts/ee.sh: ansible-builder create (.build/ee), every requirement of the plugins in it
#   userdocs    scripts/user_docs.sh: ansible-doc of every plugin and role without a warning; the
#               README's examples run as written
#   footprint   scripts/footprint.py: nothing appeared or changed in the user's default Ansible
#               paths (~/.ansible, /etc/ansible, ...) since the first gate; always runs last
# Pass gate names to run only those, e.g. `bash scripts/test.sh unit lint`.
# The gates keep Ansible's state in the clone: ANSIBLE_HOME (Ansible's local temp dir, the Galaxy
# cache, the paths ansible-lint and molecule install into) and ANSIBLE_REMOTE_TEMP (the modules'
# temp dir on localhost) are in .build/ansible-home; ansible-test, which always uses ~/.ansible/test,
# runs with HOME=.build/home (scripts/sanity.sh); other caches are in .build/cache.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
export PATH="$PWD/.venv/bin:$PATH"
python scripts/footprint.py snapshot .build/footprint.json || exit 1
export ANSIBLE_HOME="$PWD/.build/ansible-home"
export ANSIBLE_REMOTE_TEMP="$ANSIBLE_HOME/tmp"  # always ~/.ansible/tmp otherwise; the targets are local
# Other caches (openstacksdk's entry points and pip's under ~/.cache, kubectl's ~/.kube/cache) go
# to .build/cache too; Go keeps its build cache, which the sandbox's builds share between clones.
export GOCACHE="${GOCACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/go-build}"
export XDG_CACHE_HOME="$PWD/.build/cache"
export KUBECACHEDIR="$XDG_CACHE_HOME/kube"
export ANSIBLE_COLLECTIONS_PATH="$PWD/.build/collections"
workers=${AZIMUTH_OPS_TEST_WORKERS:-4}

gate_unit() { python -m pytest tests/unit -q; }
gate_changelog() { antsibull-changelog lint; }
gate_lint() { ansible-lint --nocolor; }
gate_sanity() { bash scripts/sanity.sh; }
gate_sandbox() { python -m sandbox up; }
gate_smoke() { python -m pytest tests/sandbox -q -n "$workers"; }
gate_integration() { python -m pytest tests/integration -q -n "$workers" --durations 30; }
gate_molecule() { (eval "$(python -m sandbox env)" && NO_COLOR=1 ANSIBLE_NOCOLOR=1 molecule test --all); }
gate_docs() { bash scripts/docs.sh; }
gate_galaxy() { bash scripts/galaxy_import.sh; }
gate_ee() { bash scripts/ee.sh; }
gate_userdocs() { bash scripts/user_docs.sh; }
gate_footprint() { python scripts/footprint.py compare .build/footprint.json; }

[ $# -gt 0 ] || set -- unit changelog lint sanity sandbox smoke integration molecule docs galaxy ee userdocs
gates=()
for gate in "$@"; do
    [ "$gate" = footprint ] || gates+=("$gate")
done
gates+=(footprint)
passed=0
failed=()
for gate in "${gates[@]}"; do
    echo "=== $gate"
    started=$SECONDS
    if "gate_$gate"; then
        passed=$((passed + 1))
        echo "=== $gate passed in $((SECONDS - started))s"
    else
        failed+=("$gate")
        echo "=== $gate FAILED after $((SECONDS - started))s"
    fi
done
[ ${#failed[@]} -eq 0 ] || echo "failed gates: ${failed[*]}"
echo "gates: $passed passed, ${#failed[@]} failed"
[ ${#failed[@]} -eq 0 ]
