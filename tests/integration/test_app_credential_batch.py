"""azimuth.ops.app_credential's ``credentials`` and azimuth.ops.project_info's ``clouds``: many tenancies in one call,
each through its own cloud, against the sandbox's Keystone and kube-apiserver."""

import base64

import yaml

from sandbox.proxy import writes

from .conftest import localhost_play, save_results

SECRET = "default-openstack-credential"


def batch(run_playbook, env, entries, *args, ignore_errors=False, **options):
    """Run app_credential once over ``entries``; return (run, module result)."""
    arguments = dict(name="portal", credentials=entries)
    arguments.update(options)
    task = {"name": "Application credentials", "azimuth.ops.app_credential": arguments, "register": "result"}
    if ignore_errors:
        task["ignore_errors"] = True
    run = run_playbook([localhost_play([task, dict(save_results("result"), check_mode=False)])], *args, env=env)
    return run, run.results


def entries_of(tenants, **own):
    return [dict(cloud=tenant["cloud"], secret={"namespace": tenant["namespace"]}, **own) for tenant in tenants]


def held(kube_core, tenant):
    """The credential ID and secret the tenant's Secret holds, or (None, None)."""
    from kubernetes.client.rest import ApiException
    try:
        secret = kube_core.read_namespaced_secret(SECRET, tenant["namespace"])
    except ApiException as exc:
        if exc.status == 404:
            return None, None
        raise
    auth = yaml.safe_load(base64.b64decode(secret.data["clouds.yaml"]).decode())["clouds"]["openstack"]["auth"]
    return auth["application_credential_id"], auth["application_credential_secret"]


def credential_ids(admin, tenant):
    return sorted(c.id for c in admin.identity.application_credentials(tenant["user"].id))


def test_create_recreate_modify_delete_many_in_one_call(run_playbook, kube_env, kube_requests, kube_core, openstack_admin, tenants):
    def step(*args, entries=None, **options):
        run, result = batch(run_playbook, kube_env, entries or entries_of(tenants), *args, **options)
        assert run.ok, run.output
        assert len(result["credentials"]) == len(tenants)
        return result

    # create: check mode predicts each, writes nothing
    result = step("--check")
    assert result["changed"] and all(item["rotated"] and item["credential"]["id"] is None for item in result["credentials"])
    assert all(held(kube_core, t) == (None, None) and credential_ids(openstack_admin, t) == [] for t in tenants)
    result = step()
    assert result["changed"]
    for tenant, item in zip(tenants, result["credentials"]):
        assert item["project"]["id"] == tenant["project"].id and item["secret"]["namespace"] == tenant["namespace"]
        assert held(kube_core, tenant)[0] == item["credential"]["id"]
        assert credential_ids(openstack_admin, tenant) == [item["credential"]["id"]]
    first = [credential_ids(openstack_admin, t) for t in tenants]
    # re-create: nothing to do, nothing written
    assert not step("--check")["changed"]
    with kube_requests.measure() as served:
        result = step("--diff")
    assert not result["changed"] and writes(served) == {}
    assert result["diff"]["before"] == result["diff"]["after"] and len(result["diff"]["after"]) == len(tenants)
    assert [credential_ids(openstack_admin, t) for t in tenants] == first
    # modify one entry's roles: only that tenancy's credential is replaced
    entries = entries_of(tenants)
    entries[1]["roles"] = ["reader"]
    result = step("--check", entries=entries)
    assert [item["changed"] for item in result["credentials"]] == [False, True, False]
    assert [credential_ids(openstack_admin, t) for t in tenants] == first
    result = step(entries=entries)
    assert [item["changed"] for item in result["credentials"]] == [False, True, False]
    assert result["credentials"][1]["deleted_credentials"] == first[1]
    assert credential_ids(openstack_admin, tenants[1]) == [held(kube_core, tenants[1])[0]] != first[1]
    # delete (the task's state, for every entry)
    result = step("--check", state="absent")
    assert result["changed"] and all(held(kube_core, t)[0] for t in tenants)
    result = step(state="absent")
    assert result["changed"]
    assert all(held(kube_core, t) == (None, None) and credential_ids(openstack_admin, t) == [] for t in tenants)
    assert not step("--check", state="absent")["changed"]
    assert not step(state="absent")["changed"]


