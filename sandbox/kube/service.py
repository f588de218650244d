"""The Kubernetes API emulator as a sandbox service."""

import os
import shutil

from sandbox import apt, probe
from sandbox.kube import tls
from sandbox.paths import REPO_ROOT
from sandbox.service import Process, Service, python_module

DEFAULT_PORT = int(os.environ.get("AZIMUTH_OPS_KUBE_PORT", "6443"))


class KubeService(Service):
    """``python -m sandbox.kube`` on 127.0.0.1, with kubectl installed for people and tests."""

    name = "kube"
    host = "127.0.0.1"

    def __init__(self, port=DEFAULT_PORT):
        self.port = port

    @property
    def process(self):
        argv = python_module("sandbox.kube", "--state-dir", self.state_dir, "--host", self.host,
                             "--port", self.port)
        return Process("kube-apiserver", self.state_dir, argv, cwd=str(REPO_ROOT))

    @property
    def credentials(self):
        return tls.Credentials(self.state_dir)

    @property
    def kubeconfig(self):
        return self.credentials.kubeconfig

    @property
    def ca_file(self):
        return str(self.credentials.ca_cert)

    def address(self):
        return f"https://{self.host}:{self.port}"

    def install(self):
        if not shutil.which("kubectl"):
            apt.install(["kubernetes-client"])

    def prepare(self, fresh=False):
        if fresh:
            for name in ("state.json", "state.json.tmp"):
                (self.state_dir / name).unlink(missing_ok=True)
        tls.ensure(self.state_dir, self.host, self.port)

    def start(self):
        self.process.start()

    def is_up(self):
        return probe.ready(f"{self.address()}/readyz", ca_file=self.ca_file)

    def stop(self):
        self.process.stop()

    def env(self):
        return {"KUBECONFIG": str(self.kubeconfig)}
