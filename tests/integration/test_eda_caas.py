"""The rulebook azimuth.ops.caas, run by the real ansible-rulebook against the sandbox: the portal's Cluster objects
answered as the CaaS operator answers them (the ClusterType's appliance checked out from a local git repository and
run with the portal's credential, the status recorded), a change run again, a deletion removed and let go, a restart
mid-run finishing the work once.  The rulebook watches only this test's objects (a label selector)."""

from pathlib import Path

import pytest

from .eda_support import GROUP, VERSION, Rulebook, Tenancy, cluster, cluster_type, git_repository, rulebook_env, wait_for

FINALIZER = "azimuth-ops.azimuth-cloud.io/caas"
WAIT = 90


@pytest.fixture
def custom(kube_core):
    from kubernetes import client  # pylint: disable=import-outside-toplevel
    return client.CustomObjectsApi(kube_core.api_client)


def read(custom, namespace, name):
    from kubernetes.client.rest import ApiException  # pylint: disable=import-outside-toplevel
    try:
        return custom.get_namespaced_custom_object(GROUP, VERSION, namespace, "clusters", name)
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise


@pytest.fixture
def setting(tmp_path, sandbox_env, kube_core, openstack_admin, unique_name, custom):
    """A tenancy, a ClusterType of the example appliance in a local git repository, the rulebook scoped to this test's
    Clusters; all removed afterwards."""
    tenancy = Tenancy(openstack_admin, kube_core, unique_name)
    runs = tmp_path / "runs"
    runs.mkdir()
    ui_meta = tmp_path / "ui-meta.yml"
    ui_meta.write_text("name: sandbox-project\nlabel: Sandbox project\nparameters: []\n")
    created = custom.create_cluster_custom_object(GROUP, VERSION, "clustertypes", cluster_type(
        unique_name, git_repository(tmp_path / "appliance"), ui_meta.as_uri(), runs))
    labels = {"test.azimuth-cloud.io/run": unique_name, "app.kubernetes.io/managed-by": "azimuth"}
    rulebook = Rulebook(rulebook_env(sandbox_env), tmp_path, "azimuth.ops.caas", {"caas_eda": {
        "label_selector": "test.azimuth-cloud.io/run=%s" % unique_name, "resync_seconds": 600, "work_dir": str(tmp_path),
        "claims_dir": str(tmp_path / "claims")}}, concurrency=4)

    def make(name, extravars=None):
        secret, credential = tenancy.credential(name)
        body = cluster(name, unique_name, secret, labels, dict({"greeting": "hello"}, **(extravars or {})))
        body["spec"]["clusterTypeVersion"] = created["metadata"]["resourceVersion"]
        custom.create_namespaced_custom_object(GROUP, VERSION, tenancy.namespace, "clusters", body)
        return credential

    def runs_of(name):
        path = runs / name
        return path.read_text().split("\n")[:-1] if path.exists() else []

    yield dict(tenancy=tenancy, rulebook=rulebook, make=make, runs=runs_of)
    rulebook.stop()
    for obj in custom.list_namespaced_custom_object(GROUP, VERSION, tenancy.namespace, "clusters")["items"]:
        custom.patch_namespaced_custom_object(GROUP, VERSION, tenancy.namespace, "clusters", obj["metadata"]["name"],
                                              {"metadata": {"finalizers": None}})
    custom.delete_cluster_custom_object(GROUP, VERSION, "clustertypes", unique_name)
    tenancy.remove()


def ready(custom, namespace, name, greeting):
    found = read(custom, namespace, name) or {}
    status = found.get("status") or {}
    return status.get("phase") == "Ready" and (status.get("outputs") or {}).get("greeting") == greeting and found


def test_a_cluster_is_run_changed_and_removed(setting, custom):
    tenancy, rulebook, namespace = setting["tenancy"], setting["rulebook"], setting["tenancy"].namespace
    rulebook.start()
    credential = setting["make"]("c1")
    found = wait_for("the Cluster's status Ready", lambda: ready(custom, namespace, "c1", "hello"), rulebook, WAIT)
    status = found["status"]
    assert status["outputs"] == {"project_id": tenancy.project.id, "project_name": tenancy.name, "cluster_name": "c1",
                                 "cluster_id": found["metadata"]["uid"], "greeting": "hello"}
    assert status["clusterID"] == found["metadata"]["uid"] and status["appliedExtraVars"] == {"greeting": "hello"}
    assert status["clusterTypeVersion"] == found["spec"]["clusterTypeVersion"]
    assert status["clusterTypeSpec"]["gitUrl"].startswith("file://") and status.get("error") is None
    assert found["metadata"]["finalizers"] == [FINALIZER] and found["spec"]["cloudCredentialsSecretName"] == "c1-caas-credential"
    assert setting["runs"]("c1") == ["start present", "end present hello"]

    # the portal changes the extra variables: the appliance runs again, once
    custom.patch_namespaced_custom_object(GROUP, VERSION, namespace, "clusters", "c1", {"spec": {"extraVars": {"greeting": "bonjour"}}})
    found = wait_for("the changed Cluster Ready", lambda: ready(custom, namespace, "c1", "bonjour"), rulebook, WAIT)
    assert found["status"]["appliedExtraVars"] == {"greeting": "bonjour"}
    assert setting["runs"]("c1")[2:] == ["start present", "end present bonjour"]

    # the portal deletes it: the appliance runs with cluster_state absent, then the credential and the object go
    custom.delete_namespaced_custom_object(GROUP, VERSION, namespace, "clusters", "c1")
    wait_for("the Cluster let go", lambda: read(custom, namespace, "c1") is None, rulebook, WAIT)
    assert setting["runs"]("c1")[4:] == ["start absent", "end absent bonjour"]
    assert [s.metadata.name for s in tenancy.kube_core.list_namespaced_secret(namespace).items if s.metadata.name.startswith("c1-")] == []
    assert credential.id not in [c.id for c in tenancy.admin.identity.application_credentials(tenancy.user.id)]
    assert rulebook.stop() is not None
    assert len(setting["runs"]("c1")) == 6


def test_a_restart_mid_run_finishes_the_work_once(setting, custom):
    rulebook, namespace = setting["rulebook"], setting["tenancy"].namespace
    rulebook.start()
    setting["make"]("c2", {"run_sleep": 8})
    # stopped while the appliance is at work
    wait_for("the appliance's start", lambda: setting["runs"]("c2"), rulebook, WAIT)
    rulebook.stop()
    assert (read(custom, namespace, "c2").get("status") or {}).get("phase") == "Creating"
    rulebook.start()
    wait_for("the Cluster's status Ready", lambda: ready(custom, namespace, "c2", "hello"), rulebook, WAIT)
    runs = setting["runs"]("c2")
    assert runs.count("end present hello") == 1 and runs[-1] == "end present hello", runs
    assert Path(rulebook.directory / "claims").is_dir()
