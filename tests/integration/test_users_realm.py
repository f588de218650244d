"""azimuth.ops.users_realm through real ansible-playbook runs against the sandbox's Keycloak and kube-apiserver.

Each test uses its own users realm ``<unique_name>-users`` and namespace ``az-<unique_name>-portal``.
"""

import base64

import pytest

from sandbox.proxy import writes

from .keycloak_support import TOKEN_ROUTE, run_module, without_token
# fixtures, used by name
from .keycloak_support import keycloak, keycloak_env, keycloak_requests  # noqa: F401  # pylint: disable=unused-import

RESULT_KEYS = ("changed", "realm", "issuer_url", "groups", "client_id", "diff")


@pytest.fixture
def setting(keycloak_env, kube_env, kube_core, unique_name):
    namespace = "az-%s-portal" % unique_name
    kube_core.create_namespace({"metadata": {"name": namespace}})
    return {"env": dict(keycloak_env, KUBECONFIG=kube_env["KUBECONFIG"]), "realm": unique_name + "-users",
            "namespace": namespace, "tenancies": [{"id": "id-a-" + unique_name, "name": "physics"},
                                                  {"id": "id-b-" + unique_name, "name": "chemistry", "oidc_group": "/chem-users"}]}


def users_realm(run_playbook, setting, *args, **options):
    options.setdefault("tenancies", setting["tenancies"])
    options = dict(options, realm=setting["realm"], portal={"host": "portal.example.org"},
                   credentials_secret={"namespace": setting["namespace"], "name": "portal-oidc"})
    return run_module(run_playbook, setting["env"], "azimuth.ops.users_realm", options, *args)


def succeeded(run, result):
    assert run.ok and result and not result.get("failed"), run.output
    return result


def same_outcome(predicted, result):
    for key in RESULT_KEYS:
        assert predicted.get(key) == result.get(key), key


def secret_data(kube_core, namespace):
    from kubernetes.client.rest import ApiException
    try:
        secret = kube_core.read_namespaced_secret("portal-oidc", namespace)
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise
    return dict((k, base64.b64decode(v).decode()) for k, v in secret.data.items())


def test_create_recreate_modify_delete_with_and_without_check_mode(run_playbook, setting, keycloak, keycloak_requests,
                                                                   kube_requests, kube_core):
    realm, namespace = setting["realm"], setting["namespace"]

    def step(*args, **options):
        return succeeded(*users_realm(run_playbook, setting, "--diff", *args, **options))

    # create
    predicted = step("--check")
    assert predicted["changed"] and predicted["diff"]["before"]["realm"] is None
    assert [g["group"] for g in predicted["groups"]] == ["/physics", "/chem-users"]
    assert realm not in keycloak.realms() and secret_data(kube_core, namespace) is None
    same_outcome(predicted, step())
    export = keycloak.realm(realm)
    assert export["enabled"] and "groups" in export["defaultDefaultClientScopes"]
    assert {g["path"]: g["attributes"]["azimuth-ops.tenancy-id"] for g in export["groups"]} == {
        "/physics": [setting["tenancies"][0]["id"]], "/chem-users": [setting["tenancies"][1]["id"]]}
    client = keycloak.client(realm, "azimuth-portal")
    assert client["redirectUris"] == ["https://portal.example.org/auth/oidc/complete/"] and client["publicClient"] is False
    assert client["attributes"]["use.refresh.tokens"] == "true"
    assert secret_data(kube_core, namespace) == {"issuer-url": "%s/realms/%s" % (setting["env"]["KEYCLOAK_URL"], realm),
                                                 "client-id": "azimuth-portal", "client-secret": client["secret"]}
    # re-create
    for args in (("--check",), ()):
        with keycloak_requests.measure() as served, kube_requests.measure() as kube_served:
            assert not step(*args)["changed"]
        assert served == {TOKEN_ROUTE: 1, "POST /admin/realms/%s/partial-export" % realm: 1,
                          "GET /admin/realms/%s/clients" % realm: 1}, served
        assert kube_served == {"GET /api/v1/namespaces/%s/secrets/portal-oidc" % namespace: 1}
    # modify: a tenancy's group moves (renamed, members kept), another tenancy comes, prune the rest
    moved = [dict(setting["tenancies"][0], oidc_group="/physics-users"), {"id": "id-c", "name": "biology"}]
    physics = keycloak.group(realm, "/physics")
    keycloak.post(realm + "/users", {"username": "alice", "enabled": True})
    alice = keycloak.get(realm + "/users", username="alice")[0]
    keycloak.put("%s/users/%s/groups/%s" % (realm, alice["id"], physics["id"]), None)
    predicted = step("--check", tenancies=moved, prune=True)
    assert [(g["group"], g["created"], g["changed"]) for g in predicted["groups"]] == [
        ("/physics-users", False, True), ("/biology", True, True)]
    assert predicted["diff"]["after"]["realm"]["groups"]["/chem-users"] is None
    same_outcome(predicted, step(tenancies=moved, prune=True))
    assert keycloak.group(realm, "/physics-users")["id"] == physics["id"]
    assert [u["username"] for u in keycloak.get("%s/groups/%s/members" % (realm, physics["id"]))] == ["alice"]
    assert keycloak.group(realm, "/chem-users") is None and keycloak.group(realm, "/physics") is None
    assert not step(tenancies=moved, prune=True)["changed"]
    # delete
    predicted = step("--check", state="absent")
    assert predicted["changed"] and realm in keycloak.realms()
    same_outcome(predicted, step(state="absent"))
    assert realm not in keycloak.realms() and secret_data(kube_core, namespace) is None
    for args in (("--check",), ()):
        assert not step(*args, state="absent")["changed"]


