"""azimuth.ops.platform_identity through real ansible-playbook runs against the sandbox's Keycloak and kube-apiserver.

Each test makes its own tenancy realm (with azimuth.ops.tenancy_realm) and its own discovery
namespace ``az-<unique_name>-zenith``; both servers are reached through the test's recording proxies.
"""

import base64
import json

import pytest

from sandbox.proxy import writes

from .keycloak_support import TOKEN_ROUTE, run_module, without_token
# fixtures, used by name
from .keycloak_support import keycloak, keycloak_env, keycloak_requests  # noqa: F401  # pylint: disable=unused-import

RESULT_KEYS = ("changed", "platforms", "realm", "issuer_url", "diff")
IDP = {"issuer": "https://portal.example.org/authproxy/{tenancy_id}", "client_id": "keycloak-oidc", "client_secret": "idp-Secret-1",
       "client_secret_scope": "shared"}
PUBLIC_URL = "https://keycloak.example.org"


@pytest.fixture
def setting(run_playbook, keycloak_env, kube_env, kube_core, unique_name):
    """The test's realm (made now), discovery namespace (made now) and the environment of both proxies."""
    env = dict(keycloak_env, KUBECONFIG=kube_env["KUBECONFIG"])
    tenancy = {"id": "id-" + unique_name, "name": unique_name}
    kube_core.create_namespace({"metadata": {"name": "az-" + unique_name, "labels": {  # where the realm's binding is kept
        "tenant.azimuth-cloud.io/id": tenancy["id"].lower(), "app.kubernetes.io/managed-by": "azimuth-ops"}}})
    run, result = run_module(run_playbook, env, "azimuth.ops.tenancy_realm", {"tenancies": [tenancy], "azimuth_idp": IDP})
    assert run.ok and not result.get("failed"), run.output
    namespace = "az-%s-zenith" % unique_name
    kube_core.create_namespace({"metadata": {"name": namespace}})
    return {"env": env, "realm": "az-" + unique_name, "namespace": namespace}


def platforms(prefix, **services):
    """Platforms from ``{platform: [(service, subdomain)]}``; names and subdomains prefixed to be the test's own."""
    return [{"name": name, "services": [{"name": service, "subdomain": "%s-%s" % (prefix, sub), "fqdn": "%s-%s.apps.example.org" % (prefix, sub)}
                                        for service, sub in entries]}
            for name, entries in services.items()]


def identity(run_playbook, setting, listed, *args, **options):
    options = dict(options, realm=setting["realm"], platforms=listed, public_url=PUBLIC_URL,
                   discovery={"namespace": setting["namespace"]})
    return run_module(run_playbook, setting["env"], "azimuth.ops.platform_identity", options, *args)


def succeeded(run, result):
    assert run.ok and result and not result.get("failed"), run.output
    return result


def failed(run, result):
    assert run.ok and result and result.get("failed"), run.output
    return result["msg"]


def same_outcome(predicted, result):
    for key in RESULT_KEYS:
        assert predicted.get(key) == result.get(key), key


def secret_data(kube_core, namespace, name):
    from kubernetes.client.rest import ApiException
    try:
        secret = kube_core.read_namespaced_secret(name, namespace)
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise
    return dict((k, base64.b64decode(v).decode()) for k, v in secret.data.items())


def discovery_names(kube_core, namespace):
    return sorted(s.metadata.name for s in kube_core.list_namespaced_secret(namespace).items)


