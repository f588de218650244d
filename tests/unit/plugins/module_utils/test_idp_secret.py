"""A client secret per tenancy: digests salted per realm, and the Secret in the tenancy's namespace."""

import base64
import functools

import pytest

from ansible_collections.azimuth.ops.plugins.module_utils.keycloak import _idp_secret as idp_secret
from ansible_collections.azimuth.ops.plugins.module_utils.common._module import ModuleError

from ansible_collections.azimuth.ops.tests.unit.plugins.module_utils.kube_fakes import Kube, namespace
from ansible_collections.azimuth.ops.tests.unit.plugins.module_utils.kube_fakes import secret as make_secret

TENANCY = {"id": "T-1", "name": "Physics"}
secret = functools.partial(make_secret, idp_secret.SECRET_NAME)
CLIENT = {"client-id": "keycloak-oidc", "issuer-url": "https://portal.example.org/authproxy/T-1",
          "redirect-uri": "https://kc.example.org/realms/az-physics/broker/azimuth/endpoint"}


def planned(kube, rotate=False):
    secrets = idp_secret.IdpSecrets(kube)
    secrets.read()
    return secrets, secrets.plan(TENANCY, "az-physics", CLIENT, rotate)


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
    assert plan["secret"] in secrets.secrets.values and body["data"]["client-secret"] in secrets.secrets.values


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


def test_a_deleted_tenancy_loses_its_secret_only_when_it_is_ours():
    kube = Kube([namespace("az-physics")], [secret("az-physics", {"client-secret": "x"})])
    secrets = idp_secret.IdpSecrets(kube)
    secrets.read()
    plan = secrets.plan_delete("az-physics")
    secrets.write(plan)
    assert kube.writes == [("delete", "az-physics", "u-1")] and secrets.view(plan)[1] is None
    without = idp_secret.IdpSecrets(Kube([namespace("az-physics")]))
    without.read()
    assert without.plan_delete("az-physics") is None
    foreign = idp_secret.IdpSecrets(Kube([namespace("az-physics")], [secret("az-physics", {}, {"app.kubernetes.io/managed-by": "Helm"})]))
    foreign.read()
    with pytest.raises(ModuleError, match="managed by Helm"):
        foreign.plan_delete("az-physics")
