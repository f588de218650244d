"""azimuth.ops.caas_cluster and the cluster_infra role through real ansible-playbook runs.

Each test gets a project and a member user of its own (made as the cloud admin) and a namespace,
so its networks, quotas and application credentials are its alone; all are removed afterwards.
The example appliance ``examples/appliances/sandbox-network`` makes real Neutron resources with
OpenTofu's openstack provider and keeps its state in the real kube-apiserver.
"""

import base64
import os
import secrets

import pytest
import yaml

from .conftest import ANSIBLE_PLAYBOOK, REPO, localhost_play, save_results

APPLIANCE = REPO / "examples" / "appliances" / "sandbox-network"
AUTH_URL = "http://127.0.0.1:5000/v3"
GROUP, VERSION, PLURAL = "caas.azimuth.stackhpc.com", "v1alpha1", "clusters"
TOKEN = "zenith-Secret-token-0451"

# A small appliance that reports what it was given, and fails on request.
PROBE = [{
    "name": "Probe", "hosts": "openstack", "gather_facts": False,
    "tasks": [
        {"name": "Read the cloud of the run", "no_log": True, "ansible.builtin.set_fact": {
            "probe_cloud": "{{ (lookup('ansible.builtin.file', lookup('ansible.builtin.env', 'OS_CLIENT_CONFIG_FILE'))"
                           " | from_yaml).clouds[lookup('ansible.builtin.env', 'OS_CLOUD')] }}"}},
        {"name": "Fail in plain sight", "ansible.builtin.fail": {"msg": "quota exceeded for {{ cluster_name }}"},
         "when": "probe_fail | default('') == 'plain'"},
        {"name": "Fail with a secret", "ansible.builtin.fail": {"msg": "bad token {{ zenith_token }}"}, "no_log": True,
         "when": "probe_fail | default('') == 'secret'"},
        {"name": "An earlier report", "ansible.builtin.debug": {"var": "outputs"}, "vars": {"outputs": {"early": True}}},
        {"name": "Report", "ansible.builtin.debug": {"var": "outputs"}, "vars": {"outputs": {
            "a": "{{ a }}", "b": "{{ b }}", "c": "{{ c }}", "d": "{{ d }}",
            "cluster_name": "{{ cluster_name }}", "cluster_id": "{{ cluster_id }}", "cluster_type": "{{ cluster_type }}",
            "cluster_state": "{{ cluster_state | default('present') }}",
            "deploy_key": "{{ cluster_deploy_ssh_public_key.split()[0] }}",
            "private_key_exists": "{{ cluster_ssh_private_key_file is file }}",
            "os_cloud": "{{ lookup('ansible.builtin.env', 'OS_CLOUD') }}",
            "caller_password": "{{ lookup('ansible.builtin.env', 'OS_PASSWORD') }}",
            "probe_env": "{{ lookup('ansible.builtin.env', 'PROBE_ENV') }}",
            "auth_type": "{{ probe_cloud.auth_type }}",
            "credential_id": "{{ probe_cloud.auth.application_credential_id | default('') }}",
            "check_mode": "{{ ansible_check_mode }}",
        }}},
    ],
}]


def purge_project(admin, project_id):
    """Delete what a test's appliance left in its project (ports, routers, networks, security groups)."""
    net = admin.network
    for router in net.routers(project_id=project_id):
        for port in net.ports(device_id=router.id):
            for fixed_ip in port.fixed_ips:
                net.remove_interface_from_router(router, subnet_id=fixed_ip["subnet_id"])
        net.delete_router(router)
    for port in net.ports(project_id=project_id):
        net.delete_port(port)
    for network in net.networks(project_id=project_id):
        net.delete_network(network)
    for group in net.security_groups(project_id=project_id):
        if group.name != "default":
            net.delete_security_group(group)


@pytest.fixture
def tenant(sandbox_env, openstack_admin, unique_name, kube_core):
    """A project, a member user with a password, a namespace; all deleted afterwards."""
    admin = openstack_admin
    project = admin.identity.create_project(name=unique_name, domain_id="default")
    password = secrets.token_urlsafe(16)
    user = admin.identity.create_user(name=unique_name, password=password, domain_id="default", default_project_id=project.id)
    admin.identity.assign_project_role_to_user(project, user, admin.identity.find_role("member"))
    namespace = "az-" + unique_name
    kube_core.create_namespace({"metadata": {"name": namespace}})
    cloud = {"auth": {"auth_url": AUTH_URL, "username": unique_name, "password": password, "project_name": unique_name,
                      "user_domain_name": "Default", "project_domain_name": "Default"}, "region_name": "RegionOne"}
    yield {"name": unique_name, "cloud": cloud, "password": password, "namespace": namespace, "user": user, "project": project}
    kube_core.delete_namespace(namespace)
    purge_project(admin, project.id)
    for credential in admin.identity.application_credentials(user.id):
        admin.identity.delete_application_credential(user.id, credential.id)
    admin.identity.delete_user(user)
    admin.identity.delete_project(project)


