"""The recording proxy (sandbox/proxy.py, sandbox/proxies.py) in front of the sandbox's real servers."""

import http.client
import queue
import threading
import time
import urllib.error
import urllib.request

import openstack.config
import openstack.connection
import openstack.exceptions
import pytest
import requests
import yaml

from sandbox import proxies
from sandbox.proxy import RecordingProxy, dry_runs, parse_fault, route_of, writes

KEYSTONE = "http://127.0.0.1:5000"


def connect(clouds_yaml, cloud="sandbox-demo"):
    config = openstack.config.OpenStackConfig(config_files=[clouds_yaml], load_envvars=False)
    return openstack.connection.Connection(config=config.get_one(cloud=cloud))


@pytest.fixture
def pair(sandbox_env, tmp_path):
    with proxies.OpenStack(sandbox_env["OS_CLIENT_CONFIG_FILE"], tmp_path) as both:
        yield both


@pytest.fixture
def kubeconfig(sandbox_env):
    if "KUBECONFIG" not in sandbox_env:
        pytest.skip("the kube service is not part of this sandbox")
    return sandbox_env["KUBECONFIG"]


@pytest.fixture
def kube(kubeconfig, tmp_path):
    with proxies.kube(kubeconfig, tmp_path) as proxy:
        yield proxy


def kube_core(kubeconfig):
    from kubernetes import client, config  # pylint: disable=import-outside-toplevel
    configuration = client.Configuration()
    config.load_kube_config(config_file=kubeconfig, client_configuration=configuration)
    return client.CoreV1Api(client.ApiClient(configuration))


# --- without a server ----------------------------------------------------------------------------


@pytest.mark.parametrize("fault", [dict(count=0, status=500), dict(count=1), dict(count=1, status=500, timeout=1),
                                   dict(count=1, status="x"), dict(count=1, status=500, path_regex="(")])
def test_bad_faults_are_refused(fault):
    with pytest.raises(ValueError):
        parse_fault(**fault)


def test_writes_are_the_write_methods():
    assert writes({"GET /a": 1, "POST /a": 2, "PUT /b": 1, "PATCH /c": 1, "DELETE /d": 3, "HEAD /e": 1}) == {
        "POST /a": 2, "PUT /b": 1, "PATCH /c": 1, "DELETE /d": 3}


def test_a_dry_run_is_counted_apart_and_is_not_a_write():
    assert route_of("POST", "/api/v1/namespaces?dryRun=All&fieldManager=x") == "DRYRUN POST /api/v1/namespaces"
    assert route_of("POST", "/api/v1/namespaces?fieldManager=x") == "POST /api/v1/namespaces"
    counts = {"GET /a": 1, "POST /a": 2, "DRYRUN POST /a": 3, "DRYRUN DELETE /b": 1}
    assert writes(counts) == {"POST /a": 2}
    assert dry_runs(counts) == {"DRYRUN POST /a": 3, "DRYRUN DELETE /b": 1}


def test_the_upstream_is_a_base_url():
    with pytest.raises(ValueError, match="upstream must be scheme://host:port"):
        RecordingProxy(KEYSTONE + "/v3")


# --- Keystone and Neutron ------------------------------------------------------------------------


def test_each_openstack_service_counts_its_own_requests_exactly(pair):
    conn = connect(pair.clouds_yaml)
    list(conn.network.networks())  # discovery and a token first
    counts = pair.counts()
    assert counts["keystone"]["POST /v3/auth/tokens"] == 1
    assert counts["neutron"]["GET /v2.0/networks"] == 1
    assert not [route for route in counts["keystone"] if "/v2.0/" in route]
    assert conn.network.get_endpoint().startswith(pair.neutron.url)  # the catalog names the proxy
    with pair.measure() as served:
        assert [n.name for n in conn.network.networks(name="sandbox-external")] == ["sandbox-external"]
    assert served == {"keystone": {}, "neutron": {"GET /v2.0/networks": 1}}
    pair.neutron.reset_counts()
    assert pair.neutron.counts() == {}


def test_requests_go_through_unchanged(pair, openstack_admin, unique_name):
    conn = connect(pair.clouds_yaml)
    network = conn.network.create_network(name=unique_name, description="through the proxy")
    try:
        seen = openstack_admin.network.get_network(network.id)
        assert (seen.name, seen.description, seen.project_id) == (unique_name, "through the proxy", conn.current_project_id)
        assert writes(pair.neutron.counts()) == {"POST /v2.0/networks": 1}
    finally:
        openstack_admin.network.delete_network(network.id)
    # a chunked request body (no Content-Length) arrives whole
    body = ('{"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "sandbox-demo", '
            '"domain": {"id": "default"}, "password": "sandbox-demo-pass"}}}}}').encode()
    response = requests.post(pair.keystone.url + "/v3/auth/tokens", data=iter([body[:20], body[20:]]), timeout=30,
                             headers={"Content-Type": "application/json"})
    assert response.status_code == 201 and response.headers["X-Subject-Token"]
    assert response.request.headers.get("Transfer-Encoding") == "chunked"


def test_links_to_the_server_name_the_proxy(pair):
    try:
        with urllib.request.urlopen(pair.keystone.url + "/", timeout=30) as response:
            text = response.read().decode()
    except urllib.error.HTTPError as exc:  # Keystone answers 300 Multiple Choices
        text = exc.read().decode()
    assert pair.keystone.url + "/v3/" in text and KEYSTONE not in text


