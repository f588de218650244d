"""azimuth.ops.app_credential through real ansible-playbook runs: real Keystone, the real kube-apiserver.

Each test gets its own project and user (created as the cloud admin), so the user's application
credentials are the test's alone, and its own namespace.
"""

import base64
import socket

import yaml

from sandbox.proxy import writes

from .conftest import AUTH_URL, localhost_play, save_results

SECRET = "default-openstack-credential"


def app_credential(run_playbook, env, tenant, *args, ignore_errors=False, **options):
    """Run the module once for ``tenant``; return (run, module result)."""
    arguments = dict(cloud=tenant["cloud"], name="portal", secret={"namespace": tenant["namespace"]})
    arguments.update(options)
    task = {"name": "Application credential", "azimuth.ops.app_credential": arguments, "register": "result"}
    if ignore_errors:
        task["ignore_errors"] = True
    run = run_playbook([localhost_play([task, dict(save_results("result"), check_mode=False)])], *args, env=env)
    return run, run.results


def credentials(admin, tenant):
    return sorted((c.id, c.name, tuple(sorted(r["name"] for r in c.roles))) for c in admin.identity.application_credentials(tenant["user"].id))


def stored(kube_core, tenant):
    """(clouds.yaml as a dict, the Secret's data as text, the Secret) or (None, None, None)."""
    from kubernetes.client.rest import ApiException
    try:
        secret = kube_core.read_namespaced_secret(SECRET, tenant["namespace"])
    except ApiException as exc:
        if exc.status == 404:
            return None, None, None
        raise
    data = dict((k, base64.b64decode(v).decode()) for k, v in secret.data.items())
    return yaml.safe_load(data["clouds.yaml"]), data, secret


def authenticates(clouds):
    """Whether Keystone accepts the clouds.yaml's application credential."""
    from keystoneauth1 import exceptions, session
    from keystoneauth1.identity import v3
    auth = clouds["clouds"]["openstack"]["auth"]
    try:
        session.Session(auth=v3.ApplicationCredential(**auth)).get_token()
    except exceptions.Unauthorized:
        return False
    return True


def test_create_recreate_modify_delete_with_and_without_check_mode(run_playbook, kube_env, kube_requests, kube_core, openstack_admin, tenant):
    def step(*args, **options):
        run, result = app_credential(run_playbook, kube_env, tenant, *args, **options)
        assert run.ok, run.output
        return result

    # create
    result = step("--check")
    assert result["changed"] and result["rotated"] and result["credential"]["id"] is None
    assert credentials(openstack_admin, tenant) == [] and stored(kube_core, tenant)[0] is None
    result = step()
    assert result["changed"] and result["rotated"]
    assert result["credential"]["roles"] == ["member", "reader"] and result["credential"]["name"] == "portal"
    clouds, data, secret = stored(kube_core, tenant)
    assert list(data) == ["clouds.yaml"]
    assert secret.metadata.labels == {"credential.azimuth-cloud.io/provider": "openstack", "app.kubernetes.io/managed-by": "azimuth-ops"}
    cloud = clouds["clouds"]["openstack"]
    assert cloud["auth_type"] == "v3applicationcredential" and cloud["identity_api_version"] == 3
    assert cloud["auth"]["auth_url"] == AUTH_URL and cloud["auth"]["application_credential_id"] == result["credential"]["id"]
    assert cloud["region_name"] == "RegionOne" and cloud["interface"] == "public"
    assert authenticates(clouds)
    first = credentials(openstack_admin, tenant)
    assert [c[0] for c in first] == [result["credential"]["id"]]
    # re-create
    result = step("--check")
    assert not result["changed"]
    result = step()
    assert not result["changed"] and credentials(openstack_admin, tenant) == first
    # modify: other roles mean a new credential; the old one goes once the Secret holds the new one
    result = step("--check", roles=["reader"])
    assert result["changed"] and result["rotated"] and "differs in roles" in result["reason"]
    assert credentials(openstack_admin, tenant) == first
    result = step(roles=["reader"])
    assert result["changed"] and result["deleted_credentials"] == [first[0][0]]
    second = credentials(openstack_admin, tenant)
    assert len(second) == 1 and second[0][2] == ("reader",) and second[0][1].startswith("portal-")
    clouds = stored(kube_core, tenant)[0]
    assert clouds["clouds"]["openstack"]["auth"]["application_credential_id"] == second[0][0] and authenticates(clouds)
    # delete
    result = step("--check", state="absent")
    assert result["changed"] and result["deleted_credentials"] == [second[0][0]]
    assert credentials(openstack_admin, tenant) == second and stored(kube_core, tenant)[0] is not None
    result = step(state="absent")
    assert result["changed"]
    assert credentials(openstack_admin, tenant) == [] and stored(kube_core, tenant)[0] is None
    result = step("--check", state="absent")
    assert not result["changed"]
    result = step(state="absent")
    assert not result["changed"]


