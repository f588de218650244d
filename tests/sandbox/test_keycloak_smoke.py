"""Smoke test of the sandbox's Keycloak through the official client (python-keycloak)."""

import pytest
from keycloak import KeycloakAdmin
from keycloak.exceptions import KeycloakPostError


def _admin(sandbox_env, password=None, realm="master"):
    """A client acting on ``realm`` as the master realm's administrator."""
    return KeycloakAdmin(server_url=sandbox_env["KEYCLOAK_URL"],
                         username=sandbox_env["KEYCLOAK_ADMIN_USER"],
                         password=password or sandbox_env["KEYCLOAK_ADMIN_PASSWORD"],
                         realm_name=realm, user_realm_name="master")


def test_realm_group_and_client_round_trip(sandbox_env, unique_name):
    _admin(sandbox_env).create_realm({"realm": unique_name, "enabled": True})
    admin = _admin(sandbox_env, realm=unique_name)
    try:
        group_id = admin.create_group({"name": "tenancy-a"})
        client_uuid = admin.create_client({"clientId": "portal", "redirectUris": ["https://portal.test/*"]})

        assert admin.get_realm(unique_name)["enabled"] is True
        assert admin.get_group_by_path("/tenancy-a")["id"] == group_id
        client = admin.get_client(client_uuid)
        assert (client["clientId"], client["redirectUris"]) == ("portal", ["https://portal.test/*"])
    finally:
        admin.delete_realm(unique_name)
    assert unique_name not in {realm["realm"] for realm in _admin(sandbox_env).get_realms()}


def test_bad_password_is_refused(sandbox_env):
    # Keycloak 26 answers a wrong password with 400 invalid_grant (RFC 6749), not 401: so
    # python-keycloak raises KeycloakPostError here, not KeycloakAuthenticationError.
    with pytest.raises(KeycloakPostError) as error:
        _admin(sandbox_env, password="not-the-password").get_realms()
    assert error.value.response_code == 400
    assert b"Invalid user credentials" in error.value.response_body