def test_create_recreate_modify_delete_with_and_without_check_mode(run_playbook, setting, keycloak, keycloak_requests,
                                                                   kube_requests, kube_core, unique_name):
    realm, namespace, p = setting["realm"], setting["namespace"], unique_name[-6:]
    listed = platforms(p, **{"caas-work": [("webconsole", "a"), ("monitoring", "b")], "kube-one": [("dashboard", "c")]})

    def step(items, *args, **options):
        return succeeded(*identity(run_playbook, setting, items, "--diff", *args, **options))

    # create
    predicted = step(listed, "--check")
    assert predicted["changed"] and sorted(predicted["diff"]["after"]["clients"]) == [
        "caas-work.monitoring", "caas-work.webconsole", "kube-one.dashboard"]
    assert keycloak.client(realm, "caas-work.webconsole") is None and discovery_names(kube_core, namespace) == []
    result = step(listed)
    same_outcome(predicted, result)
    client = keycloak.client(realm, "caas-work.webconsole")
    assert client["redirectUris"] == ["https://%s-a.apps.example.org/_oidc/callback" % p]
    assert client["baseUrl"] == "https://%s-a.apps.example.org" % p and client["publicClient"] is False
    assert (client["standardFlowEnabled"], client["implicitFlowEnabled"], client["directAccessGrantsEnabled"],
            client["serviceAccountsEnabled"]) == (True, False, False, False)
    assert keycloak.group(realm, "/caas-work/monitoring")["path"] == "/caas-work/monitoring"
    data = secret_data(kube_core, namespace, "oidc-discovery-%s-a" % p)
    assert data == {"issuer-url": "%s/realms/%s" % (PUBLIC_URL, realm), "client-id": "caas-work.webconsole",
                    "client-secret": client["secret"],
                    "allowed-groups": json.dumps(["/platform-users", "/caas-work", "/caas-work/webconsole"])}
    # re-create: one export, one client list, one Secret list; nothing written
    for args in (("--check",), ()):
        with keycloak_requests.measure() as served, kube_requests.measure() as kube_served:
            assert not step(listed, *args)["changed"]
        assert served == {TOKEN_ROUTE: 1, "POST /admin/realms/%s/partial-export" % realm: 1,
                          "GET /admin/realms/%s/clients" % realm: 1}, served
        assert kube_served == {"GET /api/v1/namespaces/%s/secrets" % namespace: 1}, kube_served
    # modify: a service goes, another moves
    changed = platforms(p, **{"caas-work": [("webconsole", "a")], "kube-one": [("dashboard", "c")]})
    changed[1]["services"][0]["fqdn"] = "moved.apps.example.org"
    predicted = step(changed, "--check")
    assert predicted["diff"]["after"]["clients"]["caas-work.monitoring"] is None
    assert keycloak.client(realm, "caas-work.monitoring") is not None
    same_outcome(predicted, step(changed))
    assert keycloak.client(realm, "caas-work.monitoring") is None
    assert keycloak.group(realm, "/caas-work/monitoring") is None
    assert discovery_names(kube_core, namespace) == ["oidc-discovery-%s-a" % p, "oidc-discovery-%s-c" % p]
    assert keycloak.client(realm, "kube-one.dashboard")["redirectUris"] == ["https://moved.apps.example.org/_oidc/callback"]
    assert not step(changed)["changed"]
    # delete
    gone = [{"name": "kube-one"}]
    predicted = step(gone, "--check", state="absent")
    assert predicted["diff"]["after"]["groups"] == {"/kube-one": None, "/kube-one/dashboard": None} or \
        predicted["diff"]["after"]["groups"] == {"/kube-one": None}
    same_outcome(predicted, step(gone, state="absent"))
    assert keycloak.client(realm, "kube-one.dashboard") is None and keycloak.group(realm, "/kube-one") is None
    assert discovery_names(kube_core, namespace) == ["oidc-discovery-%s-a" % p]
    assert keycloak.client(realm, "caas-work.webconsole") is not None
    for args in (("--check",), ()):
        assert not step(gone, *args, state="absent")["changed"]


