"""Tenancy realms: azimuth.ops.tenancy_realm (one call) against the community.general task loop.

Run: .venv/bin/python bench/keycloak_realms.py [--tenancies 50]
(needs the sandbox's Keycloak, ``python -m sandbox up keycloak``, and bench/.venv-stock with the
stock ``ansible`` package: ``bash bench/run.sh`` makes it, or
``python3 -m venv bench/.venv-stock && bench/.venv-stock/bin/pip install -r bench/requirements-stock.txt``).

For N tenancies, each side gets realms of its own and two ansible-playbook runs: the first run
(creates everything) and a no-op run (the same again). Every request goes through a recording
proxy of the benchmark's own in front of the sandbox's Keycloak (``sandbox.proxies.keycloak``),
so the counts are exact whatever else uses the server.

- ``ours``: ``azimuth.ops.tenancy_realm`` once, with all tenancies.
- ``stock``: what an operator writes today with the ``ansible`` package's community.general
  modules, a loop per kind: ``keycloak_realm``, ``keycloak_clientscope`` (the ``groups`` scope and
  its mapper), ``keycloak_group`` (``admins``, ``platform-users``), ``keycloak_authentication`` (the
  copied first-login flow, review profile disabled), ``keycloak_identity_provider`` (with its three
  mappers). It sets up less than ours (no default-scope assignment, no group role, no user profile),
  which favours it.

Also a case of ``bench/suite.py`` (``suite_case``).
"""

import argparse
import contextlib
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO))
from sandbox import proxies  # noqa: E402  # pylint: disable=wrong-import-position
from sandbox.proxy import writes  # noqa: E402  # pylint: disable=wrong-import-position

STOCK_VENV = BENCH / ".venv-stock"
TOKEN_ROUTE = "POST /realms/master/protocol/openid-connect/token"
ISSUER = "https://portal.example.org/authproxy/"
SECRET = "bench-idp-secret"
GROUPS_MAPPER = {"name": "groups", "protocol": "openid-connect", "protocolMapper": "oidc-group-membership-mapper",
                 "config": {"claim.name": "groups", "full.path": "true", "id.token.claim": "true",
                            "access.token.claim": "true", "userinfo.token.claim": "true"}}


def localhost(tasks, **extra):
    return [dict({"hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": tasks}, **extra)]


def stock_tasks():
    """The task loop over ``tenancies`` with the community.general modules."""
    realm = "az-{{ item.name }}"
    claims = '[{"key": "groups", "value": "{{ item.id }}"}]'

    def group_mapper(name, group):
        return {"name": name, "identityProviderMapper": "oidc-advanced-group-idp-mapper",
                "config": {"claims": claims, "syncMode": "FORCE", "are.claim.values.regex": "false", "group": group}}

    loop = {"loop": "{{ tenancies }}", "loop_control": {"label": "{{ item.name }}"}}
    return [
        dict({"name": "Realms", "community.general.keycloak_realm": {
            "realm": realm, "id": realm, "enabled": True, "ssl_required": "external",
            "attributes": {"azimuth-ops.tenancy-id": "{{ item.id }}"}}}, **loop),
        dict({"name": "Groups scope", "community.general.keycloak_clientscope": {
            "realm": realm, "name": "groups", "description": "Group memberships", "protocol": "openid-connect",
            "protocol_mappers": [GROUPS_MAPPER]}}, **loop),
        {"name": "Groups", "community.general.keycloak_group": {"realm": "az-{{ item.0.name }}", "name": "{{ item.1 }}"},
         "loop": "{{ tenancies | product(['admins', 'platform-users']) }}", "loop_control": {"label": "{{ item.0.name }}"}},
        dict({"name": "First-login flow", "community.general.keycloak_authentication": {
            "realm": realm, "alias": "azimuth first login", "copyFrom": "first broker login",
            "authenticationExecutions": [{"providerId": "idp-review-profile", "requirement": "DISABLED"}]}}, **loop),
        dict({"name": "Identity provider", "community.general.keycloak_identity_provider": {
            "realm": realm, "alias": "azimuth", "provider_id": "oidc", "display_name": "Azimuth",
            "first_broker_login_flow_alias": "azimuth first login",
            "config": {"issuer": ISSUER + "{{ item.id }}", "authorizationUrl": ISSUER + "{{ item.id }}/auth",
                       "tokenUrl": ISSUER + "{{ item.id }}/token", "userInfoUrl": ISSUER + "{{ item.id }}/userinfo",
                       "jwksUrl": ISSUER + "{{ item.id }}/keys", "useJwksUrl": True, "validateSignature": True,
                       "clientAuthMethod": "client_secret_post", "clientId": "keycloak-oidc", "clientSecret": SECRET,
                       "sync_mode": "IMPORT", "defaultScope": "openid profile email groups federated:id"},
            "mappers": [group_mapper("realm-admin", "/admins"), group_mapper("platform-user", "/platform-users"),
                        {"name": "federated-id", "identityProviderMapper": "oidc-user-attribute-idp-mapper",
                         "config": {"claim": "federated_claims.user_id", "user.attribute": "federatedId", "syncMode": "FORCE"}}]},
            "no_log": True}, **loop),
    ]


