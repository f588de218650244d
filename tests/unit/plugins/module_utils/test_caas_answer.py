import os

import pytest

from ansible_collections.azimuth.ops.extensions.eda.plugins.event_source import kubernetes_objects as source
from ansible_collections.azimuth.ops.plugins.module_utils.caas import _caas_answer as answer
from ansible_collections.azimuth.ops.plugins.module_utils.common._module import ModuleError

TYPE = {"metadata": {"name": "ws", "resourceVersion": "7"}, "spec": {"gitUrl": "file:///a", "gitVersion": "main", "playbook": "site.yml"}}


def cluster(extravars=None, status=None, deleting=False, finalizers=(answer.FINALIZER,), **spec):
    metadata = {"name": "c1", "namespace": "az-x", "uid": "u-1", "finalizers": list(finalizers), "resourceVersion": "3", "generation": 1}
    if deleting:
        metadata["deletionTimestamp"] = "2026-12-07T00:00:00Z"
    body = dict({"clusterTypeName": "ws", "clusterTypeVersion": "7", "cloudCredentialsSecretName": "c1-caas-credential",
                 "extraVars": extravars or {}}, **spec)
    return {"metadata": metadata, "spec": body, "status": status or {}}


def test_what_is_due_follows_the_operator():
    assert answer.work_due(None) is None
    assert answer.work_due(cluster()) == "present"
    settled = {"phase": "Ready", "clusterTypeVersion": "7", "appliedExtraVars": {"a": 1}}
    assert answer.work_due(cluster({"a": 1}, settled)) is None
    assert answer.work_due(cluster({"a": 1}, dict(settled, phase="Failed"))) is None  # no retry without a change
    assert answer.work_due(cluster({"a": 2}, settled)) == "present"
    assert answer.work_due(cluster({"a": 1}, dict(settled, clusterTypeVersion="6"))) == "present"
    assert answer.work_due(cluster({"a": 1}, dict(settled, phase="Creating"))) == "present"  # a run that was stopped
    assert answer.work_due(cluster(paused=True)) is None
    assert answer.work_due(cluster(deleting=True)) == "absent"
    assert answer.work_due(cluster(deleting=True, finalizers=())) is None


def test_secret_looking_variables_compare_as_the_status_records_them():
    extravars = {"zenith_token_web": "s3cret", "note": "uses s3cret", "n": 1}
    status = {"phase": "Ready", "clusterTypeVersion": "7",
              "appliedExtraVars": {"zenith_token_web": "********", "note": "uses ********", "n": 1}}
    assert answer.work_due(cluster(extravars, status)) is None


def test_the_type_in_force_is_the_cached_one_while_the_cluster_names_it():
    def read(name):
        return TYPE if name == "ws" else None
    cached = {"clusterTypeVersion": "5", "clusterTypeSpec": {"playbook": "old.yml"}}
    assert answer.type_in_force(cluster(status=cached, clusterTypeVersion="5"), read) == ("5", {"playbook": "old.yml"})
    assert answer.type_in_force(cluster(status=cached), read) == ("7", TYPE["spec"])
    assert answer.type_in_force(cluster(clusterTypeName="gone"), read) == (None, None)


def test_the_options_a_cluster_gives():
    options = answer.answered_options(cluster({"a": 1}, {"clusterID": "id-1"}), "7", dict(TYPE["spec"], envVars={"E": "1"}))
    assert options == dict(id="id-1", type="ws", playbook="site.yml", type_extravars={}, envvars={"E": "1"}, cluster_extravars={"a": 1},
                           extravar_overrides={}, cloud_credentials_secret="c1-caas-credential", timeout=1200, state="present",
                           type_version="7", type_spec=dict(TYPE["spec"], envVars={"E": "1"}))
    assert answer.answered_options(cluster(deleting=True), "7", TYPE["spec"])["state"] == "absent"
    with pytest.raises(ModuleError, match="names the ClusterType ws, which does not exist"):
        answer.answered_options(cluster(), None, None)


