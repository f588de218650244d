"""The azimuth.ops.identity role through real ansible-playbook runs against the sandbox's Keycloak."""

import pytest

from .conftest import localhost_play, save_results
# fixtures, used by name
from .keycloak_support import keycloak, keycloak_env, keycloak_requests  # noqa: F401  # pylint: disable=unused-import

IDP = {"issuer": "https://portal.example.org/authproxy/{tenancy_id}", "client_id": "keycloak-oidc",
       "client_secret": "role-idp-secret-Pq2wE9", "client_secret_scope": "shared"}


def play(unique_name, **variables):
    role_vars = dict(
        identity_tenancies=[{"id": "id-1-" + unique_name, "name": unique_name + "-one"},
                            {"id": "id-2-" + unique_name, "name": unique_name + "-two", "oidc_group": "/%s-team" % unique_name}],
        identity_azimuth_idp=IDP,
        identity_authentication_type="oidc",
        identity_users_realm=unique_name + "-users",
        identity_portal_host="portal.example.org",
        identity_realm_attributes={"test.instance": unique_name},
    )
    role_vars.update(variables)
    saved = "{'realms': identity_realms, 'users': identity_users_realm_result, 'tenancy': identity_tenancy_realms_result}"
    tasks = [{"name": "Identity", "ansible.builtin.include_role": {"name": "azimuth.ops.identity"}, "vars": role_vars},
             dict(save_results(saved), check_mode=False)]
    return [localhost_play(tasks)]


@pytest.fixture
def namespaces(kube_core, kube_requests, unique_name):
    """The tenancies' namespaces, as the tenancies role makes them (deleted afterwards by ``kube_requests``)."""
    for number, suffix in (("1", "one"), ("2", "two")):
        kube_core.create_namespace({"metadata": {"name": "az-%s-%s" % (unique_name, suffix), "labels": {
            "tenant.azimuth-cloud.io/id": "id-%s-%s" % (number, unique_name), "app.kubernetes.io/managed-by": "azimuth-ops"}}})


@pytest.mark.usefixtures("namespaces")
def test_realms_for_the_tenancies_and_the_users_realm_in_oidc_mode(run_playbook, keycloak_env, keycloak, unique_name):
    run = run_playbook(play(unique_name), "--check", env=keycloak_env)
    assert run.ok, run.output
    assert run.results["realms"] == {"id-1-" + unique_name: "az-%s-one" % unique_name,
                                     "id-2-" + unique_name: "az-%s-two" % unique_name}
    assert "az-%s-one" % unique_name not in keycloak.realms()
    run = run_playbook(play(unique_name), env=keycloak_env)
    assert run.ok, run.output
    assert {"az-%s-one" % unique_name, "az-%s-two" % unique_name, unique_name + "-users"} <= set(keycloak.realms())
    assert [g["group"] for g in run.results["users"]["groups"]] == ["/%s-one" % unique_name, "/%s-team" % unique_name]
    assert "role-idp-secret-Pq2wE9" not in run.output
    run = run_playbook(play(unique_name), env=keycloak_env)
    assert run.ok, run.output
    assert not run.results["users"]["changed"] and not run.results["tenancy"]["changed"]


def test_the_role_says_what_is_missing(run_playbook, keycloak_env, unique_name):
    run = run_playbook(play(unique_name, identity_azimuth_idp={}, identity_tenancy_realms=True), env=keycloak_env)
    assert not run.ok
    assert "The tenancy realms need identity_azimuth_idp (issuer, client_id)" in run.output
