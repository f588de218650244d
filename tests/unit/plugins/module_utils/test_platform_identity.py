"""Platform identity and the users realm: input checks and plans against hand-made exports."""

import base64
import json

import pytest

from ansible_collections.azimuth.ops.plugins.module_utils import _platform_identity as pi
from ansible_collections.azimuth.ops.plugins.module_utils import _users_realm as ur
from ansible_collections.azimuth.ops.plugins.module_utils._module import ModuleError

REALM = "az-physics"
ISSUER = "https://keycloak.example.org/realms/az-physics"
MANAGED = {"azimuth-ops.managed-by": ["azimuth-ops"]}


def params(**more):
    base = dict(realm=REALM, state="present", prune=False, discovery={"namespace": "zenith-services"})
    base.update(more)
    return base


def platform(name, *services):
    return {"name": name, "services": [{"name": s, "subdomain": "sub-" + s, "fqdn": s + ".apps.example.org"} for s in services]}


def export(*groups):
    return {"realm": REALM, "attributes": {"azimuth-ops.managed-by": "azimuth-ops", "azimuth-ops.tenancy-id": "t-1"},
            "groups": list(groups)}


def group(name, *subgroups, ours=True, **attributes):
    attrs = dict(MANAGED, **{"azimuth-ops.platform": [name]}) if ours else {}
    attrs.update(attributes)
    return {"id": "g-" + name, "name": name, "path": "/" + name, "attributes": attrs, "subGroups": list(subgroups)}


def sub(platform_name, name, ours=True):
    attrs = dict(MANAGED, **{"azimuth-ops.platform": [platform_name], "azimuth-ops.service": [name]}) if ours else {}
    return {"id": "g-%s-%s" % (platform_name, name), "name": name, "path": "/%s/%s" % (platform_name, name), "attributes": attrs}


def client(platform_name, service, secret="s3cret", **changes):
    desired = pi.client_representation(platform_name, {"name": service, "fqdn": service + ".apps.example.org"}, "https")
    return dict(desired, id="c-%s-%s" % (platform_name, service), secret=secret, **changes)


def discovery_secret(platform_name, service, secret="s3cret"):
    data = {"issuer-url": ISSUER, "client-id": "%s.%s" % (platform_name, service), "client-secret": secret,
            "allowed-groups": pi.allowed_groups(platform_name, service, True)}
    labels = pi.secret_labels(REALM, platform_name, {"name": service, "subdomain": "sub-" + service})
    return {"metadata": {"name": "oidc-discovery-sub-" + service, "namespace": "zenith-services", "labels": labels, "uid": "u-" + service},
            "data": dict((k, base64.b64encode(v.encode()).decode()) for k, v in data.items())}


def plan(listed, current, clients, secrets, **more):
    desired = pi.desired_platforms(listed, "https")
    return pi.plan_platforms(params(**more), desired, current, clients, secrets, ISSUER)


def requests(realm_plan):
    return [(a["method"], a["path"]) if a["kind"] == "request" else (a["kind"],) for a in realm_plan.actions]


def test_names_must_be_dns_labels_and_subdomains_unique():
    with pytest.raises(ModuleError, match="platform 'CaaS X' is not a valid name"):
        pi.desired_platforms([platform("CaaS X")], "https")
    with pytest.raises(ModuleError, match="service b has the subdomain sub-a of p/a"):
        pi.desired_platforms([{"name": "p", "services": [{"name": "a", "subdomain": "sub-a", "fqdn": "x"},
                                                         {"name": "b", "subdomain": "sub-a", "fqdn": "y"}]}], "https")


def test_a_new_platform_gets_groups_clients_and_secrets():
    realm_plan, secret_actions, diff, wanted = plan([platform("caas-a", "web")], export(), [], [])
    assert requests(realm_plan) == [
        ("POST", "admin/realms/az-physics/groups"),
        ("POST", "admin/realms/az-physics/groups/{group0}/children"),
        ("POST", "admin/realms/az-physics/clients"),
    ]
    created = realm_plan.actions[2]["body"]
    assert created["redirectUris"] == ["https://web.apps.example.org/_oidc/callback"] and created["secret"]
    assert [a["kind"] for a in secret_actions] == ["create"]
    assert wanted[0]["data"]["client-secret"] == created["secret"]
    assert json.loads(wanted[0]["data"]["allowed-groups"]) == ["/platform-users", "/caas-a", "/caas-a/web"]
    assert diff["after"]["secrets"]["zenith-services/oidc-discovery-sub-web"]["data"]["client-secret"] == "********"
    assert created["secret"] not in json.dumps(diff)


def test_a_converged_platform_needs_nothing():
    current = export(group("caas-a", sub("caas-a", "web")))
    realm_plan, secret_actions, diff, _wanted = plan([platform("caas-a", "web")], current, [client("caas-a", "web")],
                                                     [discovery_secret("caas-a", "web")])
    assert realm_plan.actions == [] and secret_actions == []
    assert diff["after"] == {"groups": {}, "clients": {}, "secrets": {}}


