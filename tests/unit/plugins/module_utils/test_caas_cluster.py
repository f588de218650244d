"""What a CaaS run records on its Cluster: every secret it knows masked, and written only when it differs."""

import pytest

from ansible_collections.azimuth.ops.plugins.module_utils.caas import _caas_cluster as caas
from ansible_collections.azimuth.ops.plugins.module_utils.common._module import ModuleError, Secrets

PARAMS = dict(name="c1", namespace="az-demo", id="id-1", type="sandbox", playbook="site.yml", cluster_extravars=dict(db_password="db-pass", size=2),
              extravar_overrides={}, type_extravars=dict(image="i1"), envvars={})
TYPE_SPEC = dict(uiMetaUrl="https://example.org/ui.yml", gitUrl="https://example.org/a.git", gitVersion="main", playbook="site.yml")


class FakeTypes:
    """The ClusterType calls: one type (cluster-scoped), or none."""

    def __init__(self, version):
        self.version = version

    def read(self, namespace, name):
        assert namespace is None
        if self.version is None:
            return None
        return dict(metadata=dict(name=name, resourceVersion=self.version), spec=TYPE_SPEC)


class FakeObjects:
    """The Cluster calls, a Cluster in memory: status patches merge (None removes), as the apiserver does."""

    def __init__(self, status=None, exists=True, type_version="41"):
        self.patches = []
        self.spec_patches = []
        self.cluster = dict(metadata=dict(name="c1", uid="u1"), spec={}, status=dict(status or {})) if exists else None
        self.types = FakeTypes(type_version)

    def read(self, namespace, name):
        assert (namespace, name) == ("az-demo", "c1")
        return self.cluster

    def create(self, namespace, body):
        assert namespace == body["metadata"]["namespace"] == "az-demo"
        self.cluster = dict(body, metadata=dict(body["metadata"], uid="u1"), status={})
        return self.cluster

    def json_patch(self, namespace, name, operations):
        self.spec_patches.append(operations)
        for operation in operations:
            self.cluster["spec"][operation["path"].split("/")[-1]] = operation["value"]
        return self.cluster

    def patch_status(self, namespace, name, status):
        self.patches.append(status)
        merged = dict(self.cluster.get("status") or {}, **status)
        self.cluster = dict(self.cluster, status=dict((k, v) for k, v in merged.items() if v is not None))
        return self.cluster


def masking(*values):
    """The mask of a run that registered ``values``."""
    secrets = Secrets()
    secrets.add(*values)
    return secrets.mask


def record(secrets, objects=None):
    objects = objects or FakeObjects()
    return caas.ClusterRecord(objects, objects.types, PARAMS, False, masking(*secrets))


def test_the_status_never_holds_a_secret_the_run_knows():
    cluster = record({"db-pass", "app-cred-secret", "user-password", ""})
    cluster.set_status(phase="Failed", error="cannot log in with app-cred-secret or user-password",
                       outputs=dict(url="https://x", password="user-password"), appliedExtraVars=cluster.applied_extravars())
    [written] = cluster.clusters.patches
    assert written["error"] == "cannot log in with ******** or ********"
    assert written["outputs"] == dict(url="https://x", password="********")
    assert written["appliedExtraVars"] == dict(db_password="********", size=2)


def test_an_unchanged_masked_status_is_not_written_again():
    cluster = record({"db-pass"})
    cluster.set_status(phase="Ready", appliedExtraVars=cluster.applied_extravars())
    cluster.set_status(phase="Ready", appliedExtraVars=cluster.applied_extravars())
    assert len(cluster.clusters.patches) == 1


def test_failure_reason_puts_a_stop_first():
    run = dict(stopped="the run was stopped by SIGTERM before the appliance finished", failure=dict(task="t", message="m"),
               status="stopped", rc=254, error_line=None)
    assert caas.CaasCluster.failure_reason(run) == "the run was stopped by SIGTERM before the appliance finished"
    assert caas.CaasCluster.failure_reason(dict(run, stopped=None)) == "Task:'t' Error:\nm"


def test_a_new_cluster_names_its_type_version_and_records_the_start_then_the_end():
    objects = FakeObjects(exists=False)
    cluster = record({"db-pass"}, objects)
    phase = cluster.phase()
    cluster.ensure()
    assert phase == "Creating" and objects.cluster["spec"]["clusterTypeVersion"] == "41"
    cluster.start(phase)
    start = objects.patches[-1]
    assert start["phase"] == "Creating" and start["clusterID"] == "id-1" and start["appliedExtraVars"] == dict(db_password="********", size=2)
    assert start["clusterTypeVersion"] == "41" and start["clusterTypeSpec"] == TYPE_SPEC and start["patchedTimestamp"] is None
    cluster.finish("Failed", dict(ip="10.0.0.1"), error="boom")
    assert objects.cluster["status"]["phase"] == "Failed" and objects.cluster["status"]["outputs"] == dict(ip="10.0.0.1")
    cluster.finish("Ready", {})
    assert "error" not in objects.cluster["status"] and objects.cluster["status"]["outputs"] == dict(ip="10.0.0.1"), "outputs kept"