def test_second_run_writes_nothing(run_playbook, kube_env, kube_requests, openstack_admin, tenant):
    options = dict(include_user_info=True, verify=True, description="the portal", expires_at="2031-01-31T12:00:00Z",
                   secret={"namespace": tenant["namespace"], "labels": {"example.org/a": "b"}, "annotations": {"example.org/c": "d"}})
    run, result = app_credential(run_playbook, kube_env, tenant, **options)
    assert run.ok, run.output
    assert result["credential"]["expires_at"] == "2031-01-31T12:00:00" and result["credential"]["description"] == "the portal"
    before = credentials(openstack_admin, tenant)
    expected = {"GET /api/v1/namespaces/%s/secrets/%s" % (tenant["namespace"], SECRET): 1}
    with kube_requests.measure() as served:
        run, result = app_credential(run_playbook, kube_env, tenant, "--diff", **options)
    assert run.ok, run.output
    assert not result["changed"] and not result["rotated"]
    assert writes(served) == {}
    assert served == expected, served
    assert credentials(openstack_admin, tenant) == before
    assert result["diff"]["before"] == result["diff"]["after"]


def test_user_info_and_cacert(run_playbook, kube_env, kube_requests, kube_core, tenant):
    ca_file = yaml.safe_load(open(kube_env["KUBECONFIG"]).read())["clusters"][0]["cluster"]["certificate-authority"]
    run, result = app_credential(run_playbook, kube_env, tenant, include_user_info=True, include_cacert=True, ca_cert=ca_file)
    assert run.ok, run.output
    data = stored(kube_core, tenant)[1]
    expected = {"project_id": tenant["project"].id, "project_name": tenant["name"], "username": tenant["name"], "user_id": tenant["user"].id}
    assert yaml.safe_load(data["user_info.yaml"]) == expected
    assert data["cacert"] == open(ca_file).read()
    # without them the keys go, and the credential stays
    run, again = app_credential(run_playbook, kube_env, tenant)
    assert run.ok and again["changed"] and not again["rotated"] and again["credential"]["id"] == result["credential"]["id"]
    assert list(stored(kube_core, tenant)[1]) == ["clouds.yaml"]


def test_the_credential_is_replaced_when_the_secret_or_the_credential_is_lost(run_playbook, kube_env, kube_requests, kube_core, openstack_admin, tenant):
    run, result = app_credential(run_playbook, kube_env, tenant)
    assert run.ok, run.output
    first = result["credential"]["id"]
    # the Secret is gone: a new credential, the old one deleted
    kube_core.delete_namespaced_secret(SECRET, tenant["namespace"])
    run, result = app_credential(run_playbook, kube_env, tenant)
    assert run.ok and result["rotated"] and result["deleted_credentials"] == [first]
    second = result["credential"]["id"]
    assert [c[0] for c in credentials(openstack_admin, tenant)] == [second]
    # the credential is gone
    openstack_admin.identity.delete_application_credential(tenant["user"].id, second)
    run, result = app_credential(run_playbook, kube_env, tenant)
    assert run.ok and result["rotated"] and "no longer exists" in result["reason"]
    third = result["credential"]["id"]
    assert authenticates(stored(kube_core, tenant)[0])
    # verify: Keystone refuses what the Secret holds (a wrong secret)
    clouds = stored(kube_core, tenant)[0]
    clouds["clouds"]["openstack"]["auth"]["application_credential_secret"] = "wrong"
    kube_core.patch_namespaced_secret(SECRET, tenant["namespace"], {"data": {"clouds.yaml": base64.b64encode(yaml.safe_dump(clouds).encode()).decode()}})
    run, result = app_credential(run_playbook, kube_env, tenant)
    assert run.ok and not result["changed"]  # without verify the module trusts the Secret
    run, result = app_credential(run_playbook, kube_env, tenant, verify=True)
    assert run.ok and result["rotated"] and "refused" in result["reason"] and result["deleted_credentials"] == [third]
    assert authenticates(stored(kube_core, tenant)[0])


