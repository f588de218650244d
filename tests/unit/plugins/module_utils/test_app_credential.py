"""Application credentials: names, roles, expiry, differences, the Secret's data and masking."""

import base64

import pytest
import yaml

from ansible_collections.azimuth.ops.plugins.module_utils.openstack import _app_credential as ac
from ansible_collections.azimuth.ops.plugins.module_utils.kubernetes import _cloud_credential as cc
from ansible_collections.azimuth.ops.plugins.module_utils.common._module import ModuleError, Secrets

ROLES = [{"id": "r1", "name": "reader"}, {"id": "m1", "name": "member"}, {"id": "a1", "name": "admin"}]
CONTEXT = dict(auth_url="https://keystone.example.org/v3", region_name="RegionOne", interface="internal", verify=True,
               project_id="p", project_name="demo", username="alice", user_id="u")


@pytest.mark.parametrize("credential_name, owned", [
    ("portal", True), ("portal-0badcafe", True), ("portal-0BADCAFE", False), ("portal-0badcaf", False),
    ("portal-x", False), ("portalx", False), ("other", False),
])
def test_owned_names(credential_name, owned):
    assert ac.owns_name(credential_name, "portal") is owned


def test_next_name_avoids_names_in_use():
    assert ac.next_name("portal", {"other"}) == "portal"
    name = ac.next_name("portal", {"portal"})
    assert ac.owns_name(name, "portal") and name != "portal"


def test_default_roles_are_the_users_except_admin():
    assert ac.desired_roles(None, ROLES) == [{"id": "m1", "name": "member"}, {"id": "r1", "name": "reader"}]


def test_no_roles_are_all_the_users_roles_as_keystone_gives_them():
    assert ac.desired_roles([], ROLES) == sorted(ROLES, key=lambda role: role["name"])


def test_roles_by_name_or_id_must_be_held():
    assert ac.desired_roles(["r1", "reader"], ROLES) == [{"id": "r1", "name": "reader"}]
    with pytest.raises(ModuleError, match="the user has no role swift in the project; their roles are: admin, member, reader"):
        ac.desired_roles(["swift"], ROLES)
    with pytest.raises(ModuleError, match="no role in the project other than admin"):
        ac.desired_roles(None, [{"id": "a1", "name": "admin"}])


@pytest.mark.parametrize("value, expected", [
    (None, None), ("", None),
    ("2030-01-31T00:00:00Z", "2030-01-31T00:00:00"),
    ("2030-01-31T02:00:00+02:00", "2030-01-31T00:00:00"),
    ("2030-01-31T00:00:00.000000", "2030-01-31T00:00:00"),
    ("2030-01-31", "2030-01-31T00:00:00"),
])
def test_expiry_is_normalised_to_keystones_form(value, expected):
    assert ac.normalise_expiry(value) == expected


def test_a_bad_expiry():
    with pytest.raises(ModuleError, match="not an ISO 8601"):
        ac.normalise_expiry("next tuesday")


def test_differences():
    current = {"id": "c", "name": "portal", "description": None, "roles": [{"name": "reader"}, {"name": "member"}],
               "unrestricted": None, "expires_at": "2030-01-31T00:00:00.000000"}
    desired = dict(description=None, roles=ac.desired_roles(None, ROLES), unrestricted=False, expires_at="2030-01-31T00:00:00")
    assert ac.differences(current, desired) == []
    assert ac.differences(current, dict(desired, description="x", unrestricted=True)) == ["description", "unrestricted"]
    assert ac.differences(current, dict(desired, roles=[{"id": "r1", "name": "reader"}], expires_at=None)) == ["roles", "expires_at"]


def test_secret_data_layout():
    data = ac.secret_data(CONTEXT, "cid", "SECRET", include_user_info=True, cacert="PEM")
    assert sorted(data) == ["cacert", "clouds.yaml", "user_info.yaml"]
    assert yaml.safe_load(data["clouds.yaml"]) == {"clouds": {"openstack": {
        "auth_type": "v3applicationcredential",
        "auth": {"auth_url": "https://keystone.example.org/v3", "application_credential_id": "cid", "application_credential_secret": "SECRET"},
        "region_name": "RegionOne", "interface": "internal", "identity_api_version": 3}}}
    assert yaml.safe_load(data["user_info.yaml"]) == {"project_id": "p", "project_name": "demo", "username": "alice", "user_id": "u"}
    insecure = ac.secret_data(dict(CONTEXT, verify=False), "cid", "SECRET", include_user_info=False, cacert=None)
    assert list(insecure) == ["clouds.yaml"]
    assert yaml.safe_load(insecure["clouds.yaml"])["clouds"]["openstack"]["verify"] is False


def test_secret_patch_touches_only_what_differs():
    data = ac.secret_data(CONTEXT, "cid", "SECRET", include_user_info=False, cacert=None)
    current = {"metadata": {"namespace": "ns", "name": "s", "labels": {"keep": "me", "credential.azimuth-cloud.io/provider": "openstack"},
                            "annotations": {}},
               "data": {"clouds.yaml": cc.encode(data["clouds.yaml"]), "user_info.yaml": cc.encode("x: 1")}}
    spec = cc.CredentialSecret("ns", "s", data)
    assert spec.patch(current) == {"metadata": {"labels": {"app.kubernetes.io/managed-by": "azimuth-ops"}}, "data": {"user_info.yaml": None}}
    current["metadata"]["labels"].update(cc.secret_labels())
    del current["data"]["user_info.yaml"]
    assert spec.patch(current) is None


def test_stored_credential_and_masking():
    data = ac.secret_data(CONTEXT, "cid", "SECRET", include_user_info=True, cacert="PEM")
    assert cc.stored_credential(data["clouds.yaml"]) == ("cid", "SECRET")
    assert cc.stored_credential("not: [yaml") == (None, None)
    assert cc.stored_credential(None) == (None, None)
    view = cc.masked_data(dict(data, other="raw"))
    assert view["clouds.yaml"]["clouds"]["openstack"]["auth"]["application_credential_secret"] == "********"
    assert view["user_info.yaml"]["username"] == "alice" and view["cacert"] == "PEM" and view["other"] == "********"
    newer = ac.secret_data(CONTEXT, "cid2", "SECRET2", include_user_info=True, cacert="PEM")
    changed = cc.masked_data(newer, previous=data)
    assert changed["clouds.yaml"]["clouds"]["openstack"]["auth"]["application_credential_secret"] == "******** (changed)"
    same = cc.masked_data(data, previous=data)
    assert same["clouds.yaml"]["clouds"]["openstack"]["auth"]["application_credential_secret"] == "********"
    assert "SECRET" not in repr(changed) + repr(view)


def test_the_secret_and_the_base64_of_the_data_holding_it_are_registered():
    data = {"clouds.yaml": "auth: {application_credential_secret: SECRET}"}
    secrets = Secrets()
    secrets.add("SECRET", held_in=data.values())
    assert secrets.values == {"SECRET", base64.b64encode(b"SECRET").decode(), base64.b64encode(data["clouds.yaml"].encode()).decode()}
