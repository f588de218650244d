"""Requests a no-op run of azimuth.ops.tenancy sends to the Kubernetes API, for 10 and 200 tenancies.

Run: .venv/bin/python bench/tenancy_requests.py [--sizes 10 200]

It starts a private Kubernetes emulator (``sandbox.kube.private``), so its counts are exact and
nothing else is needed.  For each size it creates that many tenancies (half with a credential
Secret) with one real ansible-playbook run, then runs the same playbook again (the no-op run)
and reads the emulator's request counters (``/_sandbox/requests``) around it.
"""

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import conftest  # noqa: E402,F401  (links the checkout as ansible_collections.azimuth.ops)

from sandbox.kube.private import PrivateEmulator, writes  # noqa: E402


def tenancies(size, prefix):
    items = []
    for index in range(size):
        item = {"id": "%s-%04d" % (prefix, index), "name": "%s-%04d" % (prefix, index)}
        if index % 2:
            item["credential"] = {"auth_url": "http://127.0.0.1:5000/v3", "application_credential_id": "bench-%d" % index,
                                  "application_credential_secret": secrets.token_urlsafe(24)}
        items.append(item)
    return items


def run(env, workdir, items, state="present"):
    playbook = Path(workdir) / "bench.yml"
    playbook.write_text(yaml.safe_dump([{
        "hosts": "localhost", "connection": "local", "gather_facts": False,
        "tasks": [{"azimuth.ops.tenancy": {"tenancies": items, "state": state}, "register": "result"},
                  {"ansible.builtin.copy": {"content": "{{ result | to_json }}", "dest": str(Path(workdir) / "result.json"), "mode": "0600"}}],
    }]))
    environment = dict(os.environ, **env)
    environment.update(ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".build" / "collections"), ANSIBLE_LOCALHOST_WARNING="false",
                       ANSIBLE_INVENTORY_UNPARSED_WARNING="false")
    started = time.perf_counter()
    completed = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), str(playbook)], env=environment,
                               capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if completed.returncode:
        raise SystemExit("ansible-playbook failed:\n%s%s" % (completed.stdout, completed.stderr))
    return json.loads((Path(workdir) / "result.json").read_text()), elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 200])
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as workdir, PrivateEmulator(Path(workdir) / "kube") as cluster:
        env = {"KUBECONFIG": cluster.kubeconfig}
        for size in args.sizes:
            items = tenancies(size, "bench-%d" % size)
            created, create_seconds = run(env, workdir, items)
            assert created["totals"]["created"] == size, created["totals"]
            with cluster.measure() as served:
                result, noop_seconds = run(env, workdir, items)
            assert not result["changed"], result["totals"]
            rows.append((size, sum(served.values()), sum(writes(served).values()), served, create_seconds, noop_seconds))

    print("no-op run of azimuth.ops.tenancy (half the tenancies with a credential Secret)")
    print("%10s %9s %7s %12s %12s  %s" % ("tenancies", "requests", "writes", "create run s", "no-op run s", "by route"))
    for size, total, write_count, served, create_seconds, noop_seconds in rows:
        routes = ", ".join("%s: %d" % item for item in sorted(served.items()))
        print("%10d %9d %7d %12.1f %12.1f  %s" % (size, total, write_count, create_seconds, noop_seconds, routes))


if __name__ == "__main__":
    main()
