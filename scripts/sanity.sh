#!/usr/bin/env bash
# ansible-test sanity, with no ignore file, on exactly what ships plus its tests.
# ansible-test needs the collection at a path ending in ansible_collections/azimuth/ops, outside
# any git checkout that ignores it, so the built tarball is installed into a temporary directory
# and tests/ is copied beside it.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.build/sanity-venv/bin:$PATH"

# ansible-test bootstraps pip in its venvs with a script it downloads from a host we cannot reach.
ansible_test_dir=$(python -c 'import ansible_test, os; print(os.path.dirname(ansible_test.__file__))')
pip_version=$(grep -m1 -o "pip='[0-9.]*'" "$ansible_test_dir/_internal/python_requirements.py" | tr -dc '0-9.')
cache=~/.ansible/test/cache/get_pip_${pip_version//./_}.py
[ -f "$cache" ] || install -D -m 0644 scripts/get_pip_offline.py "$cache"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ansible-galaxy collection build --force --output-path "$work/dist" >/dev/null
ANSIBLE_COLLECTIONS_PATH="$work" ansible-galaxy collection install -p "$work" "$work"/dist/azimuth-ops-*.tar.gz >/dev/null
target=$work/ansible_collections/azimuth/ops
mkdir -p "$target/tests"
cp -r tests/unit tests/integration "$target/tests/"
find "$target" -name __pycache__ -prune -exec rm -rf {} +
cd "$target"
ansible-test sanity --local --python 3.11 --color no "$@"
