"""The recording proxy (:mod:`sandbox.proxy`) wired in front of each sandbox service.

- ``kube(kubeconfig, directory)``: in front of the kube-apiserver that ``kubeconfig`` names,
  serving TLS with the kube-apiserver's own certificate; ``proxy.kubeconfig`` is a copy of
  ``kubeconfig`` (written to ``directory``) whose server is the proxy.
- ``OpenStack(clouds_yaml, directory)``: a Keystone proxy and a Neutron proxy.  The Keystone one
  rewrites the catalog, so clients find Neutron through the Neutron proxy: each service's counts
  are its own.  ``.clouds_yaml`` is a copy of ``clouds_yaml`` whose clouds authenticate there.
- ``keycloak(url)``: in front of Keycloak.
"""

import contextlib
from pathlib import Path

import yaml

from sandbox.openstack import settings as openstack_settings
from sandbox.paths import STATE_DIR
from sandbox.proxy import RecordingProxy

KUBE_CERT = STATE_DIR / "kube" / "server.crt"
KUBE_KEY = STATE_DIR / "kube" / "server.key"


def _write_private(path, data):
    path = Path(path)
    path.write_text("")
    path.chmod(0o600)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return str(path)


def _current_cluster(config):
    context_name = config.get("current-context")
    context = next(c["context"] for c in config["contexts"] if c["name"] == context_name)
    return next(c["cluster"] for c in config["clusters"] if c["name"] == context["cluster"])


def write_kubeconfig(source, server, dest):
    """Copy the kubeconfig ``source`` to ``dest`` with ``server`` for its current cluster; file paths made absolute."""
    source = Path(source)
    config = yaml.safe_load(source.read_text())
    _current_cluster(config)["server"] = server
    sections = [c["cluster"] for c in config.get("clusters") or []] + [u["user"] for u in config.get("users") or []]
    for section in sections:
        for key in ("certificate-authority", "client-certificate", "client-key", "tokenFile"):
            if section.get(key):
                section[key] = str((source.parent / section[key]).resolve())
    return _write_private(dest, config)


@contextlib.contextmanager
def kube(kubeconfig, directory):
    """A proxy in front of the kubeconfig's kube-apiserver; ``proxy.kubeconfig`` names the proxy."""
    config = yaml.safe_load(Path(kubeconfig).read_text())
    cluster = _current_cluster(config)
    ca_file = (Path(kubeconfig).parent / cluster["certificate-authority"]).resolve()
    with RecordingProxy(cluster["server"], ca_file=str(ca_file), cert_file=str(KUBE_CERT), key_file=str(KUBE_KEY),
                        errors="kube") as proxy:
        proxy.kubeconfig = write_kubeconfig(kubeconfig, proxy.url, Path(directory) / "kubeconfig")
        yield proxy


def keycloak(url):
    """A proxy in front of Keycloak at ``url`` (use it as a context manager)."""
    return RecordingProxy(url, errors="keycloak", rewrite_bodies=True)


def _base(url):
    return "/".join(url.split("/")[:3])


class OpenStack:
    """Proxies in front of Keystone and Neutron, and a clouds.yaml that goes through them."""

    def __init__(self, clouds_yaml, directory):
        self.source = Path(clouds_yaml)
        self.directory = Path(directory)
        self.neutron = RecordingProxy(_base(openstack_settings.NEUTRON_URL), errors="neutron", rewrite_bodies=True)
        self.keystone = None
        self.clouds_yaml = None

    def __enter__(self):
        self.neutron.start()
        self.keystone = RecordingProxy(_base(openstack_settings.KEYSTONE_URL), errors="keystone", rewrite_bodies=True,
                                       links={_base(openstack_settings.NEUTRON_URL): self.neutron.url}).start()
        clouds = yaml.safe_load(self.source.read_text())
        for cloud in clouds["clouds"].values():
            cloud["auth"]["auth_url"] = self.keystone.rewrite(cloud["auth"]["auth_url"].encode()).decode()
        self.clouds_yaml = _write_private(self.directory / "clouds.yaml", clouds)
        return self

    def __exit__(self, *exc_info):
        for proxy in (self.keystone, self.neutron):
            if proxy:
                proxy.stop()

    def counts(self):
        """``{"keystone": {...}, "neutron": {...}}``: each proxy's counts."""
        return {"keystone": self.keystone.counts(), "neutron": self.neutron.counts()}

    @contextlib.contextmanager
    def measure(self):
        """Yield a dict that, on exit, holds each service's requests received meanwhile."""
        served = {}
        with self.keystone.measure() as keystone, self.neutron.measure() as neutron:
            yield served
        served.update(keystone=keystone, neutron=neutron)
