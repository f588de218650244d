"""A client secret per tenancy: digests salted per realm, and the Secret in the tenancy's namespace."""

import base64

import pytest

from ansible_collections.azimuth.ops.plugins.module_utils import _idp_secret as idp_secret
from ansible_collections.azimuth.ops.plugins.module_utils._module import ModuleError

TENANCY = {"id": "T-1", "name": "Physics"}
CLIENT = {"client-id": "keycloak-oidc", "issuer-url": "https://portal.example.org/authproxy/T-1",
          "redirect-uri": "https://kc.example.org/realms/az-physics/broker/azimuth/endpoint"}


def namespace(name, tenancy_label="t-1", **metadata):
    return {"metadata": dict({"name": name, "labels": {"tenant.azimuth-cloud.io/id": tenancy_label}}, **metadata)}


def secret(ns, data, labels=None):
    encoded = dict((k, base64.b64encode(v.encode()).decode()) for k, v in data.items())
    return {"type": "Opaque", "data": encoded,
            "metadata": {"name": idp_secret.SECRET_NAME, "namespace": ns, "uid": "u-1", "resourceVersion": "7",
                         "labels": labels if labels is not None else {"app.kubernetes.io/managed-by": "azimuth-ops",
                                                                      "tenant.azimuth-cloud.io/id": "t-1"}}}


class Kube:
    """The Kubernetes calls the Secrets need, over lists held in memory; records writes."""

    def __init__(self, namespaces=(), secrets=()):
        self.namespaces, self.secrets, self.writes = list(namespaces), list(secrets), []

    def list_namespaces(self, label_selector):
        return [n for n in self.namespaces if label_selector in n["metadata"]["labels"]]

    def list_secrets(self, name, label_selector=None):
        return [s for s in self.secrets if s["metadata"]["name"] == name]

    def read_secret(self, ns, name):
        return next((s for s in self.secrets if s["metadata"]["namespace"] == ns), None)

    def create_secret(self, ns, body):
        self.writes.append(("create", ns, body))

    def patch_secret(self, ns, name, patch):
        self.writes.append(("patch", ns, patch))

    def delete_secret(self, ns, name, uid=None):
        self.writes.append(("delete", ns, uid))
        return True


def planned(kube, rotate=False, check_mode=False):
    secrets = idp_secret.IdpSecrets(kube, check_mode)
    secrets.read()
    return secrets, secrets.plan(TENANCY, CLIENT, rotate)


def test_digests_are_salted_per_realm_and_tell_a_changed_secret():
    one, two = idp_secret.digest("s3cret"), idp_secret.digest("s3cret")
    assert one != two and "s3cret" not in one
    assert idp_secret.digest_matches(one, "s3cret") and idp_secret.digest_matches(two, "s3cret")
    assert not idp_secret.digest_matches(one, "other")
    for stored in (None, "", "abc", "hmac-sha256::x", "pbkdf2:aa:bb", 42):
        assert not idp_secret.digest_matches(stored, "s3cret")


def test_generated_secrets_are_long_and_new_each_time():
    first, second = idp_secret.generate(), idp_secret.generate()
    assert first != second and len(first) >= 80


def test_a_new_tenancy_gets_a_generated_secret_in_its_namespace():
    kube = Kube([namespace("az-physics")])
    secrets, plan = planned(kube)
    assert plan["changed"] and plan["current"] is None and plan["writer"].key == "az-physics/azimuth-idp-client"
    secrets.write(plan)
    kind, ns, body = kube.writes[0]
    assert (kind, ns) == ("create", "az-physics")
    assert base64.b64decode(body["data"]["client-secret"]).decode() == plan["secret"]
    assert body["metadata"]["labels"] == {"app.kubernetes.io/managed-by": "azimuth-ops", "tenant.azimuth-cloud.io/id": "t-1"}
    before, after = secrets.view(plan)
    assert before is None and after["data"]["client-secret"] == "********" and after["data"]["client-id"] == "keycloak-oidc"
    assert plan["secret"] in secrets.sensitive() and body["data"]["client-secret"] in secrets.sensitive()


def test_a_kept_secret_is_reused_and_nothing_is_written():
    kube = Kube([namespace("az-physics")], [secret("az-physics", dict(CLIENT, **{"client-secret": "kept-secret"}))])
    secrets, plan = planned(kube)
    assert plan["secret"] == "kept-secret" and not plan["changed"]


def test_a_rotation_makes_a_new_secret_and_shows_it_changed():
    kube = Kube([namespace("az-physics")], [secret("az-physics", dict(CLIENT, **{"client-secret": "kept-secret"}))])
    secrets, plan = planned(kube, rotate=True)
    assert plan["changed"] and plan["secret"] != "kept-secret"
    assert secrets.view(plan)[1]["data"]["client-secret"] == "******** (changed)"
    secrets.write(plan)
    assert kube.writes[0][0] == "patch" and set(kube.writes[0][2]["data"]) == {"client-secret"}


def test_a_secret_another_tool_manages_is_refused_while_planning():
    kube = Kube([namespace("az-physics")], [secret("az-physics", {"client-secret": "x"}, {"app.kubernetes.io/managed-by": "Helm"})])
    with pytest.raises(ModuleError, match="managed by Helm"):
        planned(kube)
    assert kube.writes == []


def test_the_namespace_is_the_one_labelled_with_the_tenancy_id():
    with pytest.raises(ModuleError, match="no namespace is labelled tenant.azimuth-cloud.io/id=t-1"):
        planned(Kube([namespace("az-physics", tenancy_label="other")]))
    with pytest.raises(ModuleError, match="namespaces az-a and az-b are all labelled"):
        planned(Kube([namespace("az-a"), namespace("az-b")]))
    with pytest.raises(ModuleError, match="being deleted"):
        planned(Kube([namespace("az-physics", deletionTimestamp="2026-12-06T00:00:00Z")]))
    renamed = Kube([namespace("az-old-name")])
    assert planned(renamed)[1]["writer"].namespace == "az-old-name"


def test_check_mode_without_a_namespace_predicts_the_one_the_tenancy_module_makes():
    secrets, plan = planned(Kube(), check_mode=True)
    assert plan["writer"].namespace == "az-physics" and plan["changed"]
    assert "no namespace is labelled" in secrets.warnings[0]


def test_a_deleted_tenancy_loses_its_secret_only_when_it_is_ours():
    kube = Kube([namespace("az-physics")], [secret("az-physics", {"client-secret": "x"})])
    secrets = idp_secret.IdpSecrets(kube)
    secrets.read()
    plan = secrets.plan_delete(TENANCY)
    secrets.write(plan)
    assert kube.writes == [("delete", "az-physics", "u-1")] and secrets.view(plan)[1] is None
    without = idp_secret.IdpSecrets(Kube([namespace("az-physics")]))
    without.read()
    assert without.plan_delete(TENANCY) is None
    foreign = idp_secret.IdpSecrets(Kube([namespace("az-physics")], [secret("az-physics", {}, {"app.kubernetes.io/managed-by": "Helm"})]))
    foreign.read()
    with pytest.raises(ModuleError, match="managed by Helm"):
        foreign.plan_delete(TENANCY)
