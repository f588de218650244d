"""azimuth.ops.opentofu through real ansible-playbook runs of the sandbox's ``tofu``.

Most tests use ``terraform_data`` (built into the engine, no cloud) and the local backend, so
they are quick; the OpenStack provider and the Kubernetes backend are tested at the end.
"""

import base64
import fcntl
import gzip
import json
import os
import signal
import subprocess
import time

import pytest

from .conftest import ANSIBLE_PLAYBOOK, COLLECTIONS_PATH, localhost_play, save_results

CONFIG = """
variable "name" {
  type = string
}

variable "password" {
  type      = string
  sensitive = true
  default   = "not-the-secret"
}

resource "terraform_data" "named" {
  input = var.name
}

resource "terraform_data" "secret" {
  input = var.password
}

output "name" {
  value = terraform_data.named.output
}

output "password" {
  value     = terraform_data.secret.output
  sensitive = true
}
"""

SLOW = """
resource "terraform_data" "fast" {
  input = "fast"
}

resource "terraform_data" "slow" {
  input = "slow"
  provisioner "local-exec" {
    command = "touch started && sleep %(seconds)d"
  }
}

output "slow" {
  value = terraform_data.slow.id
}
"""

SECRET = "Sup3r-s3cret-variable"


@pytest.fixture
def project(tmp_path):
    path = tmp_path / "project"
    path.mkdir()
    (path / "main.tf").write_text(CONFIG)
    return path


def state_resources(project):
    """The addresses the local state holds (``[]`` when there is no state)."""
    state_file = project / "terraform.tfstate"
    if not state_file.exists():
        return []
    state = json.loads(state_file.read_text())
    return sorted("%s.%s" % (r["type"], r["name"]) for r in state["resources"] if r["mode"] == "managed")


def tofu_task(register, check_mode=False, **options):
    task = {"name": register, "azimuth.ops.opentofu": options, "register": register, "check_mode": check_mode}
    return task


def state_task(project, register):
    """Read the state file as the playbook goes (in check mode too)."""
    return {"name": "state after " + register, "ansible.builtin.set_fact": {
        register: "{{ lookup('ansible.builtin.file', '%s/terraform.tfstate', errors='ignore') | default('{}', true) | from_json }}" % project}}


def test_matrix_create_recreate_modify_delete(run_playbook, sandbox_env, project):
    steps = [
        ("create_check", True, dict(name="one")), ("create", False, dict(name="one")),
        ("recreate_check", True, dict(name="one")), ("recreate", False, dict(name="one")),
        ("modify_check", True, dict(name="two")), ("modify", False, dict(name="two")),
        ("delete_check", True, dict(name="two", state="absent")), ("delete", False, dict(name="two", state="absent")),
        ("delete_again_check", True, dict(name="two", state="absent")), ("delete_again", False, dict(name="two", state="absent")),
    ]
    tasks = []
    for register, check_mode, values in steps:
        options = dict(project_path=str(project), variables=dict(name=values["name"]), state=values.get("state", "present"))
        tasks += [tofu_task(register, check_mode, **options), state_task(project, register + "_state")]
    names = [register for register, _check, _values in steps]
    tasks.append(save_results("{%s}" % ", ".join("'%s': %s, '%s_state': %s_state" % (n, n, n, n) for n in names)))
    run = run_playbook([localhost_play(tasks)], env=sandbox_env)
    assert run.ok, run.output
    r = run.results

    def resources(step):
        return sorted("%s.%s" % (x["type"], x["name"]) for x in r[step + "_state"].get("resources", []))

    both = ["terraform_data.named", "terraform_data.secret"]
    assert r["create_check"]["changed"] and r["create_check"]["commands"] == ["init", "plan", "show"]
    assert [(c["address"], c["action"]) for c in r["create_check"]["changes"]] == [(a, "create") for a in both]
    assert r["create_check"]["outputs"] == {"name": None, "password": "********"}
    assert resources("create_check") == []

    assert r["create"]["changed"] and r["create"]["commands"] == ["plan", "show", "apply", "output"]
    assert not r["create"]["initialised"], "init ran in check mode already; the fingerprint says nothing changed"
    assert r["create"]["outputs"] == {"name": "one", "password": "********"} and r["create"]["sensitive_outputs"] == ["password"]
    assert resources("create") == both

    for step in ("recreate_check", "recreate"):
        assert not r[step]["changed"] and r[step]["changes"] == [], step
        assert r[step]["commands"] == ["plan", "show"], "a no-op run is one plan"
        assert r[step]["outputs"] == {"name": "one", "password": "********"}

    assert r["modify_check"]["changed"]
    assert [(c["address"], c["action"]) for c in r["modify_check"]["changes"]] == [("terraform_data.named", "update")]
    assert r["modify_check_state"]["outputs"]["name"]["value"] == "one", "check mode wrote no state"
    assert r["modify"]["changed"] and r["modify"]["outputs"]["name"] == "two"

    assert r["delete_check"]["changed"] and {c["action"] for c in r["delete_check"]["changes"]} == {"delete"}
    assert resources("delete_check") == both
    assert r["delete"]["changed"] and r["delete"]["outputs"] == {} and resources("delete") == []
    for step in ("delete_again_check", "delete_again"):
        assert not r[step]["changed"] and r[step]["commands"] == ["plan", "show"], step


