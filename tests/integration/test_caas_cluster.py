"""azimuth.ops.caas_cluster and the cluster_infra role through real ansible-playbook runs.

Each test gets a project and a member user of its own (made as the cloud admin) and a namespace,
so its networks, quotas and application credentials are its alone; all are removed afterwards.
The example appliance ``examples/appliances/sandbox-network`` makes real Neutron resources with
OpenTofu's openstack provider and keeps its state in the real kube-apiserver.
"""

import base64
import gzip
import json
import os
import signal
import subprocess
import time

import pytest
import yaml

from .conftest import ANSIBLE_PLAYBOOK, AUTH_URL, COLLECTIONS_PATH, REPO, localhost_play, save_results

APPLIANCE = REPO / "examples" / "appliances" / "sandbox-network"
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
        {"name": "Fail revealing secrets", "ansible.builtin.fail": {
            "msg": "cannot log in with {{ probe_cloud.auth.application_credential_secret }}, {{ db_password }} or {{ probe_note }}"},
         "when": "probe_fail | default('') == 'reveal'"},
        {"name": "Read the Cluster while the run goes", "when": "probe_watch | default(false) | bool", "changed_when": False,
         "register": "probe_cluster", "ansible.builtin.command": {"argv": [
             "kubectl", "get", "clusters.caas.azimuth.stackhpc.com", "-n", "{{ probe_namespace }}", "{{ cluster_name }}", "-o", "json"]}},
        {"name": "Keep what was read (a removal has no outputs)", "when": "probe_status_file is defined",
         "ansible.builtin.copy": {"content": "{{ probe_cluster.stdout }}", "dest": "{{ probe_status_file }}", "mode": "0600"}},
        {"name": "An earlier report", "ansible.builtin.debug": {"var": "outputs"}, "vars": {"outputs": {"early": True}}},
        {"name": "Report", "ansible.builtin.debug": {"var": "outputs"}, "vars": {"outputs": {
            "a": "{{ a }}", "b": "{{ b }}", "c": "{{ c }}", "d": "{{ d }}",
            "cluster_name": "{{ cluster_name }}", "cluster_id": "{{ cluster_id }}", "cluster_type": "{{ cluster_type }}",
            "cluster_state": "{{ cluster_state | default('present') }}",
            "deploy_key": "{{ cluster_deploy_ssh_public_key.split()[0] }}",
            "private_key_exists": "{{ cluster_ssh_private_key_file is file }}",
            "os_cloud": "{{ lookup('ansible.builtin.env', 'OS_CLOUD') }}",
            "caller_password": "{{ lookup('ansible.builtin.env', 'OS_PASSWORD') }}",
            "caller_secret": "{{ lookup('ansible.builtin.env', 'KEYCLOAK_ADMIN_PASSWORD') }}",
            "probe_env": "{{ lookup('ansible.builtin.env', 'PROBE_ENV') }}",
            "auth_type": "{{ probe_cloud.auth_type }}",
            "credential_id": "{{ probe_cloud.auth.application_credential_id | default('') }}",
            "check_mode": "{{ ansible_check_mode }}",
            "revealed": "{{ db_password | default('') }}",
            "public_key": "{{ cluster_deploy_ssh_public_key }}",
            "ssh_retries": "{{ lookup('ansible.builtin.env', 'ANSIBLE_SSH_RETRIES') }}",
            "running_status": "{{ (probe_cluster.stdout | from_json).status if probe_cluster.stdout is defined else {} }}",
        }}},
        {"name": "Fail after reporting", "ansible.builtin.fail": {"msg": "late failure"}, "when": "probe_fail | default('') == 'late'"},
    ],
}]
CLUSTER_TYPE_SPEC = {"uiMetaUrl": "https://example.org/ui-meta.yml", "gitUrl": "https://example.org/appliance.git",
                     "gitVersion": "main", "playbook": "site.yml", "extraVars": {"cluster_image": "img-1"}}


@pytest.fixture
def tenant(tenant, kube_core):
    """The shared tenant, with a ClusterType of its name."""
    types = custom_objects(kube_core)
    types.create_cluster_custom_object(GROUP, VERSION, "clustertypes", {
        "apiVersion": "%s/%s" % (GROUP, VERSION), "kind": "ClusterType", "metadata": {"name": tenant["name"]}, "spec": CLUSTER_TYPE_SPEC})
    yield tenant
    types.delete_cluster_custom_object(GROUP, VERSION, "clustertypes", tenant["name"])


