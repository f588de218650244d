"""Tenancy naming rules."""

import pytest

from ansible_collections.azimuth.ops.plugins.module_utils._naming import NamingError, sanitise, tenancy_namespace


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


@pytest.mark.parametrize("name", ["", "!!!", "---", "ÉÈ"])
def test_names_without_letters_or_digits_are_errors(name):
    with pytest.raises(NamingError, match="has no letters or digits"):
        tenancy_namespace(name)


def test_non_string_is_an_error():
    with pytest.raises(NamingError, match="expected a string"):
        tenancy_namespace(None)


def test_sanitise_without_prefix():
    assert sanitise("F3A1-ab_CD") == "f3a1-ab-cd"