def test_drift_is_repaired(run_playbook, setting, keycloak, keycloak_requests, kube_requests, kube_core, unique_name):
    realm, namespace, p = setting["realm"], setting["namespace"], unique_name[-6:]
    listed = platforms(p, **{"caas-work": [("webconsole", "a"), ("monitoring", "b")]})
    succeeded(*identity(run_playbook, setting, listed))
    client = keycloak.client(realm, "caas-work.webconsole")
    keycloak.put("%s/clients/%s" % (realm, client["id"]), dict(client, redirectUris=["https://evil.example.org/*"]))
    monitoring = keycloak.client(realm, "caas-work.monitoring")
    regenerated = keycloak.post("%s/clients/%s/client-secret" % (realm, monitoring["id"]), None)
    assert regenerated is not None
    keycloak.delete("%s/groups/%s" % (realm, keycloak.group(realm, "/caas-work/webconsole")["id"]))
    kube_core.delete_namespaced_secret("oidc-discovery-%s-a" % p, namespace)

    run, predicted = identity(run_playbook, setting, listed, "--check", "--diff")
    diff = succeeded(run, predicted)["diff"]
    assert diff["before"]["clients"]["caas-work.webconsole"]["redirectUris"] == ["https://evil.example.org/*"]
    assert diff["before"]["groups"] == {"/caas-work/webconsole": None}
    assert diff["after"]["secrets"]["%s/oidc-discovery-%s-b" % (namespace, p)]["data"]["client-secret"] == "******** (changed)"
    assert diff["before"]["secrets"]["%s/oidc-discovery-%s-a" % (namespace, p)] is None
    run, result = identity(run_playbook, setting, listed, "--diff")
    same_outcome(predicted, succeeded(run, result))
    assert keycloak.client(realm, "caas-work.webconsole")["redirectUris"] == [
        "https://%s-a.apps.example.org/_oidc/callback" % p]
    assert keycloak.group(realm, "/caas-work/webconsole") is not None
    secret = keycloak.client(realm, "caas-work.monitoring")["secret"]
    assert secret_data(kube_core, namespace, "oidc-discovery-%s-b" % p)["client-secret"] == secret
    assert secret_data(kube_core, namespace, "oidc-discovery-%s-a" % p)["client-id"] == "caas-work.webconsole"
    with keycloak_requests.measure() as served, kube_requests.measure() as kube_served:
        assert not succeeded(*identity(run_playbook, setting, listed))["changed"]
    assert without_token(writes(served)) == {"POST /admin/realms/%s/partial-export" % realm: 1} and writes(kube_served) == {}


def test_what_others_add_survives_even_prune(run_playbook, setting, keycloak, kube_core, unique_name):
    realm, namespace, p = setting["realm"], setting["namespace"], unique_name[-6:]
    succeeded(*identity(run_playbook, setting, platforms(p, **{"caas-a": [("web", "a")], "caas-b": [("web", "b")]})))
    keycloak.post(realm + "/clients", {"clientId": "caas-a.their-own", "redirectUris": ["https://x.example.org/*"]})
    group = keycloak.group(realm, "/caas-a")
    keycloak.post("%s/groups/%s/children" % (realm, group["id"]), {"name": "their-subgroup"})
    keycloak.post(realm + "/groups", {"name": "caas-c"})
    client = keycloak.client(realm, "caas-a.web")
    keycloak.put("%s/clients/%s" % (realm, client["id"]), dict(client, description="theirs", webOrigins=["+"]))
    kube_core.patch_namespaced_secret("oidc-discovery-%s-a" % p, namespace, {"data": {"extra": base64.b64encode(b"x").decode()}})

    run, result = identity(run_playbook, setting, platforms(p, **{"caas-a": [("web", "a")]}), prune=True)
    assert succeeded(run, result)["changed"]
    assert keycloak.client(realm, "caas-b.web") is None and keycloak.group(realm, "/caas-b") is None
    assert discovery_names(kube_core, namespace) == ["oidc-discovery-%s-a" % p]
    assert keycloak.client(realm, "caas-a.their-own") is not None
    assert keycloak.group(realm, "/caas-a/their-subgroup") is not None and keycloak.group(realm, "/caas-c") is not None
    client = keycloak.client(realm, "caas-a.web")
    assert client["description"] == "theirs" and client["webOrigins"] == ["+"]
    assert secret_data(kube_core, namespace, "oidc-discovery-%s-a" % p)["extra"] == "x"
    assert not succeeded(*identity(run_playbook, setting, platforms(p, **{"caas-a": [("web", "a")]}), prune=True))["changed"]


