"""The rulebook azimuth.ops.identity, run by the real ansible-rulebook against the sandbox: the portal's Realm and
Platform objects answered as the identity operator answers them, deletions cleaned up, a restart mid-run
finishing the work once.  The rulebook watches only this test's objects (a label selector)."""

import base64
import os
import sys

import pytest

from .conftest import COLLECTIONS_PATH
from .eda_support import Rulebook, wait_for
# fixtures, used by name
from .keycloak_support import keycloak  # noqa: F401  # pylint: disable=unused-import

KIND = ("identity.azimuth.stackhpc.com", "v1alpha1")
FINALIZER = "azimuth-ops.azimuth-cloud.io/identity"


@pytest.fixture
def custom(sandbox_env):
    from kubernetes import client, config  # pylint: disable=import-outside-toplevel
    configuration = client.Configuration()
    config.load_kube_config(config_file=sandbox_env["KUBECONFIG"], client_configuration=configuration)
    with client.ApiClient(configuration) as api:
        yield client.CustomObjectsApi(api)


def read(custom, plural, namespace, name):
    from kubernetes.client.rest import ApiException  # pylint: disable=import-outside-toplevel
    try:
        return custom.get_namespaced_custom_object(*KIND, namespace, plural, name)
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise


@pytest.fixture
def setting(tmp_path, sandbox_env, kube_core, kube_requests, unique_name, custom, keycloak):
    """A tenancy namespace, a Zenith namespace, the rulebook scoped to this test's objects; cleaned up afterwards."""
    selector = "test.azimuth-cloud.io/run=%s" % unique_name
    namespace, zenith = "az-%s" % unique_name, "az-%s-zenith" % unique_name
    kube_core.create_namespace({"metadata": {"name": namespace, "labels": {
        "tenant.azimuth-cloud.io/id": "id-" + unique_name, "app.kubernetes.io/managed-by": "azimuth-ops"}}})
    kube_core.create_namespace({"metadata": {"name": zenith}})
    env = dict(os.environ, **sandbox_env)
    env.update(ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS_PATH), ANSIBLE_NOCOLOR="1", ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    rulebook = Rulebook(env, tmp_path, "azimuth.ops.identity", {"identity_eda": {
        "azimuth_idp": {"issuer": "https://portal.example.org/authproxy/{tenancy_id}", "client_id": "keycloak-oidc"},
        "ssl_required": "none", "zenith_namespace": zenith, "label_selector": selector, "resync_seconds": 30}})
    yield dict(namespace=namespace, zenith=zenith, labels={"test.azimuth-cloud.io/run": unique_name,
                                                           "app.kubernetes.io/managed-by": "azimuth"}, rulebook=rulebook)
    rulebook.stop()
    for plural in ("platforms", "realms"):
        for obj in custom.list_namespaced_custom_object(*KIND, namespace, plural)["items"]:
            custom.patch_namespaced_custom_object(*KIND, namespace, plural, obj["metadata"]["name"], {"metadata": {"finalizers": None}})
    if namespace in keycloak.realms():
        keycloak.delete(namespace)


def make(custom, setting, plural, kind, name, spec):
    body = {"apiVersion": "%s/%s" % KIND, "kind": kind, "metadata": {"name": name, "labels": setting["labels"]}, "spec": spec}
    custom.create_namespaced_custom_object(*KIND, setting["namespace"], plural, body)


def test_realms_and_platforms_are_answered_and_cleaned_up(setting, custom, kube_core, keycloak, unique_name):
    namespace, zenith, rulebook = setting["namespace"], setting["zenith"], setting["rulebook"]
    sub = unique_name[-6:].replace("-", "")
    rulebook.start()
    make(custom, setting, "realms", "Realm", namespace, {"tenancyId": "id-" + unique_name})
    realm = wait_for("the Realm's status", lambda: (read(custom, "realms", namespace, namespace) or {}).get("status", {}).get("phase") == "Ready"
                     and read(custom, "realms", namespace, namespace), rulebook)
    keycloak_url = setting["rulebook"].env["KEYCLOAK_URL"]
    assert realm["status"] == {"phase": "Ready", "oidcIssuerUrl": "%s/realms/%s" % (keycloak_url, namespace),
                               "adminUrl": "%s/admin/%s/console" % (keycloak_url, namespace), "platformUsersGroup": "/platform-users"}
    assert realm["metadata"]["finalizers"] == [FINALIZER] and realm["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "azimuth"
    assert keycloak.realm(namespace)["attributes"]["azimuth-ops.tenancy-id"] == "id-" + unique_name

    make(custom, setting, "platforms", "Platform", "caas-x", {
        "realmName": namespace, "zenithServices": {"web": {"subdomain": sub, "fqdn": "%s.apps.example.org" % sub}}})
    platform = wait_for("the Platform's status", lambda: (read(custom, "platforms", namespace, "caas-x") or {}).get("status", {}).get("phase") == "Ready"
                        and read(custom, "platforms", namespace, "caas-x"), rulebook)
    assert platform["status"] == {"phase": "Ready", "rootGroup": "/caas-x", "zenithServiceSubgroups": {"web": "/caas-x/web"}}
    secret = kube_core.read_namespaced_secret("oidc-discovery-" + sub, zenith)
    client = keycloak.client(namespace, "caas-x.web")
    assert base64.b64decode(secret.data["client-secret"]).decode() == client["secret"]
    assert client["redirectUris"] == ["https://%s.apps.example.org/_oidc/callback" % sub]

    # the portal deletes the platform, then the realm: each is cleaned up after, then let go
    custom.delete_namespaced_custom_object(*KIND, namespace, "platforms", "caas-x")
    wait_for("the Platform let go", lambda: read(custom, "platforms", namespace, "caas-x") is None, rulebook)
    assert keycloak.client(namespace, "caas-x.web") is None and keycloak.group(namespace, "/caas-x") is None
    assert [s.metadata.name for s in kube_core.list_namespaced_secret(zenith).items if s.metadata.name.startswith("oidc-")] == []
    custom.delete_namespaced_custom_object(*KIND, namespace, "realms", namespace)
    wait_for("the Realm let go", lambda: read(custom, "realms", namespace, namespace) is None, rulebook)
    assert namespace not in keycloak.realms()
    assert rulebook.stop() is not None


def test_a_restart_mid_run_finishes_the_work_once(setting, custom, keycloak, unique_name):
    namespace, rulebook = setting["namespace"], setting["rulebook"]
    rulebook.start()
    make(custom, setting, "realms", "Realm", namespace, {"tenancyId": "id-" + unique_name})
    # stopped as soon as its run has started on Keycloak
    wait_for("the realm's creation", lambda: namespace in keycloak.realms(), rulebook)
    rulebook.stop()
    rulebook.start()
    wait_for("the Realm's status", lambda: (read(custom, "realms", namespace, namespace) or {}).get("status", {}).get("phase") == "Ready", rulebook)
    assert [name for name in keycloak.realms() if name == namespace] == [namespace]
    assert keycloak.realm(namespace)["attributes"]["azimuth-ops.tenancy-id"] == "id-" + unique_name
