"""Tenancy realms: input checks, ownership rules, and the plan of one realm against its export."""

import copy
import json

import pytest

from ansible_collections.azimuth.ops.plugins.module_utils.keycloak import _idp_secret as idp_secret
from ansible_collections.azimuth.ops.plugins.module_utils.keycloak import _keycloak_realm as kr
from ansible_collections.azimuth.ops.plugins.module_utils.keycloak import _tenancy_realm as tr
from ansible_collections.azimuth.ops.plugins.module_utils.common._module import ModuleError

IDP = {"issuer": "https://portal.example.org/authproxy/{tenancy_id}", "client_id": "keycloak-oidc", "display_name": "Azimuth"}
SECRET = "TOPSECRET-idp"
DEFAULT_PROFILE = {"attributes": [
    {"name": "username", "permissions": {"view": ["admin", "user"], "edit": ["admin", "user"]}},
    {"name": "email", "required": {"roles": ["user"]}, "permissions": {"view": ["admin", "user"], "edit": ["admin", "user"]}},
    {"name": "firstName", "required": {"roles": ["user"]}},
], "groups": [{"name": "user-metadata"}]}


def item(name="physics", tenancy_id="t-1", idp=None):
    return tr.desired_realms([{"id": tenancy_id, "name": name}], idp or IDP)[0][0]


def converged(desired, secret=SECRET):
    """The export of a realm that holds everything the tenancy needs (as Keycloak shows it)."""
    idp = tr.idp_representation(desired["idp"], desired["id"], secret, idp_secret.digest(secret))
    idp["config"]["clientSecret"] = "**********"
    return {
        "realm": desired["realm"], "enabled": True, "sslRequired": "external",
        "attributes": dict(desired["attributes"], cibaInterval="5"),
        "clientScopes": [dict(kr.GROUPS_SCOPE, id="scope-1", protocolMappers=[dict(copy.deepcopy(kr.GROUPS_MAPPER), id="mapper-1")]),
                         {"id": "scope-2", "name": "profile", "protocol": "openid-connect"}],
        "defaultDefaultClientScopes": ["profile", "groups"],
        "defaultOptionalClientScopes": ["address"],
        "groups": [
            {"id": "g-admins", "name": "admins", "path": "/admins", "attributes": {}, "subGroups": [],
             "clientRoles": {"realm-management": ["realm-admin"]}},
            {"id": "g-users", "name": "platform-users", "path": "/platform-users", "attributes": {}, "subGroups": []},
        ],
        "authenticationFlows": [{"alias": tr.FLOW, "authenticationExecutions": [
            {"authenticator": "idp-review-profile", "requirement": "DISABLED"},
            {"flowAlias": "azimuth first login User creation or linking", "requirement": "REQUIRED"}]}],
        "identityProviders": [idp],
        "identityProviderMappers": [dict(m, id="idpm-%s" % m["name"]) for m in desired["mappers"]],
        "components": {tr.USER_PROFILE_COMPONENT: [
            {"config": {tr.USER_PROFILE_KEY: [json.dumps(tr.profile_update(DEFAULT_PROFILE))]}}]},
    }


def plan(export, desired=None, secret=SECRET):
    desired = desired or item()
    return tr.plan_tenancy_realm(desired, desired["realm"], export, tr.user_profile_of(export) if export else None, "external",
                                 secret)


def requests(result):
    return [(a["method"], a["path"]) if a["kind"] == "request" else (a["kind"],) for a in result.actions]


# --- input ---------------------------------------------------------------------------------------


def test_realm_names_follow_the_namespace_rule_and_carry_the_ownership_attributes():
    desired = tr.desired_realms([{"id": "T1", "name": "Physics & Astronomy"}], IDP, {"portal": "prod"}, "sandbox")[0][0]
    assert desired["realm"] == "az-physics-astronomy"
    assert desired["attributes"] == {"portal": "prod", "azimuth-ops.managed-by": "azimuth-ops", "azimuth-ops.tenancy-id": "T1",
                                     "azimuth-ops.portal": "sandbox"}
    idp = tr.idp_representation(desired["idp"], desired["id"], SECRET, "digest")
    assert idp["config"]["issuer"] == "https://portal.example.org/authproxy/T1"
    assert idp["config"]["jwksUrl"] == "https://portal.example.org/authproxy/T1/keys"
    assert json.loads(desired["mappers"][0]["config"]["claims"]) == [{"key": "groups", "value": "T1"}]


