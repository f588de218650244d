"""The role azimuth.ops.cluster_infra: upstream's interface, its backend default, and the example appliances.

Each OpenStack test gets a project and a member user of its own (made as the cloud admin) and, where
the state lives in Kubernetes, a namespace; all are removed afterwards.
"""

import base64
import gzip
import json
import re
import time

from .conftest import REPO, localhost_play, save_results

EXAMPLES = REPO / "examples" / "appliances"


def state_secret(kube_core, namespace, suffix):
    """The resource addresses in the Kubernetes backend's state Secret, or None when there is none."""
    from kubernetes.client.rest import ApiException  # pylint: disable=import-outside-toplevel
    try:
        secret = kube_core.read_namespaced_secret("tfstate-default-" + suffix, namespace)
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise
    state = json.loads(gzip.decompress(base64.b64decode(secret.data["tfstate"])))
    return sorted("%s.%s" % (r["type"], r["name"]) for r in state["resources"])


# --- upstream's interface, without a cloud -----------------------------------------------------

NODES_TF = """
resource "terraform_data" "node" {
  input = "{{ node_label | default('one') }}"
}

output "cluster_gateway_ip" {
  value = "192.0.2.1"
}

output "cluster_nodes" {
  value = [
    {
      name   = "{{ cluster_name }}-node"
      ip     = "192.0.2.10"
      groups = ["compute"]
      facts  = { node_label = terraform_data.node.output, node_index = 0 }
    },
  ]
}

output "secret_word" {
  value     = "swordfish-{{ cluster_name }}"
  sensitive = true
}
"""


def upstream_play(project_dir, register_as, **variables):
    """A play that templates a configuration into terraform_project_path and includes the role, as upstream
    appliances do, then keeps what later plays of such an appliance read."""
    tasks = [
        {"name": "Template", "ansible.builtin.copy": {"content": NODES_TF, "dest": str(project_dir / "main.tf"), "mode": "0600"},
         "check_mode": False},
        {"name": "Provision", "ansible.builtin.include_role": {"name": "azimuth.ops.cluster_infra"}},
        {"name": "Keep", "ansible.builtin.set_fact": {register_as: {
            "result": "{{ terraform_provision_state }}", "outputs": "{{ cluster_infra_outputs }}",
            "gateway_ip": "{{ terraform_provision_state.outputs.cluster_gateway_ip.value | default(none) }}",
            "node_facts": "{{ {'label': hostvars[cluster_name ~ '-node'].node_label | default(none),"
                          " 'index': hostvars[cluster_name ~ '-node'].node_index | default(none)} }}",
            "groups": "{{ groups['compute'] | default([]) }}",
            "proxy": "{{ hostvars[cluster_name ~ '-node'].ansible_ssh_common_args | default('') }}",
        }}},
    ]
    play = localhost_play(tasks, vars=dict(dict(terraform_project_path=str(project_dir), cluster_infra_wait_for_hosts=False), **variables))
    return play