class KeycloakRealms:
    """The suite's interface: ``server``, ``prepare``, ``plays``, ``cleanup``."""

    name = "keycloak realms"
    ours = "azimuth.ops.tenancy_realm (one call)"
    stock = "community.general keycloak_realm, _clientscope, _group, _authentication, _identity_provider (loops)"

    def __init__(self, env):
        self.url = env["KEYCLOAK_URL"]
        self.user, self.password = env["KEYCLOAK_ADMIN_USER"], env["KEYCLOAK_ADMIN_PASSWORD"]
        self.kubeconfig = env["KUBECONFIG"]

    def namespaces(self):
        from kubernetes import client, config  # pylint: disable=import-outside-toplevel
        return client.CoreV1Api(config.new_client_from_config(config_file=self.kubeconfig))

    @contextlib.contextmanager
    def server(self, workdir):  # pylint: disable=unused-argument
        with proxies.keycloak(self.url) as proxy:
            proxy.env = {"KEYCLOAK_URL": proxy.url}
            yield proxy

    def prepare(self, n, side):
        """N tenancies; ours get the namespaces azimuth.ops.tenancy would make (where their realm bindings are kept)."""
        prefix = "bench-%s-%s" % (side[0], secrets.token_hex(3))
        items = [{"id": "%s-%04d" % (prefix, i), "name": "%s-%04d" % (prefix, i)} for i in range(n)]
        if side == "ours":
            core = self.namespaces()
            for item in items:
                core.create_namespace({"metadata": {"name": "az-" + item["name"], "labels": {
                    "tenant.azimuth-cloud.io/id": item["id"], "app.kubernetes.io/managed-by": "azimuth-ops"}}})
        return {"prefix": prefix, "items": items}

    @staticmethod
    def plays(state, side):
        if side == "ours":
            return localhost([{"name": "Tenancy realms", "azimuth.ops.tenancy_realm": {
                "tenancies": state["items"],
                "azimuth_idp": {"issuer": ISSUER + "{tenancy_id}", "client_id": "keycloak-oidc", "client_secret": SECRET,
                                 "client_secret_scope": "shared"}}}])
        connection = {"auth_keycloak_url": "{{ lookup('env', 'KEYCLOAK_URL') }}", "auth_realm": "master",
                      "auth_username": "{{ lookup('env', 'KEYCLOAK_ADMIN_USER') }}",
                      "auth_password": "{{ lookup('env', 'KEYCLOAK_ADMIN_PASSWORD') }}"}
        return localhost(stock_tasks(), vars={"tenancies": state["items"]},
                         module_defaults={"group/community.general.keycloak": connection})

    def cleanup(self, state):
        from keycloak import KeycloakOpenIDConnection  # pylint: disable=import-outside-toplevel
        conn = KeycloakOpenIDConnection(server_url=self.url + "/", username=self.user, password=self.password, realm_name="master")
        for realm in conn.raw_get("admin/realms", briefRepresentation="true").json():
            if realm["realm"].startswith("az-" + state["prefix"]):
                conn.raw_delete("admin/realms/" + realm["realm"])
        core = self.namespaces()
        for namespace in core.list_namespace().items:
            if namespace.metadata.name.startswith("az-" + state["prefix"]):
                core.delete_namespace(namespace.metadata.name)


