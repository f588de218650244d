"""The Kubernetes adapter's dry-run switch: every write it sends carries dryRun=All, no read does."""

import json

import pytest

from ansible_collections.azimuth.ops.plugins.module_utils.kubernetes import _kubernetes as k8s


class Response:
    data = json.dumps({"metadata": {"name": "x"}}).encode()


class Recorder:
    """Any client method: records (name, args, kwargs) and answers an object."""

    def __init__(self):
        self.sent = []

    def __getattr__(self, name):
        def method(*args, **kwargs):
            self.sent.append((name, args, kwargs))
            return Response()
        return method


def core(dry_run):
    calls = k8s.CoreCalls(None, dry_run=dry_run)
    calls.core = Recorder()
    return calls


def custom(dry_run):
    calls = k8s.CustomCalls(None, "example.org", "v1", "things", strict=True, dry_run=dry_run)
    calls.custom = Recorder()
    return calls


WRITES = [
    (core, lambda c: c.create_namespace({"metadata": {"name": "n"}})),
    (core, lambda c: c.patch_namespace("n", {"metadata": {}})),
    (core, lambda c: c.create_secret("n", {"metadata": {"name": "s"}})),
    (core, lambda c: c.patch_secret("n", "s", {"data": {}})),
    (core, lambda c: c.delete_secret("n", "s")),
    (custom, lambda c: c.create(None, {"metadata": {"name": "t"}})),
    (custom, lambda c: c.patch("ns", "t", {"spec": {}})),
    (custom, lambda c: c.patch_status("ns", "t", {"phase": "Ready"})),
    (custom, lambda c: c.delete(None, "t")),
]


@pytest.mark.parametrize("make, write", WRITES)
def test_with_dry_run_every_write_asks_for_a_dry_run(make, write):
    calls = make(True)
    write(calls)
    [(_name, _args, kwargs)] = (calls.core if hasattr(calls, "core") else calls.custom).sent
    assert kwargs["dry_run"] == "All"


@pytest.mark.parametrize("make, write", WRITES)
def test_without_it_no_write_does(make, write):
    calls = make(False)
    write(calls)
    [(_name, _args, kwargs)] = (calls.core if hasattr(calls, "core") else calls.custom).sent
    assert "dry_run" not in kwargs


def test_reads_are_never_dry_runs():
    calls = core(True)
    calls.read_namespace("n")
    calls.read_secret("n", "s")
    assert all("dry_run" not in kwargs for _name, _args, kwargs in calls.core.sent)


def test_a_dry_run_delete_on_a_uid_says_so_in_its_body_too():
    # the API server reads a DELETE's options from its body when it has one, and drops the query's dryRun
    calls = core(True)
    calls.delete_namespace("n", uid="u-1")
    [(_name, _args, kwargs)] = calls.core.sent
    assert kwargs["body"] == {"preconditions": {"uid": "u-1"}, "dryRun": ["All"]} and kwargs["dry_run"] == "All"
    real = core(False)
    real.delete_namespace("n", uid="u-1")
    assert real.core.sent[0][2]["body"] == {"preconditions": {"uid": "u-1"}}


def test_an_answer_cut_short_is_said_plainly():
    class Cut:
        data = json.dumps({"items": [{"metadata": {"name": "x"}}]}).encode()[:17]

    def method(*args, **kwargs):
        return Cut()
    with pytest.raises(k8s.KubernetesError) as failure:
        k8s.request_json(method)
    assert k8s.translate_error(failure.value).startswith(
        "Kubernetes request failed: the API server's answer is not complete JSON (17 bytes; ")