def test_a_bad_tenancy_fails_alone_before_anything_is_read():
    desired, errors = tr.desired_realms([{"id": "T1", "name": "!!!"}, {"id": "T2", "name": "fine"}, {"id": "", "name": "x"}], IDP)
    assert [item["id"] for item in desired] == ["T2"]
    assert errors["T1"].startswith("tenancy !!! (T1): the name cannot name a realm: '!!!' has no")
    assert errors[""] == "tenancy x (): the ID must not be empty"


def test_tenancies_with_one_realm_or_one_id_all_fail_and_the_others_go_on():
    desired, errors = tr.desired_realms([{"id": "1", "name": "a b"}, {"id": "2", "name": "A-B"}, {"id": "3", "name": "c"}], IDP)
    assert [item["id"] for item in desired] == ["3"]
    assert "tenancy a b (1) and tenancy A-B (2) all map to realm az-a-b" in errors["1"] and "az-a-b" in errors["2"]
    desired, errors = tr.desired_realms([{"id": "1", "name": "a"}, {"id": "1", "name": "b"}], IDP)
    assert desired == [] and "all map to ID 1" in errors["1"]


@pytest.mark.parametrize("idp, rotate, message", [
    (dict(IDP, client_secret="s"), False, "client_secret is one secret for every tenancy"),
    (dict(IDP, client_secret_scope="shared"), False, "client_secret_scope=shared needs azimuth_idp.client_secret"),
    (dict(IDP, client_secret="s", client_secret_scope="shared"), True, "give a new azimuth_idp.client_secret instead"),
    (dict(IDP, issuer="portal.example.org/{tenancy_id}"), False, "issuer must be an http"),
    (dict(IDP, issuer="https:///{tenancy_id}"), False, "issuer must be an http"),
])
def test_identity_provider_options_that_do_not_fit_are_refused(idp, rotate, message):
    with pytest.raises(ModuleError, match=message):
        tr.check_idp(idp, rotate)


def test_a_shared_secret_is_accepted_only_when_asked_for():
    tr.check_idp(IDP)
    tr.check_idp(dict(IDP, client_secret="s", client_secret_scope="shared"))


def test_the_module_s_own_realm_attributes_cannot_be_given():
    with pytest.raises(ModuleError, match="azimuth-ops.tenancy-id is set by the module"):
        tr.desired_realms([{"id": "1", "name": "a"}], IDP, {"azimuth-ops.tenancy-id": "2"})


# --- the plan ------------------------------------------------------------------------------------


def test_a_new_realm_is_created_with_its_groups_then_given_its_scope_flow_provider_and_profile():
    result = plan(None)
    assert result.creating and result.before is None
    assert requests(result) == [
        ("POST", "admin/realms"),
        ("POST", "admin/realms/az-physics/client-scopes"),
        ("PUT", "admin/realms/az-physics/default-default-client-scopes/{scope}"),
        ("POST", "admin/realms/az-physics/authentication/flows/first%20broker%20login/copy"),
        ("disable_review_profile",),
        ("POST", "admin/realms/az-physics/identity-provider/instances"),
        ("POST", "admin/realms/az-physics/identity-provider/instances/azimuth/mappers"),
        ("POST", "admin/realms/az-physics/identity-provider/instances/azimuth/mappers"),
        ("POST", "admin/realms/az-physics/identity-provider/instances/azimuth/mappers"),
        ("update_user_profile",),
    ]
    body = result.actions[0]["body"]
    assert body["groups"] == [{"name": "admins", "clientRoles": {"realm-management": ["realm-admin"]}}, {"name": "platform-users"}]
    assert body["enabled"] is True and body["sslRequired"] == "external"
    assert result.actions[5]["body"]["config"]["clientSecret"] == "TOPSECRET-idp"


def test_a_new_realm_folds_into_one_representation_and_the_scope_s_two_requests():
    new = plan(None)
    flows = [{"id": "f-1", "alias": tr.FLOW, "authenticationExecutions": [{"authenticator": "idp-review-profile", "requirement": "DISABLED"}]}]
    template = {"authenticationFlows": tr._without_ids(flows), "authenticatorConfig": [], "profile": json.dumps(tr.profile_update(DEFAULT_PROFILE))}
    folded = tr.one_request(new, template)
    assert requests(folded) == [("POST", "admin/realms"), ("POST", "admin/realms/az-physics/client-scopes"),
                                ("PUT", "admin/realms/az-physics/default-default-client-scopes/{scope}")]
    body = folded.actions[0]["body"]
    assert body["groups"] == new.actions[0]["body"]["groups"] and "id" not in body["authenticationFlows"][0]
    assert body["identityProviders"] == [new.actions[5]["body"]] and body["identityProviderMappers"] == item()["mappers"]
    assert tr.user_profile_of(body) == tr.profile_update(DEFAULT_PROFILE)
    assert folded.diff() == new.diff() and len(new.actions) == 10  # the same prediction; the plan itself untouched
    read = tr.with_template_read(new)
    assert requests(read)[3:6] == [("POST", "admin/realms/az-physics/authentication/flows/first%20broker%20login/copy"),
                                   ("disable_review_profile",), ("read_template",)]
    assert tr.one_request(plan(converged(item())), template) is None


