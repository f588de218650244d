"""Hidden options: a value of the wrong type is refused with Ansible's own, readable, message."""

from ansible_collections.azimuth.ops.plugins.module_utils.common import _hidden_options as hidden

SPEC = dict(
    cluster_extravars=dict(type="dict", default={}, no_log=True),
    envvars=dict(type="dict", default={}, no_log=True),
    name=dict(type="str", required=True),
)


def test_type_errors_are_ansibles_messages_without_the_values():
    errors = hidden.type_errors(SPEC, dict(cluster_extravars="a", envvars=["s3cret-value"], name="x"), ("cluster_extravars", "envvars"))
    assert errors == [
        "argument 'cluster_extravars' is of type str and we were unable to convert to dict: dictionary requested, could not parse JSON or key=value",
        "argument 'envvars' is of type list and we were unable to convert to dict: <class 'list'> cannot be converted to a dict",
    ]
    assert not any("s3cret-value" in error for error in errors)


def test_values_that_fit_or_are_missing_are_no_error():
    assert hidden.type_errors(SPEC, dict(cluster_extravars={"a": 1}, envvars="A=1"), ("cluster_extravars", "envvars")) == []
    assert hidden.type_errors(SPEC, {}, ("cluster_extravars", "envvars")) == []
    assert hidden.type_errors(SPEC, None, ("cluster_extravars",)) == []


def test_taken_as_given_relaxes_only_the_hidden_options():
    relaxed = hidden.taken_as_given(SPEC, ("envvars",))
    assert relaxed["envvars"] == dict(type="raw", default={}, no_log=True)
    assert relaxed["cluster_extravars"] is SPEC["cluster_extravars"] and SPEC["envvars"]["type"] == "dict"
