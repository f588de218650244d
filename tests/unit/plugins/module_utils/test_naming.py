"""Tenancy naming rules."""

import pytest

from ansible_collections.azimuth.ops.plugins.module_utils.common._naming import (
    NamingError,
    check_dns_label,
    check_dns_subdomain,
    check_label_value,
    check_qualified_name,
    sanitise,
    tenancy_namespace,
)


@pytest.mark.parametrize(
    "name, namespace",
    [
        ("My_Project!", "az-my-project"),
        ("demo", "az-demo"),
        ("--a--b--", "az-a-b"),
        ("Physics & Astronomy (2024)", "az-physics-astronomy-2024"),
        ("ÉcoleNormale", "az-colenormale"),
        ("123", "az-123"),
        ("a.b_c d", "az-a-b-c-d"),
    ],
)
def test_tenancy_namespace(name, namespace):
    assert tenancy_namespace(name) == namespace


def test_long_names_fit_a_namespace_and_end_cleanly():
    namespace = tenancy_namespace("x" * 59 + "-" + "y" * 10)
    assert len(namespace) <= 63
    assert namespace == "az-" + "x" * 59
    assert len(tenancy_namespace("q" * 200)) == 63


@pytest.mark.parametrize("name, message", [
    ("", "'' is empty, and a Kubernetes name needs ASCII letters or digits"),
    ("!!!", "'!!!' has no ASCII letters or digits, which a Kubernetes name needs: every other character is dropped, "
            "which leaves nothing"),
    ("---", "'---' has no ASCII letters or digits, which a Kubernetes name needs: every other character is dropped, which leaves nothing"),
    ("ÉÈ", "'ÉÈ' has no ASCII letters or digits, which a Kubernetes name needs: every other character is dropped "
           "(letters outside ASCII, such as 'É', too), which leaves nothing"),
    ("Физика", "'Физика' has no ASCII letters or digits, which a Kubernetes name needs: every other character is dropped "
               "(letters outside ASCII, such as 'Ф', too), which leaves nothing"),
])
def test_names_without_ascii_letters_or_digits_are_errors_saying_what_was_dropped(name, message):
    with pytest.raises(NamingError) as error:
        tenancy_namespace(name)
    assert str(error.value) == message


def test_non_string_is_an_error():
    with pytest.raises(NamingError, match="expected a string"):
        tenancy_namespace(None)


def test_sanitise_without_prefix():
    assert sanitise("F3A1-ab_CD") == "f3a1-ab-cd"


@pytest.mark.parametrize("key, valid", [
    ("app", True), ("example.org/cost-centre", True), ("a.b-c_d", True), ("x" * 63, True),
    ("x" * 64, False), ("-app", False), ("Example.org/app", False), ("a/b/c", False), ("/app", False), ("", False),
])
def test_label_and_annotation_keys(key, valid):
    if valid:
        check_qualified_name(key, "label")
        return
    with pytest.raises(NamingError, match="label key .* is not valid"):
        check_qualified_name(key, "label")


@pytest.mark.parametrize("value, valid", [("", True), ("4711", True), ("a.b_c-d", True), ("x" * 64, False), ("a b", False), ("-a", False)])
def test_label_values(value, valid):
    if valid:
        check_label_value("k", value)
        return
    with pytest.raises(NamingError, match="label k: the value .* is not valid"):
        check_label_value("k", value)


def test_object_names():
    check_dns_label("az-demo", "namespace")
    check_dns_subdomain("default-openstack-credential.v2", "Secret name")
    with pytest.raises(NamingError, match="namespace 'Az_demo' is not a valid name"):
        check_dns_label("Az_demo", "namespace")
    with pytest.raises(NamingError, match="Secret name 'a..b' is not a valid name"):
        check_dns_subdomain("a..b", "Secret name")
