"""The azimuth scenario (the provisioning run): the tenancies' namespaces and the platform types with their ACLs,
read back from the kube-apiserver."""

import sys
from pathlib import Path

from kubernetes import client

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "shared"))
import servers  # noqa: E402  pylint: disable=wrong-import-position

PORTAL = "azimuth-ops.azimuth-cloud.io/portal"


def verify(settings, check):
    api = servers.kube()
    core = client.CoreV1Api(api)
    for tenancy in settings["azimuth_tenancies"]:
        name = servers.namespace_name(tenancy["name"])
        found = core.list_namespace(field_selector=f"metadata.name={name}").items
        labels = (found[0].metadata.labels or {}) if found else {}
        check.expect(labels.get("tenant.azimuth-cloud.io/id") == tenancy["id"], f"namespace {name}: missing or not the tenancy's")
        check.expect(labels.get(PORTAL) == settings["tenancies_portal"], f"namespace {name}: portal label")
    found = servers.platform_objects(api, servers.selector(settings["platform_types_labels"]))
    wanted = {("ClusterTemplate", name) for name in settings["azimuth_capi_operator_cluster_templates"]}
    wanted |= {("AppTemplate", name) for name in settings["azimuth_capi_operator_app_templates"]}
    check.expect(set(found) == wanted, f"platform types {sorted(found)}, not {sorted(wanted)}")
    acl = {("ClusterTemplate", "allow-regex"): settings["azimuth_capi_operator_cluster_template_tenancy_allow_regex"],
           ("AppTemplate", "deny-regex"): settings["azimuth_capi_operator_app_templates_mol_azimuth_notebooks_tenancy_deny_regex"]}
    for (kind, name), item in found.items():
        annotations = item["metadata"].get("annotations") or {}
        for (acl_kind, key), value in acl.items():
            if kind == acl_kind:
                check.expect(annotations.get(servers.ACL_PREFIX + key) == value, f"{kind} {name}: {key}")


def clean(settings):
    api = servers.kube()
    return (servers.delete_platform_objects(api, settings["platform_types_labels"])
            + servers.delete_namespaces(api, [servers.namespace_name(t["name"]) for t in settings["azimuth_tenancies"]]))


if __name__ == "__main__":
    sys.exit(servers.run(verify, clean))