def test_diff_masks_sensitive_values_and_no_secret_is_printed(run_playbook, sandbox_env, project):
    options = dict(project_path=str(project), variables=dict(name="diffed", password=SECRET))
    tasks = [tofu_task("applied", **options),
             tofu_task("revealed", reveal_sensitive_outputs=True, **options) | {"no_log": True},
             # The test's own copy of the results holds the revealed secret.
             save_results("{'applied': applied, 'revealed': revealed}") | {"no_log": True}]
    run = run_playbook([localhost_play(tasks)], "-vvv", "--diff", env=sandbox_env)
    assert run.ok, run.output
    assert SECRET not in run.output, "a sensitive variable's value was printed"
    assert "+++ after: terraform_data.named (create)" in run.output
    assert "+++ after: terraform_data.secret (create)" in run.output
    assert '"input": "********"' in run.output
    assert '"variables": "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"' in run.output
    assert '"diffed"' in run.output, "values that are not secret stay readable"
    assert run.results["applied"]["outputs"]["password"] == "********"
    assert run.results["revealed"]["outputs"]["password"] == SECRET


def failures(run_playbook, env, *cases):
    """Run the module once per case (a dict of options, with ``environment`` for the task); the messages."""
    tasks = []
    for number, options in enumerate(cases):
        options = dict(options)
        task = tofu_task("result%d" % number, **options) | {"ignore_errors": True, "environment": options.pop("environment", {})}
        task["azimuth.ops.opentofu"] = options
        tasks.append(task)
    tasks.append(save_results("[%s]" % ", ".join("result%d" % number for number in range(len(cases)))))
    run = run_playbook([localhost_play(tasks)], env=env)
    assert run.ok, run.output
    assert all(result["failed"] for result in run.results), run.results
    return [result["msg"] for result in run.results]


def test_clear_errors(run_playbook, sandbox_env, project, tmp_path):
    nowhere, no_binary, no_tofu, undeclared, wrong_type, missing = failures(
        run_playbook, sandbox_env,
        dict(project_path=str(tmp_path / "nowhere")),
        dict(project_path=str(project), binary_path="/opt/no/tofu"),
        dict(project_path=str(project), environment=dict(PATH="/usr/bin:/bin")),
        dict(project_path=str(project), variables=dict(name="x", nmae="typo")),
        dict(project_path=str(project), variables=dict(name=["not", "a", "string"])),
        dict(project_path=str(project)),
    )
    assert nowhere == "project_path %s does not exist or is not a directory" % (tmp_path / "nowhere")
    assert no_binary == "Could not find OpenTofu: binary_path /opt/no/tofu is not an executable file (nor one on PATH)"
    assert no_tofu == "Could not find OpenTofu: neither tofu nor terraform is on PATH (/usr/bin:/bin); install OpenTofu or set binary_path"
    assert undeclared == "variables nmae: the configuration in %s declares no such variable (it declares: name, password)" % project
    assert wrong_type.startswith("plan failed in %s: Invalid value for input variable: The given value is not suitable for var.name" % project)
    assert "\n" not in wrong_type and len(wrong_type) < 600
    assert missing.startswith("plan failed in %s: No value for required variable" % project)


