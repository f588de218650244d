"""A client secret per tenancy (azimuth.ops.tenancy_realm) against the real Keycloak and kube-apiserver.

Each tenancy's identity provider gets a generated secret, kept in the Secret ``azimuth-idp-client``
of its namespace.  The attack the design answers is played for real: a realm admin points their
provider's token URL at a server of theirs, a login makes Keycloak post the client secret there,
and what they capture opens no other tenancy's Dex.
"""

import base64
import hashlib
import hmac
import http.server
import threading
import urllib.parse

import pytest
import requests

from sandbox.proxy import writes

from .keycloak_support import run_module
# fixtures, used by name
from .keycloak_support import keycloak, keycloak_env, keycloak_requests  # noqa: F401  # pylint: disable=unused-import

SECRET_NAME = "azimuth-idp-client"
IDP = {"issuer": "https://portal.example.org/authproxy/{tenancy_id}", "client_id": "keycloak-oidc"}


@pytest.fixture
def env(keycloak_env, kube_requests):
    """Keycloak and Kubernetes, each through this test's recording proxy."""
    return dict(keycloak_env, KUBECONFIG=kube_requests.kubeconfig)


@pytest.fixture
def tenancies(unique_name, kube_core):
    """Two tenancies with the namespaces azimuth.ops.tenancy would give them (labelled with their IDs)."""
    made = []
    for suffix in ("one", "two"):
        tenancy = {"id": "ID-%s-%s" % (suffix, unique_name), "name": "%s-%s" % (unique_name, suffix)}
        kube_core.create_namespace({"metadata": {"name": "az-" + tenancy["name"], "labels": {
            "tenant.azimuth-cloud.io/id": tenancy["id"].lower(), "app.kubernetes.io/managed-by": "azimuth-ops"}}})
        made.append(tenancy)
    return made


def realms(run_playbook, env, tenancies, *args, **options):
    options = dict(options, tenancies=tenancies)
    options.setdefault("azimuth_idp", IDP)
    return run_module(run_playbook, env, "azimuth.ops.tenancy_realm", options, *args)


def succeeded(run, result):
    assert run.ok and result and not result.get("failed"), run.output
    return result


def stored_secret(kube_core, tenancy):
    """The tenancy's client secret as its Secret holds it (None without one)."""
    from kubernetes.client.rest import ApiException  # pylint: disable=import-outside-toplevel
    try:
        secret = kube_core.read_namespaced_secret(SECRET_NAME, "az-" + tenancy["name"])
    except ApiException as exc:
        assert exc.status == 404
        return None
    return base64.b64decode(secret.data["client-secret"]).decode()


def provider(keycloak, tenancy):
    return keycloak.get("az-%s/identity-provider/instances/azimuth" % tenancy["name"])


def digest_of(keycloak, tenancy, secret):
    """Whether the provider's digest was made from ``secret`` (hmac-sha256:<salt>:<mac>, computed here independently)."""
    scheme, salt, mac = provider(keycloak, tenancy)["config"]["azimuth-ops.client-secret-digest"].split(":")
    assert scheme == "hmac-sha256"
    return hmac.compare_digest(hmac.new(salt.encode(), secret.encode(), hashlib.sha256).hexdigest(), mac)


def no_secret_in(run, *secrets):
    for secret in secrets:
        for form in (secret, base64.b64encode(secret.encode()).decode()):
            assert form not in run.output


class TokenThief:
    """An HTTP server of the realm admin's, posing as the Dex token endpoint; records what Keycloak posts."""

    def __init__(self):
        posted = self.posted = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (the http.server name)
                length = int(self.headers.get("Content-Length") or 0)
                posted.append(dict(urllib.parse.parse_qsl(self.rfile.read(length).decode())))
                self.send_response(400)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"error": "invalid_grant"}')

            def log_message(self, *args):
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d/token" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def insecure_cookies(session):
    """Send Keycloak's cookies back over the sandbox's plain HTTP, as a browser does for localhost."""
    for cookie in session.cookies:
        cookie.secure = False