def test_a_converged_realm_needs_nothing():
    result = plan(converged(item()))
    assert result.actions == [] and result.diff() is None


def test_no_secret_in_the_diff_and_the_changed_secret_shows_as_changed():
    export = converged(item())
    result = plan(export, secret="another-secret")
    assert requests(result) == [("PUT", "admin/realms/az-physics/identity-provider/instances/azimuth")]
    before, after = result.diff()
    assert before["identityProvider"]["config"]["clientSecret"] == "********"
    assert after["identityProvider"]["config"]["clientSecret"] == "******** (changed)"
    assert "another-secret" not in json.dumps([before, after]) and "TOPSECRET" not in json.dumps([before, after])
    assert result.actions[0]["body"]["config"]["clientSecret"] == "another-secret"


def test_drift_is_repaired_part_by_part():
    export = converged(item())
    export["identityProviderMappers"] = [m for m in export["identityProviderMappers"] if m["name"] != "federated-id"]
    export["groups"][0]["clientRoles"] = {}
    export["clientScopes"][0]["protocolMappers"][0]["config"]["full.path"] = "false"
    export["defaultDefaultClientScopes"].remove("groups")
    export["defaultOptionalClientScopes"].append("groups")
    export["authenticationFlows"][0]["authenticationExecutions"][0]["requirement"] = "REQUIRED"
    result = plan(export)
    assert requests(result) == [
        ("PUT", "admin/realms/az-physics/client-scopes/scope-1/protocol-mappers/models/mapper-1"),
        ("DELETE", "admin/realms/az-physics/default-optional-client-scopes/scope-1"),
        ("PUT", "admin/realms/az-physics/default-default-client-scopes/scope-1"),
        ("grant_client_roles",),
        ("disable_review_profile",),
        ("POST", "admin/realms/az-physics/identity-provider/instances/azimuth/mappers"),
    ]
    grant = result.actions[3]
    assert (grant["group"], grant["client"], grant["roles"]) == ("g-admins", "realm-management", ["realm-admin"])
    before, after = result.diff()
    assert before["identityProviderMappers"]["federated-id"] is None
    assert after["groups"]["/admins"]["clientRoles"] == {"realm-management": ["realm-admin"]}


def test_what_realm_admins_add_survives_an_update():
    export = converged(item())
    export["identityProviders"][0]["config"]["pkceEnabled"] = "true"
    export["identityProviders"][0]["config"]["tokenUrl"] = "https://elsewhere/token"
    export["groups"].append({"id": "g-own", "name": "their-own-group", "path": "/their-own-group"})
    export["identityProviderMappers"].append({"id": "x", "name": "their-mapper", "identityProviderAlias": "azimuth"})
    export["attributes"]["their.attribute"] = "1"
    export["enabled"] = False
    result = plan(export)
    assert requests(result) == [("PUT", "admin/realms/az-physics"),
                                ("PUT", "admin/realms/az-physics/identity-provider/instances/azimuth")]
    assert result.actions[0]["body"]["attributes"]["their.attribute"] == "1"
    config = result.actions[1]["body"]["config"]
    assert config["pkceEnabled"] == "true" and config["tokenUrl"] == "https://portal.example.org/authproxy/t-1/token"


def test_the_user_profile_loses_required_attributes_and_gains_federated_id():
    updated = tr.profile_update(DEFAULT_PROFILE)
    assert [a.get("required") for a in updated["attributes"]] == [None, None, None, None]
    federated = updated["attributes"][-1]
    assert federated["name"] == "federatedId" and federated["permissions"] == {"view": ["admin", "user"], "edit": []}
    assert updated["groups"] == DEFAULT_PROFILE["groups"]
    assert tr.profile_view(updated) == {"required": [], "federatedId": tr._federated_view()}
    assert tr.profile_view(DEFAULT_PROFILE)["required"] == ["email", "firstName"]


def test_the_default_user_profile_of_an_existing_realm_is_planned_from_the_one_read():
    export = converged(item())
    del export["components"]
    result = tr.plan_tenancy_realm(item(), "az-physics", export, DEFAULT_PROFILE, "external", SECRET)
    assert requests(result) == [("update_user_profile",)]
    assert result.actions[0]["config"] == DEFAULT_PROFILE
