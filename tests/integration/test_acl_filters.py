"""The ACL and naming filters through real ansible-playbook runs."""

import time

from .conftest import localhost_play, save_results

TENANCY = {"id": "abc123", "name": "physics-lab"}
TEMPLATES = [
    {"kind": "ClusterTemplate", "metadata": {"name": "open"}},
    {"kind": "ClusterTemplate", "metadata": {"name": "listed", "annotations": {"acl.azimuth.stackhpc.com/allow-list": "x, abc123"}}},
    {"kind": "AppTemplate", "metadata": {"name": "denied", "annotations": {"acl.azimuth.stackhpc.com/deny-regex": "^phys"}}},
    {"kind": "ClusterType", "metadata": {"name": "chem-only", "annotations": {"acl.azimuth.stackhpc.com/allow-regex": "^chem"}}},
    {"kind": "ClusterType", "metadata": {"name": "cleared", "annotations": {"acl.azimuth.stackhpc.com/allow-list": ""}}},
]


def test_filters_decide_and_build_annotations(run_playbook):
    run = run_playbook([localhost_play(
        [save_results("""{
            'allowed': templates | map('azimuth.ops.acl_allowed', tenancy) | list,
            'filtered': templates | azimuth.ops.acl_filter(tenancy) | map(attribute='metadata.name') | list,
            'actions': templates | map('azimuth.ops.acl_actions', tenancy) | list,
            'annotations': {'allow_list': ['a', 'b'], 'deny_regex': '-test$'} | azimuth.ops.acl_annotations,
            'cleared': {} | azimuth.ops.acl_annotations,
            'string_list': {'deny_list': 'abc123'} | azimuth.ops.acl_annotations,
            'namespace': 'My_Project!' | azimuth.ops.tenancy_namespace,
        }""")],
        vars={"tenancy": TENANCY, "templates": TEMPLATES},
    )])
    assert run.ok, run.output
    assert run.results["allowed"] == [True, True, False, False, True]
    assert run.results["filtered"] == ["open", "listed", "cleared"]
    assert run.results["actions"] == [["create", "update", "delete"]] * 2 + [["delete"]] * 2 + [["create", "update", "delete"]]
    assert run.results["annotations"] == {
        "acl.azimuth.stackhpc.com/allow-list": "a,b",
        "acl.azimuth.stackhpc.com/deny-list": "",
        "acl.azimuth.stackhpc.com/allow-regex": "",
        "acl.azimuth.stackhpc.com/deny-regex": "-test$",
    }
    assert set(run.results["cleared"].values()) == {""}
    assert run.results["string_list"]["acl.azimuth.stackhpc.com/deny-list"] == "abc123"
    assert run.results["namespace"] == "az-my-project"


def failing_run(run_playbook, expression, **variables):
    run = run_playbook([localhost_play([{"ansible.builtin.debug": {"msg": "{{ %s }}" % expression}}], vars=variables)])
    assert not run.ok
    assert "Traceback" not in run.output
    return run.output


def test_tenancy_without_name_is_a_clear_error(run_playbook):
    output = failing_run(run_playbook, "templates | azimuth.ops.acl_filter({'id': 'abc123'})", templates=TEMPLATES)
    assert "azimuth.ops.acl_filter: the tenancy" in output
    assert "has no 'name'" in output


def test_invalid_regex_names_the_object(run_playbook):
    template = {"kind": "ClusterType", "metadata": {"name": "slurm", "annotations": {"acl.azimuth.stackhpc.com/deny-regex": "(oops"}}}
    output = failing_run(run_playbook, "template | azimuth.ops.acl_allowed(tenancy)", template=template, tenancy=TENANCY)
    assert "azimuth.ops.acl_allowed: ClusterType 'slurm': annotation acl.azimuth.stackhpc.com/deny-regex is not a valid regular expression" in output


def test_annotation_that_is_not_a_string(run_playbook):
    template = {"kind": "AppTemplate", "metadata": {"name": "jupyter", "annotations": {"acl.azimuth.stackhpc.com/allow-list": ["abc123"]}}}
    output = failing_run(run_playbook, "template | azimuth.ops.acl_actions(tenancy)", template=template, tenancy=TENANCY)
    assert "azimuth.ops.acl_actions: AppTemplate 'jupyter': annotation acl.azimuth.stackhpc.com/allow-list must be a string" in output


def test_catastrophic_regex_does_not_hang_the_run(run_playbook):
    template = {"kind": "ClusterTemplate", "metadata": {"name": "evil", "annotations": {"acl.azimuth.stackhpc.com/allow-regex": "(a+)+$"}}}
    started = time.monotonic()
    output = failing_run(run_playbook, "template | azimuth.ops.acl_allowed({'id': 'x', 'name': 'a' * 64 + '!'})", template=template)
    assert time.monotonic() - started < 60
    assert "took longer than" in output


def test_bad_acl_configuration(run_playbook):
    output = failing_run(run_playbook, "{'allowlist': ['a']} | azimuth.ops.acl_annotations")
    assert "azimuth.ops.acl_annotations: unknown ACL keys allowlist" in output


def test_name_without_letters(run_playbook):
    output = failing_run(run_playbook, "'!!!' | azimuth.ops.tenancy_namespace")
    assert "azimuth.ops.tenancy_namespace: the tenancy name '!!!' has no ASCII letters or digits" in output