def custom_objects(kube_core):
    from kubernetes import client  # pylint: disable=import-outside-toplevel
    return client.CustomObjectsApi(kube_core.api_client)


def caas_task(register, tenant, check_mode=False, **options):
    """A caas_cluster task for the cluster c1 of the tenant, of the ClusterType the tenant fixture made."""
    arguments = dict(cloud=tenant["cloud"], namespace=tenant["namespace"], name="c1", id="0d7f9a8e-1c2b-4e3d-8f5a",
                     type=tenant["name"], project_path=str(APPLIANCE), playbook="site.yml", record=True)
    arguments.update(options)
    return {"name": register, "azimuth.ops.caas_cluster": arguments, "register": register, "check_mode": check_mode}


def backend(tenant, sandbox_env, work_dir):
    """What an operator gives every run of the sandbox appliance: where its state lives (and, for the
    test, a working directory of its own rather than one in the shared example appliance)."""
    return dict(global_extravars=dict(cluster_infra_kubernetes_namespace=tenant["namespace"], cluster_infra_project_dir=str(work_dir)),
                envvars=dict(KUBE_CONFIG_PATH=sandbox_env["KUBECONFIG"], TF_CLI_CONFIG_FILE=sandbox_env["TF_CLI_CONFIG_FILE"]))


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
    run = run_playbook([localhost_play(tasks)], "-vvv", env=dict(sandbox_env, OS_PASSWORD="caller-Password-77",
                                                                 KEYCLOAK_ADMIN_PASSWORD="kc-Admin-Password-78"))
    assert run.ok, run.output
    checked, result = run.results["checked"], run.results["result"]
    assert checked["outputs"]["check_mode"] is True and checked["outputs"]["auth_type"] == "v3token", "no credential yet: a token"
    assert checked["credential"]["changed"] and checked["credential"]["id"] is None
    assert run.results["after_check"] == [], "check mode wrote no Secret and no Cluster"
    outputs = dict(result["outputs"])
    assert outputs.pop("public_key").startswith("ssh-ed25519 ") and outputs.pop("ssh_retries") == "10"
    assert outputs.pop("running_status") == {}
    assert outputs == dict(
        a="global", b="type", c="cluster", d="override", cluster_name="c1", cluster_id="the-id", cluster_type=tenant["name"],
        cluster_state="present", deploy_key="ssh-ed25519", private_key_exists=True, os_cloud="openstack", caller_password="",
        caller_secret="",
        probe_env="from envvars", auth_type="v3applicationcredential", credential_id=result["credential"]["id"],
        check_mode=False, revealed="")
    assert os.listdir(runs) == [], "the run's private directory is gone"

    secret = kube_core.read_namespaced_secret("c1-caas-credential", tenant["namespace"])
    clouds = base64.b64decode(secret.data["clouds.yaml"]).decode()
    credential_secret = yaml.safe_load(clouds)["clouds"]["openstack"]["auth"]["application_credential_secret"]
    for value in (tenant["password"], TOKEN, credential_secret, secret.data["clouds.yaml"], "caller-Password-77"):
        assert value not in run.output
    assert '"cluster_extravars": "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"' in run.output

    status = cluster_object(sandbox_env, tenant)["status"]
    assert status["phase"] == "Ready" and status["clusterID"] == "the-id"
    assert status["appliedExtraVars"] == dict(layers["cluster_extravars"], zenith_token="********")
    assert status["outputs"] == result["outputs"]
    assert TOKEN not in json.dumps(status)


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
    # The first run created the cluster (and failed): the second is an update, as the operator names it.
    assert status["error"] == ("Failed to update the platform. To retry please click patch. Possible reason for the failure was: "
                               "Task:'Fail with a secret' Error:\n<message hidden: the task is no_log>")