def test_messages_keep_the_engines_words_and_a_hidden_options_type(run_playbook, sandbox_env, project):
    """A failure without an ``Error:`` diagnostic keeps what the engine said; a value of the wrong type in a hidden
    option is reported readably, a secret in it still masked."""
    tasks = [tofu_task("workspace", check_mode=True, project_path=str(project), variables=dict(name="x"), workspace="blue"),
             tofu_task("typed", project_path=str(project), variables="a", backend_config=[dict(token=SECRET)])]
    tasks = [task | {"ignore_errors": True} for task in tasks] + [save_results("[workspace, typed]")]
    run = run_playbook([localhost_play(tasks)], "-vvv", env=sandbox_env)
    assert run.ok, run.output
    workspace, typed = (result["msg"] for result in run.results)
    assert workspace.startswith('workspace failed: Workspace "blue" doesn\'t exist.'), workspace
    assert typed == ("argument 'backend_config' is of type list and we were unable to convert to dict: <class 'list'> cannot be "
                     "converted to a dict; argument 'variables' is of type str and we were unable to convert to dict: dictionary "
                     "requested, could not parse JSON or key=value")
    assert SECRET not in run.output


def test_locked_state_fails_after_lock_timeout(run_playbook, sandbox_env, project):
    options = dict(project_path=str(project), variables=dict(name="locked"))
    run = run_playbook([localhost_play([tofu_task("first", **options)])], env=sandbox_env)
    assert run.ok, run.output
    with open(project / "terraform.tfstate", "r+") as state:
        # The local backend's lock is a POSIX record lock on the state file: hold it as another run would.
        fcntl.lockf(state, fcntl.LOCK_EX | fcntl.LOCK_NB)
        started = time.monotonic()
        message, = failures(run_playbook, sandbox_env, dict(options, lock_timeout=2, variables=dict(name="changed")))
        waited = time.monotonic() - started
    assert message.startswith("plan failed in %s: Error acquiring the state lock" % project), message
    assert "still locked after lock_timeout=2s. If no other run holds the lock, release it with 'force-unlock" in message
    assert waited >= 2


def start_playbook(tmp_path, name, plays, env):
    playbook = tmp_path / ("%s.yml" % name)
    playbook.write_text(json.dumps(plays))
    environment = dict(os.environ, **env, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS_PATH), ANSIBLE_NOCOLOR="1")
    return subprocess.Popen([str(ANSIBLE_PLAYBOOK), str(playbook), "-e", "results_file=%s" % (tmp_path / ("%s.json" % name))],
                            cwd=tmp_path, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)


def test_interrupted_apply_converges_when_run_again(run_playbook, sandbox_env, tmp_path):
    project = tmp_path / "slow"
    project.mkdir()
    (project / "main.tf").write_text(SLOW % {"seconds": 60})
    process = start_playbook(tmp_path, "interrupted", [localhost_play([tofu_task("result", project_path=str(project))])], sandbox_env)
    deadline = time.monotonic() + 120
    while not (project / "started").exists():
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()[0]
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGINT)  # Ctrl-C: the whole process group
    output = process.communicate(timeout=120)[0]
    assert process.returncode != 0
    assert not (project / ".terraform.tfstate.lock.info").exists(), "the engine released the lock:\n" + output

    (project / "main.tf").write_text(SLOW % {"seconds": 0})
    tasks = [tofu_task("again", project_path=str(project)), tofu_task("settled", project_path=str(project)),
             save_results("{'again': again, 'settled': settled}")]
    run = run_playbook([localhost_play(tasks)], env=sandbox_env)
    assert run.ok, output + run.output
    assert run.results["again"]["changed"] and any(c["address"] == "terraform_data.slow" for c in run.results["again"]["changes"])
    assert not run.results["settled"]["changed"]
    assert state_resources(project) == ["terraform_data.fast", "terraform_data.slow"]


def test_two_runs_at_once_apply_once(run_playbook, sandbox_env, tmp_path):
    project = tmp_path / "shared"
    project.mkdir()
    (project / "main.tf").write_text(SLOW % {"seconds": 3})
    plays = [localhost_play([tofu_task("result", project_path=str(project), lock_timeout=120), save_results("result")])]
    first = start_playbook(tmp_path, "first", plays, sandbox_env)
    second = start_playbook(tmp_path, "second", plays, sandbox_env)
    outputs = [process.communicate(timeout=300)[0] for process in (first, second)]
    assert first.returncode == 0 and second.returncode == 0, "\n".join(outputs)
    results = [json.loads((tmp_path / ("%s.json" % name)).read_text()) for name in ("first", "second")]
    assert sorted(r["changed"] for r in results) == [False, True], "exactly one run applied"
    assert results[0]["outputs"] == results[1]["outputs"], "both see the one resource"
    assert state_resources(project) == ["terraform_data.fast", "terraform_data.slow"]