def test_namespaces_by_project_and_no_secret_in_output(run_playbook, kube_env, kube_requests, kube_core, openstack_admin, tenants):
    entries = [dict(cloud=tenant["cloud"]) for tenant in tenants]
    namespaces = dict((tenant["project"].id, tenant["namespace"]) for tenant in tenants)
    run, result = batch(run_playbook, kube_env, entries, "--diff", "-vvv", namespaces=namespaces)
    assert run.ok, run.output
    assert [item["secret"]["namespace"] for item in result["credentials"]] == [t["namespace"] for t in tenants]
    for tenant in tenants:
        secret = held(kube_core, tenant)[1]
        for value in (secret, tenant["password"]):
            assert value not in run.output and base64.b64encode(value.encode()).decode() not in run.output
    # messages and results still name the projects (only the secrets inside the clouds are masked)
    assert all(tenant["name"] in run.output for tenant in tenants)


def test_a_bad_entry_fails_alone_and_says_which(run_playbook, kube_env, kube_requests, kube_core, openstack_admin, tenants):
    entries = entries_of(tenants)
    wrong = dict(tenants[1]["cloud"], auth=dict(tenants[1]["cloud"]["auth"], password="not-the-password"))
    entries[1]["cloud"] = wrong
    run, result = batch(run_playbook, kube_env, entries, ignore_errors=True)
    assert result["failed"] and result["changed"], result
    assert "Could not ensure 1 of 3 application credentials" in result["msg"]
    assert "credentials[1] (project %s)" % tenants[1]["name"] in result["msg"]
    assert "not-the-password" not in run.output and tenants[1]["password"] not in run.output
    assert held(kube_core, tenants[1]) == (None, None) and credential_ids(openstack_admin, tenants[1]) == []
    assert result["credentials"][1] is None
    made = [result["credentials"][index]["credential"]["id"] for index in (0, 2)]
    assert [held(kube_core, t)[0] for t in (tenants[0], tenants[2])] == made


def test_two_entries_for_one_secret_are_refused_before_any_write(run_playbook, kube_env, kube_requests, kube_core, openstack_admin, tenants):
    entries = entries_of(tenants[:1]) * 2 + [dict(cloud=tenants[1]["cloud"], secret={"namespace": "x"}, colour="blue")]
    run, result = batch(run_playbook, kube_env, entries, ignore_errors=True)
    assert result["failed"] and not result["changed"], result
    assert "credentials[2] (project %s): unknown option colour" % tenants[1]["name"] in result["msg"]
    del entries[2]["colour"]
    with kube_requests.measure() as served:
        run, result = batch(run_playbook, kube_env, entries[:2], ignore_errors=True)
    assert result["failed"] and not result["changed"], result
    assert "the Secret %s/%s is also written by credentials[1]" % (tenants[0]["namespace"], SECRET) in result["msg"]
    assert writes(served) == {} and credential_ids(openstack_admin, tenants[0]) == []


def test_project_info_of_many_clouds(run_playbook, kube_env, tenants):
    wrong = dict(tenants[2]["cloud"], auth=dict(tenants[2]["cloud"]["auth"], password="not-the-password"))
    task = {"azimuth.ops.project_info": {"clouds": [t["cloud"] for t in tenants[:2]]}, "register": "result"}
    run = run_playbook([localhost_play([task, save_results("result")])], env=kube_env)
    assert run.ok, run.output
    assert [item["project"]["id"] for item in run.results["projects"]] == [t["project"].id for t in tenants[:2]]
    assert [item["user"]["name"] for item in run.results["projects"]] == [t["name"] for t in tenants[:2]]
    assert all(item["roles"] == ["member", "reader"] for item in run.results["projects"])
    task["azimuth.ops.project_info"]["clouds"] = [tenants[0]["cloud"], wrong]
    task["ignore_errors"] = True
    run = run_playbook([localhost_play([task, save_results("result")])], env=kube_env)
    assert run.results["failed"]
    assert "Could not read the scope of 1 of 2 clouds: clouds[1] (project %s)" % tenants[2]["name"] in run.results["msg"]
    assert "not-the-password" not in run.output and tenants[2]["password"] not in run.output
