"""The sandbox's real kube-apiserver through the official client: objects, the Azimuth CRDs,
the two controllers (namespace deletion, garbage collection) and RBAC for the limited identity."""

import copy
import time
from pathlib import Path

import pytest
from kubernetes import client, config
from kubernetes.client.rest import ApiException

GROUPS = {"ClusterTemplate": ("azimuth.stackhpc.com", "clustertemplates"),
          "AppTemplate": ("azimuth.stackhpc.com", "apptemplates"),
          "ClusterType": ("caas.azimuth.stackhpc.com", "clustertypes"),
          "Cluster": ("caas.azimuth.stackhpc.com", "clusters"),
          "Realm": ("identity.azimuth.stackhpc.com", "realms"),
          "Platform": ("identity.azimuth.stackhpc.com", "platforms")}
NAMESPACED = {"Cluster", "Realm", "Platform"}
# Objects each upstream operator accepts (its pydantic models, which the CRDs are generated from).
VALID = {
    "ClusterTemplate": {"spec": {"label": "Kubernetes 1.36", "description": "A cluster",
                                 "values": {"kubernetesVersion": "1.36.3", "machineImageId": "img-1",
                                            "nodeGroups": [{"name": "md-0"}]}}},
    "AppTemplate": {"spec": {"chart": {"repo": "https://azimuth-cloud.github.io/azimuth-charts",
                                       "name": "jupyterhub-azimuth"}, "versionRange": ">=0.1.0,<=0.14.0"}},
    "ClusterType": {"spec": {"uiMetaUrl": "https://example.org/ui-meta.yaml", "gitUrl": "https://example.org/a.git",
                             "gitVersion": "main", "playbook": "site.yml", "extraVars": {"nested": {"a": [1]}}}},
    "Cluster": {"spec": {"clusterTypeName": "workstation", "clusterTypeVersion": "1234",
                         "cloudCredentialsSecretName": "creds", "extraVars": {"cluster_image": "x"}}},
    "Realm": {"spec": {"tenancyId": "0123abcd"}},
    "Platform": {"spec": {"realmName": "az-demo",
                          "zenithServices": {"webconsole": {"subdomain": "abc123", "fqdn": "abc123.apps.example.org"}}}},
}
# One thing each upstream CRD refuses: a missing required field where the kind has one (Realm
# requires none upstream, so a status value outside its enum instead), and the field the
# apiserver names.
REFUSED = {
    "ClusterTemplate": (("spec", "values", "machineImageId"), "spec.values.machineImageId"),
    "AppTemplate": (("spec", "chart", "repo"), "spec.chart.repo"),
    "ClusterType": (("spec", "gitVersion"), "spec.gitVersion"),
    "Cluster": (("spec", "clusterTypeVersion"), "spec.clusterTypeVersion"),
    "Platform": (("spec", "realmName"), "spec.realmName"),
}


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


def _create(custom, kind, name, namespace, body):
    group, plural = GROUPS[kind]
    body = dict(body, apiVersion=f"{group}/v1alpha1", kind=kind, metadata={"name": name})
    if kind in NAMESPACED:
        return custom.create_namespaced_custom_object(group, "v1alpha1", namespace, plural, body)
    created = custom.create_cluster_custom_object(group, "v1alpha1", plural, body)
    custom.delete_cluster_custom_object(group, "v1alpha1", plural, name)
    return created


def _without(body, path):
    """A deep copy of ``body`` without the field at ``path``."""
    body = copy.deepcopy(body)
    parent = body
    for key in path[:-1]:
        parent = parent[key]
    del parent[path[-1]]
    return body


def _refused(custom, kind, name, namespace, body):
    with pytest.raises(ApiException) as caught:
        _create(custom, kind, name, namespace, body)
    assert caught.value.status == 422, caught.value.body
    return caught.value.body


def test_the_azimuth_crds_accept_what_the_operators_accept(api, namespace, unique_name):
    custom = client.CustomObjectsApi(api)
    for kind, body in VALID.items():
        created = _create(custom, kind, unique_name, namespace, body)
        # Exactly as sent: upstream's generated schemas carry no defaults (the operators apply
        # them when they read), so the sandbox adds none either.
        assert created["spec"] == body["spec"], kind


@pytest.mark.parametrize("kind", sorted(REFUSED))
def test_each_crd_refuses_a_missing_required_field(api, namespace, unique_name, kind):
    path, field = REFUSED[kind]
    body = _refused(client.CustomObjectsApi(api), kind, unique_name, namespace, _without(VALID[kind], path))
    assert field in body and "Required value" in body


def test_a_cluster_refuses_an_empty_cluster_type_version(api, namespace, unique_name):
    body = copy.deepcopy(VALID["Cluster"])
    body["spec"]["clusterTypeVersion"] = ""
    assert "spec.clusterTypeVersion" in _refused(client.CustomObjectsApi(api), "Cluster", unique_name, namespace, body)


def test_the_status_enums_and_formats_are_upstream_s(api, namespace, unique_name):
    """Phases outside upstream's enums and an issuer that is no URI are refused on the status subresource."""
    custom = client.CustomObjectsApi(api)
    refused = {"Cluster": {"phase": "Running"}, "Realm": {"phase": "Available"},
               "Platform": {"phase": "Available"}}
    for kind, status in refused.items():
        group, plural = GROUPS[kind]
        _create(custom, kind, unique_name, namespace, VALID[kind])
        with pytest.raises(ApiException) as caught:
            custom.patch_namespaced_custom_object_status(group, "v1alpha1", namespace, plural, unique_name,
                                                         {"status": status})
        assert caught.value.status == 422 and "status.phase" in caught.value.body, kind
    group, plural = GROUPS["Realm"]
    ready = {"phase": "Ready", "oidcIssuerUrl": "https://kc.example.org/realms/az-demo",
             "adminUrl": "https://kc.example.org/admin/az-demo/console", "platformUsersGroup": "platform-users"}
    patched = custom.patch_namespaced_custom_object_status(group, "v1alpha1", namespace, plural, unique_name,
                                                           {"status": ready})
    assert patched["status"] == ready
    with pytest.raises(ApiException) as caught:
        custom.patch_namespaced_custom_object_status(group, "v1alpha1", namespace, plural, unique_name,
                                                     {"status": {"oidcIssuerUrl": "not a url"}})
    assert caught.value.status == 422 and "status.oidcIssuerUrl" in caught.value.body


def test_a_crd_schema_rejects_a_bad_spec(api, unique_name):
    body = copy.deepcopy(VALID["ClusterTemplate"])
    body["spec"]["deprecated"] = "yes"
    assert "spec.deprecated" in _refused(client.CustomObjectsApi(api), "ClusterTemplate", unique_name, None, body)


def test_an_app_template_refuses_a_range_upstream_cannot_parse(api, unique_name):
    body = copy.deepcopy(VALID["AppTemplate"])
    body["spec"]["versionRange"] = "0.14"
    assert "spec.versionRange" in _refused(client.CustomObjectsApi(api), "AppTemplate", unique_name, None, body)


def test_the_limited_identity_is_forbidden_outside_its_namespace(sandbox_env):
    limited = str(Path(sandbox_env["KUBECONFIG"]).with_name("limited.kubeconfig"))
    with config.new_client_from_config(config_file=limited) as api_client:
        core = client.CoreV1Api(api_client)
        core.list_namespaced_secret("sandbox-limited")
        with pytest.raises(ApiException) as caught:
            core.list_namespace()
        assert caught.value.status == 403
