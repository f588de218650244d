#!/usr/bin/env bash
# The collection's docs site, as the Ansible docs site builds it, into .build/docs/html: a page
# per module, filter, lookup and role (with its argument spec) from antsibull-docs, and the
# docs/ pages (as the collection's extra docs, docs/docsite/). Offline: no intersphinx; the labels
# of other documentation that the pages use land on scripts/docsite/external.rst, which links on.
# Fails on any warning of antsibull-docs' linter or of Sphinx, and when docs/docsite/ is not
# what docs/*.md gives (scripts/docsite_pages.py writes it).
set -euo pipefail
cd "$(dirname "$0")/.."
export ANSIBLE_COLLECTIONS_PATH="$PWD/.build/collections"
python scripts/docsite_pages.py --check
antsibull-docs lint-collection-docs --plugin-docs --validate-collection-refs all \
    --no-skip-rstcheck --check-extra-docs-refs .
out=.build/docs
rm -rf "$out" && mkdir -p "$out/rst" && chmod 700 "$out/rst"  # antsibull-docs wants it writable by its owner only
antsibull-docs --config-file scripts/docsite/antsibull-docs.cfg collection --use-current --squash-hierarchy \
    --dest-dir "$out/rst" azimuth.ops 2>&1 | tee "$out/antsibull-docs.log"
if grep -E 'WARNING|ERROR' "$out/antsibull-docs.log"; then
    echo "antsibull-docs reported the lines above" >&2
    exit 1
fi
cp scripts/docsite/external.rst "$out/rst/"
sphinx-build -q -b html -c scripts/docsite -W --keep-going "$out/rst" "$out/html"
echo "docs site: $out/html/index.html"