def test_a_failed_secret_write_keeps_the_working_credential(run_playbook, kube_env, kube_requests, kube_core, openstack_admin, tenant):
    run, result = app_credential(run_playbook, kube_env, tenant)
    assert run.ok, run.output
    before = credentials(openstack_admin, tenant)
    kube_requests.inject_fault(count=5, status=500, method="PATCH", path_regex="/namespaces/%s/secrets/" % tenant["namespace"])
    try:
        run = app_credential(run_playbook, kube_env, tenant, roles=["reader"])[0]
    finally:
        kube_requests.clear_faults()
    assert not run.ok
    assert "Could not write the Secret %s/%s: HTTP 500" % (tenant["namespace"], SECRET) in run.output
    assert "was deleted again; the Secret does not hold it." in run.output
    assert '"changed": true' in run.output  # it created and deleted a credential
    assert credentials(openstack_admin, tenant) == before
    clouds = stored(kube_core, tenant)[0]
    assert clouds["clouds"]["openstack"]["auth"]["application_credential_id"] == before[0][0] and authenticates(clouds)
    # a leftover generation (as a failure after the write would leave) is deleted by the next run
    from keystoneauth1 import session
    from keystoneauth1.identity import v3
    auth = dict(tenant["cloud"]["auth"])
    user_session = session.Session(auth=v3.Password(**auth))
    leftover = user_session.post(AUTH_URL + "/users/%s/application_credentials" % tenant["user"].id,
                                 json={"application_credential": {"name": "portal-0badcafe"}}).json()["application_credential"]["id"]
    run, result = app_credential(run_playbook, kube_env, tenant)
    assert run.ok and result["changed"] and not result["rotated"] and result["deleted_credentials"] == [leftover]
    assert credentials(openstack_admin, tenant) == before


def test_no_secret_in_any_output_at_vvv_with_diff(run_playbook, kube_env, kube_requests, kube_core, tenant):
    outputs, forbidden = [], []
    for options in ({}, {"roles": ["reader"]}, {"roles": ["reader"]}):
        run = app_credential(run_playbook, kube_env, tenant, "-vvv", "--diff", include_user_info=True, **options)[0]
        assert run.ok, run.output
        outputs.append(run.output)
        clouds, data, secret = stored(kube_core, tenant)
        value = clouds["clouds"]["openstack"]["auth"]["application_credential_secret"]
        forbidden += [value, base64.b64encode(value.encode()).decode(), secret.data["clouds.yaml"]]
    run = app_credential(run_playbook, kube_env, tenant, "-vvv", "--diff", state="absent")[0]
    assert run.ok, run.output
    outputs.append(run.output)
    assert len(set(forbidden)) == 6  # two generations
    for text in outputs:
        assert "********" in text
        for needle in forbidden:
            assert needle not in text


def test_bad_or_unreachable_keystone(run_playbook, kube_env, kube_requests, tenant):
    cloud = {"auth": dict(tenant["cloud"]["auth"], password="wrong-password"), "region_name": "RegionOne"}
    run = app_credential(run_playbook, kube_env, tenant, cloud=cloud)[0]
    assert not run.ok
    assert "Could not connect to OpenStack: the cloud refused the credentials" in run.output
    assert "wrong-password" not in run.output
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cloud = {"auth": dict(tenant["cloud"]["auth"], auth_url="http://127.0.0.1:%d/v3" % port), "region_name": "RegionOne"}
    run = app_credential(run_playbook, kube_env, tenant, cloud=cloud, api_timeout=5)[0]
    assert not run.ok
    assert "Could not connect to OpenStack: could not reach the cloud" in run.output
    assert "Traceback" not in run.output


def test_bad_kubernetes_token_or_missing_namespace(run_playbook, kube_env, kube_requests, openstack_admin, tenant):
    run = app_credential(run_playbook, kube_env, tenant, kubernetes={"api_key": "not-the-token"})[0]
    assert not run.ok
    assert "Kubernetes request failed: HTTP 401 Unauthorized" in run.output
    assert credentials(openstack_admin, tenant) == []  # nothing created before the Secret was readable
    run = app_credential(run_playbook, kube_env, tenant, secret={"namespace": tenant["namespace"] + "-missing"})[0]
    assert not run.ok
    assert "Could not write the Secret %s-missing/%s: HTTP 404 NotFound" % (tenant["namespace"], SECRET) in run.output
    assert credentials(openstack_admin, tenant) == []  # the new credential was deleted again


