"""The tenancies scenario: each tenancy's namespace, with its labels, read back from the kube-apiserver."""

import sys
from pathlib import Path

from kubernetes import client

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "shared"))
import servers  # noqa: E402  pylint: disable=wrong-import-position


def verify(settings, check):
    core = client.CoreV1Api(servers.kube())
    for tenancy in settings["tenancies_list"]:
        name = servers.namespace_name(tenancy["name"])
        found = core.list_namespace(field_selector=f"metadata.name={name}").items
        check.expect(len(found) == 1, f"namespace {name} missing")
        labels = (found[0].metadata.labels or {}) if found else {}
        check.expect(labels.get("tenant.azimuth-cloud.io/id") == tenancy["id"], f"{name}: tenancy ID label")
        check.expect(labels.get("app.kubernetes.io/managed-by") == "azimuth-ops", f"{name}: managed-by label")
        check.expect(labels.get("azimuth-ops.azimuth-cloud.io/portal") == settings["tenancies_portal"], f"{name}: portal label")


def clean(settings):
    return servers.delete_namespaces(servers.kube(), [servers.namespace_name(t["name"]) for t in settings["tenancies_list"]])


if __name__ == "__main__":
    sys.exit(servers.run(verify, clean))