def test_no_secret_in_any_output_at_vvv_with_diff(run_playbook, setting, keycloak, kube_core, unique_name):
    realm, namespace, p = setting["realm"], setting["namespace"], unique_name[-6:]
    listed = platforms(p, **{"caas-work": [("webconsole", "a")]})
    outputs = [identity(run_playbook, setting, listed, "-vvv", "--diff")[0].output]
    client = keycloak.client(realm, "caas-work.webconsole")
    keycloak.post("%s/clients/%s/client-secret" % (realm, client["id"]), None)
    outputs.append(identity(run_playbook, setting, listed, "-vvv", "--diff")[0].output)
    secrets = [client["secret"], keycloak.client(realm, "caas-work.webconsole")["secret"]]
    assert secret_data(kube_core, namespace, "oidc-discovery-%s-a" % p)["client-secret"] == secrets[1]
    for text in outputs:
        assert "******** (changed)" in outputs[1]
        for secret in secrets:
            assert secret not in text and base64.b64encode(secret.encode()).decode() not in text


def test_clear_errors(run_playbook, setting, keycloak, keycloak_requests, unique_name):
    realm, p = setting["realm"], unique_name[-6:]
    missing = dict(setting, realm=unique_name + "-missing")
    run, result = identity(run_playbook, missing, platforms(p, **{"caas-x": [("web", "a")]}))
    assert failed(run, result) == "realm %s-missing does not exist; create it first (azimuth.ops.tenancy_realm)" % unique_name
    keycloak.post("", {"realm": unique_name + "-foreign", "enabled": True})
    run, result = identity(run_playbook, dict(setting, realm=unique_name + "-foreign"), platforms(p, **{"caas-x": [("web", "a")]}))
    assert failed(run, result).startswith("realm %s-foreign exists but is not managed by azimuth.ops" % unique_name)
    run, result = identity(run_playbook, setting, platforms(p, **{"CaaS X": [("web", "a")]}))
    assert failed(run, result).startswith("platform 'CaaS X' is not a valid name")
    bad = platforms(p, **{"caas-x": [("web", "a")]})
    bad[0]["services"][0]["fqdn"] = "bad host"
    with keycloak_requests.measure() as served:
        run, result = identity(run_playbook, setting, bad)
    assert failed(run, result) == (
        "Could not create the client caas-x.web in realm %s: POST admin/realms/%s/clients: HTTP 400: invalid_input: "
        "Base URL is not a valid URL; A redirect URI is not a valid URI" % (realm, realm))
    assert result["changed"] is True  # the group was made before Keycloak refused the client
    assert without_token(writes(served))["POST /admin/realms/%s/groups" % realm] == 1
    run, result = identity(run_playbook, dict(setting, namespace=unique_name + "-no-such-namespace"),
                           platforms(p, **{"caas-x": [("web", "a")]}))
    assert "Could not create the Secret %s-no-such-namespace/oidc-discovery-%s-a" % (unique_name, p) in failed(run, result)


def test_the_realm_s_own_groups_are_refused_before_any_write(
        run_playbook, setting, keycloak, keycloak_requests, kube_requests, unique_name):
    realm, p = setting["realm"], unique_name[-6:]
    admins = keycloak.group(realm, "/admins")
    for name, state, args in (("admins", "present", ("--check",)), ("admins", "present", ()), ("admins", "absent", ()),
                              ("platform-users", "present", ()), ("platform-users", "absent", ("--check",))):
        with keycloak_requests.measure() as served, kube_requests.measure() as kube_served:
            run, result = identity(run_playbook, setting, platforms(p, **{name: [("web", "a")]}), *args, state=state)
        assert failed(run, result) == (
            "platform %s: the group /%s is one of the realm's own groups (/admins, /platform-users); "
            "give the platform another name" % (name, name))
        assert without_token(writes(served)) == {} and writes(kube_served) == {}, served
    run, result = identity(run_playbook, setting, platforms(p, **{"admins": [("web", "a")]}), adopt=True)
    assert failed(run, result).startswith("platform admins: the group /admins is one of the realm's own groups")
    after = keycloak.group(realm, "/admins")
    assert after["attributes"] == admins["attributes"] and after["clientRoles"] == admins["clientRoles"]
    assert keycloak.group(realm, "/admins/web") is None and keycloak.client(realm, "admins.web") is None


