"""The platform-type ACL rules, every precedence rule and edge case."""

import re

import pytest

from ansible_collections.azimuth.ops.plugins.module_utils.common import _acl
from ansible_collections.azimuth.ops.plugins.module_utils.common._acl import (
    ALLOW_LIST,
    ALLOW_REGEX,
    DENY_LIST,
    DENY_REGEX,
    AclError,
    Evaluator,
    annotations_for,
)

TENANCY = {"id": "abc123", "name": "physics-lab"}


def template(annotations=None, name="tpl", kind="ClusterTemplate"):
    obj = {"apiVersion": "azimuth.stackhpc.com/v1alpha1", "kind": kind, "metadata": {"name": name}}
    if annotations is not None:
        obj["metadata"]["annotations"] = annotations
    return obj


def allowed(annotations):
    return Evaluator().allowed(annotations, TENANCY)


@pytest.mark.parametrize(
    "annotations, expected",
    [
        ({}, True),
        ({"unrelated": "x"}, True),
        ({DENY_LIST: "abc123"}, False),
        ({DENY_LIST: "other"}, True),
        ({ALLOW_LIST: "abc123"}, True),
        ({ALLOW_LIST: "other"}, False),
        ({DENY_REGEX: "^phys"}, False),
        ({DENY_REGEX: "^chem"}, True),
        ({ALLOW_REGEX: "^phys"}, True),
        ({ALLOW_REGEX: "^chem"}, False),
        # an ID in both lists is denied
        ({DENY_LIST: "abc123", ALLOW_LIST: "abc123"}, False),
        # the allow-list beats a matching deny-regex
        ({ALLOW_LIST: "abc123", DENY_REGEX: "phys"}, True),
        # the deny-list beats a matching allow-regex
        ({DENY_LIST: "abc123", ALLOW_REGEX: "phys"}, False),
        # a deny-regex beats an allow-regex
        ({DENY_REGEX: "lab$", ALLOW_REGEX: "^phys"}, False),
        # allow-list present but not matching, allow-regex matching -> allowed
        ({ALLOW_LIST: "other", ALLOW_REGEX: "^phys"}, True),
        # only a deny-regex that does not match -> allowed (no allow rule present)
        ({DENY_LIST: "x", DENY_REGEX: "^chem"}, True),
        # a non-matching deny-regex with a non-matching allow-list -> denied
        ({ALLOW_LIST: "x", DENY_REGEX: "^chem"}, False),
    ],
)
def test_precedence(annotations, expected):
    assert allowed(annotations) is expected
    assert allowed(template(annotations)) is expected


@pytest.mark.parametrize("key", [DENY_LIST, ALLOW_LIST, DENY_REGEX, ALLOW_REGEX])
def test_empty_annotation_counts_as_absent(key):
    assert allowed({key: ""}) is True


def test_empty_allow_list_does_not_restrict_when_deny_list_set():
    assert allowed({ALLOW_LIST: "", DENY_LIST: "other"}) is True


def test_lists_strip_whitespace_and_ignore_empty_items():
    assert allowed({DENY_LIST: " x , abc123 ,, "}) is False
    assert allowed({ALLOW_LIST: "x,\tabc123\n"}) is True
    assert allowed({ALLOW_LIST: " , ,"}) is False  # present, so it restricts, but lists nobody


def test_list_match_is_exact_and_case_sensitive():
    assert allowed({DENY_LIST: "ABC123"}) is True
    assert allowed({DENY_LIST: "abc12"}) is True
    assert allowed({DENY_LIST: "abc1234"}) is True
    assert allowed({ALLOW_LIST: "abc123x"}) is False


def test_regex_is_unanchored_and_case_sensitive():
    assert allowed({DENY_REGEX: "sics-l"}) is False
    assert allowed({DENY_REGEX: "PHYSICS"}) is True
    assert allowed({ALLOW_REGEX: "(?i)PHYSICS"}) is True


def test_regex_is_matched_against_the_name_not_the_id():
    assert allowed({DENY_REGEX: "abc123"}) is True


def test_no_metadata_or_annotations_means_no_restriction():
    evaluator = Evaluator()
    assert evaluator.allowed({"kind": "ClusterType"}, TENANCY) is True
    assert evaluator.allowed({"kind": "ClusterType", "metadata": None}, TENANCY) is True
    assert evaluator.allowed(template(None), TENANCY) is True
    assert evaluator.allowed({"metadata": {"annotations": None}}, TENANCY) is True


def test_filter_keeps_order_and_allowed_objects():
    objs = [
        template({ALLOW_LIST: "abc123"}, name="a"),
        template({DENY_LIST: "abc123"}, name="b"),
        template(None, name="c"),
        template({ALLOW_REGEX: "^chem"}, name="d"),
        template({ALLOW_REGEX: "^phys"}, name="e"),
    ]
    names = [obj["metadata"]["name"] for obj in Evaluator().filter(objs, TENANCY)]
    assert names == ["a", "c", "e"]