def test_drift_is_repaired_and_the_secret_follows_the_client(run_playbook, setting, keycloak, keycloak_requests, kube_core):
    realm = setting["realm"]
    succeeded(*users_realm(run_playbook, setting))
    client = keycloak.client(realm, "azimuth-portal")
    keycloak.put("%s/clients/%s" % (realm, client["id"]), dict(client, redirectUris=["https://evil.example.org/*"]))
    keycloak.post("%s/clients/%s/client-secret" % (realm, client["id"]), None)
    keycloak.delete("%s/groups/%s" % (realm, keycloak.group(realm, "/chem-users")["id"]))
    run, predicted = users_realm(run_playbook, setting, "--check", "--diff")
    diff = succeeded(run, predicted)["diff"]
    assert diff["before"]["realm"]["portalClient"]["redirectUris"] == ["https://evil.example.org/*"]
    assert diff["before"]["realm"]["groups"]["/chem-users"] is None
    assert diff["after"]["secrets"]["%s/portal-oidc" % setting["namespace"]]["data"]["client-secret"] == "******** (changed)"
    same_outcome(predicted, succeeded(*users_realm(run_playbook, setting, "--diff")))
    client = keycloak.client(realm, "azimuth-portal")
    assert client["redirectUris"] == ["https://portal.example.org/auth/oidc/complete/"]
    assert secret_data(kube_core, setting["namespace"])["client-secret"] == client["secret"]
    assert keycloak.group(realm, "/chem-users") is not None
    with keycloak_requests.measure() as served:
        assert not succeeded(*users_realm(run_playbook, setting))["changed"]
    assert without_token(writes(served)) == {"POST /admin/realms/%s/partial-export" % realm: 1}


def test_the_client_secret_is_returned_only_when_asked_and_never_printed_otherwise(run_playbook, setting, keycloak):
    run, result = users_realm(run_playbook, setting, "-vvv", "--diff")
    succeeded(run, result)
    secret = keycloak.client(setting["realm"], "azimuth-portal")["secret"]
    assert "client_secret" not in result
    assert secret not in run.output and base64.b64encode(secret.encode()).decode() not in run.output
    run, result = users_realm(run_playbook, setting, return_client_secret=True)
    assert succeeded(run, result)["client_secret"] == secret


def test_a_realm_that_is_not_the_collection_s_stops_the_module(run_playbook, setting, keycloak):
    keycloak.post("", {"realm": setting["realm"], "enabled": True})
    run, result = users_realm(run_playbook, setting)
    assert run.ok and result["failed"], run.output
    assert result["msg"] == (
        "realm %s exists but is not managed by azimuth.ops (it lacks the realm attribute azimuth-ops.managed-by=azimuth-ops); "
        "rename or delete it, or set that attribute to let the collection manage it" % setting["realm"])
    run, result = users_realm(run_playbook, setting, tenancies=[{"id": "x", "name": "a", "oidc_group": "/a/b"}])
    assert result["msg"] == "tenancy a (x): the OIDC group '/a/b' is not a top-level group path such as /a"


def test_a_credentials_secret_of_another_tool_is_refused_before_any_write(
        run_playbook, setting, keycloak, keycloak_requests, kube_requests, kube_core):
    namespace = setting["namespace"]
    body = {"metadata": {"name": "portal-oidc", "labels": {"app.kubernetes.io/managed-by": "Helm"}},
            "data": {"values.yaml": base64.b64encode(b"x: 1").decode()}}
    before = kube_core.create_namespaced_secret(namespace, body)
    for state, args in (("present", ("--check",)), ("present", ()), ("absent", ())):
        with keycloak_requests.measure() as served, kube_requests.measure() as kube_served:
            run, result = users_realm(run_playbook, setting, *args, state=state)
        assert run.ok and result["failed"], run.output
        assert result["msg"] == ("the Secret %s/portal-oidc is managed by Helm (label app.kubernetes.io/managed-by=Helm), "
                                 "not by azimuth-ops; it is not the collection's to change" % namespace)
        assert not [route for route in without_token(writes(served)) if "partial-export" not in route], served
        assert writes(kube_served) == {}
    assert setting["realm"] not in keycloak.realms()
    after = kube_core.read_namespaced_secret("portal-oidc", namespace)
    assert after.metadata.resource_version == before.metadata.resource_version and after.metadata.labels == body["metadata"]["labels"]
