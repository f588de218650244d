"""The per-cluster deploy key: made once, read back the same, another tool's Secret refused, the private key masked."""

import base64

import pytest

from ansible_collections.azimuth.ops.plugins.module_utils.caas import _caas_deploy_key as dk
from ansible_collections.azimuth.ops.plugins.module_utils.common._module import ModuleError
from ansible_collections.azimuth.ops.plugins.module_utils.common._naming import ADOPTED_ANNOTATION

from ansible_collections.azimuth.ops.tests.unit.plugins.module_utils.kube_fakes import Kube, secret

PUBLIC, PRIVATE = dk.make_key_pair()
OURS = {"app.kubernetes.io/managed-by": "azimuth-ops", "caas.azimuth.stackhpc.com/cluster-name": "c1"}


def key(kube, check_mode=False, adopt=False):
    deploy_key = dk.DeployKey(kube, "az-demo", "c1", check_mode, adopt=adopt, labels={"caas.azimuth.stackhpc.com/cluster-name": "c1"})
    deploy_key.read()
    return deploy_key


def stored(labels):
    return secret("c1-deploy-key", "az-demo", {dk.PUBLIC_KEY: PUBLIC + "\n", dk.PRIVATE_KEY: PRIVATE}, labels=labels)


def test_a_new_key_is_an_ed25519_pair_stored_with_the_collections_labels():
    kube = Kube()
    deploy_key = key(kube)
    public, private = deploy_key.ensure()
    assert public.startswith("ssh-ed25519 ") and private.startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    [(action, namespace, body)] = kube.writes
    assert (action, namespace, body["metadata"]["name"]) == ("create", "az-demo", "c1-deploy-key")
    assert body["metadata"]["labels"] == {"app.kubernetes.io/managed-by": "azimuth-ops", "caas.azimuth.stackhpc.com/cluster-name": "c1"}
    assert dict((k, base64.b64decode(v).decode()) for k, v in body["data"].items()) == {"id_ed25519.pub": public, "id_ed25519": private}
    assert deploy_key.changed and private in deploy_key.secrets.values
    assert base64.b64encode(private.encode()).decode() in deploy_key.secrets.values


def test_check_mode_makes_a_key_for_the_run_and_stores_nothing():
    kube = Kube()
    deploy_key = key(kube, check_mode=True)
    assert deploy_key.ensure()[0].startswith("ssh-ed25519 ") and deploy_key.changed and kube.writes == []


def test_the_stored_key_is_used_unchanged():
    kube = Kube(secrets=[stored(OURS)])
    deploy_key = key(kube)
    assert deploy_key.ensure() == (PUBLIC, PRIVATE)
    assert not deploy_key.changed and kube.writes == []
    assert stored(OURS)["data"][dk.PRIVATE_KEY] in deploy_key.secrets.values
    assert all(line in deploy_key.secrets.values for line in PRIVATE.splitlines()[1:-1])


def test_a_lost_label_is_put_back_and_the_key_kept():
    kube = Kube(secrets=[stored({"app.kubernetes.io/managed-by": "azimuth-ops"})])
    deploy_key = key(kube)
    assert deploy_key.ensure() == (PUBLIC, PRIVATE) and deploy_key.changed
    [(action, _namespace, patch)] = kube.writes
    assert action == "patch" and patch["metadata"]["labels"] == {"caas.azimuth.stackhpc.com/cluster-name": "c1"} and "data" not in patch


@pytest.mark.parametrize("labels, owner", [
    ({"app.kubernetes.io/managed-by": "Helm"}, "managed by Helm"),
    ({"azimuth-caas-cluster": "c1"}, "managed by azimuth-caas-operator (label azimuth-caas-cluster), not by azimuth-ops; "
                                     "it is not the collection's to change; set adopt: true to take it over"),
    ({}, "without a label app.kubernetes.io/managed-by"),
])
def test_another_tools_secret_is_refused_naming_it(labels, owner):
    with pytest.raises(ModuleError) as caught:
        key(Kube(secrets=[stored(labels)]))
    assert owner in str(caught.value) and "az-demo/c1-deploy-key" in str(caught.value)


def test_adopt_takes_over_the_operators_key_and_keeps_it():
    kube = Kube(secrets=[stored({"azimuth-caas-cluster": "c1"})])
    deploy_key = key(kube, adopt=True)
    assert deploy_key.ensure() == (PUBLIC, PRIVATE) and deploy_key.changed
    [(action, _namespace, patch)] = kube.writes
    assert action == "patch" and patch["metadata"]["annotations"] == {ADOPTED_ANNOTATION: "azimuth-caas-operator"}
    assert patch["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "azimuth-ops"
    with pytest.raises(ModuleError):
        key(Kube(secrets=[stored({"app.kubernetes.io/managed-by": "Helm"})]), adopt=True)


def test_a_secret_without_the_keys_is_refused():
    kube = Kube(secrets=[secret("c1-deploy-key", "az-demo", {"other": "x"})])
    with pytest.raises(ModuleError) as caught:
        key(kube).ensure()
    assert "id_ed25519.pub and id_ed25519" in str(caught.value)


def test_remove_deletes_only_the_secret_read():
    kube = Kube(secrets=[stored(OURS)])
    assert key(kube).remove() and kube.writes == [("delete", "az-demo", "u-1")]
    assert not key(Kube()).remove()