def test_filter_requires_a_list():
    with pytest.raises(AclError, match="expected a list"):
        Evaluator().filter({"a": 1}, TENANCY)


def test_actions():
    evaluator = Evaluator()
    assert evaluator.actions(template(None), TENANCY) == ["create", "update", "delete"]
    assert evaluator.actions(template({DENY_LIST: "abc123"}), TENANCY) == ["delete"]


def test_actions_returns_a_fresh_list():
    evaluator = Evaluator()
    first = evaluator.actions({}, TENANCY)
    first.append("mutated")
    assert evaluator.actions({}, TENANCY) == ["create", "update", "delete"]


@pytest.mark.parametrize(
    "tenancy, problem",
    [
        ({"name": "x"}, "no 'id'"),
        ({"id": "x"}, "no 'name'"),
        ({"id": "", "name": "x"}, "no 'id'"),
        ({"id": 123, "name": "x"}, "the tenancy {'id': 123, 'name': 'x'}: its 'id' is 123 (an integer), not a string; give it as '123'"),
        ("abc", "must be a dict"),
        (None, "must be a dict"),
    ],
)
def test_bad_tenancy(tenancy, problem):
    with pytest.raises(AclError, match=re.escape(problem)):
        Evaluator().allowed({}, tenancy)


def test_bad_tenancy_is_reported_even_without_objects():
    with pytest.raises(AclError, match="no 'name'"):
        Evaluator().filter([], {"id": "x"})


def test_annotation_that_is_not_a_string_names_object_and_annotation():
    obj = template({ALLOW_LIST: ["abc123"]}, name="kube-1-29")
    problem = r"ClusterTemplate 'kube-1-29': annotation acl.azimuth.stackhpc.com/allow-list must be a string, got a list"
    with pytest.raises(AclError, match=problem):
        Evaluator().allowed(obj, TENANCY)


def test_namespaced_object_description():
    obj = {"kind": "AppTemplate", "metadata": {"name": "jupyter", "namespace": "azimuth", "annotations": {DENY_REGEX: "("}}}
    with pytest.raises(AclError, match=r"AppTemplate 'azimuth/jupyter'"):
        Evaluator().allowed(obj, TENANCY)


def test_annotations_not_a_dict():
    with pytest.raises(AclError, match="annotations are not a dict"):
        Evaluator().allowed({"metadata": {"annotations": "x"}}, TENANCY)


def test_object_not_a_dict():
    with pytest.raises(AclError, match="got a string"):
        Evaluator().allowed("x", TENANCY)


def test_invalid_regex_names_the_object_and_the_regex_error():
    obj = template({DENY_REGEX: "(unclosed"}, kind="ClusterType", name="slurm")
    problem = r"ClusterType 'slurm': annotation acl.azimuth.stackhpc.com/deny-regex is not a valid regular expression '\(unclosed': missing \)"
    with pytest.raises(AclError, match=problem):
        Evaluator().allowed(obj, TENANCY)


def test_regex_is_only_compiled_when_evaluation_reaches_it():
    # The deny-list decides first, so the invalid regexes are never compiled.
    assert allowed({DENY_LIST: "abc123", DENY_REGEX: "(", ALLOW_REGEX: "("}) is False
    assert allowed({ALLOW_LIST: "abc123", DENY_REGEX: "(", ALLOW_REGEX: "("}) is True
    # A matching deny-regex decides before the allow-regex.
    assert allowed({DENY_REGEX: "phys", ALLOW_REGEX: "("}) is False


def test_each_distinct_regex_is_compiled_once(monkeypatch):
    calls = []

    def counting_compile(pattern):
        calls.append(pattern)
        return re.compile(pattern)

    monkeypatch.setattr(_acl, "compile_pattern", counting_compile)
    objs = [template({DENY_REGEX: "^chem", ALLOW_REGEX: "^phys"}, name=str(i)) for i in range(500)]
    objs += [template({ALLOW_REGEX: "lab"}, name="x%d" % i) for i in range(500)]
    evaluator = Evaluator()
    assert len(evaluator.filter(objs, TENANCY)) == 1000
    assert sorted(calls) == ["^chem", "^phys", "lab"]


def test_each_regex_is_searched_once_per_tenancy_name(monkeypatch):
    searches = []

    def counting_search(compiled, text, timeout):
        searches.append((compiled.pattern, text))
        return compiled.search(text) is not None

    monkeypatch.setattr(_acl, "bounded_search", counting_search)
    objs = [template({ALLOW_REGEX: "^phys"}, name=str(i)) for i in range(100)]
    evaluator = Evaluator()
    assert len(evaluator.filter(objs, TENANCY)) == 100
    assert evaluator.filter(objs, {"id": "x", "name": "chemistry"}) == []
    assert searches == [("^phys", "physics-lab"), ("^phys", "chemistry")]


