"""azimuth.ops.tenancy_realm through real ansible-playbook runs against the sandbox's Keycloak.

The module goes through this test's recording proxy (``keycloak_env``, ``keycloak_requests``);
realms are named after the test's ``unique_name``; prune is scoped by a realm attribute carrying it.
Each tenancy has the namespace ``azimuth.ops.tenancy`` would give it (labelled with its ID), where
its realm binding is kept (tests/integration/test_tenancy_realm_bindings.py: the bindings).
"""

import json

import pytest

from sandbox.proxy import writes

from .keycloak_support import TOKEN_ROUTE, run_module, without_token
# fixtures, used by name
from .keycloak_support import keycloak, keycloak_env, keycloak_requests  # noqa: F401  # pylint: disable=unused-import

SECRET = "idp-secret-Vq8rT3kZ7w"
RESULT_KEYS = ("changed", "realms", "pruned", "totals", "diff")


def idp(secret=SECRET, **extra):
    """A shared secret: these tests are about the realms (tests/integration/test_tenancy_realm_secrets.py: a secret per tenancy)."""
    return dict({"issuer": "https://portal.example.org/authproxy/{tenancy_id}", "client_id": "keycloak-oidc",
                 "client_secret": secret, "client_secret_scope": "shared"}, **extra)


def tenancy_namespace(kube_core, tenancy, name=None):
    """The namespace azimuth.ops.tenancy gives the tenancy (labelled with its ID)."""
    kube_core.create_namespace({"metadata": {"name": name or "az-" + tenancy["name"], "labels": {
        "tenant.azimuth-cloud.io/id": tenancy["id"].lower(), "app.kubernetes.io/managed-by": "azimuth-ops"}}})


@pytest.fixture
def names(unique_name, kube_core, kube_requests):
    """Tenancy names and IDs unique to the test, each with its namespace (deleted afterwards by ``kube_requests``)."""

    def make(suffix):
        name = "%s-%s" % (unique_name, suffix)
        tenancy = {"id": "id-" + name, "name": name}
        tenancy_namespace(kube_core, tenancy)
        return tenancy

    return make


def realms(run_playbook, env, tenancies, *args, **options):
    options = dict(options, tenancies=tenancies)
    options.setdefault("azimuth_idp", idp())
    return run_module(run_playbook, env, "azimuth.ops.tenancy_realm", options, *args)


def succeeded(run, result):
    assert run.ok and result and not result.get("failed"), run.output
    return result


def failed(run, result):
    assert run.ok and result and result.get("failed"), run.output
    return result["msg"]


def same_outcome(predicted, result):
    for key in RESULT_KEYS:
        assert predicted.get(key) == result.get(key), key


def no_op_routes(*realm_names):
    routes = {TOKEN_ROUTE: 1, "GET /admin/realms": 1}
    routes.update(("POST /admin/realms/%s/partial-export" % name, 1) for name in realm_names)
    return routes


