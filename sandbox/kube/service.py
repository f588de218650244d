"""KubeService: the real kube-apiserver, an embedded etcd and the namespace and garbage-collector
controllers, in one process (``sandbox/kubeapi``, built once per machine by :mod:`sandbox.kube.build`).

TLS with the sandbox's own CA, RBAC on, two bearer-token identities (:mod:`sandbox.kube.tls`),
and the CRDs of Azimuth's operators (``sandbox/kube/crds``) installed by ``seed``.
"""

import os
import shutil
import time
from pathlib import Path

import yaml

from sandbox import apt, probe
from sandbox.kube import build, tls
from sandbox.service import Process, Service

DEFAULT_PORT = int(os.environ.get("AZIMUTH_OPS_KUBE_PORT", "6443"))
ETCD_CLIENT_URL = "http://127.0.0.1:12379"
ETCD_PEER_URL = "http://127.0.0.1:12380"
CRD_DIR = Path(__file__).resolve().parent / "crds"
# The namespace in which the limited identity may do what the built-in ``edit`` role allows.
LIMITED_NAMESPACE = "sandbox-limited"
FIELD_MANAGER = "azimuth-ops-sandbox"


class KubeService(Service):
    """The control plane on 127.0.0.1, with kubectl installed for people."""

    name = "kube"
    host = "127.0.0.1"

    def __init__(self, port=DEFAULT_PORT):
        self.port = port

    @property
    def credentials(self):
        return tls.Credentials(self.state_dir)

    @property
    def kubeconfig(self):
        return self.credentials.kubeconfig

    @property
    def ca_file(self):
        return str(self.credentials.ca_cert)

    @property
    def etcd_dir(self):
        return self.state_dir / "etcd"

    def address(self):
        return f"https://{self.host}:{self.port}"

    def install(self):
        if not shutil.which("kubectl"):
            apt.install(["kubernetes-client"])
        build.ensure_binary()

    def prepare(self, fresh=False):
        if fresh:
            self.stop()
            shutil.rmtree(self.etcd_dir, ignore_errors=True)
        tls.ensure(self.state_dir, self.host, self.port)

    def _apiserver_flags(self):
        creds = self.credentials
        return [
            f"--etcd-servers={ETCD_CLIENT_URL}",
            f"--bind-address={self.host}", f"--advertise-address={self.host}", f"--secure-port={self.port}",
            f"--tls-cert-file={creds.server_cert}", f"--tls-private-key-file={creds.server_key}",
            f"--client-ca-file={creds.ca_cert}",
            f"--token-auth-file={creds.token_auth_file}",
            "--authorization-mode=RBAC",
            f"--service-account-key-file={creds.service_account_pub}",
            f"--service-account-signing-key-file={creds.service_account_key}",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            "--service-cluster-ip-range=10.96.0.0/16",
            "--enable-priority-and-fairness=false",
            "--profiling=false",
            "--v=1",
        ]

    @property
    def process(self):
        argv = [str(build.binary_path()), f"--etcd-dir={self.etcd_dir}",
                f"--etcd-client-url={ETCD_CLIENT_URL}", f"--etcd-peer-url={ETCD_PEER_URL}",
                f"--kubeconfig={self.kubeconfig}", "--", *self._apiserver_flags()]
        # Go's runtime returns memory to the system sooner with a soft limit.
        return Process("kube-apiserver", self.state_dir, argv, env={"GOMEMLIMIT": "768MiB"})

    def start(self):
        self.process.start()

    def is_up(self):
        return probe.ready(f"{self.address()}/readyz", ca_file=self.ca_file)

    def wait_ready(self, timeout=180):
        deadline = time.monotonic() + timeout
        while not self.is_up():
            if not self.process.pid():
                raise RuntimeError(f"kube-apiserver exited; see {self.process.log_file}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"kube-apiserver did not answer within {timeout}s; see {self.process.log_file}")
            time.sleep(0.2)

    def seed(self):
        from kubernetes import client, config  # pylint: disable=import-outside-toplevel  (slow import)

        api = config.new_client_from_config(config_file=str(self.kubeconfig))
        with api:
            for path in sorted(CRD_DIR.glob("*.yaml")):
                _apply(api, yaml.safe_load(path.read_text()))
            for name in _not_established(client.ApiextensionsV1Api(api)):
                raise RuntimeError(f"CRD {name} was not established")
            _grant_limited_identity(api)

    def stop(self):
        self.process.stop(timeout=30)

    def env(self):
        return {"KUBECONFIG": str(self.kubeconfig)}


def _apply(api, manifest):
    """Server-side apply of one manifest of the few kinds the sandbox seeds."""
    from kubernetes import client  # pylint: disable=import-outside-toplevel

    name = manifest["metadata"]["name"]
    options = {"field_manager": FIELD_MANAGER, "force": True, "_content_type": "application/apply-patch+yaml"}
    kind = manifest["kind"]
    if kind == "CustomResourceDefinition":
        client.ApiextensionsV1Api(api).patch_custom_resource_definition(name, manifest, **options)
    elif kind == "Namespace":
        client.CoreV1Api(api).patch_namespace(name, manifest, **options)
    elif kind == "Role":
        client.RbacAuthorizationV1Api(api).patch_namespaced_role(
            name, manifest["metadata"]["namespace"], manifest, **options)
    elif kind == "RoleBinding":
        client.RbacAuthorizationV1Api(api).patch_namespaced_role_binding(
            name, manifest["metadata"]["namespace"], manifest, **options)
    else:
        raise ValueError(f"the sandbox does not seed {kind} objects")


def _not_established(extensions, timeout=30):
    """Names of the sandbox's CRDs that are not Established after ``timeout`` seconds."""
    wanted = {path.name[:-len(".yaml")] for path in CRD_DIR.glob("*.yaml")}
    deadline = time.monotonic() + timeout
    while True:
        pending = set(wanted)
        for crd in extensions.list_custom_resource_definition().items:
            if any(c.type == "Established" and c.status == "True" for c in (crd.status.conditions or [])):
                pending.discard(crd.metadata.name)
        if not pending or time.monotonic() > deadline:
            return sorted(pending)
        time.sleep(0.2)


def _grant_limited_identity(api):
    """The limited identity may do anything in its own namespace and nothing elsewhere.

    (The built-in ``edit`` role is empty here: aggregating it is the job of a controller the
    sandbox does not run.)"""
    _apply(api, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": LIMITED_NAMESPACE}})
    _apply(api, {
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
        "metadata": {"name": "sandbox-limited", "namespace": LIMITED_NAMESPACE},
        "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}],
    })
    _apply(api, {
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": {"name": "sandbox-limited", "namespace": LIMITED_NAMESPACE},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "sandbox-limited"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": tls.LIMITED_USER}],
    })
