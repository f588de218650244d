"""Requests a no-op run of azimuth.ops.tenancy sends to the Kubernetes API, for 10 and 200 tenancies.

Run: .venv/bin/python bench/tenancy_requests.py [--sizes 10 200]
(needs the sandbox: .venv/bin/python -m sandbox up)

The module talks to the sandbox's kube-apiserver through a recording proxy of the bench's own
(``sandbox.proxies.kube``), so its counts are exact whatever else uses the server.  For each
size it creates that many tenancies (half with a credential Secret) with one real
ansible-playbook run, then runs the same playbook again (the no-op run) and reads the proxy's
counts around it; at the end it deletes the tenancies with ``state: absent``.
"""

import argparse
import json
import os
import secrets
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import conftest  # noqa: E402,F401  (links the checkout as ansible_collections.azimuth.ops)

from sandbox import proxies  # noqa: E402
from sandbox.proxy import writes  # noqa: E402


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


def sandbox_env():
    out = subprocess.run([sys.executable, "-m", "sandbox", "env"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return dict(shlex.split(line)[1].split("=", 1) for line in out.splitlines() if line.startswith("export "))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 200])
    args = parser.parse_args()
    rows = []
    prefix = "bench-" + secrets.token_hex(3)
    with tempfile.TemporaryDirectory() as workdir, proxies.kube(sandbox_env()["KUBECONFIG"], workdir) as cluster:
        env = {"KUBECONFIG": cluster.kubeconfig}
        for size in args.sizes:
            items = tenancies(size, "%s-%d" % (prefix, size))
            created, create_seconds = run(env, workdir, items)
            assert created["totals"]["created"] == size, created["totals"]
            with cluster.measure() as served:
                result, noop_seconds = run(env, workdir, items)
            assert not result["changed"], result["totals"]
            rows.append((size, sum(served.values()), sum(writes(served).values()), served, create_seconds, noop_seconds))
            run(env, workdir, items, state="absent")

    print("no-op run of azimuth.ops.tenancy (half the tenancies with a credential Secret)")
    print("%10s %9s %7s %12s %12s  %s" % ("tenancies", "requests", "writes", "create run s", "no-op run s", "by route"))
    for size, total, write_count, served, create_seconds, noop_seconds in rows:
        routes = ", ".join("%s: %d" % item for item in sorted(served.items()))
        print("%10d %9d %7d %12.1f %12.1f  %s" % (size, total, write_count, create_seconds, noop_seconds, routes))


if __name__ == "__main__":
    main()
