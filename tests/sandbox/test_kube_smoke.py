"""The sandbox's real kube-apiserver through the official client: objects, the Azimuth CRDs,
the two controllers (namespace deletion, garbage collection) and RBAC for the limited identity."""

import time
from pathlib import Path

import pytest
from kubernetes import client, config
from kubernetes.client.rest import ApiException

GROUPS = {"ClusterTemplate": ("azimuth.stackhpc.com", "clustertemplates"),
          "AppTemplate": ("azimuth.stackhpc.com", "apptemplates"),
          "ClusterType": ("caas.azimuth.stackhpc.com", "clustertypes"),
          "Cluster": ("caas.azimuth.stackhpc.com", "clusters")}


def wait_for(check, timeout=60):
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.5)


@pytest.fixture(scope="module")
def api(sandbox_env):
    with config.new_client_from_config(config_file=sandbox_env["KUBECONFIG"]) as api_client:
        yield api_client


@pytest.fixture
def namespace(api, unique_name):
    core = client.CoreV1Api(api)
    core.create_namespace({"metadata": {"name": unique_name}})
    yield unique_name
    try:
        core.delete_namespace(unique_name)
    except ApiException as err:
        if err.status != 404:
            raise


def gone(read):
    try:
        read()
    except ApiException as err:
        return err.status == 404
    return False


def test_it_is_the_real_kube_apiserver(api):
    version = client.VersionApi(api).get_code()
    assert version.major == "1" and version.minor.startswith("36")


def test_deleting_a_namespace_removes_its_objects(api, unique_name):
    core = client.CoreV1Api(api)
    core.create_namespace({"metadata": {"name": unique_name}})
    core.create_namespaced_secret(unique_name, {"metadata": {"name": "s"}, "stringData": {"k": "v"}})
    core.delete_namespace(unique_name)
    wait_for(lambda: gone(lambda: core.read_namespace(unique_name)))


def test_owned_objects_are_garbage_collected(api, namespace):
    core = client.CoreV1Api(api)
    owner = core.create_namespaced_config_map(namespace, {"metadata": {"name": "owner"}})
    reference = {"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": owner.metadata.uid}
    core.create_namespaced_secret(namespace, {"metadata": {"name": "owned", "ownerReferences": [reference]}})
    core.delete_namespaced_config_map("owner", namespace)
    wait_for(lambda: gone(lambda: core.read_namespaced_secret("owned", namespace)))


def test_the_azimuth_crds_accept_what_the_operators_accept(api, namespace, unique_name):
    custom = client.CustomObjectsApi(api)
    objects = {
        "ClusterTemplate": {"spec": {"label": "Kubernetes 1.36", "values": {"kubernetesVersion": "1.36.3"}}},
        "AppTemplate": {"spec": {"chart": {"repo": "https://azimuth-cloud.github.io/azimuth-charts",
                                           "name": "jupyterhub-azimuth"}, "versionRange": "<=0.14.0"}},
        "ClusterType": {"spec": {"uiMetaUrl": "https://example.org/ui-meta.yaml", "gitUrl": "https://example.org/a.git",
                                 "gitVersion": "main", "playbook": "site.yml", "extraVars": {"nested": {"a": [1]}}}},
        "Cluster": {"spec": {"clusterTypeName": unique_name, "cloudCredentialsSecretName": "creds",
                             "extraVars": {"cluster_image": "x"}}},
    }
    for kind, body in objects.items():
        group, plural = GROUPS[kind]
        body = dict(body, apiVersion=f"{group}/v1alpha1", kind=kind, metadata={"name": unique_name})
        if kind == "Cluster":
            created = custom.create_namespaced_custom_object(group, "v1alpha1", namespace, plural, body)
        else:
            created = custom.create_cluster_custom_object(group, "v1alpha1", plural, body)
            custom.delete_cluster_custom_object(group, "v1alpha1", plural, unique_name)
        assert created["spec"] == dict(created["spec"], **body["spec"])
    assert created["spec"]["paused"] is False  # a schema default


def test_a_crd_schema_rejects_a_bad_spec(api, unique_name):
    group, plural = GROUPS["ClusterTemplate"]
    body = {"apiVersion": f"{group}/v1alpha1", "kind": "ClusterTemplate", "metadata": {"name": unique_name},
            "spec": {"label": "x", "values": {}, "deprecated": "yes"}}
    with pytest.raises(ApiException) as caught:
        client.CustomObjectsApi(api).create_cluster_custom_object(group, "v1alpha1", plural, body)
    assert caught.value.status == 422 and "spec.deprecated" in caught.value.body


def test_the_limited_identity_is_forbidden_outside_its_namespace(sandbox_env):
    limited = str(Path(sandbox_env["KUBECONFIG"]).with_name("limited.kubeconfig"))
    with config.new_client_from_config(config_file=limited) as api_client:
        core = client.CoreV1Api(api_client)
        core.list_namespaced_secret("sandbox-limited")
        with pytest.raises(ApiException) as caught:
            core.list_namespace()
        assert caught.value.status == 403
