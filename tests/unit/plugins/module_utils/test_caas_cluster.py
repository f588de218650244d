"""What a CaaS run records on its Cluster: every secret it knows masked, and written only when it differs."""

from ansible_collections.azimuth.ops.plugins.module_utils import _caas_cluster as caas

PARAMS = dict(name="c1", type="sandbox", cluster_extravars=dict(db_password="db-pass", size=2), extravar_overrides={})


class FakeObjects:
    namespace = "az-demo"

    def __init__(self):
        self.patches = []

    def read(self, name):
        return dict(metadata=dict(name=name, uid="u1"), spec={}, status={})

    def patch_status(self, name, status):
        self.patches.append(status)
        return dict(metadata=dict(name=name), status=status)


def record(secrets):
    return caas.ClusterRecord(FakeObjects(), PARAMS, False, caas.masker(lambda: secrets))


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
