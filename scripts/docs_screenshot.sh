#!/usr/bin/env bash
# A screenshot of a rendered page of the docs site (scripts/docs.sh builds it), taken with
# headless Chromium from Debian's packages, installed here when missing (not a test dependency).
#   bash scripts/docs_screenshot.sh [PAGE [PNG]]   default: tenancy_network_module docs/images/module-page.png
set -euo pipefail
cd "$(dirname "$0")/.."
page=${1:-tenancy_network_module}
png=${2:-docs/images/module-page.png}
[ -f ".build/docs/html/$page.html" ] || { echo "no .build/docs/html/$page.html: run bash scripts/docs.sh first" >&2; exit 1; }
if ! command -v chromium > /dev/null; then
    apt-get update -qq && apt-get install -y -qq chromium > /dev/null
fi
mkdir -p "$(dirname "$png")" .build/chromium
# --no-sandbox: Chromium refuses to run as root with its sandbox
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$PWD/.build/chromium" \
    --window-size=1200,900 --screenshot="$PWD/$png" "file://$PWD/.build/docs/html/$page.html" 2> /dev/null
echo "$png: $(stat -c %s "$png") bytes"
