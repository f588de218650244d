"""Contract tests for the Kubernetes API emulator (``sandbox.kube``), driven only through the
official clients: the ``kubernetes`` Python client (typed APIs and DynamicClient) and ``kubectl``.

One emulator runs for the module, on a free port with a temporary state directory.
"""

import base64
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
import urllib3
from kubernetes import client, config
from kubernetes.client.rest import ApiException
from kubernetes.dynamic import DynamicClient

from sandbox import control
from sandbox.kube.private import PrivateEmulator, free_port
from sandbox.kube.service import KubeService

REPO_ROOT = Path(__file__).resolve().parents[2]
KUBECTL = os.environ.get("KUBECTL") or shutil.which("kubectl")
needs_kubectl = pytest.mark.skipif(not KUBECTL, reason="kubectl is not installed")
COUNTED = Counter()  # requests counted by the emulator over the whole module


# --- fixtures ---------------------------------------------------------------------

class Emulator(PrivateEmulator):
    """The private emulator the whole module talks to."""

    def api_client(self):
        return config.new_client_from_config(config_file=self.kubeconfig)

    def harvest_counts(self):
        """Add the emulator's counts to COUNTED and reset them."""
        counts = control.request_counts(self.url, ca_file=self.ca_file)
        COUNTED.update(counts["by_route"])
        self.reset_counts()
        return counts


@pytest.fixture(scope="module")
def emulator(tmp_path_factory, request):
    server = Emulator(tmp_path_factory.mktemp("kube")).start()
    yield server
    server.harvest_counts()
    server.stop()
    lines = [f"{n:5d}  {route}" for route, n in sorted(COUNTED.items())]
    text = "\n".join([f"kube emulator: {sum(COUNTED.values())} API requests counted by the contract suite",
                      *lines])
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print("\n" + text)


@pytest.fixture(scope="module")
def api(emulator):
    return emulator.api_client()


@pytest.fixture(scope="module")
def core(api):
    return client.CoreV1Api(api)


@pytest.fixture(scope="module")
def custom(api):
    return client.CustomObjectsApi(api)


@pytest.fixture(scope="module")
def ext(api):
    return client.ApiextensionsV1Api(api)


@pytest.fixture(scope="module")
def dyn(api, tmp_path_factory):
    return DynamicClient(api, cache_file=str(tmp_path_factory.mktemp("dyn") / "discovery.json"))


@pytest.fixture
def ns(core, request):
    """A fresh namespace for one test."""
    name = ("t-" + re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()))[:50].strip("-")
    core.create_namespace({"metadata": {"name": name}})
    yield name
    try:
        core.delete_namespace(name)
    except ApiException:
        pass