def test_upstream_variables_outputs_and_node_facts_with_the_local_backend_by_default(run_playbook, sandbox_env, tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    base = dict(cluster_name="up1", cluster_gateway_user="jump", cluster_ssh_private_key_file="/keys/deploy")
    plays = [
        upstream_play(project, "created", **base),
        upstream_play(project, "again", **base),
        upstream_play(project, "readonly", **dict(base, terraform_readonly=True, node_label="changed")),
        upstream_play(project, "relabelled", **dict(base, terraform_variables={}, node_label="two")),
        upstream_play(project, "destroyed", **dict(base, terraform_state="absent")),
        localhost_play([save_results("{'created': created, 'again': again, 'readonly': readonly, 'relabelled': relabelled,"
                                     " 'destroyed': destroyed}")]),
    ]
    env = dict((key, value) for key, value in sandbox_env.items() if not key.startswith("KUBE"))
    run = run_playbook(plays, env=dict(env, KUBECONFIG=""))
    assert run.ok, run.output
    r = run.results
    created = r["created"]
    assert created["result"]["changed"] and (project / "terraform.tfstate").exists(), "upstream's default: the local backend"
    assert (project / "backend.tf").read_text().strip().startswith('terraform {\n  backend "local" {}')
    assert created["outputs"]["cluster_gateway_ip"] == "192.0.2.1" and created["gateway_ip"] == "192.0.2.1"
    assert created["result"]["outputs"]["cluster_gateway_ip"] == {"value": "192.0.2.1", "type": "string", "sensitive": False}
    assert created["result"]["outputs"]["secret_word"]["value"] == "********" and "swordfish-up1" not in run.output
    assert created["node_facts"] == {"label": "one", "index": 0}, "each fact is a variable of its host"
    assert created["groups"] == ["up1-node"]
    assert created["proxy"] == ("-o ProxyCommand='ssh -i /keys/deploy -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no "
                                "-o IdentitiesOnly=yes -W %h:%p jump@192.0.2.1' -o IdentitiesOnly=yes")
    assert not r["again"]["result"]["changed"] and r["again"]["result"]["commands"] == ["plan", "show", "output"]
    readonly = r["readonly"]
    assert not readonly["result"]["changed"] and readonly["result"]["commands"] == ["output"], "read from the state, no plan"
    assert readonly["node_facts"]["label"] == "one", "the state's outputs, not the changed configuration's"
    assert r["relabelled"]["result"]["changed"] and r["relabelled"]["node_facts"]["label"] == "two"
    assert r["destroyed"]["result"]["changed"] and r["destroyed"]["result"]["outputs"] == {}
    assert json.loads((project / "terraform.tfstate").read_text())["resources"] == []


def test_a_kubernetes_connection_keeps_the_state_in_kubernetes(run_playbook, sandbox_env, tmp_path, kube_core, unique_name):
    namespace = "az-" + unique_name
    kube_core.create_namespace({"metadata": {"name": namespace}})
    try:
        project = tmp_path / "project"
        project.mkdir()
        base = dict(cluster_name="up2", cluster_infra_kubernetes_namespace=namespace)
        plays = [upstream_play(project, "created", **base), upstream_play(project, "destroyed", **dict(base, cluster_state="absent")),
                 localhost_play([save_results("{'created': created, 'destroyed': destroyed}")])]
        run = run_playbook(plays, env=dict(sandbox_env, KUBE_CONFIG_PATH=sandbox_env["KUBECONFIG"]))
        assert run.ok, run.output
        assert run.results["created"]["result"]["changed"] and not (project / "terraform.tfstate").exists()
        assert 'backend "kubernetes"' in (project / "backend.tf").read_text()
        assert state_secret(kube_core, namespace, "up2") == [], "the state was kept in tfstate-default-up2, and emptied"
    finally:
        kube_core.delete_namespace(namespace)


# --- the upstream-style example appliance, run as the CaaS operator runs it ---------------------

def caas_task(register, tenant, work_dir, check_mode=False, state="present", **extravars):
    """caas_cluster over examples/appliances/upstream-style with the global extra variables upstream's azimuth-ops
    gives every CaaS run: the Kubernetes backend and its settings."""
    backend = dict(secret_suffix="c1", namespace=tenant["namespace"],
                   labels={"caas.azimuth.stackhpc.com/cluster-id": "c1-id", "caas.azimuth.stackhpc.com/cluster-name": "c1"})
    options = dict(cloud=tenant["cloud"], namespace=tenant["namespace"], name="c1", id="c1-id", type="upstream-style",
                   project_path=str(EXAMPLES / "upstream-style"), playbook="site.yml", record=True, state=state,
                   global_extravars=dict(terraform_backend_type="kubernetes", terraform_backend_config=backend,
                                         terraform_project_path=str(work_dir)),
                   cluster_extravars=extravars,
                   envvars=dict(KUBE_CONFIG_PATH=tenant["kubeconfig"], TF_CLI_CONFIG_FILE=tenant["tofurc"]))
    return {"name": register, "azimuth.ops.caas_cluster": options, "register": register, "check_mode": check_mode}


def test_the_upstream_style_appliance_runs_unchanged(run_playbook, sandbox_env, tenant, tmp_path, kube_core, openstack_admin):
    tenant = dict(tenant, kubeconfig=sandbox_env["KUBECONFIG"], tofurc=sandbox_env["TF_CLI_CONFIG_FILE"])
    work = tmp_path / "work"
    steps = [("create_check", True, {}), ("created", False, {}), ("again", False, {}),
             ("rebuild_check", True, dict(azimuth_update_reason="patch", cluster_infra_rebuild_resources=["openstack_networking_port_v2.*"])),
             ("rebuilt", False, dict(azimuth_update_reason="patch", cluster_infra_rebuild_resources=["openstack_networking_port_v2.*"])),
             ("removed", False, dict(state="absent"))]
    r = {}
    for part in (steps[:3], steps[3:]):  # two playbooks, each well within run_playbook's time
        tasks = [caas_task(register, tenant, work, check, **extra) for register, check, extra in part]
        run = run_playbook([localhost_play(tasks + [save_results("{%s}" % ", ".join("'%s': %s" % (s[0], s[0]) for s in part))])],
                           env=sandbox_env)
        assert run.ok, run.output
        r.update(run.results)
    assert r["create_check"]["changed"], r["create_check"]
    created = r["created"]["outputs"]
    assert created["network_id"] and created["subnet_cidr"] == "10.78.0.0/24", "outputs read as upstream appliances read them"
    assert created["gateway_ip"].startswith("10.78.0.") and created["gateway_role"] == "gateway"
    assert created["gateway_port_id"], "the node's facts are its host variables"
    assert not r["again"]["changed"] and r["again"]["outputs"] == created, "a second run changes nothing"
    assert r["rebuild_check"]["changed"]
    assert r["rebuilt"]["changed"] and r["rebuilt"]["outputs"]["gateway_port_id"] != created["gateway_port_id"], "rebuilt on a patch"
    assert r["rebuilt"]["outputs"]["network_id"] == created["network_id"], "only what the rebuild names is made again"
    assert r["removed"]["changed"] and r["removed"].get("phase") != "Failed", r["removed"]
    left = [n.name for n in openstack_admin.network.networks(project_id=tenant["project"].id)]
    assert left == [], (left, state_secret(kube_core, tenant["namespace"], "c1"), r["removed"], r["rebuilt"])
    assert state_secret(kube_core, tenant["namespace"], "c1") in (None, [])


# --- the sandbox-network example: a new CIDR for an existing cluster ---------------------------

# The lifecycle blocks of the example's templates, with the comments above them.
LIFECYCLE = re.compile(r"(\n  #[^\n]*)*\n  lifecycle \{\n.*?\n  \}", re.S)


def network_play(register, templates, tenant, work, check_mode=False, **variables):
    """The cluster_infra role over the sandbox-network templates, in the tenant's project, with local state."""
    tasks = [{"name": register, "ansible.builtin.include_role": {"name": "azimuth.ops.cluster_infra", "apply": {"ignore_errors": True}}},
             {"name": "keep " + register, "ansible.builtin.set_fact": {register: {
                 "result": "{{ terraform_provision_state }}", "took": "{{ now(utc=true).timestamp() | int - started | int }}"}}}]
    play = localhost_play([{"name": "start", "ansible.builtin.set_fact": {"started": "{{ now(utc=true).timestamp() | int }}"}}] + tasks,
                          vars=dict(dict(cluster_name="n1", cluster_infra_templates_dir=str(templates), cluster_infra_project_dir=str(work),
                                         cluster_infra_wait_for_hosts=False, terraform_backend_type="local"), **variables),
                          environment=tenant["env"])
    if check_mode:
        play["check_mode"] = True
    return play


def network_templates(tmp_path, old_subnet=False):
    """The example's templates (or, with old_subnet, as they were before: no lifecycle blocks)."""
    templates = tmp_path / ("old" if old_subnet else "new")
    templates.mkdir()
    for template in (EXAMPLES / "sandbox-network" / "terraform").iterdir():
        text = template.read_text()
        if old_subnet and template.name == "resources.tf.j2":
            text, count = LIFECYCLE.subn("", text)
            assert count == 2, text
        (templates / template.name).write_text(text)
    return templates


def test_a_new_cidr_for_the_sandbox_network_completes(run_playbook, sandbox_env, tenant, tmp_path, openstack_admin):
    templates, work = network_templates(tmp_path), tmp_path / "work"
    plays = [network_play("created", templates, tenant, work, sandbox_network_cidr="10.77.0.0/24"),
             network_play("change_check", templates, tenant, work, True, sandbox_network_cidr="10.79.0.0/24"),
             network_play("changed", templates, tenant, work, sandbox_network_cidr="10.79.0.0/24"),
             network_play("again", templates, tenant, work, sandbox_network_cidr="10.79.0.0/24"),
             network_play("removed", templates, tenant, work, cluster_state="absent"),
             localhost_play([save_results("{'created': created, 'change_check': change_check, 'changed': changed, 'again': again,"
                                          " 'removed': removed}")])]
    run = run_playbook(plays, env=sandbox_env)
    assert run.ok, run.output
    r = run.results
    for step in r:
        assert not r[step]["result"].get("failed"), (step, r[step]["result"].get("msg"))
    actions = dict((c["address"], c["action"]) for c in r["change_check"]["result"]["changes"])
    assert actions["openstack_networking_subnet_v2.cluster"] == "replace", "check mode shows the replacement"
    assert "warnings" not in r["change_check"]["result"], "the new subnet is made before the old one goes"
    assert r["changed"]["result"]["changed"] and r["changed"]["result"]["outputs"]["subnet_cidr"]["value"] == "10.79.0.0/24"
    assert r["changed"]["result"]["outputs"]["cluster_gateway_ip"]["value"].startswith("10.79.0.")
    assert r["changed"]["result"]["outputs"]["network_id"] == r["created"]["result"]["outputs"]["network_id"]
    assert int(r["changed"]["took"]) < 180
    assert not r["again"]["result"]["changed"]
    assert list(openstack_admin.network.networks(project_id=tenant["project"].id)) == []


def test_a_replacement_the_cloud_cannot_finish_fails_fast_naming_it(run_playbook, sandbox_env, tenant, tmp_path):
    templates, work = network_templates(tmp_path, old_subnet=True), tmp_path / "work"
    plays = [network_play("created", templates, tenant, work, sandbox_network_cidr="10.77.0.0/24"),
             network_play("change_check", templates, tenant, work, True, sandbox_network_cidr="10.79.0.0/24"),
             network_play("stuck", templates, tenant, work, sandbox_network_cidr="10.79.0.0/24", cluster_infra_apply_timeout=40),
             network_play("removed", templates, tenant, work, cluster_state="absent"),
             localhost_play([save_results("{'created': created, 'change_check': change_check, 'stuck': stuck, 'removed': removed}")])]
    started = time.monotonic()
    run = run_playbook(plays, env=sandbox_env)
    assert run.ok, run.output
    r = run.results
    subnet, port = "openstack_networking_subnet_v2.cluster", "openstack_networking_port_v2.gateway"
    check = r["change_check"]["result"]
    assert dict((c["address"], c["action"]) for c in check["changes"])[subnet] == "replace"
    assert check["warnings"] == [
        "the plan replaces %s by destroying it first while %s, which depends on it, stays: a cloud may refuse to destroy it while "
        "it is in use, and the apply then waits for the provider's timeout. Give %s lifecycle create_before_destroy"
        % (subnet, port, subnet)]
    stuck = r["stuck"]["result"]
    assert stuck["failed"] and stuck["msg"].startswith(
        "apply did not finish within apply_timeout=40s in %s and was stopped; the engine saved its state and released its lock: "
        "%s was still destroying" % (work, subnet)), stuck["msg"]
    assert "while %s, which depends on it, stays" % port in stuck["msg"]
    assert int(r["stuck"]["took"]) < 40 + 60, "bounded: the timeout and the engine's stop"
    assert not r["removed"]["result"].get("failed"), r["removed"]["result"].get("msg")
    assert time.monotonic() - started < 400