def test_record_masks_every_secret_the_run_knows(run_playbook, sandbox_env, tenant, tmp_path, kube_core):
    """The portal shows Cluster.status to the tenancy: no secret of the run reaches it, and masking keeps runs idempotent."""
    probe = str(probe_appliance(tmp_path))
    extravars = dict(db_password="db-Secret-0912", probe_note=tenant["password"])
    plays = [[caas_task(register, tenant, project_path=probe, cluster_extravars=extravars), save_results(register)]
             for register in ("first", "second")]
    runs = [run_playbook([localhost_play(tasks)], env=sandbox_env) for tasks in plays]
    assert all(run.ok for run in runs), runs[-1].output
    assert not runs[1].results["changed"], "the masked status is not written again"
    status = cluster_object(sandbox_env, tenant)["status"]
    assert status["phase"] == "Ready" and status["outputs"]["revealed"] == "********"
    assert status["appliedExtraVars"] == dict(db_password="********", probe_note="********")

    failing = caas_task("failed", tenant, project_path=probe, cluster_extravars=dict(extravars, probe_fail="reveal"))
    run = run_playbook([localhost_play([failing | {"ignore_errors": True}, save_results("failed")])], env=sandbox_env)
    assert run.ok, run.output
    status = cluster_object(sandbox_env, tenant)["status"]
    assert status["phase"] == "Failed"
    assert status["error"].endswith("Task:'Fail revealing secrets' Error:\ncannot log in with ********, ******** or ********")
    secret = kube_core.read_namespaced_secret("c1-caas-credential", tenant["namespace"])
    credential = yaml.safe_load(base64.b64decode(secret.data["clouds.yaml"]))["clouds"]["openstack"]["auth"]
    for value in (credential["application_credential_secret"], "db-Secret-0912", tenant["password"]):
        assert value not in json.dumps(status) and value not in run.output


# A small appliance: cluster_infra's defaults and one network in the tenancy's project, and, when
# asked (small_sleep), a step that runs on while OpenTofu applies.
SMALL_TF = """
resource "openstack_networking_network_v2" "cluster" {
  name = "{{ cluster_name }}"
}
{% if small_sleep | default(0) | int > 0 %}
resource "terraform_data" "slow" {
  depends_on = [openstack_networking_network_v2.cluster]
  provisioner "local-exec" {
    command = "touch {{ small_marker }} && sleep {{ small_sleep }}"
  }
}
{% endif %}
output "network_id" {
  value = openstack_networking_network_v2.cluster.id
}
"""
SMALL_SITE = [
    {"name": "Infrastructure", "hosts": "openstack", "gather_facts": False,
     "roles": [{"role": "azimuth.ops.cluster_infra", "vars": {"cluster_infra_wait_for_hosts": False}}]},
    {"name": "Outputs", "hosts": "openstack", "gather_facts": False, "tasks": [
        {"name": "Report the outputs", "ansible.builtin.debug": {"var": "outputs"},
         "vars": {"outputs": {"network_id": "{{ cluster_infra_outputs.network_id }}"}},
         "when": "cluster_state | default('present') != 'absent'"}]},
]
# Seconds the stopped runs below may take to end: the module's grace period, and some.
STOPPED_WITHIN = 90 + 60


def small_appliance(tmp_path):
    path = tmp_path / "small"
    (path / "terraform").mkdir(parents=True)
    (path / "site.yml").write_text(yaml.safe_dump(SMALL_SITE, sort_keys=False))
    (path / "terraform" / "providers.tf.j2").write_text((APPLIANCE / "terraform" / "providers.tf.j2").read_text())
    (path / "terraform" / "main.tf.j2").write_text(SMALL_TF)
    return path


def tenant_networks(openstack_admin, tenant):
    return sorted(n.name for n in openstack_admin.network.networks(project_id=tenant["project"].id))