def _crd(group="example.com", plural="widgets", kind="Widget", scope="Namespaced", short=("wd",), status=True):
    version = {
        "name": "v1", "served": True, "storage": True,
        "schema": {"openAPIV3Schema": {"type": "object", "properties": {
            "spec": {"type": "object", "properties": {
                "size": {"type": "integer"}, "color": {"type": "string", "default": "blue"},
                "mode": {"type": "string", "enum": ["fast", "slow"]},
                "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}},
            "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}}},
    }
    if status:
        version["subresources"] = {"status": {}}
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": f"{plural}.{group}"},
            "spec": {"group": group, "scope": scope, "versions": [version],
                     "names": {"plural": plural, "singular": kind.lower(), "kind": kind,
                               "shortNames": list(short)}}}


@pytest.fixture(scope="module")
def widgets(ext):
    """A namespaced CRD (widgets.example.com) and a cluster-scoped one (gadgets.example.org)."""
    ext.create_custom_resource_definition(_crd())
    ext.create_custom_resource_definition(_crd("example.org", "gadgets", "Gadget", "Cluster", (), False))
    return "example.com", "v1", "widgets"


def _error(excinfo):
    """(status code, Status body) of an ApiException."""
    return excinfo.value.status, json.loads(excinfo.value.body)


def _raw(emulator, path, method="GET", token=None, body=None, headers=None):
    """A plain HTTPS request: (code, parsed JSON body)."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(emulator.url + path, data=data, method=method, headers=headers or {})
    if token is not None:
        req.add_header("Authorization", f"Bearer {token}")
    context = ssl.create_default_context(cafile=emulator.ca_file)
    try:
        with urllib.request.urlopen(req, context=context, timeout=5) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


def _token(emulator):
    return (emulator.state_dir / "token").read_text().strip()


def _kubectl(emulator, *args, stdin=None, check=True):
    argv = [KUBECTL, "--kubeconfig", str(emulator.kubeconfig), "--cache-dir",
            str(emulator.state_dir / "kubectl-cache"), *args]
    result = subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=60, check=False)
    if check and result.returncode:
        raise AssertionError(f"kubectl {' '.join(args)} failed: {result.stderr}")
    return result


# --- discovery --------------------------------------------------------------------

def test_version_has_every_field(api):
    info = client.VersionApi(api).get_code()
    assert info.major == "1" and info.minor.isdigit() and info.git_version.startswith("v1.")
    for name in ("git_commit", "git_tree_state", "build_date", "go_version", "compiler", "platform"):
        assert getattr(info, name)


def test_core_discovery(api):
    assert client.CoreApi(api).get_api_versions().versions == ["v1"]
    resources = {r.name: r for r in client.CoreV1Api(api).get_api_resources().resources}
    assert {"namespaces", "namespaces/status", "secrets", "configmaps", "serviceaccounts"} <= set(resources)
    assert resources["namespaces"].namespaced is False and resources["namespaces"].short_names == ["ns"]
    assert resources["configmaps"].short_names == ["cm"] and resources["serviceaccounts"].short_names == ["sa"]
    assert resources["secrets"].kind == "Secret" and resources["secrets"].singular_name == "secret"
    assert {"create", "get", "list", "patch", "update", "delete"} <= set(resources["secrets"].verbs)


def test_group_discovery_follows_crds(api, ext, widgets):
    groups = {g.name: g for g in client.ApisApi(api).get_api_versions().groups}
    assert groups["apiextensions.k8s.io"].preferred_version.group_version == "apiextensions.k8s.io/v1"
    assert groups["example.com"].preferred_version.version == "v1"
    resources = {r.name: r for r in client.CustomObjectsApi(api).get_api_resources("example.com", "v1").resources}
    assert resources["widgets"].kind == "Widget" and resources["widgets"].namespaced
    assert resources["widgets"].short_names == ["wd"] and "widgets/status" in resources
    ext_resources = {r.name: r for r in ext.get_api_resources().resources}
    assert ext_resources["customresourcedefinitions"].short_names == ["crd", "crds"]

    ext.create_custom_resource_definition(_crd("temp.example.net", "things", "Thing"))
    assert "temp.example.net" in {g.name for g in client.ApisApi(api).get_api_versions().groups}
    ext.delete_custom_resource_definition("things.temp.example.net")
    assert "temp.example.net" not in {g.name for g in client.ApisApi(api).get_api_versions().groups}
    with pytest.raises(ApiException) as excinfo:
        client.CustomObjectsApi(api).get_api_resources("temp.example.net", "v1")
    assert excinfo.value.status == 404


# --- transport: TLS and auth ----------------------------------------------------------

def test_certificate_names_localhost_and_ip(emulator):
    context = ssl.create_default_context(cafile=emulator.ca_file)
    for host in ("127.0.0.1", "localhost"):
        with socket.create_connection(("127.0.0.1", emulator.port)) as sock:
            with context.wrap_socket(sock, server_hostname=host) as tls_sock:
                assert tls_sock.version()


@pytest.mark.parametrize("token", [None, "wrong"])
def test_bad_token_is_unauthorized(emulator, token):
    code, body = _raw(emulator, "/api/v1/namespaces", token=token)
    assert code == 401
    assert body["kind"] == "Status" and body["reason"] == "Unauthorized" and body["code"] == 401


def test_kubeconfig_shape(emulator):
    text = Path(emulator.kubeconfig).read_text()
    assert "current-context: sandbox" in text and f"certificate-authority: {emulator.state_dir}" in text
    assert _token(emulator) in text


# --- create -------------------------------------------------------------------------

def test_create_fills_server_fields(core, ns):
    created = core.create_namespaced_config_map(ns, {"metadata": {"name": "cm1"}, "data": {"a": "1"}})
    meta = created.metadata
    assert meta.uid and meta.creation_timestamp and meta.resource_version.isdigit()
    assert meta.namespace == ns
    namespace = core.read_namespace(ns)
    assert namespace.status.phase == "Active"
    assert namespace.metadata.labels["kubernetes.io/metadata.name"] == ns


def test_resource_versions_increase(core, ns):
    first = core.create_namespaced_config_map(ns, {"metadata": {"name": "a"}})
    second = core.create_namespaced_config_map(ns, {"metadata": {"name": "b"}})
    assert int(second.metadata.resource_version) > int(first.metadata.resource_version)


def test_generate_name(core, ns):
    created = core.create_namespaced_secret(ns, {"metadata": {"generateName": "gen-"}})
    assert created.metadata.name.startswith("gen-") and len(created.metadata.name) == 9


def test_already_exists(core, ns):
    core.create_namespaced_config_map(ns, {"metadata": {"name": "dup"}})
    with pytest.raises(ApiException) as excinfo:
        core.create_namespaced_config_map(ns, {"metadata": {"name": "dup"}})
    code, body = _error(excinfo)
    assert code == 409 and body["reason"] == "AlreadyExists"
    assert body["details"] == {"name": "dup", "kind": "configmaps"}


def test_create_in_missing_namespace(core):
    with pytest.raises(ApiException) as excinfo:
        core.create_namespaced_secret("no-such-ns", {"metadata": {"name": "x"}})
    code, body = _error(excinfo)
    assert code == 404 and body["reason"] == "NotFound" and body["details"]["kind"] == "namespaces"


def test_namespace_mismatch_is_bad_request(core, ns):
    with pytest.raises(ApiException) as excinfo:
        core.create_namespaced_secret(ns, {"metadata": {"name": "x", "namespace": "default"}})
    code, body = _error(excinfo)
    assert code == 400 and body["reason"] == "BadRequest"


@pytest.mark.parametrize("name", ["Bad_Name", "-lead", "a" * 64, "dots.not.allowed"])
def test_invalid_namespace_names(core, name):
    with pytest.raises(ApiException) as excinfo:
        core.create_namespace({"metadata": {"name": name}})
    code, body = _error(excinfo)
    assert code == 422 and body["reason"] == "Invalid"
    assert body["details"]["causes"][0]["field"] == "metadata.name" and body["details"]["kind"] == "Namespace"


def test_invalid_names_and_labels(core, ns):
    for body in ({"metadata": {"name": "UPPER"}}, {"metadata": {}},
                 {"metadata": {"name": "ok", "labels": {"bad key!": "v"}}},
                 {"metadata": {"name": "ok", "labels": {"k": "bad value!"}}}):
        with pytest.raises(ApiException) as excinfo:
            core.create_namespaced_config_map(ns, body)
        assert _error(excinfo)[1]["reason"] == "Invalid"


def test_kind_and_api_version_checks(api, core, ns):
    with pytest.raises(ApiException) as excinfo:
        core.create_namespaced_secret(ns, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}})
    assert _error(excinfo)[0] == 400
    with pytest.raises(ApiException) as excinfo:
        core.create_namespaced_secret(ns, {"apiVersion": "apps/v1", "kind": "Secret", "metadata": {"name": "x"}})
    assert _error(excinfo)[0] == 400


def test_dry_run_does_not_store(core, ns):
    created = core.create_namespaced_config_map(ns, {"metadata": {"name": "dry"}}, dry_run="All")
    assert created.metadata.name == "dry"
    with pytest.raises(ApiException) as excinfo:
        core.read_namespaced_config_map("dry", ns)
    assert excinfo.value.status == 404
    core.create_namespaced_config_map(ns, {"metadata": {"name": "wet"}, "data": {"a": "1"}})
    core.patch_namespaced_config_map("wet", ns, {"data": {"a": "2"}}, dry_run="All")
    core.delete_namespaced_config_map("wet", ns, dry_run="All")
    assert core.read_namespaced_config_map("wet", ns).data == {"a": "1"}


def test_new_namespace_has_default_objects(core, ns):
    assert [sa.metadata.name for sa in core.list_namespaced_service_account(ns).items] == ["default"]
    assert "kube-root-ca.crt" in [cm.metadata.name for cm in core.list_namespaced_config_map(ns).items]


# --- secrets ------------------------------------------------------------------------

def _b64(text):
    return base64.b64encode(text.encode()).decode()


def test_secret_string_data_folds_into_data(core, ns):
    created = core.create_namespaced_secret(ns, {"metadata": {"name": "s"}, "stringData": {"user": "me"},
                                                 "data": {"pw": _b64("pw")}})
    assert created.type == "Opaque" and created.string_data is None
    assert created.data == {"user": _b64("me"), "pw": _b64("pw")}
    patched = core.patch_namespaced_secret("s", ns, {"stringData": {"user": "you"}})
    assert patched.data["user"] == _b64("you") and patched.string_data is None
    replaced = core.replace_namespaced_secret("s", ns, {"metadata": {"name": "s"}, "stringData": {"only": "x"}})
    assert replaced.data == {"only": _b64("x")} and replaced.string_data is None
    raw = core.read_namespaced_secret("s", ns, _preload_content=False)
    assert "stringData" not in json.loads(raw.data)


def test_secret_data_must_be_base64(core, ns):
    with pytest.raises(ApiException) as excinfo:
        core.create_namespaced_secret(ns, {"metadata": {"name": "bad"}, "data": {"k": "not base64!"}})
    assert _error(excinfo)[0] == 400


def test_secret_type_is_immutable(core, ns):
    core.create_namespaced_secret(ns, {"metadata": {"name": "typed"}, "type": "example.com/custom"})
    with pytest.raises(ApiException) as excinfo:
        core.patch_namespaced_secret("typed", ns, {"type": "Opaque"})
    assert _error(excinfo)[1]["reason"] == "Invalid"


# --- list and selectors --------------------------------------------------------------

@pytest.fixture
def labelled(core, ns):
    for name, labels in (("a", {"app": "web", "tier": "front"}), ("b", {"app": "db"}),
                         ("c", {"app": "web", "tier": "back"}), ("d", {})):
        core.create_namespaced_config_map(ns, {"metadata": {"name": name, "labels": labels}})
    return ns


@pytest.mark.parametrize("selector, expected", [
    ("app=web", "ac"), ("app==web", "ac"), ("app!=web", "bd"), ("app in (web,db)", "abc"),
    ("app notin (web)", "bd"), ("tier", "ac"), ("!tier", "bd"), ("app=web,tier=back", "c"),
    ("app=web, !tier", ""), ("app in (db), tier notin (front)", "b"),
])
def test_label_selectors(core, labelled, selector, expected):
    items = core.list_namespaced_config_map(labelled, label_selector=selector).items
    assert "".join(i.metadata.name for i in items if i.metadata.name != "kube-root-ca.crt") == expected


def test_bad_label_selector(core, labelled):
    with pytest.raises(ApiException) as excinfo:
        core.list_namespaced_config_map(labelled, label_selector="app in (web")
    assert _error(excinfo)[0] == 400


def test_field_selectors(core, labelled):
    names = lambda items: [i.metadata.name for i in items]  # noqa: E731
    assert names(core.list_namespaced_config_map(labelled, field_selector="metadata.name=b").items) == ["b"]
    assert names(core.list_namespaced_config_map(labelled, field_selector="metadata.name==b").items) == ["b"]
    assert "b" not in names(core.list_namespaced_config_map(labelled, field_selector="metadata.name!=b").items)
    across = core.list_config_map_for_all_namespaces(field_selector=f"metadata.namespace={labelled}").items
    assert {i.metadata.namespace for i in across} == {labelled} and len(across) == 5
    with pytest.raises(ApiException) as excinfo:
        core.list_namespaced_config_map(labelled, field_selector="spec.nope=1")
    assert _error(excinfo)[0] == 400


def test_list_shape_and_all_namespaces(api, core, labelled):
    raw = json.loads(core.list_namespaced_config_map(labelled, _preload_content=False).data)
    assert raw["kind"] == "ConfigMapList" and raw["apiVersion"] == "v1"
    assert raw["metadata"]["resourceVersion"].isdigit()
    across = core.list_config_map_for_all_namespaces(label_selector="app=web")
    assert {(i.metadata.namespace, i.metadata.name) for i in across.items} == {(labelled, "a"), (labelled, "c")}
    assert "default" in [n.metadata.name for n in core.list_namespace().items]


def test_limit_and_continue(core, labelled):
    first = core.list_namespaced_config_map(labelled, limit=2)
    assert len(first.items) == 2 and first.metadata._continue
    rest = core.list_namespaced_config_map(labelled, limit=10, _continue=first.metadata._continue)
    names = [i.metadata.name for i in first.items + rest.items]
    assert sorted(names) == ["a", "b", "c", "d", "kube-root-ca.crt"]


def test_watch_is_refused_clearly(emulator):
    code, body = _raw(emulator, "/api/v1/namespaces?watch=true", token=_token(emulator))
    assert code == 405 and body["reason"] == "MethodNotAllowed" and "watch" in body["message"]


# --- replace and patch ----------------------------------------------------------------

def test_replace_optimistic_concurrency(core, ns):
    created = core.create_namespaced_config_map(ns, {"metadata": {"name": "occ"}, "data": {"a": "1"}})
    body = created.to_dict()
    body["data"] = {"a": "2"}
    updated = core.replace_namespaced_config_map("occ", ns, body)
    assert updated.metadata.resource_version != created.metadata.resource_version
    with pytest.raises(ApiException) as excinfo:  # body still carries the old resourceVersion
        core.replace_namespaced_config_map("occ", ns, body)
    code, status = _error(excinfo)
    assert code == 409 and status["reason"] == "Conflict"
    last = core.replace_namespaced_config_map("occ", ns, {"metadata": {"name": "occ"}, "data": {"a": "3"}})
    assert last.data == {"a": "3"} and last.metadata.uid == created.metadata.uid


def test_noop_writes_keep_resource_version(core, ns):
    created = core.create_namespaced_config_map(ns, {"metadata": {"name": "same", "labels": {"x": "1"}},
                                                     "data": {"a": "1"}})
    version = created.metadata.resource_version
    assert core.replace_namespaced_config_map("same", ns, created).metadata.resource_version == version
    assert core.patch_namespaced_config_map("same", ns, {"data": {"a": "1"}}).metadata.resource_version == version
    assert core.patch_namespaced_config_map("same", ns, {"data": {"a": "2"}}).metadata.resource_version != version


def test_replace_name_mismatch_and_missing(core, ns):
    core.create_namespaced_config_map(ns, {"metadata": {"name": "n1"}})
    with pytest.raises(ApiException) as excinfo:
        core.replace_namespaced_config_map("n1", ns, {"metadata": {"name": "n2"}})
    assert _error(excinfo)[0] == 400
    with pytest.raises(ApiException) as excinfo:
        core.replace_namespaced_config_map("nope", ns, {"metadata": {"name": "nope"}})
    assert _error(excinfo)[0] == 404


def test_merge_patch(core, ns):
    core.create_namespaced_config_map(ns, {"metadata": {"name": "mp", "labels": {"a": "1", "b": "2"}},
                                           "data": {"x": "1"}})
    patched = core.patch_namespaced_config_map("mp", ns, {"metadata": {"labels": {"a": None, "c": "3"}}},
                                               _content_type="application/merge-patch+json")
    assert patched.metadata.labels == {"b": "2", "c": "3"} and patched.data == {"x": "1"}


def test_json_patch(core, ns):
    core.create_namespaced_config_map(ns, {"metadata": {"name": "jp"}, "data": {"x": "1", "y": "2"}})
    patched = core.patch_namespaced_config_map("jp", ns, [
        {"op": "test", "path": "/data/x", "value": "1"},
        {"op": "replace", "path": "/data/x", "value": "10"},
        {"op": "remove", "path": "/data/y"},
        {"op": "add", "path": "/metadata/labels", "value": {"k": "v"}},
        {"op": "copy", "from": "/data/x", "path": "/data/z"},
    ])
    assert patched.data == {"x": "10", "z": "10"} and patched.metadata.labels == {"k": "v"}
    with pytest.raises(ApiException) as excinfo:
        core.patch_namespaced_config_map("jp", ns, [{"op": "test", "path": "/data/x", "value": "nope"}])
    assert _error(excinfo)[0] == 422
    with pytest.raises(ApiException) as excinfo:
        core.patch_namespaced_config_map("jp", ns, [{"op": "remove", "path": "/data/missing"}])
    assert _error(excinfo)[0] == 422
    assert core.read_namespaced_config_map("jp", ns).data == {"x": "10", "z": "10"}


def test_strategic_merge_patch_on_builtins(core, ns):
    core.create_namespaced_service_account(ns, {"metadata": {"name": "sm", "labels": {"a": "1"}},
                                                "secrets": [{"name": "one"}]})
    patched = core.patch_namespaced_service_account("sm", ns, {"metadata": {"labels": {"b": "2"}},
                                                               "secrets": [{"name": "two"}]})
    assert patched.metadata.labels == {"a": "1", "b": "2"}
    assert [s.name for s in patched.secrets] == ["one", "two"]


def test_resource_version_in_patch_is_a_precondition(core, ns):
    created = core.create_namespaced_config_map(ns, {"metadata": {"name": "pre"}})
    core.patch_namespaced_config_map("pre", ns, {"data": {"a": "1"}})
    with pytest.raises(ApiException) as excinfo:
        core.patch_namespaced_config_map("pre", ns, {"metadata": {"resourceVersion": created.metadata.resource_version},
                                                     "data": {"a": "2"}})
    assert _error(excinfo)[1]["reason"] == "Conflict"


def test_unsupported_patch_types(emulator, custom, widgets, ns):
    custom.create_namespaced_custom_object(*widgets[:2], ns, widgets[2],
                                           {"apiVersion": "example.com/v1", "kind": "Widget",
                                            "metadata": {"name": "w"}, "spec": {"size": 1}})
    for content_type in ("application/strategic-merge-patch+json", "application/yaml"):
        with pytest.raises(ApiException) as excinfo:
            custom.patch_namespaced_custom_object(*widgets[:2], ns, widgets[2], "w", {"spec": {"size": 2}},
                                                  _content_type=content_type)
        code, body = _error(excinfo)
        assert code == 415 and body["reason"] == "UnsupportedMediaType"


# --- delete -------------------------------------------------------------------------

def test_delete(core, ns):
    core.create_namespaced_secret(ns, {"metadata": {"name": "gone"}})
    status = core.delete_namespaced_secret("gone", ns)
    assert status["kind"] == "Status" and status["status"] == "Success" and status["details"]["name"] == "gone"
    with pytest.raises(ApiException) as excinfo:
        core.delete_namespaced_secret("gone", ns)
    code, body = _error(excinfo)
    assert code == 404 and body["reason"] == "NotFound"
    assert body["message"] == 'secrets "gone" not found'
    assert body["details"] == {"name": "gone", "kind": "secrets"}


def test_delete_namespace_removes_contents(core, custom, widgets):
    core.create_namespace({"metadata": {"name": "doomed"}})
    core.create_namespaced_secret("doomed", {"metadata": {"name": "s"}})
    custom.create_namespaced_custom_object("example.com", "v1", "doomed", "widgets",
                                           {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}})
    answer = core.delete_namespace("doomed")
    assert answer["kind"] == "Namespace" and answer["status"]["phase"] == "Terminating"
    with pytest.raises(ApiException):
        core.read_namespace("doomed")
    assert not core.list_secret_for_all_namespaces(field_selector="metadata.namespace=doomed").items
    assert not custom.list_cluster_custom_object("example.com", "v1", "widgets",
                                                 field_selector="metadata.namespace=doomed")["items"]
    core.create_namespace({"metadata": {"name": "doomed"}})  # the name is free again
    assert not core.list_namespaced_secret("doomed").items
    core.delete_namespace("doomed")


def test_system_namespaces_cannot_be_deleted(core):
    with pytest.raises(ApiException) as excinfo:
        core.delete_namespace("default")
    assert excinfo.value.status == 403


def test_delete_collection(core, labelled):
    core.delete_collection_namespaced_config_map(labelled, label_selector="app=web")
    names = [i.metadata.name for i in core.list_namespaced_config_map(labelled).items]
    assert sorted(names) == ["b", "d", "kube-root-ca.crt"]


def test_delete_preconditions(core, ns):
    core.create_namespaced_config_map(ns, {"metadata": {"name": "p"}})
    with pytest.raises(ApiException) as excinfo:
        core.delete_namespaced_config_map("p", ns, body={"preconditions": {"resourceVersion": "1"}})
    assert _error(excinfo)[0] == 409


def test_finalizers_hold_deletion(core, ns):
    core.create_namespaced_config_map(ns, {"metadata": {"name": "fin", "finalizers": ["example.com/hold"]}})
    core.delete_namespaced_config_map("fin", ns)
    held = core.read_namespaced_config_map("fin", ns)
    assert held.metadata.deletion_timestamp is not None
    core.patch_namespaced_config_map("fin", ns, {"metadata": {"finalizers": None}},
                                     _content_type="application/merge-patch+json")
    with pytest.raises(ApiException):
        core.read_namespaced_config_map("fin", ns)


# --- errors -------------------------------------------------------------------------

def test_status_shape_and_method_not_allowed(emulator):
    code, body = _raw(emulator, "/api/v1/namespaces/default/secrets/x", method="POST", token=_token(emulator),
                      body={}, headers={"Content-Type": "application/json"})
    assert code == 405
    assert body == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                    "message": body["message"], "reason": "MethodNotAllowed", "details": {}, "code": 405}
    assert body["message"] == "the server does not allow this method on the requested resource"
    code, body = _raw(emulator, "/apis/nope.example.com/v1/things", token=_token(emulator))
    assert code == 404 and body["reason"] == "NotFound" and body["details"] == {}


# --- CRDs and custom resources ----------------------------------------------------------

def test_crd_is_established(ext, widgets):
    crd = ext.read_custom_resource_definition("widgets.example.com")
    conditions = {c.type: c.status for c in crd.status.conditions}
    assert conditions["Established"] == "True" and conditions["NamesAccepted"] == "True"
    assert crd.status.accepted_names.kind == "Widget" and crd.status.stored_versions == ["v1"]
    assert crd.metadata.generation == 1


def test_crd_validation(ext):
    bad = _crd("example.com", "things", "Thing")
    bad["metadata"]["name"] = "wrong.example.com"
    with pytest.raises(ApiException) as excinfo:
        ext.create_custom_resource_definition(bad)
    assert _error(excinfo)[1]["reason"] == "Invalid"
    bad = _crd("example.com", "things", "Thing")
    del bad["spec"]["versions"][0]["schema"]
    with pytest.raises(ApiException) as excinfo:
        ext.create_custom_resource_definition(bad)
    assert _error(excinfo)[0] == 422


def test_namespaced_custom_resources(custom, widgets, ns):
    group, version, plural = widgets
    body = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w1", "labels": {"k": "v"}},
            "spec": {"size": 1, "unknown": "pruned"}}
    created = custom.create_namespaced_custom_object(group, version, ns, plural, body)
    assert created["metadata"]["generation"] == 1 and created["metadata"]["uid"]
    assert created["spec"] == {"size": 1, "color": "blue"}  # pruned and defaulted
    got = custom.get_namespaced_custom_object(group, version, ns, plural, "w1")
    assert got["apiVersion"] == "example.com/v1" and got["kind"] == "Widget"
    listed = custom.list_namespaced_custom_object(group, version, ns, plural, label_selector="k=v")
    assert listed["kind"] == "WidgetList" and [i["metadata"]["name"] for i in listed["items"]] == ["w1"]
    assert listed["items"][0]["kind"] == "Widget"
    everywhere = custom.list_cluster_custom_object(group, version, plural)
    assert ns in {i["metadata"]["namespace"] for i in everywhere["items"]}
    with pytest.raises(ApiException) as excinfo:
        custom.create_namespaced_custom_object(group, version, ns, plural, body)
    assert _error(excinfo)[1]["reason"] == "AlreadyExists"


def test_custom_resource_generation(custom, widgets, ns):
    group, version, plural = widgets
    custom.create_namespaced_custom_object(group, version, ns, plural, {
        "apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "g"}, "spec": {"size": 1}})
    same = custom.patch_namespaced_custom_object(group, version, ns, plural, "g", {"spec": {"size": 1}})
    assert same["metadata"]["generation"] == 1
    labelled = custom.patch_namespaced_custom_object(group, version, ns, plural, "g", {"metadata": {"labels": {"a": "b"}}})
    assert labelled["metadata"]["generation"] == 1
    assert labelled["metadata"]["resourceVersion"] != same["metadata"]["resourceVersion"]
    changed = custom.patch_namespaced_custom_object(group, version, ns, plural, "g", {"spec": {"size": 2}})
    assert changed["metadata"]["generation"] == 2
    status = custom.patch_namespaced_custom_object_status(group, version, ns, plural, "g",
                                                          {"status": {"phase": "Ready"}})
    assert status["status"] == {"phase": "Ready"} and status["metadata"]["generation"] == 2
    ignored = custom.patch_namespaced_custom_object(group, version, ns, plural, "g", {"status": {"phase": "X"}})
    assert ignored["status"] == {"phase": "Ready"}
    assert ignored["metadata"]["resourceVersion"] == status["metadata"]["resourceVersion"]


def test_custom_resource_replace_needs_resource_version(custom, widgets, ns):
    group, version, plural = widgets
    created = custom.create_namespaced_custom_object(group, version, ns, plural, {
        "apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "r"}, "spec": {"size": 1}})
    body = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "r"}, "spec": {"size": 5}}
    with pytest.raises(ApiException) as excinfo:
        custom.replace_namespaced_custom_object(group, version, ns, plural, "r", body)
    assert _error(excinfo)[0] == 422
    body["metadata"]["resourceVersion"] = created["metadata"]["resourceVersion"]
    replaced = custom.replace_namespaced_custom_object(group, version, ns, plural, "r", body)
    assert replaced["spec"]["size"] == 5 and replaced["metadata"]["generation"] == 2
    with pytest.raises(ApiException) as excinfo:
        custom.replace_namespaced_custom_object(group, version, ns, plural, "r", body)
    assert _error(excinfo)[1]["reason"] == "Conflict"


def test_custom_resource_schema_errors(custom, widgets, ns):
    group, version, plural = widgets
    for spec in ({"size": "big"}, {"mode": "medium"}):
        with pytest.raises(ApiException) as excinfo:
            custom.create_namespaced_custom_object(group, version, ns, plural, {
                "apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "bad"}, "spec": spec})
        assert _error(excinfo)[1]["reason"] == "Invalid"
    with pytest.raises(ApiException) as excinfo:
        custom.create_namespaced_custom_object(group, version, ns, plural, {"metadata": {"name": "nokind"}})
    assert _error(excinfo)[0] == 400


def test_cluster_scoped_custom_resources(custom, widgets):
    created = custom.create_cluster_custom_object("example.org", "v1", "gadgets", {
        "apiVersion": "example.org/v1", "kind": "Gadget", "metadata": {"name": "g1", "namespace": "ignored"}})
    assert "namespace" not in created["metadata"]
    patched = custom.patch_cluster_custom_object("example.org", "v1", "gadgets", "g1", {"status": {"ok": True}})
    assert patched["status"] == {"ok": True}  # no status subresource: status is ordinary content
    assert patched["metadata"]["generation"] == 2
    deleted = custom.delete_cluster_custom_object("example.org", "v1", "gadgets", "g1")
    assert deleted["metadata"]["name"] == "g1"
    with pytest.raises(ApiException) as excinfo:
        custom.get_cluster_custom_object("example.org", "v1", "gadgets", "g1")
    assert excinfo.value.status == 404


def test_deleting_a_crd_removes_its_objects(api, ext, custom):
    ext.create_custom_resource_definition(_crd("short.example.net", "things", "Thing", "Cluster"))
    custom.create_cluster_custom_object("short.example.net", "v1", "things", {
        "apiVersion": "short.example.net/v1", "kind": "Thing", "metadata": {"name": "t"}})
    ext.delete_custom_resource_definition("things.short.example.net")
    with pytest.raises(ApiException) as excinfo:
        custom.list_cluster_custom_object("short.example.net", "v1", "things")
    assert excinfo.value.status == 404
    ext.create_custom_resource_definition(_crd("short.example.net", "things", "Thing", "Cluster"))
    assert custom.list_cluster_custom_object("short.example.net", "v1", "things")["items"] == []
    ext.delete_custom_resource_definition("things.short.example.net")


# --- DynamicClient --------------------------------------------------------------------

def test_dynamic_client(dyn, widgets, ns):
    secrets = dyn.resources.get(api_version="v1", kind="Secret")
    secrets.create(body={"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "dyn"},
                         "stringData": {"a": "b"}}, namespace=ns)
    assert secrets.get(name="dyn", namespace=ns).data.a == _b64("b")
    assert [i.metadata.name for i in secrets.get(namespace=ns).items] == ["dyn"]
    secrets.patch(body={"metadata": {"labels": {"x": "y"}}}, name="dyn", namespace=ns)
    assert secrets.get(namespace=ns, label_selector="x=y").items[0].metadata.name == "dyn"
    secrets.delete(name="dyn", namespace=ns)

    widgets_api = dyn.resources.get(api_version="example.com/v1", kind="Widget")
    widgets_api.create(body={"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "d"},
                             "spec": {"size": 3}}, namespace=ns)
    patched = widgets_api.patch(body={"spec": {"size": 4}}, name="d", namespace=ns,
                                content_type="application/merge-patch+json")
    assert patched.spec.size == 4
    assert dyn.resources.get(api_version="v1", kind="Namespace").get(name=ns).status.phase == "Active"
    with pytest.raises(Exception) as excinfo:  # strategic merge patch on a custom resource
        widgets_api.patch(body={"spec": {"size": 5}}, name="d", namespace=ns)
    assert getattr(excinfo.value, "status", None) == 415
    widgets_api.delete(name="d", namespace=ns)


# --- kubectl --------------------------------------------------------------------------

@needs_kubectl
def test_kubectl_configmap_lifecycle(emulator, ns):
    manifest = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "kc", "namespace": ns},
                "data": {"a": "1"}}
    out = _kubectl(emulator, "apply", "-f", "-", stdin=json.dumps(manifest)).stdout
    assert "created" in out
    assert "unchanged" in _kubectl(emulator, "apply", "-f", "-", stdin=json.dumps(manifest)).stdout
    manifest["data"]["a"] = "2"
    assert "configured" in _kubectl(emulator, "apply", "-f", "-", stdin=json.dumps(manifest)).stdout
    _kubectl(emulator, "label", "-n", ns, "configmap", "kc", "team=x")
    _kubectl(emulator, "patch", "-n", ns, "configmap", "kc", "-p", '{"data":{"b":"3"}}')
    got = json.loads(_kubectl(emulator, "get", "-n", ns, "cm", "kc", "-o", "json").stdout)
    assert got["data"] == {"a": "2", "b": "3"} and got["metadata"]["labels"] == {"team": "x"}
    table = _kubectl(emulator, "get", "-n", ns, "configmaps", "-l", "team=x").stdout
    assert table.split()[:3] == ["NAME", "DATA", "AGE"] and "kc" in table
    listed = json.loads(_kubectl(emulator, "get", "-n", ns, "cm", "-l", "team=x", "-o", "json").stdout)
    assert [i["metadata"]["name"] for i in listed["items"]] == ["kc"]
    assert "deleted" in _kubectl(emulator, "delete", "-n", ns, "configmap", "kc").stdout
    missing = _kubectl(emulator, "get", "-n", ns, "cm", "kc", check=False)
    assert missing.returncode and "NotFound" in missing.stderr


@needs_kubectl
def test_kubectl_secrets_and_namespaces(emulator):
    _kubectl(emulator, "create", "namespace", "kubectl-ns")
    _kubectl(emulator, "create", "secret", "generic", "s", "-n", "kubectl-ns", "--from-literal=k=v")
    got = json.loads(_kubectl(emulator, "get", "secret", "s", "-n", "kubectl-ns", "-o", "json").stdout)
    assert got["data"] == {"k": _b64("v")} and got["type"] == "Opaque"
    assert "kubectl-ns" in _kubectl(emulator, "get", "ns").stdout
    again = _kubectl(emulator, "create", "namespace", "kubectl-ns", check=False)
    assert again.returncode and "AlreadyExists" in again.stderr
    _kubectl(emulator, "delete", "namespace", "kubectl-ns")
    assert "kubectl-ns" not in _kubectl(emulator, "get", "ns", "-o", "name").stdout


@needs_kubectl
def test_kubectl_custom_resources(emulator, ns):
    crd = _crd("kubectl.example.com", "sprockets", "Sprocket", short=("spr",))
    _kubectl(emulator, "apply", "-f", "-", stdin=json.dumps(crd))
    sprocket = {"apiVersion": "kubectl.example.com/v1", "kind": "Sprocket",
                "metadata": {"name": "s1", "namespace": ns}, "spec": {"size": 1}}
    assert "created" in _kubectl(emulator, "apply", "-f", "-", stdin=json.dumps(sprocket)).stdout
    sprocket["spec"]["size"] = 2
    assert "configured" in _kubectl(emulator, "apply", "-f", "-", stdin=json.dumps(sprocket)).stdout
    _kubectl(emulator, "label", "-n", ns, "spr", "s1", "a=b")
    _kubectl(emulator, "patch", "-n", ns, "sprocket", "s1", "--type", "merge", "-p", '{"spec":{"size":3}}')
    smp = _kubectl(emulator, "patch", "-n", ns, "sprocket", "s1", "-p", '{"spec":{"size":4}}', check=False)
    assert smp.returncode  # strategic merge patch is not for custom resources
    got = json.loads(_kubectl(emulator, "get", "-n", ns, "spr", "s1", "-o", "json").stdout)
    assert got["spec"] == {"size": 3, "color": "blue"} and got["metadata"]["labels"] == {"a": "b"}
    assert "s1" in _kubectl(emulator, "get", "sprockets", "-A").stdout
    assert "sprockets" in _kubectl(emulator, "api-resources").stdout
    _kubectl(emulator, "delete", "crd", "sprockets.kubectl.example.com")
    gone = _kubectl(emulator, "get", "-n", ns, "sprockets.kubectl.example.com", check=False)
    assert gone.returncode


# --- the control endpoints ----------------------------------------------------------------

def test_request_counts_by_route(emulator, core, ns):
    emulator.harvest_counts()
    core.create_namespaced_secret(ns, {"metadata": {"name": "c1"}})
    core.read_namespaced_secret("c1", ns)
    core.read_namespaced_secret("c1", ns)
    core.list_namespaced_secret(ns)
    counts = emulator.harvest_counts()
    assert counts["by_route"] == {"POST /api/v1/namespaces/{namespace}/secrets": 1,
                                  "GET /api/v1/namespaces/{namespace}/secrets/{name}": 2,
                                  "GET /api/v1/namespaces/{namespace}/secrets": 1}
    assert counts["total"] == 4
    assert control.request_counts(emulator.url, ca_file=emulator.ca_file)["total"] == 0


def test_fault_status(emulator, core, ns):
    control.inject_fault(emulator.url, 2, status=500, method="GET", path_regex="/configmaps",
                         ca_file=emulator.ca_file)
    core.list_namespaced_secret(ns)  # does not match
    for _ in range(2):
        with pytest.raises(ApiException) as excinfo:
            core.list_namespaced_config_map(ns)
        code, body = _error(excinfo)
        assert code == 500 and body["kind"] == "Status" and body["reason"] == "InternalError"
    core.list_namespaced_config_map(ns)
    control.inject_fault(emulator.url, 1, status=409, ca_file=emulator.ca_file)
    with pytest.raises(ApiException) as excinfo:
        core.read_namespace(ns)
    assert _error(excinfo) [1]["reason"] == "Conflict"


def test_fault_timeout_and_clear(emulator, api, core, ns):
    control.inject_fault(emulator.url, 1, timeout=0.3, path_regex="/secrets$", ca_file=emulator.ca_file)
    started = time.monotonic()
    with pytest.raises(OSError):  # the connection is dropped without an answer
        _raw(emulator, f"/api/v1/namespaces/{ns}/secrets", token=_token(emulator))
    assert 0.25 < time.monotonic() - started < 4
    # the client retries dropped connections (urllib3: 3 retries), so four drops reach the caller
    control.inject_fault(emulator.url, 4, timeout=0.1, path_regex="/secrets$", ca_file=emulator.ca_file)
    with pytest.raises(urllib3.exceptions.HTTPError):
        core.list_namespaced_secret(ns, _request_timeout=5)
    core.list_namespaced_secret(ns)
    control.inject_fault(emulator.url, 5, status=503, ca_file=emulator.ca_file)
    control.clear_faults(emulator.url, ca_file=emulator.ca_file)
    core.list_namespaced_secret(ns)


# --- the service: start, restart keeps state, fresh wipes --------------------------------

class _TmpKube(KubeService):
    """KubeService with its state in a test's directory; reaps its child so stop() sees it exit
    (the sandbox CLI exits after ``up``, so its children are reaped by init instead)."""

    def __init__(self, state_dir, port):
        super().__init__(port)
        self._dir = state_dir

    @property
    def state_dir(self):
        return self._dir

    def start(self):
        super().start()
        pid = self.process.pid()
        threading.Thread(target=os.waitpid, args=(pid, 0), daemon=True).start()


def test_service_lifecycle_and_persistence(tmp_path):
    service = _TmpKube(tmp_path, free_port())
    service.prepare(fresh=True)
    assert service.env() == {"KUBECONFIG": str(tmp_path / "kubeconfig")}
    service.start()
    try:
        service.wait_ready(timeout=20)
        core = client.CoreV1Api(config.new_client_from_config(config_file=str(service.kubeconfig)))
        core.create_namespace({"metadata": {"name": "kept"}})
        version = core.read_namespace("kept").metadata.resource_version
        service.stop()
        assert not service.is_up()
        service.start()
        service.wait_ready(timeout=20)
        kept = core.read_namespace("kept")
        assert kept.metadata.resource_version == version
        assert int(core.create_namespace({"metadata": {"name": "after"}}).metadata.resource_version) > int(version)
        service.stop()
        service.prepare(fresh=True)
        service.start()
        service.wait_ready(timeout=20)
        with pytest.raises(ApiException):
            core.read_namespace("kept")
    finally:
        service.stop()
