"""The filters' errors: one message naming the filter, never Python's internals."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.azimuth.ops.plugins.filter.acl import FilterModule as AclFilters
from ansible_collections.azimuth.ops.plugins.filter.naming import FilterModule as NamingFilters

FILTERS = dict(AclFilters().filters(), **NamingFilters().filters())
TEMPLATE = {"kind": "ClusterTemplate", "metadata": {"name": "kube"}}


@pytest.mark.parametrize("name, args, message", [
    ("acl_allowed", (TEMPLATE,), "azimuth.ops.acl_allowed: missing a required argument: 'tenancy'; "
                                 "use it as platform_type | azimuth.ops.acl_allowed({'id': ..., 'name': ...})"),
    ("acl_filter", ([TEMPLATE],), "azimuth.ops.acl_filter: missing a required argument: 'tenancy'; "
                                  "use it as platform_types | azimuth.ops.acl_filter({'id': ..., 'name': ...})"),
    ("acl_actions", (TEMPLATE,), "azimuth.ops.acl_actions: missing a required argument: 'tenancy'; "
                                 "use it as platform_type | azimuth.ops.acl_actions({'id': ..., 'name': ...})"),
    ("acl_annotations", ({}, "extra"), "azimuth.ops.acl_annotations: too many positional arguments; "
                                       "use it as {'allow_list': [...], 'deny_regex': '...'} | azimuth.ops.acl_annotations"),
    ("tenancy_namespace", ("demo", "extra"), "azimuth.ops.tenancy_namespace: too many positional arguments; "
                                             "use it as tenancy_name | azimuth.ops.tenancy_namespace"),
])
def test_a_filter_called_with_the_wrong_arguments_says_how_to_call_it(name, args, message):
    with pytest.raises(AnsibleFilterError) as error:
        FILTERS[name](*args)
    assert error.value.message == message


@pytest.mark.parametrize("name, args, message", [
    ("acl_allowed", (TEMPLATE, {"id": 123, "name": "physics"}),
     "azimuth.ops.acl_allowed: the tenancy {'id': 123, 'name': 'physics'}: its 'id' is 123 (an integer), not a string; give it as '123'"),
    ("tenancy_namespace", ("Физика",), "azimuth.ops.tenancy_namespace: the tenancy name 'Физика' has no ASCII letters or digits"),
])
def test_bad_input_is_reported_by_the_filter(name, args, message):
    with pytest.raises(AnsibleFilterError) as error:
        FILTERS[name](*args)
    assert error.value.message.startswith(message)


def test_filters_still_work():
    assert FILTERS["acl_allowed"](TEMPLATE, {"id": "a", "name": "b"}) is True
    assert FILTERS["tenancy_namespace"]("My_Project!") == "az-my-project"
