"""Platform identity and the users realm: input checks and plans against hand-made exports."""

import base64
import json

import pytest

from ansible_collections.azimuth.ops.plugins.module_utils.kubernetes import _cloud_credential as cc
from ansible_collections.azimuth.ops.plugins.module_utils.kubernetes import _oidc_secret as oidc
from ansible_collections.azimuth.ops.plugins.module_utils.keycloak import _platform_identity as pi
from ansible_collections.azimuth.ops.plugins.module_utils.keycloak import _users_realm as ur
from ansible_collections.azimuth.ops.plugins.module_utils.common._module import ModuleError

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
    assert [cc.planned_verb(a) for a in secret_actions] == ["create"]
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
    assert [(cc.planned_verb(a), a["writer"].key) for a in secret_actions] == [
        ("patch", "zenith-services/oidc-discovery-sub-web"), ("delete", "zenith-services/oidc-discovery-sub-old")]
    assert secret_actions[1]["current"]["metadata"]["uid"] == "u-old"
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


@pytest.mark.parametrize("name", ["admins", "platform-users"])
def test_the_realm_s_own_groups_are_no_platform_names(name):
    with pytest.raises(ModuleError, match=r"^platform %s: the group /%s is one of the realm's own groups \(/admins, /platform-users\); "
                                          "give the platform another name$" % (name, name)):
        pi.desired_platforms([platform(name, "web")], "https")


def test_groups_and_clients_the_module_did_not_make_are_refused_unless_adopted():
    theirs = export(group("caas-a", ours=False, note=["a person's"]))
    with pytest.raises(ModuleError, match=r"^platform caas-a: the group /caas-a was not made by azimuth.ops for this platform "
                                          r"\(it lacks the group attributes azimuth-ops.managed-by=azimuth-ops and "
                                          r"azimuth-ops.platform=caas-a\); give the platform another name, or set adopt: true"):
        plan([platform("caas-a", "web")], theirs, [], [])
    other_platform = export(group("caas-a", **{"azimuth-ops.platform": ["caas-b"]}))
    with pytest.raises(ModuleError, match="the group /caas-a was not made by azimuth.ops for this platform"):
        plan([platform("caas-a", "web")], other_platform, [], [])
    with pytest.raises(ModuleError, match="the group /caas-a/web was not made .* azimuth-ops.platform=caas-a and azimuth-ops.service=web"):
        plan([platform("caas-a", "web")], export(group("caas-a", sub("caas-a", "web", ours=False))), [], [])
    with pytest.raises(ModuleError, match=r"the client caas-a.web was not made .* \(it lacks the client attributes"):
        plan([platform("caas-a", "web")], export(), [{"id": "c-1", "clientId": "caas-a.web"}], [])
    realm_plan = plan([platform("caas-a", "web")], theirs, [{"id": "c-1", "clientId": "caas-a.web"}], [], adopt=True)[0]
    adopted = next(a for a in realm_plan.actions if a["path"].endswith("/groups/g-caas-a"))
    assert adopted["body"]["attributes"] == dict(MANAGED, note=["a person's"], **{"azimuth-ops.platform": ["caas-a"]})
    taken = next(a for a in realm_plan.actions if a["path"].endswith("/clients/c-1"))
    assert taken["body"]["attributes"]["azimuth-ops.platform"] == "caas-a"


def test_absent_and_prune_delete_only_what_the_module_made_for_the_platform():
    current = export(group("caas-a", ours=False), group("caas-b", **{"azimuth-ops.platform": ["caas-c"]}))
    clients = [{"id": "c-1", "clientId": "caas-a.web"}]
    assert plan([{"name": "caas-a"}, {"name": "caas-b"}], current, clients, [], state="absent", adopt=True)[0].actions == []


def helm_secret(name):
    return {"metadata": {"name": name, "namespace": "zenith-services", "labels": {"app.kubernetes.io/managed-by": "Helm"}},
            "type": "Opaque", "data": {}}


def test_a_discovery_secret_another_tool_manages_is_refused_while_planning():
    with pytest.raises(ModuleError, match="^the Secret zenith-services/oidc-discovery-sub-web is managed by Helm"):
        plan([platform("caas-a", "web")], export(), [], [helm_secret("oidc-discovery-sub-web")])
    secret = discovery_secret("caas-a", "web")
    secret["metadata"]["labels"]["identity.azimuth-cloud.io/realm"] = "az-chemistry"
    with pytest.raises(ModuleError, match="^the Secret zenith-services/oidc-discovery-sub-web is the discovery Secret of realm "
                                          "az-chemistry .*, not of az-physics; each service needs a subdomain of its own$"):
        pi.check_secret_realm(secret, REALM)
    pi.check_secret_realm(discovery_secret("caas-a", "web"), REALM)
    pi.check_secret_realm(helm_secret("x"), REALM)  # the ownership rule speaks for other tools' Secrets


def test_secret_writes_keep_other_keys_and_go_through_the_one_writer():
    secret = discovery_secret("caas-a", "web", secret="stale")
    secret["data"]["extra"] = base64.b64encode(b"theirs").decode()
    secret["metadata"]["resourceVersion"] = "7"
    wanted = dict(namespace="zenith-services", name="oidc-discovery-sub-web", labels=secret["metadata"]["labels"],
                  data=dict(cc.decode_data(secret), **{"client-secret": "fresh"}))
    del wanted["data"]["extra"]
    planned, before, after = oidc.plan_secrets([wanted], [secret])
    assert isinstance(planned[0]["writer"], cc.CredentialSecret)
    assert planned[0]["writer"].patch(secret) == {"data": {"client-secret": cc.encode("fresh")}}
    key = "zenith-services/oidc-discovery-sub-web"
    assert "extra" not in before[key]["data"] and before[key]["data"]["client-id"] == "caas-a.web"
    assert after[key]["data"]["client-secret"] == "******** (changed)" and "fresh" not in json.dumps(after)
    calls = FakeCalls(secret)
    oidc.write_secrets(calls, planned)
    assert calls.sent == [("patch", "oidc-discovery-sub-web", {"data": {"client-secret": cc.encode("fresh")},
                                                               "metadata": {"resourceVersion": "7"}})]


def test_a_failed_secret_write_names_the_secret_and_what_was_written_before():
    from kubernetes.client.rest import ApiException
    wanted = dict(namespace="zenith-services", name="oidc-discovery-sub-web", labels={}, data={"client-secret": "x"})
    planned = oidc.plan_secrets([wanted], [])[0]
    calls = FakeCalls(None, fail=ApiException(status=404, reason="Not Found"))
    with pytest.raises(ModuleError, match="^Could not create the Secret zenith-services/oidc-discovery-sub-web: HTTP 404") as caught:
        oidc.write_secrets(calls, planned, wrote=True)
    assert caught.value.details == {"changed": True}


class FakeCalls:
    """Secret calls that record what is sent (the unit tests' stand-in for the Kubernetes base)."""

    def __init__(self, secret, fail=None):
        self.secret, self.fail, self.sent = secret, fail, []

    def read_secret(self, namespace, name):
        return self.secret

    def _send(self, *call):
        if self.fail is not None:
            raise self.fail
        self.sent.append(call)

    def create_secret(self, namespace, body):
        self._send("create", body["metadata"]["name"], body)

    def patch_secret(self, namespace, name, patch):
        self._send("patch", name, patch)

    def delete_secret(self, namespace, name, uid=None):
        self._send("delete", name, uid)
        return True


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