def test_a_group_the_module_did_not_make_is_adopted_only_when_asked(
        run_playbook, setting, keycloak, keycloak_requests, kube_requests, kube_core, unique_name):
    realm, namespace, p = setting["realm"], setting["namespace"], unique_name[-6:]
    theirs = keycloak.post(realm + "/groups", {"name": "caas-theirs", "attributes": {"note": ["a person's group"]}})
    listed = platforms(p, **{"caas-theirs": [("web", "a")]})
    for args in (("--check",), ()):
        with keycloak_requests.measure() as served, kube_requests.measure() as kube_served:
            run, result = identity(run_playbook, setting, listed, *args)
        assert failed(run, result) == (
            "platform caas-theirs: the group /caas-theirs was not made by azimuth.ops for this platform (it lacks the group "
            "attributes azimuth-ops.managed-by=azimuth-ops and azimuth-ops.platform=caas-theirs); give the platform another "
            "name, or set adopt: true to let the module take the group over")
        assert without_token(writes(served)) == {"POST /admin/realms/%s/partial-export" % realm: 1}, served
        assert writes(kube_served) == {}
    # absent leaves a group it did not make alone
    assert not succeeded(*identity(run_playbook, setting, [{"name": "caas-theirs"}], state="absent"))["changed"]
    assert keycloak.group(realm, "/caas-theirs")["id"] == theirs
    # adopt: true takes it over (marked, what it holds kept)
    predicted = succeeded(*identity(run_playbook, setting, listed, "--check", "--diff", adopt=True))
    assert predicted["changed"] and predicted["diff"]["before"]["groups"]["/caas-theirs"]["attributes"] == {
        "azimuth-ops.managed-by": None, "azimuth-ops.platform": None}
    assert succeeded(*identity(run_playbook, setting, listed, adopt=True))["changed"]
    group = keycloak.group(realm, "/caas-theirs")
    assert group["id"] == theirs and group["attributes"] == {
        "note": ["a person's group"], "azimuth-ops.managed-by": ["azimuth-ops"], "azimuth-ops.platform": ["caas-theirs"]}
    assert not succeeded(*identity(run_playbook, setting, listed))["changed"]
    # a service subgroup of the adopted group that someone else made is refused too
    keycloak.post("%s/groups/%s/children" % (realm, theirs), {"name": "monitoring"})
    run, result = identity(run_playbook, setting, platforms(p, **{"caas-theirs": [("web", "a"), ("monitoring", "b")]}))
    assert failed(run, result).startswith("platform caas-theirs: the group /caas-theirs/monitoring was not made by azimuth.ops")
    # adopted, it is the module's: absent deletes it
    assert succeeded(*identity(run_playbook, setting, [{"name": "caas-theirs"}], state="absent"))["changed"]
    assert keycloak.group(realm, "/caas-theirs") is None and discovery_names(kube_core, namespace) == []


def test_a_client_the_module_did_not_make_is_refused(run_playbook, setting, keycloak, keycloak_requests, unique_name):
    realm, p = setting["realm"], unique_name[-6:]
    keycloak.post(realm + "/clients", {"clientId": "caas-x.web", "redirectUris": ["https://theirs.example.org/*"]})
    with keycloak_requests.measure() as served:
        run, result = identity(run_playbook, setting, platforms(p, **{"caas-x": [("web", "a")]}))
    assert failed(run, result).startswith("platform caas-x: the client caas-x.web was not made by azimuth.ops for this platform")
    assert "GET /admin/realms/%s/clients" % realm in served and without_token(writes(served)) == {
        "POST /admin/realms/%s/partial-export" % realm: 1}
    assert keycloak.client(realm, "caas-x.web")["redirectUris"] == ["https://theirs.example.org/*"]