NETWORK = """
terraform {
  required_providers {
    openstack = {
      source = "terraform-provider-openstack/openstack"
    }
  }
  backend "kubernetes" {}
}

provider "openstack" {}

variable "name" {
  type = string
}

resource "openstack_networking_network_v2" "this" {
  name = var.name
}

resource "terraform_data" "pause" {
  input = openstack_networking_network_v2.this.id
  provisioner "local-exec" {
    command = "sleep 2"
  }
}

output "network_id" {
  value = openstack_networking_network_v2.this.id
}
"""


def kube_state(kube_core, namespace, suffix):
    """The state the Kubernetes backend keeps in its Secret (gzipped JSON)."""
    secret = kube_core.read_namespaced_secret("tfstate-default-%s" % suffix, namespace)
    return json.loads(gzip.decompress(base64.b64decode(secret.data["tfstate"])))


@pytest.fixture
def cluster_namespace(kube_core, unique_name):
    namespace = "az-" + unique_name
    kube_core.create_namespace({"metadata": {"name": namespace}})
    yield namespace
    kube_core.delete_namespace(namespace)


def test_kubernetes_backend_two_runs_for_one_cluster_at_once(run_playbook, sandbox_env, tmp_path, unique_name, cluster_namespace,
                                                             kube_core, openstack_demo):
    """The real OpenStack provider, state in the real kube-apiserver: check mode writes nothing there,
    two runs at once make one network (the Lease is the lock), state absent removes it."""
    from kubernetes.client import CoordinationV1Api  # pylint: disable=import-outside-toplevel
    project = tmp_path / "network"
    project.mkdir()
    (project / "main.tf").write_text(NETWORK)
    options = dict(project_path=str(project), variables=dict(name=unique_name), lock_timeout=300, backend_config=dict(
        secret_suffix=unique_name, namespace=cluster_namespace, config_path=sandbox_env["KUBECONFIG"],
        labels={"caas.azimuth.stackhpc.com/cluster-name": unique_name}))
    env = dict(sandbox_env, OS_CLOUD="sandbox-demo")
    try:
        run = run_playbook([localhost_play([tofu_task("checked", check_mode=True, **options), save_results("checked")])], env=env)
        assert run.ok, run.output
        assert run.results["changed"] and run.results["commands"] == ["init", "plan", "show"]
        # The Kubernetes backend makes an empty state on its first use, even for a plan; nothing more is written.
        assert kube_state(kube_core, cluster_namespace, unique_name)["resources"] == []

        plays = [localhost_play([tofu_task("result", **options), save_results("result")])]
        runs = [start_playbook(tmp_path, name, plays, env) for name in ("first", "second")]
        outputs = [process.communicate(timeout=600)[0] for process in runs]
        assert [process.returncode for process in runs] == [0, 0], "\n".join(outputs)
        results = [json.loads((tmp_path / ("%s.json" % name)).read_text()) for name in ("first", "second")]
        assert sorted(r["changed"] for r in results) == [False, True]
        assert [n.name for n in openstack_demo.network.networks(name=unique_name)] == [unique_name]

        secret = kube_core.read_namespaced_secret("tfstate-default-%s" % unique_name, cluster_namespace)
        assert secret.metadata.labels["caas.azimuth.stackhpc.com/cluster-name"] == unique_name
        assert [r["type"] for r in kube_state(kube_core, cluster_namespace, unique_name)["resources"]] == [
            "openstack_networking_network_v2", "terraform_data"]
        lease = CoordinationV1Api(kube_core.api_client).read_namespaced_lease("lock-tfstate-default-%s" % unique_name, cluster_namespace)
        assert not lease.spec.holder_identity, "the lock was released"

        run = run_playbook([localhost_play([tofu_task("removed", state="absent", **options), save_results("removed")])], env=env)
        assert run.ok, run.output
        assert run.results["changed"] and list(openstack_demo.network.networks(name=unique_name)) == []
    finally:
        for network in openstack_demo.network.networks(name=unique_name):
            openstack_demo.network.delete_network(network)
