"""Connection options through real ansible-playbook runs: a cloud dict and auth combine, an explicit host
never receives the kubeconfig's credentials, a bad kubeconfig is one clear message."""

import http.server
import threading

import pytest
import yaml

from .conftest import localhost_play, save_results
from .keycloak_support import run_module
# fixtures, used by name
from .keycloak_support import keycloak, keycloak_env, keycloak_requests  # noqa: F401  # pylint: disable=unused-import

AUTH_URL = "http://127.0.0.1:5000/v3"


def run_task(run_playbook, env, module, args):
    task = {"name": module, module: args, "register": "result", "ignore_errors": True}
    run = run_playbook([localhost_play([task, dict(save_results("result"), check_mode=False)])], env=env)
    assert "Traceback" not in run.output
    return run.results


def test_auth_is_merged_into_a_cloud_dicts_auth(run_playbook, sandbox_env):
    clouds = yaml.safe_load(open(sandbox_env["OS_CLIENT_CONFIG_FILE"]))["clouds"]
    demo = clouds["sandbox-demo"]
    wrong = dict(demo, auth=dict(demo["auth"], password="not-the-password"))
    result = run_task(run_playbook, sandbox_env, "azimuth.ops.project_info", dict(cloud=wrong))
    assert result["failed"] and "the cloud refused the credentials" in result["msg"]
    result = run_task(run_playbook, sandbox_env, "azimuth.ops.project_info",
                      dict(cloud=wrong, auth={"password": demo["auth"]["password"]}))
    assert not result.get("failed"), result
    assert result["project"]["name"] == "demo" and result["user"]["name"] == demo["auth"]["username"]


class _Recorder(http.server.BaseHTTPRequestHandler):
    """Another API server: records each request's Authorization header and refuses it."""

    def do_GET(self):  # noqa: N802
        self.server.seen.append(self.headers.get("Authorization"))
        body = b'{"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "Unauthorized", "code": 401, "message": "who?"}'
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def other_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.seen = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


def test_an_explicit_host_never_receives_the_kubeconfigs_token(run_playbook, kube_env, other_server):
    token = yaml.safe_load(open(kube_env["KUBECONFIG"]))["users"][0]["user"]["token"]
    host = "http://127.0.0.1:%d" % other_server.server_address[1]
    result = run_task(run_playbook, kube_env, "azimuth.ops.tenancy", dict(host=host, tenancies=[{"id": "x", "name": "x"}]))
    assert result["failed"] and "HTTP 401 Unauthorized: who?" in result["msg"]
    assert other_server.seen and not any(header and token in header for header in other_server.seen), other_server.seen
    result = run_task(run_playbook, kube_env, "azimuth.ops.tenancy",
                      dict(host=host, api_key="meant-for-this-host", tenancies=[{"id": "x", "name": "x"}]))
    assert other_server.seen[-1] == "Bearer meant-for-this-host"


@pytest.mark.parametrize("content, message", [
    ("clusters: [\n", "the kubeconfig {path} is not YAML"),
    ("just a string\n", "the kubeconfig {path} is not a kubeconfig (a mapping with clusters, users and contexts): it holds a str"),
    ("contexts: 5\ncurrent-context: x\n", "invalid kubeconfig ({path}): "),
])
def test_a_bad_kubeconfig_is_one_clear_message(run_playbook, sandbox_env, tmp_path, content, message):
    path = tmp_path / "bad-kubeconfig"
    path.write_text(content)
    result = run_task(run_playbook, dict(sandbox_env, KUBECONFIG=str(path)), "azimuth.ops.tenancy", dict(tenancies=[]))
    assert result["failed"]
    assert result["msg"].startswith("Could not configure the Kubernetes client: " + message.format(path=path)), result["msg"]


def test_the_kubernetes_connection_where_it_used_to_be_still_works_with_a_deprecation(run_playbook, keycloak_env, other_server,
                                                                                      unique_name):
    """users_realm's credentials_secret.kubernetes (before the top-level kubernetes option): used, deprecated,
    its token never printed; given in both places differently, refused before any request."""
    host = "http://127.0.0.1:%d" % other_server.server_address[1]
    token = "nested-token-%s" % unique_name
    options = dict(realm=unique_name + "-users", portal={"host": "portal.example.org"},
                   credentials_secret=dict(namespace="az-" + unique_name, name="portal-oidc",
                                           kubernetes=dict(host=host, api_key=token)))
    run, result = run_module(run_playbook, keycloak_env, "azimuth.ops.users_realm", options, "--check", "-vvv")
    assert result["failed"] and "HTTP 401 Unauthorized: who?" in result["msg"], result
    assert other_server.seen[-1] == "Bearer " + token
    assert "credentials_secret.kubernetes is deprecated" in run.output
    assert token not in run.output and token not in str(result)
    seen = len(other_server.seen)
    run, result = run_module(run_playbook, keycloak_env, "azimuth.ops.users_realm",
                             dict(options, kubernetes=dict(host="https://127.0.0.1:1")), "--check")
    assert result["failed"] and "given twice, in kubernetes and in credentials_secret.kubernetes" in result["msg"], result
    assert len(other_server.seen) == seen