def suite_case(env):
    return KeycloakRealms(env)


def sandbox_env():
    out = subprocess.run([sys.executable, "-m", "sandbox", "env"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    pairs = (line.split(" ", 1)[1].split("=", 1) for line in out.splitlines() if line.startswith("export "))
    return dict((key, value.strip("'\"")) for key, value in pairs)


def run(side, plays, env, workdir):
    """One ansible-playbook run; its seconds."""
    playbook = Path(workdir) / ("%s-%s.yml" % (side, secrets.token_hex(3)))
    playbook.write_text(yaml.safe_dump(plays, sort_keys=False))
    binary = Path(sys.executable).parent / "ansible-playbook" if side == "ours" else STOCK_VENV / "bin" / "ansible-playbook"
    collections = str(REPO / ".build" / "collections") if side == "ours" else str(Path(workdir) / "none")
    started = time.perf_counter()
    done = subprocess.run([str(binary), str(playbook)], env=dict(env, ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_NOCOLOR="1",
                                                                 ANSIBLE_LOCALHOST_WARNING="false"),
                          capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode:
        raise SystemExit("%s run failed:\n%s%s" % (side, done.stdout[-6000:], done.stderr[-3000:]))
    return seconds


def measure(n):
    env = dict(os.environ, **sandbox_env())
    case = KeycloakRealms(env)
    figures = {}
    with tempfile.TemporaryDirectory() as workdir:
        for side in ("ours", "stock"):
            state = case.prepare(n, side)
            try:
                with case.server(workdir) as proxy:
                    for phase in ("first", "no-op"):
                        with proxy.measure() as served:
                            seconds = run(side, case.plays(state, side), dict(env, **proxy.env), workdir)
                        written = dict((route, count) for route, count in writes(served).items()
                                       if route != TOKEN_ROUTE and not route.endswith("/partial-export"))
                        figures[(side, phase)] = dict(seconds=seconds, requests=sum(served.values()),
                                                      writes=sum(written.values()), tokens=served.get(TOKEN_ROUTE, 0))
            finally:
                case.cleanup(state)
    return figures


def report(n, figures):
    print("%d tenancies, one realm each; requests through a recording proxy (writes: POST, PUT, DELETE but "
          "the token requests and the partial exports, POSTs that only read)" % n)
    print("%-6s %-6s %9s %9s %7s %7s %13s" % ("phase", "side", "seconds", "requests", "writes", "tokens", "req/tenancy"))
    for phase in ("first", "no-op"):
        for side in ("ours", "stock"):
            f = figures[(side, phase)]
            print("%-6s %-6s %9.1f %9d %7d %7d %13.1f" % (phase, side, f["seconds"], f["requests"], f["writes"], f["tokens"],
                                                           f["requests"] / n))
        ours, stock = figures[("ours", phase)], figures[("stock", phase)]
        print("%-6s stock/ours: %.1fx the time, %.1fx the requests" % (
            phase, stock["seconds"] / ours["seconds"], stock["requests"] / ours["requests"]))
    print(json.dumps(dict(("%s %s" % key, value) for key, value in figures.items()), sort_keys=True))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--tenancies", type=int, default=50)
    args = parser.parse_args()
    report(args.tenancies, measure(args.tenancies))


if __name__ == "__main__":
    main()