def log_in_through_the_provider(keycloak_url, realm):
    """Start a login at the realm that goes to the provider ``azimuth``, and come back with a code,
    as a browser would: Keycloak then redeems the code at the provider's token URL."""
    verifier = "v" * 64
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    session = requests.Session()
    started = session.get("%s/realms/%s/protocol/openid-connect/auth" % (keycloak_url, realm), allow_redirects=False, params={
        "client_id": "account-console", "redirect_uri": "%s/realms/%s/account/" % (keycloak_url, realm),
        "response_type": "code", "scope": "openid", "kc_idp_hint": "azimuth",
        "code_challenge": challenge, "code_challenge_method": "S256"})
    while started.status_code in (302, 303) and started.headers["Location"].startswith(keycloak_url):
        insecure_cookies(session)
        started = session.get(started.headers["Location"], allow_redirects=False)  # Keycloak's own broker login step
    assert started.status_code in (302, 303), (started.url, started.text[:300])
    state = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(started.headers["Location"]).query))["state"]
    insecure_cookies(session)
    session.get("%s/realms/%s/broker/azimuth/endpoint" % (keycloak_url, realm), params={"state": state, "code": "stolen"},
                allow_redirects=False)


def test_each_tenancy_has_its_own_secret_kept_across_runs_and_rotated_on_request(
        run_playbook, env, keycloak, keycloak_requests, kube_requests, kube_core, tenancies):
    one, two = tenancies
    # check mode predicts both Secrets, masked, and writes nothing
    with kube_requests.measure() as served:
        run, result = realms(run_playbook, env, tenancies, "--check", "--diff")
    predicted = succeeded(run, result)
    keys = ["az-%s/%s" % (t["name"], SECRET_NAME) for t in tenancies]
    assert predicted["totals"]["created"] == 2 and [r["idp_secret"] for r in predicted["realms"]] == keys
    assert predicted["diff"]["before"]["secrets"] == {keys[0]: None, keys[1]: None}
    after = predicted["diff"]["after"]["secrets"][keys[0]]
    assert after["data"]["client-secret"] == "********" and after["data"]["client-id"] == "keycloak-oidc"
    assert after["data"]["issuer-url"] == "https://portal.example.org/authproxy/" + one["id"]
    assert not writes(served) and stored_secret(kube_core, one) is None
    # create: two different secrets, each in its own namespace, each provider with its own
    run, result = realms(run_playbook, env, tenancies, "--diff", "-vvv")
    assert succeeded(run, result)["totals"]["created"] == 2
    first, second = stored_secret(kube_core, one), stored_secret(kube_core, two)
    assert first and second and first != second and len(first) >= 80
    no_secret_in(run, first, second)
    assert digest_of(keycloak, one, first) and not digest_of(keycloak, one, second)
    assert digest_of(keycloak, two, second) and not digest_of(keycloak, two, first)
    secret = kube_core.read_namespaced_secret(SECRET_NAME, "az-" + one["name"])
    assert secret.metadata.labels == {"app.kubernetes.io/managed-by": "azimuth-ops", "tenant.azimuth-cloud.io/id": one["id"].lower()}
    assert base64.b64decode(secret.data["redirect-uri"]).decode() == "%s/realms/az-%s/broker/azimuth/endpoint" % (
        env["KEYCLOAK_URL"], one["name"])
    # re-run: the secrets are kept, nothing written anywhere
    for args in (("--check",), ()):
        with kube_requests.measure() as kube_served, keycloak_requests.measure() as keycloak_served:
            run, result = realms(run_playbook, env, tenancies, *args)
        assert not succeeded(run, result)["changed"]
        assert kube_served == {"GET /api/v1/namespaces": 1, "GET /api/v1/secrets": 1,
                               "GET /apis/identity.azimuth.stackhpc.com/v1alpha1/realms": 1}, kube_served
        assert not [route for route in writes(keycloak_served) if "partial-export" not in route and "token" not in route]
    assert (stored_secret(kube_core, one), stored_secret(kube_core, two)) == (first, second)
    # rotate one tenancy: check mode first, then the Secret and its provider change together
    run, result = realms(run_playbook, env, [one], "--check", "--diff", rotate_client_secrets=True)
    predicted = succeeded(run, result)
    assert predicted["diff"]["after"]["secrets"][keys[0]]["data"]["client-secret"] == "******** (changed)"
    assert predicted["diff"]["after"]["realms"]["az-" + one["name"]]["identityProvider"]["config"]["clientSecret"] == \
        "******** (changed)"
    assert stored_secret(kube_core, one) == first
    run, result = realms(run_playbook, env, [one], "--diff", rotate_client_secrets=True)
    assert succeeded(run, result)["totals"]["updated"] == 1
    rotated = stored_secret(kube_core, one)
    assert rotated not in (first, second) and stored_secret(kube_core, two) == second
    assert digest_of(keycloak, one, rotated) and not digest_of(keycloak, one, first)
    no_secret_in(run, first, rotated)
    assert not succeeded(*realms(run_playbook, env, tenancies))["changed"]
    # delete: the realm, then its Secret
    run, result = realms(run_playbook, env, [one], "--check", state="absent")
    assert succeeded(run, result)["totals"]["deleted"] == 1 and stored_secret(kube_core, one) == rotated
    run, result = realms(run_playbook, env, [one], state="absent")
    assert succeeded(run, result)["totals"]["deleted"] == 1
    assert stored_secret(kube_core, one) is None and "az-" + one["name"] not in keycloak.realms()
    assert stored_secret(kube_core, two) == second
    assert not succeeded(*realms(run_playbook, env, [one], state="absent"))["changed"]