def processes_in(path):
    """The live processes working in ``path`` or naming it on their command line (the run's tree: ansible, modules, tofu, sleep)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cwd = os.readlink("/proc/%s/cwd" % pid)
            with open("/proc/%s/cmdline" % pid, "rb") as handle:
                cmdline = handle.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if cwd.startswith(str(path)) or str(path) in cmdline:
            found.append("%s %s" % (pid, cmdline))
    return found


def engine_state(kube_core, tenant, suffix="c1"):
    """(the resource types in the Kubernetes backend's state, the holder of its lock)."""
    from kubernetes.client import CoordinationV1Api  # pylint: disable=import-outside-toplevel
    secret = kube_core.read_namespaced_secret("tfstate-default-" + suffix, tenant["namespace"])
    state = json.loads(gzip.decompress(base64.b64decode(secret.data["tfstate"])))
    lease = CoordinationV1Api(kube_core.api_client).read_namespaced_lease("lock-tfstate-default-" + suffix, tenant["namespace"])
    return sorted(r["type"] for r in state["resources"]), lease.spec.holder_identity


def slow_run(tenant, sandbox_env, tmp_path):
    """The small appliance's options, and those of a run that sleeps in OpenTofu's apply (touching a marker first)."""
    common = dict(backend(tenant, sandbox_env, tmp_path / "work"), project_path=str(small_appliance(tmp_path)))
    return common, dict(common, cluster_extravars=dict(small_sleep=600, small_marker=str(tmp_path / "sleeping")))


def assert_stopped_cleanly(run_playbook, sandbox_env, tenant, kube_core, openstack_admin, common, reason):
    """Recorded as Failed, the engine saved its state (the network) and released its lock; then removal works."""
    status = cluster_object(sandbox_env, tenant)["status"]
    assert status["phase"] == "Failed" and reason in status["error"], status
    types, holder = engine_state(kube_core, tenant)
    assert "openstack_networking_network_v2" in types and not holder, (types, holder)
    removal = run_playbook([localhost_play([caas_task("removed", tenant, state="absent", **common)])], env=sandbox_env)
    assert removal.ok, removal.output
    assert tenant_networks(openstack_admin, tenant) == []


def test_a_timeout_stops_the_whole_run_and_lets_the_engine_save_its_state(run_playbook, sandbox_env, tenant, tmp_path, kube_core,
                                                                          openstack_admin):
    common, slow = slow_run(tenant, sandbox_env, tmp_path)
    timeout = 150
    started = time.monotonic()
    run = run_playbook([localhost_play([caas_task("result", tenant, timeout=timeout, **slow) | {"ignore_errors": True},
                                        save_results("result")])], env=sandbox_env)
    took = time.monotonic() - started
    assert run.ok, run.output
    assert (tmp_path / "sleeping").exists(), "the timeout came while OpenTofu applied"
    reason = "the appliance did not finish within %d seconds and was stopped" % timeout
    assert run.results["failed"] and run.results["status"] == "timeout" and reason in run.results["msg"], run.results
    assert processes_in(tmp_path) == [], "nothing of the run is left"
    assert took < timeout + STOPPED_WITHIN
    assert_stopped_cleanly(run_playbook, sandbox_env, tenant, kube_core, openstack_admin, common, reason)


def test_sigterm_to_ansible_playbook_stops_the_run_and_records_it(
        run_playbook, sandbox_env, tenant, tmp_path, kube_core, openstack_admin):
    common, slow = slow_run(tenant, sandbox_env, tmp_path)
    playbook = tmp_path / "slow.yml"
    playbook.write_text(json.dumps([localhost_play([caas_task("result", tenant, **slow)])]))
    process = subprocess.Popen([str(ANSIBLE_PLAYBOOK), str(playbook)], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               env=dict(os.environ, **sandbox_env, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS_PATH)),
                               text=True, start_new_session=True)
    deadline = time.monotonic() + 300
    while not (tmp_path / "sleeping").exists():
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()[0]
        time.sleep(0.5)
    process.send_signal(signal.SIGTERM)  # ansible-playbook alone, as a service manager stops it
    process.communicate(timeout=60)
    deadline = time.monotonic() + STOPPED_WITHIN
    while processes_in(tmp_path) and time.monotonic() < deadline:
        time.sleep(1)
    assert processes_in(tmp_path) == [], "nothing of the run is left"
    assert_stopped_cleanly(run_playbook, sandbox_env, tenant, kube_core, openstack_admin, common,
                           "the run was stopped by SIGTERM before the appliance finished")


