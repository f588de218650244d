"""Keycloak fixtures for the integration tests (import them into a test module).

Tests share the sandbox's one Keycloak: each names its realms after its ``unique_name``
(``az-<unique_name>-...`` for tenancy realms, ``<unique_name>-...`` for others), and
``keycloak_requests`` deletes those realms afterwards.  Modules go through the test's own
recording proxy (``keycloak_env``); set-up and checks go straight to Keycloak (``keycloak``).
"""

import json

import pytest

from sandbox import proxies

from .conftest import localhost_play, save_results

TOKEN_ROUTE = "POST /realms/master/protocol/openid-connect/token"


class Keycloak:
    """A little admin client over python-keycloak's connection, straight to Keycloak (not counted)."""

    def __init__(self, sandbox_env):
        from keycloak import KeycloakOpenIDConnection  # pylint: disable=import-outside-toplevel
        self.conn = KeycloakOpenIDConnection(
            server_url=sandbox_env["KEYCLOAK_URL"] + "/", username=sandbox_env["KEYCLOAK_ADMIN_USER"],
            password=sandbox_env["KEYCLOAK_ADMIN_PASSWORD"], realm_name="master")

    def _check(self, response, *ok):
        assert response.status_code in ok or response.status_code < 300, (response.status_code, response.text)
        return response.json() if response.content else None

    def get(self, path, ok=(), **params):
        return self._check(self.conn.raw_get("admin/realms/" + path, **params), *ok)

    def post(self, path, body):
        response = self.conn.raw_post("admin/realms/" + path, data=json.dumps(body))
        self._check(response)
        return (response.headers.get("Location") or "").rsplit("/", 1)[-1]

    def put(self, path, body):
        return self._check(self.conn.raw_put("admin/realms/" + path, data=json.dumps(body)))

    def delete(self, path, body=None):
        return self._check(self.conn.raw_delete("admin/realms/" + path, data=json.dumps(body) if body else None), 404)

    def realms(self):
        return [realm["realm"] for realm in self.get("", briefRepresentation="true")]

    def realm(self, name):
        """The realm's partial export (groups and roles included), or None."""
        response = self.conn.raw_post("admin/realms/%s/partial-export" % name, data="", exportGroupsAndRoles="true")
        return None if response.status_code == 404 else self._check(response)

    def client(self, realm, client_id):
        found = self.get("%s/clients" % realm, clientId=client_id)
        return found[0] if found else None

    def group(self, realm, path):
        """The group at ``path``, or None."""
        response = self.conn.raw_get("admin/realms/%s/group-by-path/%s" % (realm, path.lstrip("/")))
        return None if response.status_code == 404 else self._check(response)


@pytest.fixture
def keycloak(sandbox_env):
    """An admin client straight to Keycloak, for set-up and checks."""
    return Keycloak(sandbox_env)


@pytest.fixture
def keycloak_requests(sandbox_env, unique_name, keycloak):
    """A recording proxy (sandbox.proxy) of this test's own in front of Keycloak; afterwards the test's realms are deleted."""
    with proxies.keycloak(sandbox_env["KEYCLOAK_URL"]) as proxy:
        yield proxy
    for name in keycloak.realms():
        if name.startswith(("az-" + unique_name, unique_name)):
            keycloak.delete(name)


@pytest.fixture
def keycloak_env(sandbox_env, keycloak_requests):
    """The sandbox's environment, with KEYCLOAK_URL naming this test's proxy."""
    return dict(sandbox_env, KEYCLOAK_URL=keycloak_requests.url)


def run_module(run_playbook, env, module, options, *args):
    """Run one module task (failures are saved too); return (run, the module's result)."""
    task = {"name": "The module", module: options, "register": "result", "ignore_errors": True}
    run = run_playbook([localhost_play([task, dict(save_results("result"), check_mode=False)])], *args, env=env)
    return run, run.results


def without_token(counts):
    """The request counts without the token requests (asserted apart)."""
    return dict((route, n) for route, n in counts.items() if route != TOKEN_ROUTE)
