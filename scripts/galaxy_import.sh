#!/usr/bin/env bash
# Galaxy's import check on the built tarball, as Galaxy runs it when a collection is uploaded:
# galaxy-importer (its own venv, .build/importer-venv: it needs an older attrs than the main
# venv) with scripts/galaxy-importer.cfg. Fails on an error and on any warning it logs.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.build/importer-venv
stamp=$venv/.azimuth-ops-deps
wanted=$(sha256sum < scripts/galaxy-importer-constraints.txt | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet -c scripts/galaxy-importer-constraints.txt galaxy-importer
    echo "$wanted" > "$stamp"
fi
out=.build/galaxy-import
rm -rf "$out" && mkdir -p "$out/tmp"
ansible-galaxy collection build --force --output-path "$out" > /dev/null
tarball=$(ls "$out"/azimuth-ops-*.tar.gz)
export GALAXY_IMPORTER_CONFIG="$PWD/scripts/galaxy-importer.cfg"
export GALAXY_IMPORTER_ANSIBLE_LOCAL_TMP="$PWD/$out/tmp" GALAXY_IMPORTER_TMP_ROOT_DIR="$PWD/$out/tmp"
# galaxy-importer runs ansible-doc and ansible-lint from its venv's PATH, and writes importer_result.json
# where it runs (so it runs in $out, not in the checkout).
(cd "$out" && PATH="$OLDPWD/$venv/bin:$PATH" "$OLDPWD/$venv/bin/python" -m galaxy_importer.main "$(basename "$tarball")") 2>&1 | tee "$out/import.log"
if grep -E '^(WARNING|ERROR)|WARNING:|ERROR:' "$out/import.log"; then
    echo "galaxy-importer reported the lines above" >&2
    exit 1
fi