def test_the_fixed_variables_win_over_every_layer(run_playbook, sandbox_env, tenant, tmp_path, openstack_admin):
    common, _slow = slow_run(tenant, sandbox_env, tmp_path)
    absent = dict(cluster_state="absent", cluster_name="other")
    tasks = [caas_task("created", tenant, **common),
             caas_task("again", tenant, **dict(common, cluster_extravars=absent, extravar_overrides=absent)),
             save_results("{'created': created, 'again': again}")]
    run = run_playbook([localhost_play(tasks)], env=sandbox_env)
    assert run.ok, run.output
    created, again = run.results["created"], run.results["again"]
    assert tenant_networks(openstack_admin, tenant) == ["c1"], "state: present never destroys"
    assert again["phase"] == "Ready" and again["outputs"] == created["outputs"] and created["outputs"]["network_id"]


def test_a_cluster_name_ending_in_digits_works_with_the_default_backend(run_playbook, sandbox_env, tenant, tmp_path, kube_core,
                                                                        openstack_admin):
    common, _slow = slow_run(tenant, sandbox_env, tmp_path)
    common["name"] = "web-2"
    steps = [("created", {}), ("again", {}), ("removed", dict(state="absent"))]
    tasks = [caas_task(register, tenant, **dict(common, **options)) for register, options in steps]
    run = run_playbook([localhost_play(tasks + [save_results("{'created': created, 'again': again, 'removed': removed}")])],
                       env=sandbox_env)
    assert run.ok, run.output
    assert [run.results[register]["changed"] for register, _options in steps] == [True, False, True]
    types, holder = engine_state(kube_core, tenant, "web-2.state")
    assert types == [] and not holder, "the state was kept in tfstate-default-web-2.state, and emptied"
    assert tenant_networks(openstack_admin, tenant) == []


def cluster_type_version(kube_core, tenant):
    return custom_objects(kube_core).get_cluster_custom_object(GROUP, VERSION, "clustertypes", tenant["name"])["metadata"]["resourceVersion"]


def test_the_cluster_is_recorded_as_the_caas_operator_records_it(run_playbook, sandbox_env, tenant, tmp_path, kube_core):
    """Spec and status as upstream: the type's version, the phase and applied variables as the run starts (read by the
    appliance itself while it runs), the type's spec cached, outputs kept on failure, Deleting while removing."""
    watch = dict(probe_watch=True, probe_namespace=tenant["namespace"], size=1)
    options = dict(project_path=str(probe_appliance(tmp_path)), envvars=dict(KUBECONFIG=sandbox_env["KUBECONFIG"]), cluster_extravars=watch)

    def run(register, **changes):
        outcome = run_playbook([localhost_play([caas_task(register, tenant, **dict(options, **changes)) | {"ignore_errors": True},
                                                save_results(register)])], env=sandbox_env)
        assert outcome.ok, outcome.output
        return outcome.results, cluster_object(sandbox_env, tenant)

    version = cluster_type_version(kube_core, tenant)
    created, cluster = run("created")
    running = created["outputs"]["running_status"]
    assert running["phase"] == "Creating" and running["appliedExtraVars"] == watch and running["clusterID"] == "0d7f9a8e-1c2b-4e3d-8f5a"
    assert running["clusterTypeVersion"] == version and running["clusterTypeSpec"] == CLUSTER_TYPE_SPEC
    assert "patchedTimestamp" not in running and "outputs" not in running
    assert cluster["spec"]["clusterTypeVersion"] == version and cluster["spec"]["clusterTypeName"] == tenant["name"]
    assert cluster["status"]["phase"] == "Ready" and cluster["status"]["outputs"]["cluster_name"] == "c1"

    custom_objects(kube_core).patch_cluster_custom_object(GROUP, VERSION, "clustertypes", tenant["name"], {"spec": {"gitVersion": "v2"}})
    upgraded, cluster = run("upgraded")
    running = upgraded["outputs"]["running_status"]
    assert running["phase"] == "Configuring" and running["clusterTypeVersion"] == cluster_type_version(kube_core, tenant) != version
    assert running["clusterTypeSpec"]["gitVersion"] == "v2" and running["patchedTimestamp"]
    assert cluster["spec"]["clusterTypeVersion"] == running["clusterTypeVersion"] and cluster["status"]["phase"] == "Ready"

    # (Runs that change nothing write nothing: see the deploy-key and masking tests; this probe's outputs change each run.)
    failed, cluster = run("failed", cluster_extravars=dict(watch, probe_fail="late"))
    assert failed["failed"] and failed["outputs"]["running_status"]["phase"] == "Configuring"
    assert failed["outputs"]["running_status"]["appliedExtraVars"] == dict(watch, probe_fail="late"), "recorded when the run started"
    assert cluster["status"]["phase"] == "Failed" and cluster["status"]["outputs"] == failed["outputs"], "outputs of a failed run"
    assert cluster["status"]["error"].endswith("Task:'Fail after reporting' Error:\nlate failure")

    status_file = tmp_path / "removing.json"
    removed, cluster = run("removed", state="absent", cluster_extravars=dict(watch, probe_status_file=str(status_file)))
    assert removed["changed"] and json.loads(status_file.read_text())["status"]["phase"] == "Deleting" and cluster is None


