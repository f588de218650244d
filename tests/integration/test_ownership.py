"""Nothing lost, nothing taken over: Secrets of other tools, concurrent runs, failed runs, credential entries.

Real ansible-playbook runs through this test's recording proxy (``kube_env``, ``kube_requests``) in
front of the sandbox's kube-apiserver, and real Keystone; every namespace is named after ``unique_name``.
"""

import base64
import concurrent.futures

from .conftest import localhost_play, save_results
from .test_app_credential import app_credential, credentials  # noqa: F401 pylint: disable=unused-import
from .test_tenancy import credential, names, namespace, tenancy  # noqa: F401 pylint: disable=unused-import

SECRET = "default-openstack-credential"
HELM = {"app.kubernetes.io/managed-by": "Helm"}


def helm_secret(kube_core, ns):
    """A Secret of the credential's name that Helm manages, with a key of its own."""
    body = {"metadata": {"name": SECRET, "labels": HELM}, "type": "Opaque", "data": {"values.yaml": base64.b64encode(b"x: 1").decode()}}
    return kube_core.create_namespaced_secret(ns, body)


def test_tenancy_refuses_a_secret_another_tool_manages(run_playbook, kube_env, kube_requests, kube_core, names):
    one = names("one")
    run, _result = tenancy(run_playbook, kube_env, [one])
    assert run.ok, run.output
    ns = "az-" + one["name"]
    before = helm_secret(kube_core, ns)
    with_credential = dict(one, credential=credential("never-written-Zq81"))
    for args in (("--check",), ()):
        with kube_requests.measure() as served:
            run, _result = tenancy(run_playbook, kube_env, [with_credential], *args, ignore_errors=True)
        assert ("the Secret %s/%s is managed by Helm (label app.kubernetes.io/managed-by=Helm), not by azimuth-ops; "
                "it is not the collection's to change" % (ns, SECRET)) in run.output, run.output
        assert not [route for route in served if not route.startswith("GET ")], served
    after = kube_core.read_namespaced_secret(SECRET, ns)
    assert after.metadata.resource_version == before.metadata.resource_version and after.data == before.data


def test_app_credential_refuses_a_secret_another_tool_manages(run_playbook, kube_env, kube_core, openstack_admin, tenant):
    before = helm_secret(kube_core, tenant["namespace"])
    for args, state in ((("--check",), "present"), ((), "present"), ((), "absent")):
        run, _result = app_credential(run_playbook, kube_env, tenant, *args, ignore_errors=True, state=state)
        assert "the Secret %s/%s is managed by Helm" % (tenant["namespace"], SECRET) in run.output, run.output
    assert credentials(openstack_admin, tenant) == []
    after = kube_core.read_namespaced_secret(SECRET, tenant["namespace"])
    assert after.metadata.resource_version == before.metadata.resource_version


def test_no_roles_mean_the_users_roles_and_do_not_rotate(run_playbook, kube_env, openstack_admin, tenant):
    run, result = app_credential(run_playbook, kube_env, tenant, roles=[])
    assert run.ok and result["rotated"], run.output
    assert result["credential"]["roles"] == ["member", "reader"]
    run, result = app_credential(run_playbook, kube_env, tenant, roles=[])
    assert run.ok and not result["changed"] and result["reason"] is None, result


def test_concurrent_runs_settle_on_the_same_namespaces(run_playbook, kube_env, kube_requests, kube_core, names):
    """Both runs read before either writes (here each usually creates every namespace, and one meets 409s)."""
    tenancies = [names("n%02d" % i) for i in range(12)]
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(lambda _: tenancy(run_playbook, kube_env, tenancies), range(2)))
    for run, _result in runs:
        assert run.ok, run.output
    for item in tenancies:
        assert namespace(kube_core, "az-" + item["name"]).metadata.labels["tenant.azimuth-cloud.io/id"] == item["id"]


def test_a_failed_run_reports_what_it_wrote(run_playbook, kube_env, kube_requests, kube_core, names):
    first, second = names("first"), names("second")
    run, _result = tenancy(run_playbook, kube_env, [first])
    assert run.ok, run.output
    kube_requests.inject_fault(count=5, status=500, method="POST", path_regex="^/api/v1/namespaces$")
    task = {"azimuth.ops.tenancy": {"tenancies": [dict(first, oidc_group="/first"), second]}, "register": "result", "ignore_errors": True}
    run = run_playbook([localhost_play([task, dict(save_results("result"), check_mode=False)])], env=kube_env)
    result = run.results
    assert result["failed"] and result["changed"], result
    assert result["msg"].startswith("Could not create namespace az-%s of tenancy %s (%s): HTTP 500 InternalError: injected fault"
                                    % (second["name"], second["name"], second["id"]))
    assert result["msg"].endswith("Written before this failure: patch namespace az-%s of tenancy %s (%s)"
                                  % (first["name"], first["name"], first["id"]))
    assert [(t["name"], t["changed"], t["created"]) for t in result["tenancies"]] == [(first["name"], True, False), (second["name"], False, False)]
    assert namespace(kube_core, "az-" + first["name"]).metadata.annotations["tenant.azimuth-cloud.io/oidc-group"] == "/first"


def test_the_tenancies_role_refuses_two_entries_for_one_project(run_playbook, kube_env, kube_requests, unique_name):
    play = localhost_play([{"ansible.builtin.include_role": {"name": "azimuth.ops.tenancies"}}], vars={
        "tenancies_app_credentials": [{"cloud": "sandbox-demo"}, {"cloud": "sandbox-demo", "name": unique_name}]})
    with kube_requests.measure() as served:
        run = run_playbook([play], env=kube_env)
    assert not run.ok
    assert "tenancies_app_credentials has more than one entry scoped to the project(s)" in run.output
    assert '"name": "demo"' in run.output and "give each project one entry" in run.output
    assert served == {}
