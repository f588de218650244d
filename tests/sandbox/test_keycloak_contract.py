"""The Keycloak Admin REST emulator, checked with the official client (python-keycloak).

The emulator runs as a subprocess on a free port with a temporary state directory; nothing
else of the sandbox is needed.  Raw ``requests`` calls are used only where python-keycloak
hides what is checked (status codes, headers, error bodies).
"""

import base64
import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from keycloak import KeycloakAdmin, KeycloakOpenID
from keycloak.exceptions import (
    KeycloakAuthenticationError,
    KeycloakConnectionError,
    KeycloakDeleteError,
    KeycloakGetError,
    KeycloakPostError,
    KeycloakPutError,
)

from sandbox import control
from sandbox.keycloak import settings

REPO = Path(__file__).resolve().parents[2]
ADMIN = settings.ADMIN_USER
PASSWORD = settings.ADMIN_PASSWORD
REALM = "contract"


class Emulator:
    """One emulator subprocess."""

    def __init__(self, state_dir, *extra):
        self.state_dir = state_dir
        self.extra = extra
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = None

    def start(self):
        argv = [sys.executable, "-m", "sandbox.keycloak", "--port", str(self.port),
                "--state-dir", str(self.state_dir), *self.extra]
        log = open(self.state_dir.parent / f"keycloak-{self.port}.log", "ab")  # pylint: disable=consider-using-with
        self.proc = subprocess.Popen(argv, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)  # pylint: disable=consider-using-with
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                control.request_counts(self.url)
                return self
            except OSError:
                assert self.proc.poll() is None, "the emulator exited; see its log"
                time.sleep(0.05)
        raise RuntimeError("the emulator did not start")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=10)


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _claims(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


@pytest.fixture(scope="module")
def emulator(tmp_path_factory, request):
    server = Emulator(tmp_path_factory.mktemp("keycloak") / "state").start()
    yield server
    counts = control.request_counts(server.url)
    lines = [f"\nkeycloak emulator: {counts['total']} API requests served to this suite"]
    lines += [f"  {n:5d}  {route}" for route, n in sorted(counts["by_route"].items(), key=lambda kv: (-kv[1], kv[0]))]
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print("\n".join(lines))
    server.stop()


@pytest.fixture(scope="module")
def master(emulator):
    return KeycloakAdmin(server_url=emulator.url, username=ADMIN, password=PASSWORD, realm_name="master")


@pytest.fixture(scope="module")
def admin(emulator, master):
    """An admin client working in the test realm (authenticated against master)."""
    master.create_realm({"realm": REALM, "enabled": True})
    return KeycloakAdmin(server_url=emulator.url, username=ADMIN, password=PASSWORD,
                         realm_name=REALM, user_realm_name="master")


def raw(emulator, admin_client, method, path, **kwargs):
    """A request with the admin's bearer token, for what python-keycloak does not show."""
    admin_client.get_realm("master")  # make sure the token is fresh
    headers = {"Authorization": "Bearer " + admin_client.connection.token["access_token"]}
    headers.update(kwargs.pop("headers", {}))
    return requests.request(method, emulator.url + path, headers=headers, timeout=10, **kwargs)


# -- tokens ---------------------------------------------------------------------------------------

def test_password_grant_returns_jwt_shaped_tokens(emulator):
    oidc = KeycloakOpenID(server_url=emulator.url, realm_name="master", client_id="admin-cli")
    token = oidc.token(ADMIN, PASSWORD)
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == settings.ACCESS_TOKEN_LIFESPAN
    assert token["refresh_expires_in"] == settings.REFRESH_TOKEN_LIFESPAN
    claims = _claims(token["access_token"])
    assert claims["iss"] == f"{emulator.url}/realms/master"
    assert claims["azp"] == "admin-cli"
    assert claims["preferred_username"] == ADMIN
    assert claims["exp"] - claims["iat"] == settings.ACCESS_TOKEN_LIFESPAN
    assert len(claims["sub"]) == 36


def test_refresh_grant_issues_new_tokens(emulator):
    oidc = KeycloakOpenID(server_url=emulator.url, realm_name="master", client_id="admin-cli")
    first = oidc.token(ADMIN, PASSWORD)
    second = oidc.refresh_token(first["refresh_token"])
    assert second["access_token"] != first["access_token"]
    assert _claims(second["access_token"])["sub"] == _claims(first["access_token"])["sub"]


def test_bad_credentials_and_bad_refresh_token_are_rejected(emulator):
    oidc = KeycloakOpenID(server_url=emulator.url, realm_name="master", client_id="admin-cli")
    with pytest.raises(KeycloakAuthenticationError) as err:
        oidc.token(ADMIN, "wrong")
    assert err.value.response_code == 401
    assert json.loads(err.value.response_body)["error"] == "invalid_grant"
    with pytest.raises(KeycloakPostError) as err:
        oidc.refresh_token("not.a.token")
    assert err.value.response_code == 400
    assert b"Token is not active" in err.value.response_body
    unknown = KeycloakOpenID(server_url=emulator.url, realm_name="master", client_id="nope")
    with pytest.raises(KeycloakAuthenticationError):
        unknown.token(ADMIN, PASSWORD)


def test_admin_api_needs_a_valid_token(emulator):
    url = f"{emulator.url}/admin/realms/master/groups"
    assert requests.get(url, timeout=10).status_code == 401
    bad = requests.get(url, headers={"Authorization": "Bearer a.b.c"}, timeout=10)
    assert bad.status_code == 401
    assert bad.json() == {"error": "HTTP 401 Unauthorized"}


def test_client_credentials_service_account_administers_its_realm(emulator, admin):
    client_uuid = admin.create_client({"clientId": "provisioner", "serviceAccountsEnabled": True,
                                       "publicClient": False})
    secret = admin.get_client_secrets(client_uuid)["value"]
    account = admin.get_client_service_account_user(client_uuid)
    assert account["username"] == "service-account-provisioner"
    management = admin.get_client_id("realm-management")
    admin.assign_client_role(account["id"], management, [admin.get_client_role(management, "realm-admin")])

    robot = KeycloakAdmin(server_url=emulator.url, realm_name=REALM, client_id="provisioner",
                          client_secret_key=secret)
    group_id = robot.create_group({"name": "robot-made"})
    assert robot.get_group(group_id)["path"] == "/robot-made"
    assert [r["realm"] for r in robot.get_realms()] == [REALM]
    token = robot.connection.token
    assert "refresh_token" not in token and token["refresh_expires_in"] == 0
    forbidden = requests.get(f"{emulator.url}/admin/realms/master/users", timeout=10,
                             headers={"Authorization": "Bearer " + token["access_token"]})
    assert forbidden.status_code == 403

    wrong = KeycloakOpenID(server_url=emulator.url, realm_name=REALM, client_id="provisioner",
                           client_secret_key="wrong")
    with pytest.raises(KeycloakAuthenticationError):
        wrong.token(grant_type="client_credentials")
    admin.delete_group(group_id)


def test_expired_token_gets_401_and_python_keycloak_refreshes(tmp_path):
    server = Emulator(tmp_path / "state", "--access-token-lifespan", "1").start()
    try:
        oidc = KeycloakOpenID(server_url=server.url, realm_name="master", client_id="admin-cli")
        token = oidc.token(ADMIN, PASSWORD)
        time.sleep(1.2)
        expired = requests.get(f"{server.url}/admin/realms", timeout=10,
                               headers={"Authorization": "Bearer " + token["access_token"]})
        assert expired.status_code == 401
        # Tell the client the token lives long, so it learns of the expiry from the 401 alone.
        client = KeycloakAdmin(server_url=server.url, realm_name="master",
                               token=dict(token, expires_in=3600))
        control.reset_counts(server.url)
        assert client.get_realm("master")["realm"] == "master"
        counts = control.request_counts(server.url)["by_route"]
        assert counts == {"GET /admin/realms/{realm}": 2,
                          "POST /realms/{realm}/protocol/openid-connect/token": 1}
    finally:
        server.stop()


def test_state_survives_a_restart(tmp_path):
    server = Emulator(tmp_path / "state").start()
    client = KeycloakAdmin(server_url=server.url, username=ADMIN, password=PASSWORD, realm_name="master")
    client.create_realm({"realm": "kept", "enabled": True})
    server.stop()
    server.start()
    try:
        assert client.get_realm("kept")["realm"] == "kept"  # the old token is still valid, too
    finally:
        server.stop()
    assert (tmp_path / "state" / settings.STATE_FILE).exists()


# -- realms ---------------------------------------------------------------------------------------

def test_realm_lifecycle_and_status_codes(emulator, master):
    created = raw(emulator, master, "POST", "/admin/realms", json={"realm": "lifecycle", "enabled": True})
    assert created.status_code == 201
    assert created.headers["Location"] == f"{emulator.url}/admin/realms/lifecycle"
    assert created.content == b""
    duplicate = raw(emulator, master, "POST", "/admin/realms", json={"realm": "lifecycle"})
    assert duplicate.status_code == 409
    assert duplicate.json() == {"errorMessage": "Conflict detected. See logs for details"}
    assert master.create_realm({"realm": "lifecycle"}, skip_exists=True)

    realm = master.get_realm("lifecycle")
    assert realm["enabled"] is True and len(realm["id"]) == 36
    assert realm["defaultRole"]["name"] == "default-roles-lifecycle"
    assert "lifecycle" in [r["realm"] for r in master.get_realms()]
    master.update_realm("lifecycle", {"displayName": "Life Cycle"})
    assert master.get_realm("lifecycle")["displayName"] == "Life Cycle"

    master.delete_realm("lifecycle")
    with pytest.raises(KeycloakGetError) as err:
        master.get_realm("lifecycle")
    assert err.value.response_code == 404
    assert json.loads(err.value.response_body) == {"error": "Realm not found."}


def test_new_realm_has_keycloaks_default_clients_and_roles(admin):
    client_ids = {c["clientId"] for c in admin.get_clients()}
    assert {"account", "admin-cli", "broker", "realm-management", "security-admin-console"} <= client_ids
    management = admin.get_client_id("realm-management")
    names = {r["name"] for r in admin.get_client_roles(management)}
    assert {"realm-admin", "manage-users", "view-users", "query-groups", "manage-clients"} <= names
    assert admin.get_client_role(management, "realm-admin")["composite"] is True
    realm_roles = {r["name"] for r in admin.get_realm_roles()}
    assert {f"default-roles-{REALM}", "offline_access", "uma_authorization"} <= realm_roles
    defaults = {r["name"] for r in admin.get_realm_default_roles()}
    assert {"offline_access", "uma_authorization"} <= defaults
    scopes = {s["name"] for s in admin.get_default_default_client_scopes()}
    assert {"profile", "email", "roles", "web-origins"} <= scopes


# -- groups ---------------------------------------------------------------------------------------

def test_groups_subgroups_and_paths(emulator, admin):
    top = admin.create_group({"name": "tenancies", "attributes": {"owner": ["portal"]}})
    first = admin.create_group({"name": "tenancy-a"}, parent=top)
    admin.create_group({"name": "members"}, parent=first)
    group = admin.get_group(top)
    assert group["path"] == "/tenancies" and group["subGroupCount"] == 1
    assert group["subGroups"][0]["path"] == "/tenancies/tenancy-a"
    assert group["attributes"] == {"owner": ["portal"]}
    found = admin.get_group_by_path("/tenancies/tenancy-a/members")
    assert found["name"] == "members" and found["parentId"] == first
    with pytest.raises(KeycloakGetError) as err:
        admin.get_group_by_path("/tenancies/nope")
    assert err.value.response_code == 404

    listed = raw(emulator, admin, "GET", f"/admin/realms/{REALM}/groups").json()
    tenancies = next(g for g in listed if g["name"] == "tenancies")
    assert tenancies["subGroupCount"] == 1 and tenancies["subGroups"] == []
    assert "attributes" not in tenancies  # brief by default
    full = admin.get_groups(full_hierarchy=True)
    tree = next(g for g in full if g["name"] == "tenancies")
    assert tree["subGroups"][0]["subGroups"][0]["path"] == "/tenancies/tenancy-a/members"
    admin.delete_group(top)
    with pytest.raises(KeycloakGetError):
        admin.get_group(first)


def test_group_conflicts_updates_and_children_paging(emulator, admin):
    parent = admin.create_group({"name": "paged"})
    with pytest.raises(KeycloakPostError) as err:
        admin.create_group({"name": "paged"})
    assert err.value.response_code == 409
    assert json.loads(err.value.response_body) == {"errorMessage": "Top level group named 'paged' already exists."}
    assert admin.create_group({"name": "paged"}, skip_exists=True) is None

    created = raw(emulator, admin, "POST", f"/admin/realms/{REALM}/groups/{parent}/children", json={"name": "c00"})
    assert created.status_code == 201  # Location names the child under /groups, not under /children
    child = created.headers["Location"].rsplit("/", 1)[1]
    assert created.headers["Location"] == f"{emulator.url}/admin/realms/{REALM}/groups/{child}"
    for i in range(1, 12):
        admin.create_group({"name": f"c{i:02d}"}, parent=parent)
    with pytest.raises(KeycloakPostError) as err:
        admin.create_group({"name": "c05"}, parent=parent)
    assert json.loads(err.value.response_body) == {"errorMessage": "Sibling group named 'c05' already exists."}

    default_page = raw(emulator, admin, "GET", f"/admin/realms/{REALM}/groups/{parent}/children").json()
    assert len(default_page) == 10  # Keycloak 23 pages children by 10 unless told otherwise
    page = admin.get_group_children(parent, query={"first": 10, "max": 5})
    assert [g["name"] for g in page] == ["c10", "c11"]
    assert len(admin.get_group_children(parent)) == 12

    admin.update_group(parent, {"name": "paged-renamed", "attributes": {"k": ["v"]}})
    assert admin.get_group_by_path("/paged-renamed")["attributes"] == {"k": ["v"]}
    assert admin.get_group_by_path("/paged-renamed/c03")["path"] == "/paged-renamed/c03"
    admin.delete_group(parent)


def test_group_listing_paging_search_and_count(admin):
    ids = [admin.create_group({"name": f"list-{i}"}) for i in range(5)]
    child = admin.create_group({"name": "needle"}, parent=ids[2])
    page = admin.get_groups(query={"first": 1, "max": 2, "search": "list-"})
    assert [g["name"] for g in page] == ["list-1", "list-2"]
    found = admin.get_groups(query={"search": "needle"})
    assert [g["name"] for g in found] == ["list-2"]
    assert found[0]["subGroups"][0]["id"] == child
    exact = admin.get_groups(query={"search": "list-3", "exact": True})
    assert [g["name"] for g in exact] == ["list-3"]
    assert admin.groups_count(query={"search": "list-", "top": True}) == {"count": 5}
    for group_id in ids:
        admin.delete_group(group_id)


# -- clients, secrets, scopes, mappers ---------------------------------------------------------

def test_clients_secrets_and_conflicts(emulator, admin):
    created = raw(emulator, admin, "POST", f"/admin/realms/{REALM}/clients",
                  json={"clientId": "portal", "redirectUris": ["https://portal/*"]})
    assert created.status_code == 201
    client_uuid = created.headers["Location"].rsplit("/", 1)[1]
    assert admin.get_client_id("portal") == client_uuid
    with pytest.raises(KeycloakPostError) as err:
        admin.create_client({"clientId": "portal"})
    assert err.value.response_code == 409
    assert json.loads(err.value.response_body) == {"errorMessage": "Client portal already exists"}
    assert admin.create_client({"clientId": "portal"}, skip_exists=True) == client_uuid

    client = admin.get_client(client_uuid)
    assert client["enabled"] is True and client["publicClient"] is False
    assert client["protocol"] == "openid-connect" and client["redirectUris"] == ["https://portal/*"]
    assert "profile" in client["defaultClientScopes"]
    secret = admin.get_client_secrets(client_uuid)
    assert secret["type"] == "secret" and secret["value"] == client["secret"]
    rotated = admin.generate_client_secrets(client_uuid)
    assert rotated["value"] != secret["value"]

    updated = raw(emulator, admin, "PUT", f"/admin/realms/{REALM}/clients/{client_uuid}",
                  json={"description": "the portal", "attributes": {"pkce.code.challenge.method": "S256"}})
    assert updated.status_code == 204
    assert admin.get_client(client_uuid)["description"] == "the portal"
    matches = raw(emulator, admin, "GET", f"/admin/realms/{REALM}/clients", params={"clientId": "port"}).json()
    assert matches == []  # clientId filters exactly unless search=true
    admin.delete_client(client_uuid)
    with pytest.raises(KeycloakGetError) as err:
        admin.get_client(client_uuid)
    assert err.value.response_code == 404


def test_client_scopes_and_protocol_mappers(admin):
    scope_id = admin.create_client_scope({"name": "tenancy", "protocol": "openid-connect"})
    with pytest.raises(KeycloakPostError) as err:
        admin.create_client_scope({"name": "tenancy"})
    assert err.value.response_code == 409
    assert admin.create_client_scope({"name": "tenancy"}, skip_exists=True) == scope_id
    admin.update_client_scope(scope_id, {"name": "tenancy", "description": "tenancy claims"})
    assert admin.get_client_scope(scope_id)["description"] == "tenancy claims"
    admin.add_mapper_to_client_scope(scope_id, {
        "name": "groups", "protocol": "openid-connect", "protocolMapper": "oidc-group-membership-mapper",
        "config": {"claim.name": "groups", "full.path": "true"},
    })
    mapper = admin.get_mappers_from_client_scope(scope_id)[0]
    admin.update_mapper_in_client_scope(scope_id, mapper["id"], dict(mapper, config={"claim.name": "g"}))
    assert admin.get_mappers_from_client_scope(scope_id)[0]["config"] == {"claim.name": "g"}

    client_uuid = admin.create_client({"clientId": "scoped"})
    admin.add_client_optional_client_scope(client_uuid, scope_id, {})
    assert {"id": scope_id, "name": "tenancy"} in admin.get_client_optional_client_scopes(client_uuid)
    admin.delete_client_optional_client_scope(client_uuid, scope_id)
    admin.add_client_default_client_scope(client_uuid, scope_id, {})
    assert "tenancy" in admin.get_client(client_uuid)["defaultClientScopes"]
    with pytest.raises(KeycloakDeleteError) as err:
        admin.delete_client_scope(scope_id)  # still in use
    assert err.value.response_code == 400
    admin.delete_client_default_client_scope(client_uuid, scope_id)

    admin.add_mapper_to_client(client_uuid, {"name": "aud", "protocol": "openid-connect",
                                             "protocolMapper": "oidc-audience-mapper", "config": {}})
    with pytest.raises(KeycloakPostError) as err:
        admin.add_mapper_to_client(client_uuid, {"name": "aud", "protocolMapper": "oidc-audience-mapper"})
    assert err.value.response_code == 409
    client_mapper = admin.get_mappers_from_client(client_uuid)[0]
    admin.update_client_mapper(client_uuid, client_mapper["id"], dict(client_mapper, config={"x": "y"}))
    assert admin.get_client(client_uuid)["protocolMappers"][0]["config"] == {"x": "y"}
    admin.remove_client_mapper(client_uuid, client_mapper["id"])
    assert admin.get_mappers_from_client(client_uuid) == []
    admin.delete_mapper_from_client_scope(scope_id, mapper["id"])
    admin.delete_client(client_uuid)
    admin.delete_client_scope(scope_id)
    assert admin.get_client_scope_by_name("tenancy") is None


# -- identity providers ---------------------------------------------------------------------------

def test_identity_providers_and_mappers(emulator, admin):
    idp = {"alias": "cloud", "providerId": "oidc",
           "config": {"clientId": "portal", "authorizationUrl": "https://idp/auth"}}
    created = raw(emulator, admin, "POST", f"/admin/realms/{REALM}/identity-provider/instances", json=idp)
    assert created.status_code == 201
    assert created.headers["Location"].endswith("/identity-provider/instances/cloud")
    with pytest.raises(KeycloakPostError) as err:
        admin.create_idp(idp)
    assert err.value.response_code == 409
    got = admin.get_idp("cloud")
    assert got["enabled"] is True and got["providerId"] == "oidc" and len(got["internalId"]) == 36
    admin.update_idp("cloud", dict(got, displayName="The Cloud"))
    assert [i["displayName"] for i in admin.get_idps()] == ["The Cloud"]

    admin.add_mapper_to_idp("cloud", {"name": "project", "identityProviderMapper": "oidc-user-attribute-idp-mapper",
                                      "config": {"claim": "project", "user.attribute": "project"}})
    mapper = admin.get_idp_mappers("cloud")[0]
    assert mapper["identityProviderAlias"] == "cloud"
    admin.update_mapper_in_idp("cloud", mapper["id"], dict(mapper, config={"claim": "p"}))
    assert admin.get_idp_mappers("cloud")[0]["config"] == {"claim": "p"}
    gone = raw(emulator, admin, "DELETE", f"/admin/realms/{REALM}/identity-provider/instances/cloud/mappers/{mapper['id']}")
    assert gone.status_code == 204
    admin.delete_idp("cloud")
    with pytest.raises(KeycloakGetError) as err:
        admin.get_idp("cloud")
    assert err.value.response_code == 404


# -- users ----------------------------------------------------------------------------------------

def test_users_exact_search_paging_and_count(emulator, admin):
    created = raw(emulator, admin, "POST", f"/admin/realms/{REALM}/users",
                  json={"username": "Alice", "email": "Alice@Example.org", "enabled": True})
    assert created.status_code == 201
    alice = created.headers["Location"].rsplit("/", 1)[1]
    admin.create_user({"username": "alice2", "enabled": True})
    admin.create_user({"username": "bob", "firstName": "Alicia", "enabled": True})
    assert admin.get_user(alice)["username"] == "alice" and admin.get_user(alice)["email"] == "alice@example.org"
    assert admin.get_user_id("alice") == alice
    assert [u["username"] for u in admin.get_users({"username": "alice", "exact": True})] == ["alice"]
    assert [u["username"] for u in admin.get_users({"username": "alice"})] == ["alice", "alice2"]
    assert [u["username"] for u in admin.get_users({"search": "ali"})] == ["alice", "alice2", "bob"]
    assert [u["username"] for u in admin.get_users({"search": "ali", "first": 1, "max": 1})] == ["alice2"]
    assert admin.users_count({"search": "ali"}) == 3
    assert "service-account-provisioner" not in [u["username"] for u in admin.get_users()]
    with pytest.raises(KeycloakPostError) as err:
        admin.create_user({"username": "ALICE"})
    assert err.value.response_code == 409
    assert json.loads(err.value.response_body) == {"errorMessage": "User exists with same username"}
    assert admin.create_user({"username": "alice"}, exist_ok=True) == alice

    admin.update_user(alice, {"firstName": "Alice", "attributes": {"project": ["p1"]}})
    assert admin.get_user(alice)["attributes"] == {"project": ["p1"]}
    for name in ("alice2", "bob"):
        admin.delete_user(admin.get_user_id(name))
    with pytest.raises(KeycloakGetError) as err:
        admin.get_user("00000000-0000-0000-0000-000000000000")
    assert json.loads(err.value.response_body) == {"error": "User not found"}


def test_passwords_and_user_login(emulator, admin):
    user_id = admin.create_user({"username": "carol", "enabled": True})
    admin.create_client({"clientId": "cli", "publicClient": True, "directAccessGrantsEnabled": True})
    oidc = KeycloakOpenID(server_url=emulator.url, realm_name=REALM, client_id="cli")
    admin.set_user_password(user_id, "first", temporary=True)
    with pytest.raises(KeycloakPostError) as err:
        oidc.token("carol", "first")
    assert b"Account is not fully set up" in err.value.response_body
    admin.set_user_password(user_id, "second", temporary=False)
    token = oidc.token("carol", "second")
    assert _claims(token["access_token"])["preferred_username"] == "carol"
    assert oidc.userinfo(token["access_token"])["preferred_username"] == "carol"
    assert [c["type"] for c in admin.get_credentials(user_id)] == ["password"]
    # An ordinary user cannot use the admin API.
    denied = requests.get(f"{emulator.url}/admin/realms/{REALM}/users", timeout=10,
                          headers={"Authorization": "Bearer " + token["access_token"]})
    assert denied.status_code == 403
    admin.delete_user(user_id)


def test_group_membership(admin):
    group_id = admin.create_group({"name": "team"})
    user_id = admin.create_user({"username": "dave", "enabled": True})
    admin.group_user_add(user_id, group_id)
    admin.group_user_add(user_id, group_id)  # idempotent
    assert [g["path"] for g in admin.get_user_groups(user_id)] == ["/team"]
    assert [u["username"] for u in admin.get_group_members(group_id)] == ["dave"]
    admin.group_user_remove(user_id, group_id)
    assert admin.get_group_members(group_id) == []
    with pytest.raises(KeycloakPutError) as err:
        admin.group_user_add(user_id, "00000000-0000-0000-0000-000000000000")
    assert err.value.response_code == 404
    admin.delete_user(user_id)
    admin.delete_group(group_id)


# -- roles and role mappings --------------------------------------------------------------------

def test_realm_and_client_roles(emulator, admin):
    created = raw(emulator, admin, "POST", f"/admin/realms/{REALM}/roles", json={"name": "operator"})
    assert created.status_code == 201
    assert created.headers["Location"] == f"{emulator.url}/admin/realms/{REALM}/roles/operator"
    with pytest.raises(KeycloakPostError) as err:
        admin.create_realm_role({"name": "operator"})
    assert err.value.response_code == 409
    assert admin.create_realm_role({"name": "operator"}, skip_exists=True) == "operator"
    admin.update_realm_role("operator", {"name": "operator", "description": "runs things"})
    role = admin.get_realm_role("operator")
    assert role["description"] == "runs things" and role["clientRole"] is False
    assert admin.get_role_by_id(role["id"])["name"] == "operator"
    admin.add_composite_realm_roles_to_role("operator", [admin.get_realm_role("offline_access")])
    assert [r["name"] for r in admin.get_composite_realm_roles_of_role("operator")] == ["offline_access"]

    client_uuid = admin.create_client({"clientId": "app"})
    assert admin.create_client_role(client_uuid, {"name": "viewer"}) == "viewer"
    assert [r["name"] for r in admin.get_client_roles(client_uuid)] == ["viewer"]
    assert admin.get_client_role(client_uuid, "viewer")["clientRole"] is True
    with pytest.raises(KeycloakGetError) as err:
        admin.get_client_role(client_uuid, "nope")
    assert err.value.response_code == 404
    admin.delete_client_role(client_uuid, "viewer")
    admin.delete_client(client_uuid)
    admin.delete_realm_role("operator")
    with pytest.raises(KeycloakGetError):
        admin.get_realm_role("operator")


def test_role_mappings_for_users_and_groups(admin):
    admin.create_realm_role({"name": "tenant-member"})
    member_role = admin.get_realm_role("tenant-member")
    management = admin.get_client_id("realm-management")
    realm_admin = admin.get_client_role(management, "realm-admin")
    group_id = admin.create_group({"name": "tenancy-admins"})
    user_id = admin.create_user({"username": "erin", "enabled": True})

    admin.assign_group_client_roles(group_id, management, [realm_admin])
    assert [r["name"] for r in admin.get_group_client_roles(group_id, management)] == ["realm-admin"]
    admin.assign_group_realm_roles(group_id, [member_role])
    assert [r["name"] for r in admin.get_group_realm_roles(group_id)] == ["tenant-member"]
    assert admin.get_group_by_path("/tenancy-admins")["realmRoles"] == ["tenant-member"]

    admin.group_user_add(user_id, group_id)
    effective = {r["name"] for r in admin.get_composite_client_roles_of_user(user_id, management)}
    assert {"realm-admin", "manage-users", "query-groups"} <= effective
    assert "tenant-member" in {r["name"] for r in admin.get_composite_realm_roles_of_user(user_id)}
    assert [u["username"] for u in admin.get_realm_role_members("tenant-member")] == []

    admin.assign_realm_roles(user_id, [member_role])
    assert "tenant-member" in [r["name"] for r in admin.get_realm_roles_of_user(user_id)]
    assert [u["username"] for u in admin.get_realm_role_members("tenant-member")] == ["erin"]
    view_users = admin.get_client_role(management, "view-users")
    admin.assign_client_role(user_id, management, [view_users])
    mappings = admin.get_all_roles_of_user(user_id)
    assert mappings["clientMappings"]["realm-management"]["mappings"][0]["name"] == "view-users"
    admin.delete_client_roles_of_user(user_id, management, [view_users])
    admin.delete_realm_roles_of_user(user_id, [member_role])
    admin.delete_group_client_roles(group_id, management, [realm_admin])
    admin.delete_group_realm_roles(group_id, [member_role])
    assert admin.get_group_client_roles(group_id, management) == []

    with pytest.raises(KeycloakPostError) as err:  # a role the realm does not have
        admin.assign_realm_roles(user_id, [{"id": "00000000-0000-0000-0000-000000000000", "name": "ghost"}])
    assert err.value.response_code == 404
    admin.delete_user(user_id)
    admin.delete_group(group_id)
    admin.delete_realm_role("tenant-member")


# -- error shapes ---------------------------------------------------------------------------------

def test_error_codes_and_bodies(emulator, admin):
    missing = raw(emulator, admin, "GET", f"/admin/realms/{REALM}/groups/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404 and missing.json() == {"error": "Could not find group by id"}
    no_realm = raw(emulator, admin, "GET", "/admin/realms/nowhere/groups")
    assert no_realm.status_code == 404 and no_realm.json() == {"error": "Realm not found."}
    bad_json = raw(emulator, admin, "POST", f"/admin/realms/{REALM}/groups", data="{not json",
                   headers={"Content-Type": "application/json"})
    assert bad_json.status_code == 400
    no_name = raw(emulator, admin, "POST", f"/admin/realms/{REALM}/groups", json={})
    assert no_name.status_code == 400 and "errorMessage" in no_name.json()
    unknown = raw(emulator, admin, "GET", f"/admin/realms/{REALM}/no-such-thing")
    assert unknown.status_code == 404
    wrong_method = raw(emulator, admin, "PATCH", f"/admin/realms/{REALM}/groups")
    assert wrong_method.status_code in (405, 501)
    for_put = raw(emulator, admin, "PUT", f"/admin/realms/{REALM}", json={"displayName": "Contract"})
    assert for_put.status_code == 204 and for_put.content == b""


# -- control endpoints ------------------------------------------------------------------------------

def test_request_counts_by_route(emulator, admin):
    before = control.request_counts(emulator.url)["by_route"]
    admin.get_groups()
    admin.get_groups()
    after = control.request_counts(emulator.url)
    key = "GET /admin/realms/{realm}/groups"
    assert after["by_route"][key] - before.get(key, 0) == 2
    assert after["total"] == sum(after["by_route"].values())
    assert not any(route.startswith(("GET /_sandbox", "DELETE /_sandbox")) for route in after["by_route"])


def test_faults_answer_a_status_then_clear(emulator, admin):
    control.inject_fault(emulator.url, count=1, status=503, method="GET", path_regex=r"/groups$")
    with pytest.raises(KeycloakGetError) as err:
        admin.get_groups()
    assert err.value.response_code == 503
    assert admin.get_groups() is not None  # only one request was faulted
    control.inject_fault(emulator.url, count=5, status=500)
    control.clear_faults(emulator.url)
    assert admin.get_realm(REALM)["realm"] == REALM


def test_faults_can_hang_then_drop_the_connection(emulator, admin):
    token = admin.connection.token["access_token"]
    control.inject_fault(emulator.url, count=1, timeout=0.3, path_regex="/users")
    started = time.monotonic()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{emulator.url}/admin/realms/{REALM}/users", timeout=10,
                     headers={"Authorization": "Bearer " + token})
    assert time.monotonic() - started >= 0.3
    # python-keycloak retries a dropped connection once, so one drop is hidden from it...
    control.inject_fault(emulator.url, count=1, timeout=0.1, path_regex="/users")
    assert isinstance(admin.get_users({"max": 1}), list)
    # ...but not two in a row.
    control.inject_fault(emulator.url, count=2, timeout=0.1, path_regex="/users")
    with pytest.raises(KeycloakConnectionError):
        admin.get_users({"max": 1})


def test_counts_reset(tmp_path):
    server = Emulator(tmp_path / "state").start()
    try:
        requests.get(f"{server.url}/realms/master/.well-known/openid-configuration", timeout=10)
        assert control.request_counts(server.url)["total"] == 1
        control.reset_counts(server.url)
        assert control.request_counts(server.url) == {"total": 0, "by_route": {}}
    finally:
        server.stop()