def deploy_key_secret(kube_core, tenant, name="c1"):
    from kubernetes.client.rest import ApiException  # pylint: disable=import-outside-toplevel
    try:
        return kube_core.read_namespaced_secret(name + "-deploy-key", tenant["namespace"])
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise


def test_the_deploy_key_is_the_clusters_own_and_never_shown(run_playbook, sandbox_env, tenant, tmp_path, kube_core):
    options = dict(project_path=str(probe_appliance(tmp_path)))
    tasks = [caas_task("first", tenant, **options), caas_task("second", tenant, **options),
             caas_task("given", tenant, deploy_ssh_public_key="ssh-ed25519 AAAAgiven", ssh_private_key_file=str(tmp_path / "given"),
                       **options),
             save_results("{'first': first, 'second': second, 'given': given}")]
    run = run_playbook([localhost_play(tasks)], "-vvv", "--diff", env=sandbox_env)
    assert run.ok, run.output
    first, second, given = (run.results[name] for name in ("first", "second", "given"))
    secret = deploy_key_secret(kube_core, tenant)
    public = base64.b64decode(secret.data["id_ed25519.pub"]).decode()
    private = base64.b64decode(secret.data["id_ed25519"]).decode()
    assert first["outputs"]["public_key"] == second["outputs"]["public_key"] == public.strip() and public.startswith("ssh-ed25519 ")
    assert private.startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    assert first["changed"] and not second["changed"], "the key is made once"
    assert given["outputs"]["public_key"] == "ssh-ed25519 AAAAgiven", "a key given explicitly wins"
    assert secret.metadata.labels["app.kubernetes.io/managed-by"] == "azimuth-ops"
    for shown in [private, secret.data["id_ed25519"]] + private.splitlines()[1:-1]:
        assert shown not in run.output

    removal = run_playbook([localhost_play([caas_task("removed", tenant, state="absent", **options)])], env=sandbox_env)
    assert removal.ok, removal.output
    assert deploy_key_secret(kube_core, tenant) is None, "deleted with the cluster"


def test_the_caas_operators_deploy_key_is_refused_before_any_run_unless_adopted(run_playbook, sandbox_env, tenant, tmp_path, kube_core):
    public = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOperatorMadeKey operator"
    kube_core.create_namespaced_secret(tenant["namespace"], {
        "metadata": {"name": "c1-deploy-key", "labels": {"azimuth-caas-cluster": "c1"}},
        "stringData": {"id_ed25519.pub": public, "id_ed25519": "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaA\n"}})
    options = dict(project_path=str(probe_appliance(tmp_path)))
    tasks = [caas_task("refused", tenant, **options) | {"ignore_errors": True}, caas_task("adopted", tenant, adopt=True, **options),
             save_results("{'refused': refused, 'adopted': adopted}")]
    run = run_playbook([localhost_play(tasks)], env=sandbox_env)
    assert run.ok, run.output
    refused, adopted = run.results["refused"], run.results["adopted"]
    assert refused["failed"] and "azimuth-caas-operator" in refused["msg"] and "adopt: true" in refused["msg"], refused["msg"]
    assert "outputs" not in refused, "nothing ran"
    assert adopted["outputs"]["public_key"] == public, "the operator's key is kept"
    secret = deploy_key_secret(kube_core, tenant)
    assert secret.metadata.labels["app.kubernetes.io/managed-by"] == "azimuth-ops"
    assert secret.metadata.annotations["azimuth-ops.azimuth-cloud.io/adopted-from"] == "azimuth-caas-operator"