def test_a_status_fault_answers_with_the_server_s_error_body(pair):
    conn = connect(pair.clouds_yaml)
    conn.authorize()
    pair.neutron.inject_fault(count=1, status=503, method="GET", path_regex="^/v2.0/networks$")
    with pytest.raises(openstack.exceptions.HttpException) as raised:
        list(conn.network.networks(name="sandbox-external"))
    assert raised.value.status_code == 503 and "injected fault: 503 Service Unavailable" in str(raised.value)
    assert len(list(conn.network.networks(name="sandbox-external"))) == 1  # the fault is used up
    assert pair.neutron.counts()["GET /v2.0/networks"] == 2  # faulted requests are counted too


def test_a_hang_fault_drops_the_connection_after_the_timeout(pair):
    pair.keystone.inject_fault(count=1, timeout=1.5, method="GET", path_regex="^/v3$")
    started = time.monotonic()
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError, urllib.error.URLError)):
        urllib.request.urlopen(pair.keystone.url + "/v3", timeout=30)  # pylint: disable=consider-using-with
    assert 1.5 <= time.monotonic() - started < 10
    with urllib.request.urlopen(pair.keystone.url + "/v3", timeout=30) as response:
        assert response.status == 200
    pair.keystone.inject_fault(count=5, status=500)
    pair.keystone.clear_faults()
    with urllib.request.urlopen(pair.keystone.url + "/v3", timeout=30) as response:
        assert response.status == 200
    assert pair.keystone.counts() == {"GET /v3": 3}


# --- kube-apiserver: TLS on both sides -----------------------------------------------------------


def test_the_kubeconfig_copy_differs_only_in_the_server(kube, kubeconfig):
    source, copy = (yaml.safe_load(open(path, encoding="utf-8")) for path in (kubeconfig, kube.kubeconfig))
    assert copy["clusters"][0]["cluster"]["server"] == kube.url and kube.url.startswith("https://127.0.0.1:")
    copy["clusters"][0]["cluster"]["server"] = source["clusters"][0]["cluster"]["server"]
    assert copy == source


def test_kube_requests_are_counted_and_faults_answer_a_status(kube, kubeconfig, unique_name):
    from kubernetes.client.rest import ApiException  # pylint: disable=import-outside-toplevel
    core = kube_core(kube.kubeconfig)
    name = "az-" + unique_name
    core.create_namespace({"metadata": {"name": name, "labels": {"test": unique_name}}})
    try:
        assert core.read_namespace(name).metadata.labels["test"] == unique_name
        assert kube.counts() == {"POST /api/v1/namespaces": 1, "GET /api/v1/namespaces/" + name: 1}
        core.patch_namespace(name, {"metadata": {"labels": {"dry": "run"}}}, dry_run="All")
        assert dry_runs(kube.counts()) == {"DRYRUN PATCH /api/v1/namespaces/" + name: 1}
        assert "dry" not in core.read_namespace(name).metadata.labels
        kube.inject_fault(count=1, status=409, method="PATCH")
        with pytest.raises(ApiException) as raised:
            core.patch_namespace(name, {"metadata": {"labels": {"x": "y"}}})
        assert raised.value.status == 409 and '"reason": "Conflict"' in raised.value.body
        assert "x" not in core.read_namespace(name).metadata.labels  # the server never saw it
    finally:
        kube_core(kubeconfig).delete_namespace(name)


def test_a_kube_watch_streams_through_the_proxy(kube, kubeconfig, unique_name):
    from kubernetes import watch  # pylint: disable=import-outside-toplevel
    core, events = kube_core(kube.kubeconfig), queue.Queue()

    def follow():
        for event in watch.Watch().stream(core.list_namespace, label_selector="test=" + unique_name, timeout_seconds=30):
            events.put((event["type"], event["object"].metadata.name))
            return

    thread = threading.Thread(target=follow, daemon=True)
    thread.start()
    time.sleep(1)
    name = "az-" + unique_name
    kube_core(kubeconfig).create_namespace({"metadata": {"name": name, "labels": {"test": unique_name}}})
    try:
        assert events.get(timeout=10) == ("ADDED", name)  # long before the watch ends
    finally:
        kube_core(kubeconfig).delete_namespace(name)


# --- Keycloak --------------------------------------------------------------------------------------


def test_keycloak_location_names_the_proxy(sandbox_env, unique_name):
    if "KEYCLOAK_URL" not in sandbox_env:
        pytest.skip("the keycloak service is not part of this sandbox")
    with proxies.keycloak(sandbox_env["KEYCLOAK_URL"]) as proxy:
        token = requests.post(proxy.url + "/realms/master/protocol/openid-connect/token", timeout=30, data={
            "grant_type": "password", "client_id": "admin-cli", "username": sandbox_env["KEYCLOAK_ADMIN_USER"],
            "password": sandbox_env["KEYCLOAK_ADMIN_PASSWORD"]}).json()["access_token"]
        headers = {"Authorization": "Bearer " + token}
        created = requests.post(proxy.url + "/admin/realms", json={"realm": unique_name}, headers=headers, timeout=60)
        try:
            assert created.status_code == 201
            assert created.headers["Location"] == "%s/admin/realms/%s" % (proxy.url, unique_name)
            proxy.inject_fault(count=1, status=500, method="GET")
            failed = requests.get(created.headers["Location"], headers=headers, timeout=30)
            assert failed.status_code == 500 and failed.json() == {"error": "injected fault: 500 Internal Server Error"}
            assert requests.get(created.headers["Location"], headers=headers, timeout=30).json()["realm"] == unique_name
        finally:
            requests.delete("%s/admin/realms/%s" % (proxy.url, unique_name), headers=headers, timeout=60)
        assert writes(proxy.counts()) == {"POST /realms/master/protocol/openid-connect/token": 1, "POST /admin/realms": 1,
                                          "DELETE /admin/realms/" + unique_name: 1}