def test_invalid_regex_is_compiled_once_and_reported_each_time(monkeypatch):
    calls = []

    def counting_compile(pattern):
        calls.append(pattern)
        return re.compile(pattern)

    monkeypatch.setattr(_acl, "compile_pattern", counting_compile)
    evaluator = Evaluator()
    for annotations in [{DENY_REGEX: "["}] * 3:
        with pytest.raises(AclError, match="not a valid regular expression"):
            evaluator.allowed(annotations, TENANCY)
    assert calls == ["["]


def test_catastrophic_regex_is_bounded_and_reported():
    evaluator = Evaluator(timeout=0.2)
    tenancy = {"id": "x", "name": "a" * 64 + "!"}
    with pytest.raises(AclError, match=r"deny-regex '\(a\+\)\+\$' took longer than 0.2s"):
        evaluator.allowed(template({DENY_REGEX: "(a+)+$"}), tenancy)


class TestAnnotationsFor:
    def test_all_four_keys_always(self):
        assert annotations_for({}) == {ALLOW_LIST: "", DENY_LIST: "", ALLOW_REGEX: "", DENY_REGEX: ""}
        assert annotations_for(None) == {ALLOW_LIST: "", DENY_LIST: "", ALLOW_REGEX: "", DENY_REGEX: ""}

    def test_lists_joined_without_spaces(self):
        result = annotations_for({"allow_list": ["a", " b ", "c"], "deny_list": ["d"]})
        assert result[ALLOW_LIST] == "a,b,c"
        assert result[DENY_LIST] == "d"

    def test_plain_string_is_not_split_into_characters(self):
        assert annotations_for({"allow_list": "abc123"})[ALLOW_LIST] == "abc123"
        assert annotations_for({"deny_list": "a, b ,c"})[DENY_LIST] == "a,b,c"

    def test_unset_and_empty_values_clear(self):
        result = annotations_for({"allow_list": [], "deny_list": None, "allow_regex": "", "deny_regex": None})
        assert set(result.values()) == {""}

    def test_regexes_pass_through(self):
        result = annotations_for({"allow_regex": "^phys", "deny_regex": "-test$"})
        assert result[ALLOW_REGEX] == "^phys"
        assert result[DENY_REGEX] == "-test$"

    def test_round_trip_with_evaluation(self):
        annotations = annotations_for({"allow_list": ["abc123"], "deny_regex": "lab"})
        assert allowed(annotations) is True
        annotations = annotations_for({"allow_list": ["zzz"]})
        assert allowed(annotations) is False

    @pytest.mark.parametrize(
        "config, problem",
        [
            ({"allowlist": ["a"]}, "unknown ACL keys allowlist"),
            ({"allow_list": 5}, "allow_list must be a list"),
            ({"allow_list": ["a", 5]}, "allow_list items must be strings"),
            ({"deny_list": ["a,b"]}, "contains a comma"),
            ({"allow_regex": "("}, "allow_regex is not a valid regular expression"),
            ({"deny_regex": ["x"]}, "deny_regex must be a string"),
            ("x", "the ACL must be a dict"),
        ],
    )
    def test_bad_config(self, config, problem):
        with pytest.raises(AclError, match=problem):
            annotations_for(config)


# --- messages in words, regexes checked against backtracking (issue 16) ------------------------------


def test_types_are_named_in_words_never_by_internal_class_names():
    from ansible_collections.azimuth.ops.plugins.module_utils.common._acl import a_type

    class _AnsibleTaggedList(list):
        pass
    assert a_type(_AnsibleTaggedList()) == "a list"
    assert [a_type(v) for v in ("x", 1, 1.5, True, None, {}, ())] == [
        "a string", "an integer", "a number", "true/false", "null", "a dict", "a list"]


def test_a_catastrophic_regex_is_found_on_a_probe_and_on_a_name():
    from ansible_collections.azimuth.ops.plugins.module_utils.common._acl import check_regex_speed
    check_regex_speed("x", "^(physics|chemistry)$", ["physics"])
    with pytest.raises(AclError, match=r"x: the regular expression '\(a\+\)\+\$' took longer than 0.1s on 64 x 'a' then '!'"):
        check_regex_speed("x", "(a+)+$", timeout=0.1)
    with pytest.raises(AclError, match="not a valid regular expression"):
        check_regex_speed("x", "(")


def test_the_acl_that_denies_all_denies_every_tenancy():
    from ansible_collections.azimuth.ops.plugins.module_utils.common._acl import DENY_ALL
    for tenancy in (TENANCY, {"id": "x", "name": "-"}):
        assert Evaluator().allowed(template(DENY_ALL), tenancy) is False
