"""The platform_types scenario: the scenario's platform types and their ACL annotations, read back from the kube-apiserver."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "shared"))
import servers  # noqa: E402  pylint: disable=wrong-import-position

LIFETIME = "scheduling.azimuth.stackhpc.com/max-lifetime-hours"


def verify(settings, check):
    found = servers.platform_objects(servers.kube(), servers.selector(settings["platform_types_labels"]))
    wanted = {("ClusterTemplate", name) for name in settings["azimuth_capi_operator_cluster_templates"]}
    wanted |= {("AppTemplate", name) for name in settings["azimuth_capi_operator_app_templates"]}
    wanted |= {("ClusterType", name) for name in settings["azimuth_caas_cluster_templates"]}
    check.expect(set(found) == wanted, f"platform types {sorted(found)}, not {sorted(wanted)}")
    for (kind, name), item in found.items():
        annotations = item["metadata"].get("annotations") or {}
        check.expect(annotations.get(servers.ACL_PREFIX + "allow-regex") == settings["platforms_tenancy_allow_regex"],
                     f"{kind} {name}: allow-regex")
        deny = settings["azimuth_capi_operator_cluster_template_tenancy_deny_regex"] if kind == "ClusterTemplate" else ""
        check.expect(annotations.get(servers.ACL_PREFIX + "deny-regex") == deny, f"{kind} {name}: deny-regex")
        if kind != "AppTemplate":
            check.expect(annotations.get(LIFETIME) == str(settings["azimuth_max_platform_lifetime_hours"]), f"{kind} {name}: {LIFETIME}")


def clean(settings):
    return servers.delete_platform_objects(servers.kube(), settings["platform_types_labels"])


if __name__ == "__main__":
    sys.exit(servers.run(verify, clean))