def caas_task(register, tenant, check_mode=False, **options):
    arguments = dict(cloud=tenant["cloud"], namespace=tenant["namespace"], name="c1", id="0d7f9a8e-1c2b-4e3d-8f5a",
                     type="sandbox-network", project_path=str(APPLIANCE), playbook="site.yml", record=True)
    arguments.update(options)
    return {"name": register, "azimuth.ops.caas_cluster": arguments, "register": register, "check_mode": check_mode}


def backend(tenant, sandbox_env, work_dir):
    """What an operator gives every run of the sandbox appliance: where its state lives (and, for the
    test, a working directory of its own rather than one in the shared example appliance)."""
    return dict(global_extravars=dict(cluster_infra_kubernetes_namespace=tenant["namespace"], cluster_infra_project_dir=str(work_dir)),
                envvars=dict(KUBE_CONFIG_PATH=sandbox_env["KUBECONFIG"]))


def cluster_object(sandbox_env, tenant, name="c1"):
    from kubernetes import client, config  # pylint: disable=import-outside-toplevel
    from kubernetes.client.rest import ApiException  # pylint: disable=import-outside-toplevel
    api = config.new_client_from_config(config_file=sandbox_env["KUBECONFIG"])
    try:
        return client.CustomObjectsApi(api).get_namespaced_custom_object(GROUP, VERSION, tenant["namespace"], PLURAL, name)
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise
    finally:
        api.close()


LIST_NETWORKS = ("import json, openstack; c = openstack.connect(); "
                 "print(json.dumps(sorted(n.name for n in c.network.networks(project_id=c.current_project_id))))")


def networks_task(tenant, register):
    """A task that lists the tenant's networks as the run goes (in check mode too)."""
    auth = tenant["cloud"]["auth"]
    return {"name": register, "check_mode": False, "changed_when": False, "register": register, "no_log": True,
            "ansible.builtin.command": {"argv": [str(ANSIBLE_PLAYBOOK.parent / "python"), "-c", LIST_NETWORKS]},
            "environment": {"OS_CLOUD": "", "OS_CLIENT_CONFIG_FILE": "/dev/null", "OS_AUTH_URL": AUTH_URL,
                            "OS_USERNAME": auth["username"], "OS_PASSWORD": auth["password"], "OS_PROJECT_NAME": auth["project_name"],
                            "OS_USER_DOMAIN_NAME": "Default", "OS_PROJECT_DOMAIN_NAME": "Default"}}


def test_matrix_with_the_sandbox_appliance(run_playbook, sandbox_env, tenant, openstack_admin, tmp_path):
    """Create, re-create, modify, delete, each in check mode first; the Cluster object follows."""
    common = backend(tenant, sandbox_env, tmp_path / "work")
    modified = dict(cluster_extravars=dict(sandbox_security_group_description="changed"))
    playbooks = [
        [("create_check", True, {}), ("create", False, {}), ("recreate_check", True, {}), ("recreate", False, {})],
        [("modify_check", True, modified), ("modify", False, modified)],
        [("delete_check", True, dict(state="absent")), ("delete", False, dict(state="absent")),
         ("delete_again", False, dict(state="absent"))],
    ]
    r = {}
    for steps in playbooks:  # each playbook within the runner's time limit
        tasks = []
        for register, check_mode, options in steps:
            tasks.append(caas_task(register, tenant, check_mode, **dict(common, **options)))
            if check_mode:
                tasks.append(networks_task(tenant, register + "_networks"))
        saved = ["'%s': %s" % (register, register) for register, _check, _options in steps]
        saved += ["'%s_networks': %s_networks.stdout | from_json" % (register, register) for register, check, _o in steps if check]
        tasks.append(save_results("{%s}" % ", ".join(saved)))
        run = run_playbook([localhost_play(tasks)], env=sandbox_env)
        assert run.ok, run.output
        r.update(run.results)

    assert r["create_check"]["changed"] and r["create_check"]["credential"] == dict(
        name="az-caas-c1", id=None, changed=True, secret=dict(namespace=tenant["namespace"], name="c1-caas-credential"))
    assert r["create_check_networks"] == [], "check mode made nothing"

    assert r["create"]["changed"] and r["create"]["phase"] == "Ready" and r["create"]["credential"]["changed"]
    outputs = r["create"]["outputs"]
    assert outputs["subnet_cidr"] == "10.77.0.0/24" and outputs["security_group"] == "c1"
    assert outputs["port_ip"].startswith("10.77.0.")
    assert r["recreate_check_networks"] == ["c1"]

    for step in ("recreate_check", "recreate"):
        assert not r[step]["changed"], step
        assert r[step]["outputs"] == outputs, step
    assert r["modify_check"]["changed"]
    assert r["modify"]["changed"] and r["modify"]["outputs"] == outputs

    assert r["delete_check"]["changed"] and r["delete_check_networks"] == ["c1"], "check mode removed nothing"
    assert r["delete"]["changed"] and r["delete"]["outputs"] == {}
    assert not r["delete_again"]["changed"]
    assert [n.name for n in openstack_admin.network.networks(project_id=tenant["project"].id)] == []
    assert cluster_object(sandbox_env, tenant) is None
    assert list(openstack_admin.identity.application_credentials(tenant["user"].id)) == []


