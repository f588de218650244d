#!/usr/bin/env bash
# ansible-test sanity, with no ignore file, on exactly what ships plus its tests.
# ansible-test needs the collection at a path ending in ansible_collections/azimuth/ops, outside
# any git checkout that ignores it, so the built tarball is installed into a temporary directory
# and tests/ is copied beside it.
set -euo pipefail
cd "$(dirname "$0")/.."

# ansible-test --local runs the sanity tools from its own Python; give it a venv with
# ansible-core and the tool versions ansible-test itself pins.
venv=.build/sanity-venv
ansible_core=$(grep -i '^ansible-core==' constraints.txt)
ansible_test_dir=$(.venv/bin/python -c 'import ansible_test, os; print(os.path.dirname(ansible_test.__file__))')
requirements=$ansible_test_dir/_data/requirements
if [ "$(cat "$venv/.stamp" 2>/dev/null)" != "$ansible_core" ]; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet "$ansible_core" $(printf -- '-r %s ' "$requirements"/sanity.*.txt)
    echo "$ansible_core" > "$venv/.stamp"
fi
export PATH="$PWD/$venv/bin:$PATH"

# ansible-test keeps its venvs and caches in ~/.ansible/test whatever ANSIBLE_HOME says, so it runs
# with a home of its own in .build (short: the venvs' shebangs must fit in 127 characters); pip in
# there still reads the user's configuration.
home=$PWD/.build/home
export XDG_CONFIG_HOME=${XDG_CONFIG_HOME:-$HOME/.config}

# ansible-test bootstraps pip in its venvs with a script it downloads from a host we cannot reach.
pip_version=$(grep -m1 -o "pip='[0-9.]*'" "$ansible_test_dir/_internal/python_requirements.py" | tr -dc '0-9.')
cache=$home/.ansible/test/cache/get_pip_${pip_version//./_}.py
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
HOME=$home ansible-test sanity --local --python 3.11 --color no "$@" 2>&1 | grep -v "^WARNING: Location 'file:"
