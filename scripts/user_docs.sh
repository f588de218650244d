#!/usr/bin/env bash
# What a new user reads first, tried: ansible-doc of every module, filter, lookup and role of the
# collection (fails on any warning or error it prints), then README's examples as written
# (scripts/readme_examples.py).
set -euo pipefail
cd "$(dirname "$0")/.."
export ANSIBLE_COLLECTIONS_PATH="$PWD/.build/collections"
out=.build/ansible-doc
rm -rf "$out" && mkdir -p "$out"
status=0
for type in module filter lookup role; do
    names=$(ansible-doc -t "$type" -l azimuth.ops --json | python -c 'import json, sys; print(" ".join(sorted(json.load(sys.stdin))))')
    for name in $names; do
        if ! ansible-doc -t "$type" "$name" > "$out/$type-$name.txt" 2> "$out/$type-$name.err" \
                || grep -E '\[(WARNING|ERROR|DEPRECATION WARNING)\]' "$out/$type-$name.txt" "$out/$type-$name.err"; then
            echo "ansible-doc -t $type $name: see $out/$type-$name.err"
            cat "$out/$type-$name.err"
            status=1
        fi
    done
    echo "ansible-doc -t $type: $(echo $names | wc -w) documented"
done
python scripts/readme_examples.py || status=1
exit $status