@pytest.mark.parametrize("labels, message", [
    ({"app.kubernetes.io/managed-by": "Helm"},
     "the Secret {ns}/oidc-discovery-{p}-a is managed by Helm (label app.kubernetes.io/managed-by=Helm), not by azimuth-ops; "
     "it is not the collection's to change"),
    ({"app.kubernetes.io/managed-by": "azimuth-ops", "identity.azimuth-cloud.io/realm": "az-another"},
     "the Secret {ns}/oidc-discovery-{p}-a is the discovery Secret of realm az-another (label identity.azimuth-cloud.io/realm), "
     "not of {realm}; each service needs a subdomain of its own"),
])
def test_a_discovery_secret_of_another_tool_is_found_before_any_write(
        run_playbook, setting, keycloak, keycloak_requests, kube_requests, kube_core, unique_name, labels, message):
    realm, namespace, p = setting["realm"], setting["namespace"], unique_name[-6:]
    name = "oidc-discovery-%s-a" % p
    before = kube_core.create_namespaced_secret(namespace, {"metadata": {"name": name, "labels": labels},
                                                            "data": {"client-secret": base64.b64encode(b"theirs").decode()}})
    for args in (("--check",), ()):
        with keycloak_requests.measure() as served, kube_requests.measure() as kube_served:
            run, result = identity(run_playbook, setting, platforms(p, **{"caas-x": [("web", "a")]}), *args)
        assert failed(run, result) == message.format(ns=namespace, p=p, realm=realm)
        assert without_token(writes(served)) == {"POST /admin/realms/%s/partial-export" % realm: 1}, served
        assert writes(kube_served) == {}
    assert keycloak.client(realm, "caas-x.web") is None and keycloak.group(realm, "/caas-x") is None
    after = kube_core.read_namespaced_secret(name, namespace)
    assert after.metadata.resource_version == before.metadata.resource_version


def test_the_identity_operator_s_discovery_secret_is_refused_until_adopted(
        run_playbook, setting, keycloak, kube_requests, kube_core, unique_name):
    realm, namespace, p = setting["realm"], setting["namespace"], unique_name[-6:]
    name = "oidc-discovery-%s-a" % p
    operator_labels = {"app.kubernetes.io/managed-by": "azimuth-identity-operator",
                       "identity.azimuth.stackhpc.com/platform-namespace": realm, "identity.azimuth.stackhpc.com/platform-name": "caas-x",
                       "identity.azimuth.stackhpc.com/service-name": "web", "identity.azimuth.stackhpc.com/subdomain": "%s-a" % p}
    kube_core.create_namespaced_secret(namespace, {"metadata": {"name": name, "labels": operator_labels},
                                                   "data": {"client-secret": base64.b64encode(b"the-operator-s").decode()}})
    listed = platforms(p, **{"caas-x": [("web", "a")]})
    with kube_requests.measure() as served:
        run, result = identity(run_playbook, setting, listed)
    assert failed(run, result) == ("the Secret %s/%s is managed by azimuth-identity-operator (label app.kubernetes.io/managed-by="
                                   "azimuth-identity-operator), not by azimuth-ops; it is not the collection's to change; set adopt: "
                                   "true to take it over from azimuth-identity-operator" % (namespace, name))
    assert writes(served) == {} and keycloak.group(realm, "/caas-x") is None
    run, result = identity(run_playbook, setting, listed, "--check", adopt=True)
    assert succeeded(run, result)["changed"]
    assert kube_core.read_namespaced_secret(name, namespace).metadata.labels == operator_labels
    succeeded(*identity(run_playbook, setting, listed, adopt=True))
    adopted = kube_core.read_namespaced_secret(name, namespace)
    assert adopted.metadata.annotations == {"azimuth-ops.azimuth-cloud.io/adopted-from": "azimuth-identity-operator"}
    # the module's labels and the identity operator's, so either tool finds the other's
    assert adopted.metadata.labels == dict(operator_labels, **{
        "app.kubernetes.io/managed-by": "azimuth-ops", "identity.azimuth-cloud.io/realm": realm,
        "identity.azimuth-cloud.io/platform": "caas-x", "identity.azimuth-cloud.io/service": "web",
        "identity.azimuth-cloud.io/subdomain": "%s-a" % p})
    assert secret_data(kube_core, namespace, name)["client-secret"] == keycloak.client(realm, "caas-x.web")["secret"]
    assert not succeeded(*identity(run_playbook, setting, listed))["changed"]
