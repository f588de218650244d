"""Each tenancy's Realm object (identity.azimuth.stackhpc.com), as Azimuth's portal reads it, against the real
kube-apiserver (with the identity operator's CRD) and Keycloak; and the identity operator's realms, refused
unless adopted."""

import pytest

from sandbox.proxy import writes

from .keycloak_support import run_module
# fixtures, used by name
from .keycloak_support import keycloak, keycloak_env, keycloak_requests  # noqa: F401  # pylint: disable=unused-import
from .test_tenancy_realm import failed, idp, names, succeeded  # noqa: F401  # pylint: disable=unused-import

KIND = ("identity.azimuth.stackhpc.com", "v1alpha1")
FINALIZER = "identity.azimuth.stackhpc.com/finalizer"
KOPF_ANNOTATION = "identity.azimuth.stackhpc.com/last-handled-configuration"
ADOPTED = "azimuth-ops.azimuth-cloud.io/adopted-from"


@pytest.fixture
def env(keycloak_env, kube_requests):
    return dict(keycloak_env, KUBECONFIG=kube_requests.kubeconfig)


@pytest.fixture
def realm_objects(sandbox_env):
    """Realm objects straight from the kube-apiserver (set-up and checks, not counted)."""
    from kubernetes import client, config  # pylint: disable=import-outside-toplevel
    configuration = client.Configuration()
    config.load_kube_config(config_file=sandbox_env["KUBECONFIG"], client_configuration=configuration)
    with client.ApiClient(configuration) as api:
        yield Objects(client.CustomObjectsApi(api))


class Objects:
    def __init__(self, custom):
        self.custom = custom

    def get(self, namespace):
        from kubernetes.client.rest import ApiException  # pylint: disable=import-outside-toplevel
        try:
            return self.custom.get_namespaced_custom_object(*KIND, namespace, "realms", namespace)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise

    def create(self, namespace, labels=None, finalizers=None, annotations=None, tenancy_id=None, status=None):
        body = {"apiVersion": "%s/%s" % KIND, "kind": "Realm", "spec": {"tenancyId": tenancy_id} if tenancy_id else {},
                "metadata": {"name": namespace, "labels": labels or {}, "finalizers": finalizers or [], "annotations": annotations or {}}}
        self.custom.create_namespaced_custom_object(*KIND, namespace, "realms", body)
        if status:
            self.custom.patch_namespaced_custom_object_status(*KIND, namespace, "realms", namespace, {"status": status})

    def patch(self, namespace, patch, status=False):
        call = self.custom.patch_namespaced_custom_object_status if status else self.custom.patch_namespaced_custom_object
        call(*KIND, namespace, "realms", namespace, patch)


def realms(run_playbook, env, tenancies, *args, **options):
    options = dict(options, tenancies=tenancies)
    options.setdefault("azimuth_idp", idp())
    return run_module(run_playbook, env, "azimuth.ops.tenancy_realm", options, *args)


def ready(keycloak_url, realm):
    return {"phase": "Ready", "oidcIssuerUrl": "%s/realms/%s" % (keycloak_url, realm),
            "adminUrl": "%s/admin/%s/console" % (keycloak_url, realm), "platformUsersGroup": "/platform-users"}


def test_each_tenancy_gets_the_realm_object_the_portal_reads(run_playbook, env, kube_requests, realm_objects, names):
    one = names("one")
    namespace = "az-" + one["name"]
    keycloak_url = env["KEYCLOAK_URL"]
    with kube_requests.measure() as served:
        run, result = realms(run_playbook, env, [one], "--check", "--diff")
    assert succeeded(run, result)["changed"] and result["realms"][0]["realm_object"] == "%s/%s" % (namespace, namespace)
    assert result["diff"]["after"]["realm_objects"] == {"%s/%s" % (namespace, namespace): {
        "spec": {"tenancyId": one["id"]}, "status": ready(keycloak_url, namespace)}}
    assert not writes(served) and realm_objects.get(namespace) is None
    succeeded(*realms(run_playbook, env, [one]))
    made = realm_objects.get(namespace)
    assert made["metadata"]["labels"] == {"app.kubernetes.io/managed-by": "azimuth-ops"}
    assert made["spec"] == {"tenancyId": one["id"]} and made["status"] == ready(keycloak_url, namespace)
    # a no-op: one more list (the Realm objects), no write
    for args in (("--check",), ()):
        with kube_requests.measure() as served:
            run, result = realms(run_playbook, env, [one], *args)
        assert not succeeded(run, result)["changed"] and not writes(served)
        assert served["GET /apis/identity.azimuth.stackhpc.com/v1alpha1/realms"] == 1
    # the status is changed behind the module's back: written again
    realm_objects.patch(namespace, {"status": {"phase": "Failed", "failureMessage": "tampered"}}, status=True)
    assert succeeded(*realms(run_playbook, env, [one]))["changed"]
    assert realm_objects.get(namespace)["status"]["phase"] == "Ready"
    # deleted with the realm
    run, result = realms(run_playbook, env, [one], "--check", state="absent")
    assert succeeded(run, result)["changed"] and realm_objects.get(namespace) is not None
    succeeded(*realms(run_playbook, env, [one], state="absent"))
    assert realm_objects.get(namespace) is None


