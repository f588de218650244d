"""How fast the rulebook azimuth.ops.caas answers the portal's Clusters, with the real ansible-rulebook against the sandbox.

For each count N (default 1, 10 and 50), N Cluster objects of the example appliance sandbox-project (checked out
from a local git repository) are created at once in a fresh tenancy, each with its own application credential as the
portal makes it, and the bench watches their status: the time from a Cluster's creation to its run's start (its
status first shows Creating, written just before the appliance starts) and to Ready with outputs. The rulebook runs
with --max-concurrent-actions CONCURRENCY. A count that does not finish within its time limit is reported as far as it
got. Afterwards the rulebook is stopped, the finalizers are taken off and the tenancy is removed (no removal runs).

    eval "$(.venv/bin/python -m sandbox env)"
    ANSIBLE_HOME=$PWD/.build/ansible-home .venv/bin/python bench/eda_caas.py [--counts 1 10 50] [--concurrency 8]
"""

import argparse
import os
import resource
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from tests.integration.eda_support import (  # noqa: E402  # pylint: disable=wrong-import-position
    GROUP, VERSION, Rulebook, Tenancy, cluster, cluster_type, git_repository, rulebook_env)


def clients():
    import openstack  # pylint: disable=import-outside-toplevel
    from kubernetes import client, config  # pylint: disable=import-outside-toplevel
    api = config.new_client_from_config(config_file=os.environ["KUBECONFIG"])
    return openstack.connect(cloud="sandbox-admin"), client.CoreV1Api(api), client.CustomObjectsApi(api)


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def measure(count, concurrency, limit, admin, core, custom, work):
    name = "b-%s" % secrets.token_hex(3)
    tenancy = Tenancy(admin, core, name)
    runs = work / "runs"
    runs.mkdir(parents=True)
    ui_meta = work / "ui-meta.yml"
    ui_meta.write_text("name: sandbox-project\nlabel: Sandbox project\nparameters: []\n")
    body = cluster_type(name, git_repository(work / "appliance"), ui_meta.as_uri(), runs)
    made = custom.create_cluster_custom_object(GROUP, VERSION, "clustertypes", body)
    labels = {"bench.azimuth-cloud.io/run": name, "app.kubernetes.io/managed-by": "azimuth"}
    settings = {"label_selector": "bench.azimuth-cloud.io/run=" + name, "work_dir": str(work), "claims_dir": str(work / "claims")}
    rulebook = Rulebook(rulebook_env(dict(os.environ)), work, "azimuth.ops.caas", {"caas_eda": settings}, concurrency=concurrency)
    bodies = []
    for index in range(count):
        secret, _credential = tenancy.credential("c%d" % index)
        body = cluster("c%d" % index, name, secret, labels, {"greeting": "hello"})
        body["spec"]["clusterTypeVersion"] = made["metadata"]["resourceVersion"]
        bodies.append(body)
    started, ready = {}, {}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        rulebook.start()
        time.sleep(15)  # the engine's start (a JVM), so that it does not count
        created = time.monotonic()
        for body in bodies:
            custom.create_namespaced_custom_object(GROUP, VERSION, tenancy.namespace, "clusters", body)
        made_all = time.monotonic() - created
        while len(ready) < count and time.monotonic() - created < limit:
            now = time.monotonic() - created
            for obj in custom.list_namespaced_custom_object(GROUP, VERSION, tenancy.namespace, "clusters")["items"]:
                key, status = obj["metadata"]["name"], obj.get("status") or {}
                if status.get("phase") and key not in started:
                    started[key] = now
                if status.get("phase") == "Ready" and status.get("outputs") and key not in ready:
                    ready[key] = now
            time.sleep(0.5)
    finally:
        rulebook.stop()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the rulebook's processes, its playbooks and appliances
        for obj in custom.list_namespaced_custom_object(GROUP, VERSION, tenancy.namespace, "clusters")["items"]:
            custom.patch_namespaced_custom_object(GROUP, VERSION, tenancy.namespace, "clusters", obj["metadata"]["name"],
                                                  {"metadata": {"finalizers": None}})
        custom.delete_cluster_custom_object(GROUP, VERSION, "clustertypes", name)
        tenancy.remove()
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return dict(count=count, created_in=made_all, started=sorted(started.values()), ready=sorted(ready.values()), cpu=cpu)


def line(result):
    started, ready = result["started"], result["ready"]

    def figures(values):
        if not values:
            return "%24s" % "-"
        return "%7.1f %7.1f %7.1f" % (min(values), statistics.median(values), max(values))
    rate = "%.1f" % (len(ready) / max(ready) * 60) if ready else "-"
    return "%5d %9d %9d   %s   %s   %9s   %8.0f" % (result["count"], len(started), len(ready), figures(started), figures(ready), rate, result["cpu"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--counts", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--limit", type=int, default=900, help="seconds each count may take")
    args = parser.parse_args()
    admin, core, custom = clients()
    print("clusters created at once; rulebook --max-concurrent-actions %d; seconds from creation" % args.concurrency)
    columns = ("N", "started", "ready", "to start: min/med/max", "to Ready: min/med/max", "Ready/min", "CPU s")
    print("%5s %9s %9s   %-23s   %-23s   %9s   %8s" % columns)
    for count in args.counts:
        with tempfile.TemporaryDirectory(prefix="bench-eda-caas-") as work:
            result = measure(count, args.concurrency, args.limit, admin, core, custom, Path(work))
        print(line(result), flush=True)


if __name__ == "__main__":
    main()