REQUIRED_SITE = [{"name": "Uses its requirements", "hosts": "openstack", "gather_facts": False, "roles": ["azimuth_test.needed.report"],
                  "tasks": [{"name": "Report", "ansible.builtin.debug": {"var": "outputs"}, "vars": {"outputs": {
                      "report": "{{ needed_report }}",
                      "timeout": "{{ lookup('ansible.builtin.config', 'DEFAULT_TIMEOUT') }}",
                      "ansible_config": "{{ lookup('ansible.builtin.env', 'ANSIBLE_CONFIG') }}",
                      "collections_path": "{{ lookup('ansible.builtin.env', 'ANSIBLE_COLLECTIONS_PATH') }}"}}}]}]


def appliance_with_requirements(tmp_path, requirements):
    """An appliance that needs a collection of its own (azimuth_test.needed, from a local directory) and has an ansible.cfg."""
    path = tmp_path / "needs"
    role = tmp_path / "src" / "needed" / "roles" / "report" / "tasks"
    role.mkdir(parents=True)
    (tmp_path / "src" / "needed" / "galaxy.yml").write_text(yaml.safe_dump(
        dict(namespace="azimuth_test", name="needed", version="1.0.0", readme="README.md", authors=["azimuth.ops tests"])))
    (tmp_path / "src" / "needed" / "README.md").write_text("A collection an appliance needs.\n")
    (role / "main.yml").write_text(yaml.safe_dump([{"name": "Say where it came from",
                                                    "ansible.builtin.set_fact": {"needed_report": "from the local collection"}}]))
    path.mkdir()
    (path / "site.yml").write_text(yaml.safe_dump(REQUIRED_SITE, sort_keys=False))
    (path / "ansible.cfg").write_text("[defaults]\ntimeout = 17\n")
    (path / "requirements.yml").write_text(yaml.safe_dump(requirements, sort_keys=False))
    return path


def test_the_appliances_requirements_are_installed_for_the_run(run_playbook, sandbox_env, tenant, tmp_path):
    local = dict(collections=[dict(name=str(tmp_path / "src" / "needed"), type="dir"), dict(name="azimuth.ops")])
    appliance = appliance_with_requirements(tmp_path, local)
    run = run_playbook([localhost_play([caas_task("result", tenant, project_path=str(appliance), record=False), save_results("result")])],
                       env=sandbox_env)
    assert run.ok, run.output
    outputs = run.results["outputs"]
    assert outputs["report"] == "from the local collection" and outputs["timeout"] in (17, "17")
    assert outputs["ansible_config"] == str(appliance / "ansible.cfg")
    assert outputs["collections_path"].split(":")[1:] == [str(COLLECTIONS_PATH)], "the run's own directory first"
    assert not (COLLECTIONS_PATH / "ansible_collections" / "azimuth_test").exists(), "installed for the run only"

    (appliance / "requirements.yml").write_text(yaml.safe_dump(dict(collections=[dict(name="community.nothere", version=">=1.0.0")])))
    run = run_playbook([localhost_play([caas_task("result", tenant, project_path=str(appliance), record=False) | {"ignore_errors": True},
                                        save_results("result")])], env=sandbox_env)
    assert run.ok, run.output
    assert run.results["failed"] and "community.nothere" in run.results["msg"] and "requirements.yml" in run.results["msg"]
    assert "Galaxy" in run.results["msg"], run.results["msg"]


def test_without_a_cluster_type_the_cluster_gets_a_stand_in_version_and_a_warning(run_playbook, sandbox_env, tenant, tmp_path):
    run = run_playbook([localhost_play([caas_task("result", tenant, type="no-such-type", project_path=str(probe_appliance(tmp_path))),
                                        save_results("result")])], env=sandbox_env)
    assert run.ok, run.output
    version = cluster_object(sandbox_env, tenant)["spec"]["clusterTypeVersion"]
    assert version.startswith("azimuth-ops-")
    assert any("there is no ClusterType no-such-type" in warning and version in warning for warning in run.results["warnings"])