def test_roles_the_user_does_not_hold(run_playbook, kube_env, kube_requests, tenant):
    run = app_credential(run_playbook, kube_env, tenant, roles=["admin"])[0]
    assert not run.ok
    assert "the user has no role admin in the project; their roles are: member, reader" in run.output


def test_module_defaults_group(run_playbook, kube_env, kube_requests, kube_core, tenant):
    task = {"azimuth.ops.app_credential": {"name": "portal", "secret": {"namespace": tenant["namespace"]}}, "register": "result"}
    play = localhost_play([task, save_results("result")], module_defaults={"group/azimuth.ops.openstack": {"cloud": tenant["cloud"]}})
    run = run_playbook([play], env=kube_env)
    assert run.ok, run.output
    assert run.results["project"] == {"id": tenant["project"].id, "name": tenant["name"]}


def racing(proxy, when, act):
    """Make ``proxy`` call ``act()`` once, when the first request ``when(method, path)`` arrives, before passing it on."""
    record, done = proxy.record, []

    def record_after_the_other_run(method, path):
        if not done and when(method, path):
            done.append(None)
            done[0] = act()
        return record(method, path)

    proxy.record = record_after_the_other_run
    return done


def creates_a_credential(method, path):
    return method == "POST" and path.endswith("/application_credentials")


def test_the_loser_of_two_concurrent_creates_settles_on_the_winner_s_credential(run_playbook, kube_env, kube_core, openstack_admin,
                                                                                tenant, openstack_requests):
    """The other run creates the credential and writes the Secret between this run's reads and its create (Keystone answers 409)."""
    def other_run():
        run, result = app_credential(run_playbook, kube_env, tenant)
        assert run.ok and result["rotated"], run.output
        return result["credential"]["id"]

    winner = racing(openstack_requests.keystone, creates_a_credential, other_run)
    auth = dict(tenant["cloud"]["auth"], auth_url=openstack_requests.keystone.url + "/v3")
    run, result = app_credential(run_playbook, kube_env, tenant, cloud=dict(tenant["cloud"], auth=auth))
    assert run.ok and not result.get("failed"), run.output
    assert "Duplicate entry" not in run.output
    assert winner and result["credential"]["id"] == winner[0] and not result["rotated"] and not result["changed"]
    assert [c[0] for c in credentials(openstack_admin, tenant)] == winner
    clouds = stored(kube_core, tenant)[0]
    assert clouds["clouds"]["openstack"]["auth"]["application_credential_id"] == winner[0] and authenticates(clouds)
    assert not app_credential(run_playbook, kube_env, tenant)[1]["changed"]


def test_the_loser_of_a_race_the_winner_has_not_finished_says_what_to_do(run_playbook, kube_env, kube_core, openstack_admin,
                                                                         tenant, openstack_requests):
    """The other run has created the credential but not (yet) written it to the Secret."""
    from keystoneauth1 import session
    from keystoneauth1.identity import v3

    def other_create():
        user_session = session.Session(auth=v3.Password(**tenant["cloud"]["auth"]))
        return user_session.post(AUTH_URL + "/users/%s/application_credentials" % tenant["user"].id,
                                 json={"application_credential": {"name": "portal"}}).json()["application_credential"]["id"]

    other = racing(openstack_requests.keystone, creates_a_credential, other_create)
    auth = dict(tenant["cloud"]["auth"], auth_url=openstack_requests.keystone.url + "/v3")
    run, result = app_credential(run_playbook, kube_env, tenant, cloud=dict(tenant["cloud"], auth=auth), ignore_errors=True)
    assert result["failed"] and not result["changed"], run.output
    assert result["msg"] == (
        "Could not create the application credential portal: another run created it at the same time (ID %s), and the "
        "Secret %s/%s does not hold it; run the module again once the other run has finished (it keeps the credential the "
        "Secret holds and deletes the other)" % (other[0], tenant["namespace"], SECRET))
    assert [c[0] for c in credentials(openstack_admin, tenant)] == other and stored(kube_core, tenant)[0] is None
