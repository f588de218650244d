"""Many tenancies' application credentials in one call: the entries, the refusals before any write, the result."""

import pytest

from ansible_collections.azimuth.ops.plugins.module_utils.common._module import ModuleError
from ansible_collections.azimuth.ops.plugins.module_utils.openstack import _app_credential_batch as batch
from ansible_collections.azimuth.ops.plugins.module_utils.openstack import _clouds
from ansible_collections.azimuth.ops.plugins.modules.app_credential import CREDENTIAL_SPEC

BASE = dict(name="portal", description=None, expires_at=None, include_cacert=False, include_user_info=False, roles=None,
            state="present", unrestricted=False, verify=False, secret=dict(name="default-openstack-credential", labels={"a": "b"}))
CLOUD = {"auth": {"username": "u", "password": "hunter2-secret", "project_name": "physics"}}


class Access:
    def __init__(self, project_id):
        self.project_id = project_id


class Conn:
    """What the batch reads of a connection: the token's project."""

    def __init__(self, project_id):
        self.session = self
        self.auth = self
        self.project_id = project_id
        self.closed = False

    def get_access(self, _session):
        return Access(self.project_id)

    def close(self):
        self.closed = True


class Job:
    def __init__(self, params, fail=None, wrote=False):
        self.params, self.fail, self.wrote, self.warnings = params, fail, wrote, ["a warning"]

    def run(self):
        if self.fail:
            raise ModuleError(self.fail, changed=self.wrote)
        return dict(changed=True, secret=dict(self.params["secret"]), diff=dict(before=None, after=self.params["secret"]["namespace"]))


def test_an_entry_takes_the_task_s_options_with_its_own_over_them():
    cloud, params = batch.entry_params(BASE, {"cloud": "physics", "roles": ["member"], "secret": {"namespace": "az-physics"}},
                                       CREDENTIAL_SPEC, "credentials[0]")
    assert cloud == "physics" and params["roles"] == ["member"] and params["name"] == "portal"
    assert params["secret"] == dict(name="default-openstack-credential", labels={"a": "b"}, namespace="az-physics")


@pytest.mark.parametrize("entry, message", [
    ({"roles": ["member"]}, "must be a dict with cloud"),
    ("physics", "must be a dict with cloud"),
    ({"cloud": "physics", "colour": "blue"}, "unknown option colour"),
    ({"cloud": "physics", "verify": "perhaps"}, "verify"),
    ({"cloud": "physics", "state": "gone"}, "state"),
])
def test_a_bad_entry_is_refused(entry, message):
    with pytest.raises(ModuleError, match=message):
        batch.entry_params(BASE, entry, CREDENTIAL_SPEC, "credentials[0]")


def test_every_bad_entry_is_named_before_any_is_used_and_no_secret_is():
    raw = [{"cloud": CLOUD, "colour": "blue"}, {"cloud": "physics"}, {"cloud": dict(CLOUD), "name": None, "state": "gone"}]
    with pytest.raises(ModuleError) as caught:
        batch.make_entries(raw, BASE, CREDENTIAL_SPEC, lambda cloud: None)
    message = str(caught.value)
    assert "credentials[0] (project physics): unknown option colour" in message and "credentials[2] (project physics)" in message
    assert "credentials[1]" not in message and "hunter2" not in message


def test_no_name_anywhere_is_refused():
    with pytest.raises(ModuleError, match="no name"):
        batch.entry_params(dict(BASE, name=None), {"cloud": "physics"}, CREDENTIAL_SPEC, "credentials[0]")


def run_batch(projects, namespaces=None, jobs=None, own=None):
    conns = [Conn(project) for project in projects]
    entries = [("credentials[%d]" % index, (lambda conn=conn: conn),
                dict(BASE, secret=dict(BASE["secret"], **((own or {}).get(index) or {})))) for index, conn in enumerate(conns)]
    made = []

    def job(conn, params):
        made.append(params["secret"]["namespace"])
        return (jobs or {}).get(conn.project_id, Job)(params)
    run = batch.BatchCredentials(entries, namespaces, job, describe=lambda exc: None)
    return run, conns, made


def test_each_secret_goes_to_its_project_s_namespace_and_the_results_keep_the_order():
    run, conns, _made = run_batch(["p1", "p2"], namespaces={"p1": "az-one", "p2": "az-two"}, own={1: {"namespace": "az-own"}})
    result = run.run(diff=True)
    assert [item["secret"]["namespace"] for item in result["credentials"]] == ["az-one", "az-own"]
    assert result["changed"] and result["diff"]["after"] == ["az-one", "az-own"]
    assert all("diff" not in item for item in result["credentials"]) and all(conn.closed for conn in conns)
    assert run.warnings == ["credentials[0]: a warning", "credentials[1]: a warning"]


def test_a_failing_entry_fails_alone_and_the_task_says_what_was_written():
    failing = dict(p2=lambda params: Job(params, fail="Keystone said no", wrote=True))
    run, _conns, made = run_batch(["p1", "p2", "p3"], namespaces={"p1": "a", "p2": "b"}, jobs=failing)
    with pytest.raises(ModuleError) as caught:
        run.run()
    assert str(caught.value) == ("Could not ensure 2 of 3 application credentials: credentials[1]: Keystone said no; credentials[2]: "
                                 "no namespace for the Secret: give secret.namespace, or the namespace of project p3 in namespaces")
    assert caught.value.details["changed"] is True
    assert [item and item["secret"]["namespace"] for item in caught.value.details["credentials"]] == ["a", None, None]
    assert sorted(made) == ["a", "b"]  # the entry without a namespace never reached its job


def test_two_entries_for_one_secret_both_fail_before_their_jobs():
    run, _conns, made = run_batch(["p1", "p2", "p3"], namespaces={"p1": "same", "p2": "same", "p3": "other"})
    with pytest.raises(ModuleError) as caught:
        run.run()
    assert "credentials[0]: the Secret same/default-openstack-credential is also written by credentials[1]" in str(caught.value)
    assert "credentials[1]: the Secret same/default-openstack-credential is also written by credentials[0]" in str(caught.value)
    assert made == ["other"] and caught.value.details["changed"] is True  # the third entry was written


@pytest.mark.parametrize("cloud, label", [
    ("physics", "clouds[1] (cloud physics)"),
    (CLOUD, "clouds[1] (project physics)"),
    ({"auth": {"project_id": "p1", "password": "x"}}, "clouds[1] (project p1)"),
    ({"auth": "not a dict"}, "clouds[1]"),
    (None, "clouds[1]"),
])
def test_clouds_are_named_by_name_or_project_only(cloud, label):
    assert _clouds.cloud_label("clouds[1]", cloud) == label


def test_the_pool_keeps_the_order():
    assert _clouds.pool_map(lambda n: n * n, range(20), workers=3) == [n * n for n in range(20)]
    assert _clouds.pool_map(lambda n: n, []) == []