def test_drift_and_removed_services_are_repaired_and_what_others_add_is_kept():
    current = export(group("caas-a", sub("caas-a", "web"), sub("caas-a", "old"), sub("caas-a", "theirs", ours=False)))
    clients = [client("caas-a", "web", redirectUris=["https://evil.example.org/*"], description="theirs"),
               client("caas-a", "old"), {"id": "c-theirs", "clientId": "caas-a.theirs"}]
    secrets = [discovery_secret("caas-a", "web", secret="stale"), discovery_secret("caas-a", "old")]
    realm_plan, secret_actions, diff, _wanted = plan([platform("caas-a", "web")], current, clients, secrets)
    assert requests(realm_plan) == [
        ("PUT", "admin/realms/az-physics/clients/c-caas-a-web"),
        ("DELETE", "admin/realms/az-physics/groups/g-caas-a-old"),
        ("DELETE", "admin/realms/az-physics/clients/c-caas-a-old"),
    ]
    body = realm_plan.actions[0]["body"]
    assert body["redirectUris"] == ["https://web.apps.example.org/_oidc/callback"] and body["description"] == "theirs"
    assert body["secret"] == "s3cret"
    assert [(a["kind"], a["key"]) for a in secret_actions] == [
        ("patch", "zenith-services/oidc-discovery-sub-web"), ("delete", "zenith-services/oidc-discovery-sub-old")]
    assert secret_actions[1]["uid"] == "u-old"
    assert diff["after"]["secrets"]["zenith-services/oidc-discovery-sub-web"]["data"]["client-secret"] == "******** (changed)"


def test_prune_removes_only_the_module_s_platforms_and_absent_removes_the_listed_one():
    current = export(group("caas-a", sub("caas-a", "web")), group("caas-b"), group("their-group", ours=False))
    clients = [client("caas-a", "web"), client("caas-b", "web")]
    realm_plan = plan([platform("caas-a", "web")], current, clients, [], prune=True)[0]
    assert requests(realm_plan)[-2:] == [("DELETE", "admin/realms/az-physics/clients/c-caas-b-web"),
                                         ("DELETE", "admin/realms/az-physics/groups/g-caas-b")]
    realm_plan = plan([{"name": "caas-a"}], current, clients, [], state="absent")[0]
    assert requests(realm_plan) == [("DELETE", "admin/realms/az-physics/clients/c-caas-a-web"),
                                    ("DELETE", "admin/realms/az-physics/groups/g-caas-a")]


# --- the users realm -------------------------------------------------------------------------------


def tenancy_group(name, tenancy_id, members_path=None):
    return {"id": "g-" + name, "name": name, "path": members_path or "/" + name,
            "attributes": dict(MANAGED, **{"azimuth-ops.tenancy-id": [tenancy_id]})}


def test_groups_default_to_the_tenancy_name_and_must_be_top_level():
    assert ur.group_name({"id": "1", "name": "physics"}) == "physics"
    assert ur.group_name({"id": "1", "name": "physics", "oidc_group": "/physics-users"}) == "physics-users"
    with pytest.raises(ModuleError, match=r"tenancy a \(x\): the OIDC group '/a/b' is not a top-level group path such as /a"):
        ur.group_name({"id": "x", "name": "a", "oidc_group": "/a/b"})


def test_a_moved_group_is_renamed_and_conflicts_stop_the_module():
    groups = ur.desired_groups([{"id": "t-1", "name": "physics", "oidc_group": "/physics-users"}])
    existing = [tenancy_group("physics", "t-1")]
    realm_plan = ur.plan_users_realm(dict(realm="users", ssl_required="external", prune=False,
                                          portal={"client_id": "portal", "host": "p.example.org"}),
                                     groups, {"realm": "users", "enabled": True, "sslRequired": "external",
                                              "attributes": {"azimuth-ops.managed-by": "azimuth-ops"}, "groups": existing,
                                              "clientScopes": [], "defaultDefaultClientScopes": []}, None)[0]
    rename = next(a for a in realm_plan.actions if a["method"] == "PUT" and "/groups/" in a["path"])
    assert rename["body"]["name"] == "physics-users" and rename["path"].endswith("/groups/g-physics")
    with pytest.raises(ModuleError, match="group /physics cannot be renamed to /physics-users, which another group has"):
        ur.owned_group(groups[0], existing + [{"id": "g-x", "name": "physics-users", "path": "/physics-users", "attributes": {}}])
    with pytest.raises(ModuleError, match="group /physics-users belongs to tenancy t-2"):
        ur.owned_group(groups[0], [tenancy_group("physics-users", "t-2")])