def test_the_portal_s_realm_object_is_answered_and_left_to_the_portal(run_playbook, env, realm_objects, names):
    one = names("one")
    namespace = "az-" + one["name"]
    realm_objects.create(namespace, labels={"app.kubernetes.io/managed-by": "azimuth"}, tenancy_id=one["id"])
    succeeded(*realms(run_playbook, env, [one]))
    answered = realm_objects.get(namespace)
    assert answered["metadata"]["labels"] == {"app.kubernetes.io/managed-by": "azimuth"}
    assert answered["status"] == ready(env["KEYCLOAK_URL"], namespace)
    run, result = realms(run_playbook, env, [one], state="absent")
    assert succeeded(run, result)["realms"][0]["deleted"]
    assert realm_objects.get(namespace) is not None


def test_realm_objects_off_reads_and_writes_none(run_playbook, env, kube_requests, realm_objects, names):
    one = names("one")
    with kube_requests.measure() as served:
        run, result = realms(run_playbook, env, [one], realm_objects=False)
    assert succeeded(run, result)["realms"][0]["realm_object"] is None
    assert not any("identity.azimuth.stackhpc.com" in route for route in served)
    assert realm_objects.get("az-" + one["name"]) is None


def test_another_tool_s_realm_object_is_refused_even_when_adopting(run_playbook, env, keycloak, realm_objects, names):
    one = names("one")
    namespace = "az-" + one["name"]
    realm_objects.create(namespace, labels={"app.kubernetes.io/managed-by": "Helm"})
    run, result = realms(run_playbook, env, [one], adopt=True)
    assert "the Realm %s/%s is managed by Helm" % (namespace, namespace) in failed(run, result)
    assert not result["changed"] and namespace not in keycloak.realms()


def test_the_identity_operator_s_realm_is_refused_until_adopted(run_playbook, env, keycloak, kube_core, kube_requests, realm_objects, names):
    one = names("one")
    namespace = "az-" + one["name"]
    keycloak_url = env["KEYCLOAK_URL"]
    # what the portal and the identity operator leave: the operator's realm (named after the namespace, no
    # marks of ours) and the portal's Realm object, handled by the operator
    keycloak.post("", {"realm": namespace, "enabled": True})
    operator_status = ready("https://keycloak.example.org", namespace)
    realm_objects.create(namespace, labels={"app.kubernetes.io/managed-by": "azimuth"}, finalizers=[FINALIZER],
                         annotations={KOPF_ANNOTATION: "{}"}, tenancy_id=one["id"], status=operator_status)
    realm_id = next(r["id"] for r in keycloak.get("", briefRepresentation="true") if r["realm"] == namespace)
    try:
        for args in (("--check",), ()):
            with kube_requests.measure() as served:
                run, result = realms(run_playbook, env, [one], *args)
            message = failed(run, result)
            assert "the Realm %s/%s is handled by the azimuth-identity-operator" % (namespace, namespace) in message
            assert "set adopt: true" in message and not result["changed"] and not writes(served)
        assert "azimuth-ops.managed-by" not in (keycloak.realm(namespace).get("attributes") or {})
        with kube_requests.measure() as served:
            run, result = realms(run_playbook, env, [one], "--check", "--diff", adopt=True)
        assert succeeded(run, result)["changed"] and not writes(served)
        assert realm_objects.get(namespace)["metadata"]["finalizers"] == [FINALIZER]
        run, result = realms(run_playbook, env, [one], adopt=True)
        assert succeeded(run, result)["realms"][0]["realm"] == namespace and not result["realms"][0]["created"]
        adopted = realm_objects.get(namespace)
        assert not adopted["metadata"].get("finalizers") and KOPF_ANNOTATION not in adopted["metadata"]["annotations"]
        assert adopted["metadata"]["annotations"][ADOPTED].startswith("azimuth-identity-operator at ")
        assert adopted["status"] == ready(keycloak_url, namespace)
        annotations = kube_core.read_namespace(namespace).metadata.annotations
        assert annotations["tenant.azimuth-cloud.io/realm-id"] == realm_id
        assert keycloak.realm(namespace)["attributes"]["azimuth-ops.tenancy-id"] == one["id"]
        # from now on it is the tenancy's realm, with or without adopt
        assert not succeeded(*realms(run_playbook, env, [one]))["changed"]
    finally:
        if realm_objects.get(namespace):
            realm_objects.patch(namespace, {"metadata": {"finalizers": None}})