def holds_everything(keycloak, realm, tenancy_id, ssl_required="external"):
    """Check the realm against what Azimuth's identity operator sets up."""
    export = keycloak.realm(realm)
    assert export["enabled"] is True and export["sslRequired"] == ssl_required
    assert export["attributes"]["azimuth-ops.tenancy-id"] == tenancy_id
    scope = next(s for s in export["clientScopes"] if s["name"] == "groups")
    mapper = next(m for m in scope["protocolMappers"] if m["name"] == "groups")
    assert mapper["protocolMapper"] == "oidc-group-membership-mapper"
    wanted = {"claim.name": "groups", "full.path": "true", "id.token.claim": "true", "access.token.claim": "true",
              "userinfo.token.claim": "true"}
    assert {k: mapper["config"].get(k) for k in wanted} == wanted
    assert "groups" in export["defaultDefaultClientScopes"] and "groups" not in export["defaultOptionalClientScopes"]
    groups = {g["name"]: g for g in export["groups"]}
    assert groups["admins"]["clientRoles"] == {"realm-management": ["realm-admin"]} and "platform-users" in groups
    flow = next(f for f in export["authenticationFlows"] if f["alias"] == "azimuth first login")
    review = next(e for e in flow["authenticationExecutions"] if e.get("authenticator") == "idp-review-profile")
    assert review["requirement"] == "DISABLED"
    provider = next(p for p in export["identityProviders"] if p["alias"] == "azimuth")
    issuer = "https://portal.example.org/authproxy/" + tenancy_id
    assert (provider["providerId"], provider["displayName"], provider["firstBrokerLoginFlowAlias"]) == (
        "oidc", "Azimuth", "azimuth first login")
    assert {k: provider["config"][k] for k in ("issuer", "tokenUrl", "jwksUrl", "syncMode", "clientAuthMethod",
                                               "defaultScope", "validateSignature")} == {
        "issuer": issuer, "tokenUrl": issuer + "/token", "jwksUrl": issuer + "/keys", "syncMode": "IMPORT",
        "clientAuthMethod": "client_secret_post", "defaultScope": "openid profile email groups federated:id",
        "validateSignature": "true"}
    mappers = {m["name"]: m for m in export["identityProviderMappers"]}
    assert json.loads(mappers["realm-admin"]["config"]["claims"]) == [{"key": "groups", "value": tenancy_id}]
    assert mappers["platform-user"]["config"]["group"] == "/platform-users"
    assert mappers["federated-id"]["config"]["user.attribute"] == "federatedId"
    profile = keycloak.get("%s/users/profile" % realm)
    assert not [a["name"] for a in profile["attributes"] if a.get("required")]
    federated = next(a for a in profile["attributes"] if a["name"] == "federatedId")
    assert federated["permissions"] == {"view": ["admin", "user"], "edit": []}


def test_create_recreate_modify_delete_with_and_without_check_mode(run_playbook, keycloak_env, keycloak_requests, keycloak, names):
    one, two = names("one"), names("two")
    realm_one, realm_two = "az-" + one["name"], "az-" + two["name"]

    def step(*args, **options):
        return succeeded(*realms(run_playbook, keycloak_env, [one, two], "--diff", *args, **options))

    # create
    with keycloak_requests.measure() as served:
        predicted = step("--check")
    assert predicted["changed"] and predicted["totals"]["created"] == 2
    assert served == {TOKEN_ROUTE: 1, "GET /admin/realms": 1}
    assert predicted["diff"]["before"]["realms"] == {realm_one: None, realm_two: None}
    assert realm_one not in keycloak.realms()
    same_outcome(predicted, step())
    holds_everything(keycloak, realm_one, one["id"])
    holds_everything(keycloak, realm_two, two["id"])
    # re-create: one list, one export per realm, nothing written
    for args in (("--check",), ()):
        with keycloak_requests.measure() as served:
            result = step(*args)
        assert not result["changed"] and result["totals"]["unchanged"] == 2
        assert served == no_op_routes(realm_one, realm_two), served
    # modify
    predicted = step("--check", ssl_required="none", azimuth_idp=idp("rotated-" + SECRET, display_name="The portal"))
    assert predicted["totals"]["updated"] == 2
    assert predicted["diff"]["after"]["realms"][realm_one]["identityProvider"]["config"]["clientSecret"] == "******** (changed)"
    assert keycloak.realm(realm_one)["sslRequired"] == "external"
    with keycloak_requests.measure() as served:
        result = step(ssl_required="none", azimuth_idp=idp("rotated-" + SECRET, display_name="The portal"))
    same_outcome(predicted, result)
    assert without_token(writes(served)) == {
        "PUT /admin/realms/%s" % realm_one: 1, "PUT /admin/realms/%s" % realm_two: 1,
        "PUT /admin/realms/%s/identity-provider/instances/azimuth" % realm_one: 1,
        "PUT /admin/realms/%s/identity-provider/instances/azimuth" % realm_two: 1,
        "POST /admin/realms/%s/partial-export" % realm_one: 1, "POST /admin/realms/%s/partial-export" % realm_two: 1}
    assert keycloak.realm(realm_one)["sslRequired"] == "none"
    assert keycloak.get(realm_one + "/identity-provider/instances/azimuth")["displayName"] == "The portal"
    assert not step(ssl_required="none", azimuth_idp=idp("rotated-" + SECRET, display_name="The portal"))["changed"]
    # delete
    predicted = step("--check", state="absent")
    assert predicted["totals"]["deleted"] == 2 and realm_one in keycloak.realms()
    same_outcome(predicted, step(state="absent"))
    assert realm_one not in keycloak.realms() and realm_two not in keycloak.realms()
    for args in (("--check",), ()):
        with keycloak_requests.measure() as served:
            assert not step(*args, state="absent")["changed"]
        assert served == {TOKEN_ROUTE: 1, "GET /admin/realms": 1}


