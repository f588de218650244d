"""``token_cache``: the module calls of one run share each cloud's token, against the sandbox's Keystone (counted by a
recording proxy), and other credentials, a changed password or a revoked token never get by on it."""

import base64
import json
import os

from .conftest import localhost_play, save_results

TOKENS = "POST /v3/auth/tokens"


def proxied(tenant, keystone, **auth):
    """The tenant's cloud with Keystone reached through the recording proxy (and ``auth`` over its own)."""
    return dict(tenant["cloud"], auth=dict(tenant["cloud"]["auth"], auth_url=keystone.url + "/v3", **auth))


def project_info(run_playbook, env, clouds, ignore_errors=False, **options):
    task = {"azimuth.ops.project_info": dict(clouds=clouds, **options), "register": "result", "ignore_errors": ignore_errors}
    run = run_playbook([localhost_play([task, save_results("result")])], "-vvv", env=env)
    return run, run.results


def private_directory(tmp_path, mode=0o700):
    path = tmp_path / "tokens"
    path.mkdir()
    path.chmod(mode)
    return str(path)


def test_each_cloud_authenticates_once_per_run(run_playbook, kube_env, tenants, openstack_requests, tmp_path):
    keystone = openstack_requests.keystone
    clouds = [proxied(tenant, keystone) for tenant in tenants]
    cache = private_directory(tmp_path)
    # Without a cache each call authenticates each cloud.
    with keystone.measure() as served:
        assert project_info(run_playbook, kube_env, clouds)[0].ok
    assert served.get(TOKENS) == len(tenants)
    # With one, the first call does, the calls after it do not: the option, or the environment as the playbook sets it.
    with keystone.measure() as served:
        run, first = project_info(run_playbook, kube_env, clouds, token_cache=cache)
        assert run.ok, run.output
        run, second = project_info(run_playbook, dict(kube_env, AZIMUTH_OPS_TOKEN_CACHE=cache), clouds)
        assert run.ok, run.output
    assert served.get(TOKENS) == len(tenants)
    assert second["projects"] == first["projects"]
    # One file per cloud (and the key), each private; no name nor content holds a password or its base64.
    names = os.listdir(cache)
    assert len(names) == len(tenants) + 1
    for name in names:
        assert os.stat(os.path.join(cache, name)).st_mode & 0o077 == 0
        content = open(os.path.join(cache, name), "rb").read()
        for tenant in tenants:
            password = tenant["password"]
            assert password not in name and password.encode() not in content
            assert base64.b64encode(password.encode()) not in content
    for tenant in tenants:
        assert tenant["password"] not in run.output


def test_a_wrong_password_is_refused_though_the_right_one_left_a_token(run_playbook, kube_env, tenants, openstack_requests, tmp_path):
    keystone = openstack_requests.keystone
    cache = private_directory(tmp_path)
    assert project_info(run_playbook, kube_env, [proxied(tenants[0], keystone)], token_cache=cache)[0].ok
    run, result = project_info(run_playbook, kube_env, [proxied(tenants[0], keystone, password="not-the-password")],
                               ignore_errors=True, token_cache=cache)
    assert result["failed"] and "clouds[0]" in result["msg"] and "refused the credentials" in result["msg"], run.output


def test_a_revoked_token_is_replaced(run_playbook, kube_env, tenant, openstack_admin, openstack_requests, tmp_path):
    """The stored token was revoked (a password change does that): the module's first refused request authenticates again."""
    keystone = openstack_requests.keystone
    cache = private_directory(tmp_path)
    cloud = proxied(tenant, keystone)
    run, first = project_info(run_playbook, kube_env, [cloud], token_cache=cache)
    assert run.ok, run.output
    (stored,) = [name for name in os.listdir(cache) if not name.startswith(".")]
    token = json.loads(open(os.path.join(cache, stored)).read())["auth_token"]
    openstack_admin.identity.delete("/auth/tokens", headers={"X-Subject-Token": token}).raise_for_status()
    # Neutron has not seen the token, so it asks Keystone, which refuses it.
    task = {"azimuth.ops.tenancy_network": {"cloud": cloud, "token_cache": cache}, "register": "result", "check_mode": True}
    with keystone.measure() as served:
        run = run_playbook([localhost_play([task, save_results("result")])], env=kube_env)
    assert run.ok and run.results["created"], run.output  # a prediction: the tenant has no network yet
    assert served.get(TOKENS) == 1
    assert token not in open(os.path.join(cache, stored)).read()


def test_a_directory_others_may_read_is_refused_before_any_request(run_playbook, kube_env, tenant, openstack_requests, tmp_path):
    keystone = openstack_requests.keystone
    cache = private_directory(tmp_path, mode=0o755)
    with keystone.measure() as served:
        run, result = project_info(run_playbook, kube_env, [proxied(tenant, keystone)], ignore_errors=True, token_cache=cache)
    assert result["failed"] and "must be a directory of this user's that no one else may read or write" in result["msg"], run.output
    assert "Traceback" not in run.output and not served
    assert os.listdir(cache) == []