def test_an_existing_cluster_is_configured_and_a_new_type_version_is_patched_in():
    objects = FakeObjects(status=dict(phase="Ready", clusterTypeVersion="40", appliedExtraVars=dict(db_password="********", size=2)))
    cluster = record({"db-pass"}, objects)
    assert cluster.phase() == "Configuring"
    cluster.ensure()
    cluster.start("Configuring")
    assert objects.patches[-1]["phase"] == "Configuring" and objects.patches[-1]["patchedTimestamp"]
    assert objects.cluster["spec"]["clusterTypeVersion"] == "41"


def test_a_ready_cluster_with_nothing_changed_records_no_start():
    objects = FakeObjects(status=dict(phase="Ready", clusterTypeVersion="41", appliedExtraVars=dict(db_password="********", size=2)))
    cluster = record({"db-pass"}, objects)
    cluster.ensure()
    cluster.start(cluster.phase())
    assert objects.patches == []


def test_a_failed_creation_that_never_ended_is_created_again():
    assert record(set(), FakeObjects(status=dict(phase="Creating"))).phase() == "Creating"
    assert record(set(), FakeObjects(status=dict(phase="Failed"))).phase() == "Configuring"


def test_without_a_cluster_type_a_stand_in_version_and_a_warning():
    cluster = record({"db-pass"}, FakeObjects(exists=False, type_version=None))
    cluster.ensure()
    assert cluster.type_version.startswith("azimuth-ops-") and "no ClusterType sandbox" in cluster.warning
    missing = FakeObjects(exists=False, type_version=None)
    other = caas.ClusterRecord(missing, missing.types, dict(PARAMS, type_extravars=dict(image="i2")), False,
                               masking())
    other.ensure()
    assert other.type_version != cluster.type_version, "a change of the type is a new version"


def test_check_mode_predicts_the_writes_and_makes_none():
    objects = FakeObjects(status=dict(phase="Ready", clusterTypeVersion="40", appliedExtraVars=dict(db_password="********", size=2)))
    cluster = caas.ClusterRecord(objects, objects.types, PARAMS, True, masking("db-pass"))
    cluster.ensure()
    cluster.start(cluster.phase())
    assert cluster.written and objects.patches == [] and objects.spec_patches == []
    unchanged = FakeObjects(status=dict(phase="Ready", clusterTypeVersion="41", appliedExtraVars=dict(db_password="********", size=2)))
    unchanged.cluster["spec"] = dict(clusterTypeName="sandbox", clusterTypeVersion="41", cloudCredentialsSecretName="c1-caas-credential",
                                     extraVars=PARAMS["cluster_extravars"], extraVarOverrides={})
    cluster = caas.ClusterRecord(unchanged, unchanged.types, PARAMS, True, masking("db-pass"))
    cluster.ensure()
    cluster.start(cluster.phase())
    assert not cluster.written


class FakeKube:
    """The Secret calls: one Secret, deletions recorded."""

    def __init__(self, secret):
        self.secret = secret
        self.deleted = []

    def read_secret(self, namespace, name):
        return self.secret

    def delete_secret(self, namespace, name, uid=None):
        self.deleted.append((namespace, name, uid))
        return True


class FakeConn:
    """The identity calls the removal of the portal's credential makes, recorded."""

    def __init__(self):
        self.deleted = []
        self.session = self
        self.auth = self
        self.identity = self
        self.user_id = "user-1"

    def get_access(self, session):
        return self

    def find_application_credential(self, user_id, name):
        return type("Found", (), dict(id="cred-" + name))

    def delete_application_credential(self, user_id, credential_id):
        self.deleted.append(credential_id)


def portal_secret(manager="azimuth", **extra):
    return dict(dict(type="Opaque", metadata=dict(name="portal-cred", namespace="az-demo", uid="s1",
                                                  labels={"app.kubernetes.io/managed-by": manager})), **extra)


def remove_portal_credential(secret, check_mode=False):
    params = dict(PARAMS, answer=True, cloud_credentials_secret="portal-cred", cloud=dict(auth={}))
    job = caas.CaasCluster(FakeConn(), None, params, check_mode, str)
    job.kube = FakeKube(secret)
    return job, job.credential("absent")


def test_the_portals_credential_secret_goes_after_a_removal_only_that_object():
    job, result = remove_portal_credential(portal_secret())
    assert result["changed"] and job.kube.deleted == [("az-demo", "portal-cred", "s1")]
    assert job.conn.deleted == ["cred-az-caas-c1"] and not job.warnings


def test_check_mode_predicts_the_removal_and_deletes_nothing():
    job, result = remove_portal_credential(portal_secret(), check_mode=True)
    assert result["changed"] and job.kube.deleted == [] and job.conn.deleted == []


def test_another_tools_secret_is_left_alone_with_a_warning():
    job, result = remove_portal_credential(portal_secret(manager="Helm"))
    assert not result["changed"] and job.kube.deleted == []
    assert job.warnings == ["the Secret az-demo/portal-cred is managed by Helm, not by the portal: left alone"]


def test_a_secret_the_collection_may_not_delete_is_refused_before_anything_goes():
    with pytest.raises(ModuleError, match="has type kubernetes.io/tls, not Opaque"):
        remove_portal_credential(portal_secret(type="kubernetes.io/tls"))
    with pytest.raises(ModuleError, match="is being deleted"):
        remove_portal_credential(portal_secret(metadata=dict(portal_secret()["metadata"], deletionTimestamp="2026-01-01T00:00:00Z")))
