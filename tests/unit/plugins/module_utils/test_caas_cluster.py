"""What a CaaS run records on its Cluster: every secret it knows masked, and written only when it differs."""

from ansible_collections.azimuth.ops.plugins.module_utils.caas import _caas_cluster as caas

PARAMS = dict(name="c1", id="id-1", type="sandbox", playbook="site.yml", cluster_extravars=dict(db_password="db-pass", size=2),
              extravar_overrides={}, type_extravars=dict(image="i1"), envvars={})
TYPE_SPEC = dict(uiMetaUrl="https://example.org/ui.yml", gitUrl="https://example.org/a.git", gitVersion="main", playbook="site.yml")


class FakeObjects:
    """A Cluster and a ClusterType in memory: status patches merge (None removes), as the apiserver does."""

    namespace = "az-demo"

    def __init__(self, status=None, exists=True, type_version="41"):
        self.patches = []
        self.spec_patches = []
        self.cluster = dict(metadata=dict(name="c1", uid="u1"), spec={}, status=dict(status or {})) if exists else None
        self.type_version = type_version

    def read(self, name):
        return self.cluster

    def read_type(self, name):
        if self.type_version is None:
            return None
        return dict(metadata=dict(name=name, resourceVersion=self.type_version), spec=TYPE_SPEC)

    def create(self, body):
        self.cluster = dict(body, metadata=dict(body["metadata"], uid="u1"), status={})
        return self.cluster

    def patch_spec(self, name, operations):
        self.spec_patches.append(operations)
        for operation in operations:
            self.cluster["spec"][operation["path"].split("/")[-1]] = operation["value"]
        return self.cluster

    def patch_status(self, name, status):
        self.patches.append(status)
        merged = dict(self.cluster.get("status") or {}, **status)
        self.cluster = dict(self.cluster, status=dict((k, v) for k, v in merged.items() if v is not None))
        return self.cluster


def record(secrets, objects=None):
    return caas.ClusterRecord(objects or FakeObjects(), PARAMS, False, caas.masker(lambda: secrets))


def test_the_status_never_holds_a_secret_the_run_knows():
    cluster = record({"db-pass", "app-cred-secret", "user-password", ""})
    cluster.set_status(phase="Failed", error="cannot log in with app-cred-secret or user-password",
                       outputs=dict(url="https://x", password="user-password"), appliedExtraVars=cluster.applied_extravars())
    [written] = cluster.objects.patches
    assert written["error"] == "cannot log in with ******** or ********"
    assert written["outputs"] == dict(url="https://x", password="********")
    assert written["appliedExtraVars"] == dict(db_password="********", size=2)


def test_an_unchanged_masked_status_is_not_written_again():
    cluster = record({"db-pass"})
    cluster.set_status(phase="Ready", appliedExtraVars=cluster.applied_extravars())
    cluster.set_status(phase="Ready", appliedExtraVars=cluster.applied_extravars())
    assert len(cluster.objects.patches) == 1


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
    other = caas.ClusterRecord(FakeObjects(exists=False, type_version=None), dict(PARAMS, type_extravars=dict(image="i2")), False,
                               caas.masker(set))
    other.ensure()
    assert other.type_version != cluster.type_version, "a change of the type is a new version"


def test_check_mode_predicts_the_writes_and_makes_none():
    objects = FakeObjects(status=dict(phase="Ready", clusterTypeVersion="40", appliedExtraVars=dict(db_password="********", size=2)))
    cluster = caas.ClusterRecord(objects, PARAMS, True, caas.masker(lambda: {"db-pass"}))
    cluster.ensure()
    cluster.start(cluster.phase())
    assert cluster.written and objects.patches == [] and objects.spec_patches == []
    unchanged = FakeObjects(status=dict(phase="Ready", clusterTypeVersion="41", appliedExtraVars=dict(db_password="********", size=2)))
    unchanged.cluster["spec"] = dict(clusterTypeName="sandbox", clusterTypeVersion="41", cloudCredentialsSecretName="c1-caas-credential",
                                     extraVars=PARAMS["cluster_extravars"], extraVarOverrides={})
    cluster = caas.ClusterRecord(unchanged, PARAMS, True, caas.masker(lambda: {"db-pass"}))
    cluster.ensure()
    cluster.start(cluster.phase())
    assert not cluster.written
