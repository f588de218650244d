"""The azimuth.ops.platform_access role, as the provisioning playbook runs it."""

from .conftest import localhost_play, save_results

PHYSICS = {"id": "p1", "name": "physics"}
TRAINING = {"id": "t1", "name": "training-test"}
PLATFORM_TYPES = [
    {"kind": "ClusterTemplate", "name": "kubernetes"},
    {"kind": "ClusterTemplate", "name": "gpu", "acl": {"allow_list": ["p1"]}},
    {"kind": "AppTemplate", "name": "jupyterhub", "acl": {"deny_regex": "-test$"}},
]


def test_role_reports_the_platform_types_each_tenancy_may_use(run_playbook):
    play = localhost_play(
        [{"ansible.builtin.include_role": {"name": "azimuth.ops.platform_access"}}, save_results("platform_access_matrix")],
        vars={"platform_access_tenancies": [PHYSICS, TRAINING], "platform_access_platform_types": PLATFORM_TYPES},
    )
    run = run_playbook([play])
    assert run.ok, run.output
    assert run.results == {"p1": ["kubernetes", "gpu", "jupyterhub"], "t1": ["kubernetes"]}
    assert "training-test (t1) may use: kubernetes" in run.output


def test_role_rejects_a_platform_type_of_unknown_kind(run_playbook):
    play = localhost_play(
        [{"ansible.builtin.include_role": {"name": "azimuth.ops.platform_access"}}],
        vars={"platform_access_tenancies": [PHYSICS], "platform_access_platform_types": [{"kind": "Pod", "name": "x"}]},
    )
    run = run_playbook([play])
    assert not run.ok
    assert "value of kind must be one of: ClusterTemplate, AppTemplate, ClusterType, got: Pod" in run.output
