"""The sandbox's ``tofu`` with real plugins, offline: ``terraform-provider-openstack`` from the
filesystem mirror against Keystone and Neutron, and the engine's ``kubernetes`` state backend
against the real kube-apiserver."""

import base64
import contextlib
import gzip
import json
import os
import subprocess

import pytest

from sandbox.tofu import PROVIDER_NAMESPACE, PROVIDER_TYPE, PROVIDER_VERSION, mirror_dir, provider_binary

OPENSTACK_CONFIG = """
terraform {
  required_providers {
    openstack = {
      source  = "%(namespace)s/%(type)s"
      version = "%(version)s"
    }
  }
}

# Authentication comes from OS_CLOUD and OS_CLIENT_CONFIG_FILE.
provider "openstack" {}

variable "name" {
  type = string
}

resource "openstack_networking_network_v2" "this" {
  name = var.name
}

resource "openstack_networking_subnet_v2" "this" {
  name       = var.name
  network_id = openstack_networking_network_v2.this.id
  cidr       = "10.43.0.0/24"
}
"""

KUBERNETES_CONFIG = """
terraform {
  backend "kubernetes" {
    secret_suffix = "%(suffix)s"
    namespace     = "%(namespace)s"
    config_path   = "%(kubeconfig)s"
  }
}

resource "terraform_data" "this" {
  input = "%(suffix)s"
}
"""


def tofu(env, cwd, *args):
    """Run ``tofu``; its stdout, after asserting it succeeded."""
    result = subprocess.run(["tofu", *args], env=env, cwd=cwd, capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, f"tofu {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _installed_from_mirror(workdir):
    """True when ``init`` linked the provider from the sandbox's mirror into the working directory."""
    installed = provider_binary().parent
    linked = workdir / ".terraform" / "providers" / installed.relative_to(mirror_dir())
    return linked.resolve() == installed


def _planned_creates(env, workdir, plan):
    changes = json.loads(tofu(env, workdir, "show", "-json", plan))["resource_changes"]
    return sorted(c["type"] for c in changes if c["change"]["actions"] == ["create"])


def test_openstack_network_init_plan_apply_destroy(sandbox_env, openstack_demo, unique_name, tmp_path):
    env = dict(os.environ, **sandbox_env, OS_CLOUD="sandbox-demo")
    (tmp_path / "main.tf").write_text(OPENSTACK_CONFIG % {
        "namespace": PROVIDER_NAMESPACE, "type": PROVIDER_TYPE, "version": PROVIDER_VERSION})
    name = f"-var=name={unique_name}"
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(_delete_network, openstack_demo, unique_name)
        tofu(env, tmp_path, "init", "-input=false", "-no-color")
        assert _installed_from_mirror(tmp_path)
        tofu(env, tmp_path, "plan", "-input=false", "-no-color", name, "-out=tfplan")
        assert _planned_creates(env, tmp_path, "tfplan") == [
            "openstack_networking_network_v2", "openstack_networking_subnet_v2"]
        tofu(env, tmp_path, "apply", "-auto-approve", "-input=false", "-no-color", "tfplan")

        network = openstack_demo.network.find_network(unique_name)
        assert network is not None
        subnets = list(openstack_demo.network.subnets(network_id=network.id))
        assert [(s.name, s.cidr) for s in subnets] == [(unique_name, "10.43.0.0/24")]

        tofu(env, tmp_path, "destroy", "-auto-approve", "-input=false", "-no-color", name)
        assert openstack_demo.network.find_network(unique_name) is None


def _delete_network(conn, name):
    """Remove what a failed run left behind (the network's subnets go with it)."""
    network = conn.network.find_network(name)
    if network is not None:
        conn.network.delete_network(network)


@pytest.fixture
def kube_namespace(sandbox_env, unique_name):
    """A namespace of this test's own in the real kube-apiserver, deleted afterwards."""
    if "KUBECONFIG" not in sandbox_env:
        pytest.skip("the kube service is not part of this sandbox")
    import kubernetes  # pylint: disable=import-outside-toplevel  (slow import)

    api = kubernetes.config.new_client_from_config(config_file=sandbox_env["KUBECONFIG"])
    core = kubernetes.client.CoreV1Api(api)
    core.create_namespace({"metadata": {"name": unique_name}})
    yield api, unique_name
    core.delete_namespace(unique_name)
    api.close()


def _state(api, namespace, suffix):
    """The state the backend keeps in its Secret (gzipped JSON)."""
    import kubernetes  # pylint: disable=import-outside-toplevel

    secret = kubernetes.client.CoreV1Api(api).read_namespaced_secret(f"tfstate-default-{suffix}", namespace)
    return json.loads(gzip.decompress(base64.b64decode(secret.data["tfstate"])))


def test_kubernetes_backend_state_secret_and_lease(sandbox_env, kube_namespace, tmp_path):
    import kubernetes  # pylint: disable=import-outside-toplevel

    api, namespace = kube_namespace
    suffix = namespace
    env = dict(os.environ, **sandbox_env)
    (tmp_path / "main.tf").write_text(KUBERNETES_CONFIG % {
        "suffix": suffix, "namespace": namespace, "kubeconfig": sandbox_env["KUBECONFIG"]})
    tofu(env, tmp_path, "init", "-input=false", "-no-color")
    tofu(env, tmp_path, "apply", "-auto-approve", "-input=false", "-no-color")

    assert [r["type"] for r in _state(api, namespace, suffix)["resources"]] == ["terraform_data"]
    assert not (tmp_path / "terraform.tfstate").exists()
    lease = kubernetes.client.CoordinationV1Api(api).read_namespaced_lease(
        f"lock-tfstate-default-{suffix}", namespace)
    assert not lease.spec.holder_identity, "the lock is released after apply"

    tofu(env, tmp_path, "destroy", "-auto-approve", "-input=false", "-no-color")
    assert _state(api, namespace, suffix)["resources"] == []