def probe_appliance(tmp_path):
    path = tmp_path / "probe"
    path.mkdir()
    (path / "site.yml").write_text(yaml.safe_dump(PROBE, sort_keys=False))
    return path


def test_extravars_precedence_outputs_and_no_secret_at_vvv(run_playbook, sandbox_env, tenant, tmp_path, kube_core):
    runs = tmp_path / "runs"
    runs.mkdir()
    layers = dict(
        global_extravars=dict(a="global", b="global", c="global", d="global", cluster_name="from-global"),
        type_extravars=dict(b="type", c="type", d="type"),
        cluster_extravars=dict(c="cluster", d="cluster", zenith_token=TOKEN),
        extravar_overrides=dict(d="override", cluster_id="from-overrides"),
    )
    options = dict(project_path=str(probe_appliance(tmp_path)), id="the-id", tmp_dir=str(runs),
                   envvars=dict(PROBE_ENV="from envvars"), **layers)
    tasks = [caas_task("checked", tenant, check_mode=True, **options),
             {"name": "Objects after check mode", "check_mode": False, "register": "after_check", "changed_when": False,
              "ansible.builtin.command": {"argv": ["kubectl", "get", "-n", tenant["namespace"], "-o", "name",
                                                   "secrets,clusters.caas.azimuth.stackhpc.com"]}},
             caas_task("result", tenant, **options),
             save_results("{'checked': checked, 'result': result, 'after_check': after_check.stdout_lines}") | {"no_log": True}]
    run = run_playbook([localhost_play(tasks)], "-vvv", env=dict(sandbox_env, OS_PASSWORD="caller-Password-77"))
    assert run.ok, run.output
    checked, result = run.results["checked"], run.results["result"]
    assert checked["outputs"]["check_mode"] is True and checked["outputs"]["auth_type"] == "v3token", "no credential yet: a token"
    assert checked["credential"]["changed"] and checked["credential"]["id"] is None
    assert run.results["after_check"] == [], "check mode wrote no Secret and no Cluster"
    assert result["outputs"] == dict(
        a="global", b="type", c="cluster", d="override", cluster_name="c1", cluster_id="the-id", cluster_type="sandbox-network",
        cluster_state="present", deploy_key="ssh-ed25519", private_key_exists=True, os_cloud="openstack", caller_password="",
        probe_env="from envvars", auth_type="v3applicationcredential", credential_id=result["credential"]["id"],
        check_mode=False)
    assert os.listdir(runs) == [], "the run's private directory is gone"

    secret = kube_core.read_namespaced_secret("c1-caas-credential", tenant["namespace"])
    clouds = base64.b64decode(secret.data["clouds.yaml"]).decode()
    credential_secret = yaml.safe_load(clouds)["clouds"]["openstack"]["auth"]["application_credential_secret"]
    for value in (tenant["password"], TOKEN, credential_secret, secret.data["clouds.yaml"], "caller-Password-77"):
        assert value not in run.output
    assert '"cluster_extravars": "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"' in run.output

    status = cluster_object(sandbox_env, tenant)["status"]
    assert status["phase"] == "Ready" and status["clusterID"] == "the-id"
    assert status["appliedExtraVars"] == layers["cluster_extravars"] and status["outputs"] == result["outputs"]


def test_failing_appliance_names_the_task_and_hides_no_log_messages(run_playbook, sandbox_env, tenant, tmp_path):
    probe = probe_appliance(tmp_path)
    tasks = [
        caas_task("plain", tenant, project_path=str(probe), cluster_extravars=dict(probe_fail="plain")) | {"ignore_errors": True},
        caas_task("hidden", tenant, project_path=str(probe), cluster_extravars=dict(probe_fail="secret", zenith_token="abc-Hidden-42"))
        | {"ignore_errors": True},
        save_results("{'plain': plain, 'hidden': hidden}"),
    ]
    run = run_playbook([localhost_play(tasks)], env=sandbox_env)
    assert run.ok, run.output
    assert run.results["plain"]["msg"] == "The appliance site.yml failed for cluster c1: Task:'Fail in plain sight' Error:\nquota exceeded for c1"
    assert run.results["hidden"]["msg"] == (
        "The appliance site.yml failed for cluster c1: Task:'Fail with a secret' Error:\n<message hidden: the task is no_log>")
    assert "abc-Hidden-42" not in run.output
    status = cluster_object(sandbox_env, tenant)["status"]
    assert status["phase"] == "Failed"
    assert status["error"] == ("Failed to create platform. To retry please click patch. Possible reason for the failure was: "
                               "Task:'Fail with a secret' Error:\n<message hidden: the task is no_log>")
