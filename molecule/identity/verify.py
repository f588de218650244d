"""The identity scenario: the tenancies' realms and the users realm's groups, read back from Keycloak, and each
realm's identity-provider Secret from the kube-apiserver."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "shared"))
import servers  # noqa: E402  pylint: disable=wrong-import-position
from kubernetes import client  # noqa: E402  pylint: disable=wrong-import-position,wrong-import-order


def verify(settings, check):
    admin = servers.keycloak()
    realms = {realm["realm"]: realm for realm in admin.get_realms()}
    for tenancy in settings["identity_tenancies"]:
        name = servers.namespace_name(tenancy["name"])
        check.expect(name in realms, f"realm {name} missing")
        if name in realms:
            portal = (realms[name].get("attributes") or {}).get("azimuth-ops.portal")
            check.expect(portal == settings["identity_portal"], f"realm {name}: portal attribute {portal!r}")
            secrets = client.CoreV1Api(servers.kube()).list_namespaced_secret(name, field_selector="metadata.name=azimuth-idp-client")
            check.expect(len(secrets.items) == 1, f"{name}: no Secret azimuth-idp-client")
    users_realm = settings["identity_users_realm"]
    check.expect(users_realm in realms, f"users realm {users_realm} missing")
    if users_realm in realms:
        admin.change_current_realm(users_realm)
        groups = {group["path"] for group in admin.get_groups()}
        admin.change_current_realm("master")
        for tenancy in settings["identity_tenancies"]:
            check.expect(tenancy["oidc_group"] in groups, f"{users_realm}: group {tenancy['oidc_group']} missing")


def clean(settings):
    names = [servers.namespace_name(t["name"]) for t in settings["identity_tenancies"]] + [settings["identity_users_realm"]]
    return servers.delete_realms(servers.keycloak(), names) + servers.delete_namespaces(servers.kube(), names[:-1])


if __name__ == "__main__":
    sys.exit(servers.run(verify, clean))