# Object IDs, and the salted digest of the identity provider's secret: different in every realm.
PER_REALM_KEYS = ("id", "containerId", "internalId", "flowId", "parentId", "azimuth-ops.client-secret-digest")


def comparable_export(keycloak, realm, tenancy_id):
    """The realm's full partial export (clients too) as two realms can be compared: no object IDs, no generated key
    or salted digest, its name and tenancy ID replaced, lists sorted, the user profile parsed."""
    response = keycloak.conn.raw_post("admin/realms/%s/partial-export" % realm, data="", exportGroupsAndRoles="true",
                                      exportClients="true")
    assert response.status_code == 200, response.text
    text = response.text.replace(realm, "REALM").replace(tenancy_id, "TENANCY")

    def clean(value):
        if isinstance(value, dict):
            value = dict((k, clean(v)) for k, v in value.items() if k not in PER_REALM_KEYS)
            if "kc.user.profile.config" in value:
                value["kc.user.profile.config"] = [json.loads("".join(value["kc.user.profile.config"]))]
            return value
        if isinstance(value, list):
            return sorted((clean(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
        return value

    export = clean(json.loads(text))
    del export["components"]["org.keycloak.keys.KeyProvider"]  # generated per realm
    return export


def test_a_new_realm_in_one_request_is_the_realm_made_part_by_part(run_playbook, keycloak_env, keycloak_requests, keycloak, names):
    """The run's first new realm is made part by part (and read as the template), the next in one realm
    representation and the groups scope's two requests: both come out the same, and a rerun writes nothing."""
    one, two = names("one"), names("two")
    with keycloak_requests.measure() as served:
        assert succeeded(*realms(run_playbook, keycloak_env, [one, two]))["totals"]["created"] == 2
    part_by_part = [t for t in (one, two) if served.get(
        "POST /admin/realms/az-%s/authentication/flows/first%%20broker%%20login/copy" % t["name"])]
    assert len(part_by_part) == 1, served
    first, folded = part_by_part[0], (two if part_by_part[0] is one else one)
    path = "/admin/realms/az-" + folded["name"]
    folded_writes = dict((route.rsplit("/", 1)[0] if "/default-default-client-scopes/" in route else route, n)
                         for route, n in writes(served).items() if route.split(" ")[1].startswith(path + "/"))
    assert folded_writes == {"POST %s/client-scopes" % path: 1, "PUT %s/default-default-client-scopes" % path: 1}, served
    assert served["POST /admin/realms"] == 2
    assert comparable_export(keycloak, "az-" + first["name"], first["id"]) == comparable_export(keycloak, "az-" + folded["name"], folded["id"])
    holds_everything(keycloak, "az-" + folded["name"], folded["id"])
    with keycloak_requests.measure() as served:
        assert not succeeded(*realms(run_playbook, keycloak_env, [one, two]))["changed"]
    assert served == no_op_routes("az-" + one["name"], "az-" + two["name"]), served


def test_drift_is_repaired_and_check_mode_predicts_the_repair(run_playbook, keycloak_env, keycloak_requests, keycloak, names):
    one = names("one")
    realm = "az-" + one["name"]
    succeeded(*realms(run_playbook, keycloak_env, [one]))
    mappers = keycloak.get(realm + "/identity-provider/instances/azimuth/mappers")
    federated = next(m for m in mappers if m["name"] == "federated-id")
    keycloak.delete("%s/identity-provider/instances/azimuth/mappers/%s" % (realm, federated["id"]))
    admins = keycloak.group(realm, "/admins")
    management = keycloak.client(realm, "realm-management")
    roles = keycloak.get("%s/groups/%s/role-mappings/clients/%s" % (realm, admins["id"], management["id"]))
    keycloak.delete("%s/groups/%s/role-mappings/clients/%s" % (realm, admins["id"], management["id"]), roles)
    scope = next(s for s in keycloak.get(realm + "/client-scopes") if s["name"] == "groups")
    keycloak.delete("%s/default-default-client-scopes/%s" % (realm, scope["id"]))
    keycloak.put("%s/default-optional-client-scopes/%s" % (realm, scope["id"]), None)
    provider = keycloak.get(realm + "/identity-provider/instances/azimuth")
    provider["config"]["issuer"] = "https://elsewhere.example.org"
    keycloak.put(realm + "/identity-provider/instances/azimuth", provider)

    run, predicted = realms(run_playbook, keycloak_env, [one], "--check", "--diff")
    succeeded(run, predicted)
    before, after = predicted["diff"]["before"]["realms"][realm], predicted["diff"]["after"]["realms"][realm]
    assert before["identityProviderMappers"]["federated-id"] is None and after["identityProviderMappers"]["federated-id"]
    assert before["groups"]["/admins"]["clientRoles"] == {"realm-management": []}
    assert before["defaultClientScope"] == {"default": False, "optional": True}
    assert before["identityProvider"]["config"]["issuer"] == "https://elsewhere.example.org"
    assert keycloak.group(realm, "/admins")["clientRoles"] == {}
    run, result = realms(run_playbook, keycloak_env, [one], "--diff")
    same_outcome(predicted, succeeded(run, result))
    holds_everything(keycloak, realm, one["id"])
    with keycloak_requests.measure() as served:
        assert not succeeded(*realms(run_playbook, keycloak_env, [one]))["changed"]
    assert served == no_op_routes(realm)


def test_what_a_realm_admin_adds_survives(run_playbook, keycloak_env, keycloak_requests, keycloak, names):
    one = names("one")
    realm = "az-" + one["name"]
    succeeded(*realms(run_playbook, keycloak_env, [one]))
    keycloak.post(realm + "/groups", {"name": "researchers"})
    keycloak.post(realm + "/clients", {"clientId": "their-app", "redirectUris": ["https://their.example.org/*"]})
    keycloak.post(realm + "/users", {"username": "alice", "enabled": True})
    keycloak.post(realm + "/identity-provider/instances", {"alias": "github-like", "providerId": "oidc", "config": {
        "authorizationUrl": "https://gh.example.org/auth", "tokenUrl": "https://gh.example.org/token", "clientId": "x"}})
    keycloak.post(realm + "/identity-provider/instances/azimuth/mappers", {
        "name": "their-mapper", "identityProviderAlias": "azimuth", "identityProviderMapper": "hardcoded-attribute-idp-mapper",
        "config": {"attribute": "source", "attribute.value": "azimuth", "syncMode": "INHERIT"}})
    provider = keycloak.get(realm + "/identity-provider/instances/azimuth")
    provider["config"]["loginHint"] = "true"
    keycloak.put(realm + "/identity-provider/instances/azimuth", provider)
    export = keycloak.realm(realm)
    keycloak.put(realm, {"attributes": dict(export["attributes"], **{"their.attribute": "kept"}), "displayName": "Physics"})

    assert not succeeded(*realms(run_playbook, keycloak_env, [one]))["changed"]
    result = succeeded(*realms(run_playbook, keycloak_env, [one], azimuth_idp=idp("rotated-" + SECRET)))
    assert result["changed"]
    export = keycloak.realm(realm)
    assert export["attributes"]["their.attribute"] == "kept" and export["displayName"] == "Physics"
    assert {"researchers", "admins", "platform-users"} <= {g["name"] for g in export["groups"]}
    assert keycloak.client(realm, "their-app") is not None
    assert [u["username"] for u in keycloak.get(realm + "/users")] == ["alice"]
    assert {"github-like", "azimuth"} == {p["alias"] for p in export["identityProviders"]}
    assert "their-mapper" in {m["name"] for m in export["identityProviderMappers"]}
    assert keycloak.get(realm + "/identity-provider/instances/azimuth")["config"]["loginHint"] == "true"


def test_no_secret_in_any_output_at_vvv_with_diff(run_playbook, keycloak_env, keycloak_requests, sandbox_env, names):
    one = names("one")
    first, second, third = "first-idp-secret-Xq7vR2pL9", "second-idp-secret-Kz3mW8nB4", "third-idp-secret-Hy6tQ1wE5"
    outputs = []
    for secret in (first, second):
        run, result = realms(run_playbook, keycloak_env, [one], "-vvv", "--diff", azimuth_idp=idp(secret))
        succeeded(run, result)
        outputs.append(run.output)
    # a refused write (and its message) does not carry the secret either
    keycloak_requests.inject_fault(1, status=400, method="PUT", path_regex="/identity-provider/instances/azimuth$")
    run, result = realms(run_playbook, keycloak_env, [one], "-vvv", "--diff", azimuth_idp=idp(third))
    assert "Could not update the identity provider azimuth in realm az-%s" % one["name"] in failed(run, result)
    outputs.append(run.output)
    for text in outputs:
        for needle in (first, second, third, sandbox_env["KEYCLOAK_ADMIN_PASSWORD"], "eyJhbGci"):
            assert needle not in text


def test_prune_deletes_only_the_selected_managed_realms_of_unlisted_tenancies(
        run_playbook, keycloak_env, keycloak_requests, keycloak, names, unique_name):
    one, two, three = names("one"), names("two"), names("three")
    marked = dict(realm_attributes={"test.instance": unique_name})
    succeeded(*realms(run_playbook, keycloak_env, [one, two], **marked))
    succeeded(*realms(run_playbook, keycloak_env, [three]))  # not carrying the selector's attribute
    options = dict(marked, prune=True, prune_selector={"test.instance": unique_name})
    run, predicted = realms(run_playbook, keycloak_env, [one], "--check", **options)
    assert succeeded(run, predicted)["pruned"] == [{"realm": "az-" + two["name"], "id": two["id"]}]
    assert "az-" + two["name"] in keycloak.realms()
    same_outcome(predicted, succeeded(*realms(run_playbook, keycloak_env, [one], **options)))
    names_left = keycloak.realms()
    assert "az-" + two["name"] not in names_left and {"az-" + one["name"], "az-" + three["name"]} <= set(names_left)


def test_a_renamed_tenancy_keeps_its_realm(run_playbook, keycloak_env, keycloak_requests, keycloak, names):
    one = names("one")
    succeeded(*realms(run_playbook, keycloak_env, [one]))
    renamed = dict(one, name=one["name"] + "-renamed")
    result = succeeded(*realms(run_playbook, keycloak_env, [renamed]))
    assert result["realms"][0]["realm"] == "az-" + one["name"] and not result["changed"]
    assert "az-" + renamed["name"] not in keycloak.realms()


def test_clear_errors(run_playbook, keycloak_env, keycloak_requests, keycloak, names, sandbox_env):
    one, two = names("one"), names("two")
    # Keycloak unreachable
    run, result = realms(run_playbook, dict(keycloak_env, KEYCLOAK_URL="http://127.0.0.1:9"), [one])
    assert failed(run, result) == ("Could not log in to Keycloak at http://127.0.0.1:9: could not reach Keycloak: "
                                   "[Errno 111] Connection refused")
    # bad admin credentials
    run, result = realms(run_playbook, dict(keycloak_env, KEYCLOAK_ADMIN_PASSWORD="not-the-password"), [one])
    assert failed(run, result) == (
        "Could not log in to Keycloak at %s: Keycloak refused to log in user admin (client admin-cli, realm master): "
        "HTTP 400: invalid_grant: Invalid user credentials" % keycloak_env["KEYCLOAK_URL"])
    # an issuer that is not a URL: refused before anything is read
    with keycloak_requests.measure() as served:
        run, result = realms(run_playbook, keycloak_env, [one], azimuth_idp=idp(issuer="not a url/{tenancy_id}"))
    assert failed(run, result).startswith("azimuth_idp.issuer must be an http(s) URL")
    assert served == {TOKEN_ROUTE: 1} and result["changed"] is False
    # a name that sanitises to nothing fails that tenancy alone; the other converges
    run, result = realms(run_playbook, keycloak_env, [one, {"id": "id-x", "name": "--!!--"}])
    assert failed(run, result) == (
        "Could not settle the realms of 1 of 2 tenancies: tenancy --!!-- (id-x): the name cannot name a realm: '--!!--' has "
        "no ASCII letters or digits, which a Kubernetes name needs: every other character is dropped, which leaves nothing")
    # (a create that times out under load and goes on in Keycloak is settled on, and counted as an update)
    assert result["changed"] is True and result["totals"]["created"] + result["totals"]["updated"] == 1
    assert result["realms"][1]["failed"]
    holds_everything(keycloak, "az-" + one["name"], one["id"])
    # a realm that exists but is not the collection's stops its tenancy only, before anything is written for it
    keycloak.post("", {"realm": "az-" + two["name"], "enabled": True})
    run, result = realms(run_playbook, keycloak_env, [one, two])
    assert failed(run, result) == (
        "Could not settle the realms of 1 of 2 tenancies: tenancy %s (%s): realm az-%s exists but is not managed by azimuth.ops "
        "(it lacks the realm attributes azimuth-ops.managed-by=azimuth-ops and azimuth-ops.tenancy-id=%s); rename or delete it, "
        "or set both to let the collection manage it" % (two["name"], two["id"], two["name"], two["id"]))
    assert result["changed"] is False and set(result["errors"]) == {two["id"]}
    assert keycloak.realm("az-" + two["name"])["attributes"].get("azimuth-ops.tenancy-id") is None


def test_one_token_per_run_and_a_new_one_after_a_401(run_playbook, keycloak_env, keycloak_requests, names):
    one, two = names("one"), names("two")
    with keycloak_requests.measure() as served:
        succeeded(*realms(run_playbook, keycloak_env, [one, two]))
    assert served[TOKEN_ROUTE] == 1
    keycloak_requests.inject_fault(1, status=401, method="POST", path_regex="/partial-export$")
    with keycloak_requests.measure() as served:
        result = succeeded(*realms(run_playbook, keycloak_env, [one, two]))
    assert not result["changed"]
    assert served[TOKEN_ROUTE] == 2
    # the realms are read at once: the export refused is sent again with the new token, the other once
    exports = sorted(served["POST /admin/realms/az-%s/partial-export" % tenancy["name"]] for tenancy in (one, two))
    assert exports == [1, 2], served


def test_a_given_token_is_used_instead_of_logging_in(run_playbook, keycloak_env, keycloak_requests, keycloak):
    token = keycloak.conn.token["access_token"] if keycloak.conn.token else None
    if token is None:
        keycloak.realms()
        token = keycloak.conn.token["access_token"]
    env = dict(keycloak_env, KEYCLOAK_ADMIN_USER="", KEYCLOAK_ADMIN_PASSWORD="")
    with keycloak_requests.measure() as served:
        run, result = realms(run_playbook, env, [], token=token)
    assert not succeeded(run, result)["changed"]
    assert served == {"GET /admin/realms": 1}
    run, result = realms(run_playbook, env, [], token="not-a-token")
    assert failed(run, result) == "Keycloak request failed: GET admin/realms: HTTP 401: HTTP 401 Unauthorized (Keycloak refused the token)"
    assert "not-a-token" not in run.output