def test_a_realm_admin_who_redirects_the_token_url_learns_nothing_that_works_elsewhere(
        run_playbook, env, sandbox_env, keycloak, kube_core, tenancies):
    one, two = tenancies
    succeeded(*realms(run_playbook, env, tenancies, ssl_required="none"))
    thief = TokenThief()
    try:
        # what a realm admin of tenancy one may do: edit their realm's identity provider
        config = provider(keycloak, one)
        config["config"]["tokenUrl"] = thief.url
        keycloak.put("az-%s/identity-provider/instances/azimuth" % one["name"], config)
        log_in_through_the_provider(sandbox_env["KEYCLOAK_URL"], "az-" + one["name"])
    finally:
        thief.close()
    assert len(thief.posted) == 1, thief.posted
    stolen = thief.posted[0]
    assert stolen["client_id"] == "keycloak-oidc" and stolen["client_secret"] == stored_secret(kube_core, one)
    assert stolen["client_secret"] != stored_secret(kube_core, two)
    # the next run puts the provider back; the stolen secret can be retired by a rotation
    run, result = realms(run_playbook, env, [one], ssl_required="none", rotate_client_secrets=True)
    assert succeeded(run, result)["changed"]
    assert provider(keycloak, one)["config"]["tokenUrl"] == "https://portal.example.org/authproxy/%s/token" % one["id"]
    assert stored_secret(kube_core, one) != stolen["client_secret"]


def test_a_secret_another_tool_manages_is_refused_before_anything_is_written(
        run_playbook, env, keycloak, kube_core, kube_requests, tenancies):
    one, two = tenancies
    kube_core.create_namespaced_secret("az-" + one["name"], {"metadata": {
        "name": SECRET_NAME, "labels": {"app.kubernetes.io/managed-by": "Helm"}}, "stringData": {"client-secret": "helm-made"}})
    message = "tenancy %s (%s): the Secret az-%s/%s is managed by Helm" % (one["name"], one["id"], one["name"], SECRET_NAME)
    for args in (("--check",), ()):
        with kube_requests.measure() as served:
            run, result = realms(run_playbook, env, [one], *args)
        assert run.ok and result["failed"] and not result["changed"], run.output
        assert message in result["msg"] and not writes(served)
    assert "az-" + one["name"] not in keycloak.realms() and stored_secret(kube_core, one) == "helm-made"
    # the other tenancy of a batch converges all the same
    run, result = realms(run_playbook, env, tenancies)
    assert run.ok and result["failed"] and result["changed"] and set(result["errors"]) == {one["id"]}
    assert "az-" + two["name"] in keycloak.realms() and stored_secret(kube_core, two)


def test_a_tenancy_without_its_namespace_is_refused_and_check_mode_says_why(run_playbook, env, keycloak, unique_name):
    lonely = {"id": "lonely-" + unique_name, "name": unique_name + "-lonely"}
    run, result = realms(run_playbook, env, [lonely], "--check")
    assert succeeded(run, result)["changed"] and "no namespace is labelled tenant.azimuth-cloud.io/id" in run.output
    run, result = realms(run_playbook, env, [lonely])
    assert run.ok and result["failed"] and not result["changed"]
    assert "no namespace is labelled tenant.azimuth-cloud.io/id=%s" % lonely["id"].lower() in result["msg"]
    assert "az-" + lonely["name"] not in keycloak.realms()


def test_a_shared_secret_needs_asking_for(run_playbook, env, tenancies):
    shared = dict(IDP, client_secret="one-for-all-Zk3")
    run, result = realms(run_playbook, env, tenancies, azimuth_idp=shared)
    assert run.ok and result["failed"] and "client_secret_scope=shared" in result["msg"]
    no_secret_in(run, "one-for-all-Zk3")
    run, result = realms(run_playbook, env, tenancies, azimuth_idp=dict(shared, client_secret_scope="shared"))
    assert [r["idp_secret"] for r in succeeded(run, result)["realms"]] == [None, None]
    no_secret_in(run, "one-for-all-Zk3")