def test_the_credential_secret_must_hold_the_cloud_openstack():
    import base64  # pylint: disable=import-outside-toplevel
    with pytest.raises(ModuleError, match="does not exist"):
        answer.credential_cloud(None, "az-x/s")
    bad = {"data": {"clouds.yaml": base64.b64encode(b"clouds: {other: {}}").decode()}}
    with pytest.raises(ModuleError, match="holds no clouds.yaml with a cloud openstack"):
        answer.credential_cloud(bad, "az-x/s")
    good = {"data": {"clouds.yaml": base64.b64encode(b"clouds: {openstack: {auth: {auth_url: x}}}").decode()}}
    assert answer.credential_cloud(good, "az-x/s")[0] == {"auth": {"auth_url": "x"}}


def test_a_holder_is_alive_while_its_ansible_playbook_runs():
    assert answer.alive(999999999) is False  # no such process
    assert answer.alive(os.getpid()) is False  # a process, but no ansible-playbook: its pid was reused


def test_a_claim_waits_for_its_holder_and_a_dead_holder_frees_it(tmp_path, monkeypatch):
    live = set([101, 102, 103])
    monkeypatch.setattr(answer, "alive", lambda pid: pid in live)
    ticks = []
    claims = str(tmp_path / "claims")
    holder = answer.Claim(claims, "az-x", "c1", 101)
    waiter = answer.Claim(claims, "az-x", "c1", 102, clock=lambda: len(ticks), sleep=ticks.append)
    third = answer.Claim(claims, "az-x", "c1", 103)
    assert holder.take() == "claimed"
    assert waiter.take() == "waiting"
    assert third.take() == "busy"
    assert waiter.wait(3) is False and len(ticks) == 3  # the holder kept it
    assert third.take() == "waiting"  # the waiter gave up its place
    holder.release()
    assert third.wait(3) is True
    live.discard(103)  # its ansible-playbook ended without a release (a rulebook stopped)
    assert waiter.take() == "claimed"


def test_the_playbook_process_is_the_top_of_its_forks(monkeypatch):
    tree = {40: (30, b"python AnsiballZ.py"), 30: (20, b"python ansible-playbook x.yml"), 20: (10, b"python ansible-playbook x.yml"),
            10: (1, b"ansible-rulebook -r azimuth.ops.caas")}
    monkeypatch.setattr(answer, "_parent", lambda pid: tree.get(pid, (None, None))[0])
    monkeypatch.setattr(answer, "_command", lambda pid: tree.get(pid, (None, None))[1])
    assert answer.playbook_pid(40) == 20
    with pytest.raises(ModuleError, match="could not find the ansible-playbook"):
        answer.playbook_pid(10)


def test_the_event_source_can_leave_out_changes_to_the_status_alone():
    tracker = source.Tracker("Cluster", "caas.azimuth.stackhpc.com/v1alpha1", status_changes=False)
    obj = cluster()
    assert tracker.apply("ADDED", obj)["type"] == "ADDED"
    status_only = dict(obj, metadata=dict(obj["metadata"], resourceVersion="4"), status={"phase": "Ready"})
    assert tracker.apply("MODIFIED", status_only) is None
    assert tracker.resync()[0]["resource"]["status"] == {"phase": "Ready"}
    spec = dict(status_only, metadata=dict(status_only["metadata"], resourceVersion="5", generation=2))
    assert tracker.apply("MODIFIED", spec)["type"] == "MODIFIED"
    deleting = dict(spec, metadata=dict(spec["metadata"], resourceVersion="6", deletionTimestamp="2026-12-07T00:00:00Z"))
    assert tracker.apply("MODIFIED", deleting)["type"] == "MODIFIED"
    assert source.Tracker("Cluster", "v1").apply("ADDED", obj) and source._flag("false") is False and source._flag(True) is True
