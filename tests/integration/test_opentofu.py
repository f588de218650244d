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

from .conftest import ANSIBLE_PLAYBOOK, COLLECTIONS_PATH, TEST_PLUGINS, localhost_play, save_results

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
    environment = dict(os.environ, **env, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS_PATH), ANSIBLE_NOCOLOR="1", **TEST_PLUGINS)
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


LOCAL_NETWORK = NETWORK.replace('  backend "kubernetes" {}\n', "").split('resource "terraform_data"', maxsplit=1)[0] + """
output "network_id" {
  value = openstack_networking_network_v2.this.id
}
"""


def test_refresh_false_plans_against_the_recorded_state(run_playbook, sandbox_env, tmp_path, unique_name, openstack_demo):
    """refresh: false saves the provider's reads: a network deleted outside is not seen (nor made again) until a
    run with the default refresh, and a change of the configuration is still planned; check mode predicts each."""
    project = tmp_path / "network"
    project.mkdir()
    (project / "main.tf").write_text(LOCAL_NETWORK)
    env = dict(sandbox_env, OS_CLOUD="sandbox-demo")
    options = dict(project_path=str(project), variables=dict(name=unique_name))
    quick = dict(options, refresh=False)
    try:
        run_steps(run_playbook, env, [("created", False, options)])
        for network in openstack_demo.network.networks(name=unique_name):
            openstack_demo.network.delete_network(network)
        renamed = dict(quick, variables=dict(name=unique_name + "-b"))
        r = run_steps(run_playbook, env, [("unseen_check", True, quick), ("unseen", False, quick),
                                          ("drift_check", True, options), ("drift", False, options),
                                          ("renamed_check", True, renamed), ("renamed", False, renamed)]).results
        assert not r["unseen_check"]["changed"] and not r["unseen"]["changed"], r["unseen"]
        assert r["unseen"]["commands"] == ["plan", "show"]
        create = [{"address": "openstack_networking_network_v2.this", "action": "create"}]
        assert r["drift_check"]["changes"] == create and r["drift"]["changes"] == create and r["drift"]["changed"]
        update = [{"address": "openstack_networking_network_v2.this", "action": "update"}]
        assert r["renamed_check"]["changes"] == update and r["renamed"]["changes"] == update and r["renamed"]["changed"]
        assert [n.name for n in openstack_demo.network.networks(name=unique_name + "-b")] == [unique_name + "-b"]
    finally:
        for name in (unique_name, unique_name + "-b"):
            for network in openstack_demo.network.networks(name=name):
                openstack_demo.network.delete_network(network)


# --- the options of community.general.terraform ------------------------------------------------

def run_steps(run_playbook, env, steps, *args, between=None):
    """Run (register, check_mode, options) steps in one play; each step's result, and ``between(register)``'s facts."""
    tasks = []
    for register, check_mode, options in steps:
        tasks.append(tofu_task(register, check_mode, **options) | {"ignore_errors": True})
        tasks += between(register) if between else []
    names = [register for register, _check, _options in steps]
    extra = [register + "_seen" for register in names] if between else []
    tasks.append(save_results("{%s}" % ", ".join("'%s': %s" % (n, n) for n in names + extra)))
    run = run_playbook([localhost_play(tasks)], *args, env=env)
    assert run.ok, run.output
    return run


def file_facts(path, register):
    """A task recording whether ``path`` exists and its modification time, as the play goes."""
    return [{"name": "stat " + register, "ansible.builtin.stat": {"path": str(path), "get_checksum": False}, "register": register + "_seen"}]


def test_state_planned_saves_a_plan_and_present_applies_exactly_it(run_playbook, sandbox_env, project, tmp_path):
    plan = tmp_path / "plans" / "demo.tfplan"
    plan.parent.mkdir()
    planned = dict(project_path=str(project), state="planned", plan_file=str(plan), variables=dict(name="reviewed", password=SECRET))
    saved = dict(project_path=str(project), plan_file=str(plan))
    steps = [("planned_check", True, planned), ("planned", False, planned), ("planned_again", False, planned),
             ("apply_check", True, saved), ("applied", False, saved), ("applied_again", False, saved),
             ("after_apply", False, planned)]
    run = run_steps(run_playbook, sandbox_env, steps, "--diff", between=lambda register: file_facts(plan, register))
    r = run.results
    assert r["planned_check"]["changed"] and not r["planned_check_seen"]["stat"]["exists"], "check mode writes no plan"
    assert [c["action"] for c in r["planned_check"]["changes"]] == ["create", "create"]
    assert r["planned"]["changed"] and r["planned_seen"]["stat"]["exists"] and r["planned"]["plan_file"] == str(plan)
    assert oct(r["planned_seen"]["stat"]["mode"] if isinstance(r["planned_seen"]["stat"]["mode"], int)
               else int(r["planned_seen"]["stat"]["mode"], 8)) == "0o600"
    assert not r["planned_again"]["changed"] and r["planned_again_seen"]["stat"]["mtime"] == r["planned_seen"]["stat"]["mtime"]
    assert state_resources(project) == ["terraform_data.named", "terraform_data.secret"], "state=planned applies nothing"
    # state_resources reads the end state; the steps before the apply are checked through their own results
    assert r["apply_check"]["changed"] and "apply" not in r["apply_check"]["commands"]
    assert r["applied"]["changed"] and r["applied"]["commands"][-2:] == ["apply", "output"]
    assert r["applied"]["outputs"] == {"name": "reviewed", "password": "********"}
    assert not r["applied_again"]["changed"] and "apply" not in r["applied_again"]["commands"], "a saved plan applies once"
    assert r["after_apply"]["changed"] and r["after_apply"]["changes"] == [], "a new plan (of nothing) replaces the applied one"
    assert SECRET not in run.output


def test_a_stale_plan_file_fails_and_asks_for_a_new_plan(run_playbook, sandbox_env, project, tmp_path):
    plan = tmp_path / "demo.tfplan"
    steps = [("planned", False, dict(project_path=str(project), state="planned", plan_file=str(plan), variables=dict(name="one"))),
             ("other", False, dict(project_path=str(project), variables=dict(name="two"))),
             ("stale", False, dict(project_path=str(project), plan_file=str(plan)))]
    r = run_steps(run_playbook, sandbox_env, steps).results
    assert not r["other"].get("failed") and r["other"]["changed"]
    assert r["stale"]["failed"] and r["stale"]["msg"] == (
        "plan_file %s is stale: the state changed since the plan was made, and the configuration still has changes to make; "
        "make a new plan with state=planned" % plan)


KEEP = """
variable "keep" {
  type    = bool
  default = true
}

variable "label" {
  type    = string
  default = "a"
}

resource "terraform_data" "kept" {
  count = var.keep ? 1 : 0
  input = "kept"
}

resource "terraform_data" "replaced" {
  triggers_replace = [var.label]
}
"""


def test_check_destroy_fails_before_apply_naming_what_would_go(run_playbook, sandbox_env, tmp_path):
    project = tmp_path / "keep"
    project.mkdir()
    (project / "main.tf").write_text(KEEP)
    base = dict(project_path=str(project), check_destroy=True)
    steps = [("created", False, base), ("again", False, base),
             ("delete_check", True, dict(base, variables=dict(keep=False))), ("delete", False, dict(base, variables=dict(keep=False))),
             ("replace", False, dict(base, variables=dict(label="b"))),
             ("absent", False, dict(base, state="absent"))]
    r = run_steps(run_playbook, sandbox_env, steps).results
    assert r["created"]["changed"] and not r["again"]["changed"] and not r["again"].get("failed")
    message = "check_destroy: the plan destroys terraform_data.kept[0] (delete); nothing was applied"
    assert r["delete_check"]["failed"] and r["delete_check"]["msg"] == message, "check mode predicts the refusal"
    assert r["delete"]["failed"] and r["delete"]["msg"] == message
    assert r["replace"]["failed"] and r["replace"]["msg"] == (
        "check_destroy: the plan destroys terraform_data.replaced (replace); nothing was applied")
    assert r["absent"]["changed"] and not r["absent"].get("failed"), "a destroy is what state=absent asks for"
    assert [c["address"] for c in r["absent"]["changes"]] == ["terraform_data.kept[0]", "terraform_data.replaced"], \
        "the refused plans applied nothing"
    assert state_resources(project) == []


def test_variables_files_are_typed_masked_and_lose_to_variables(run_playbook, sandbox_env, project, tmp_path):
    (project / "prod.tfvars").write_text('name = "from-file"\npassword = "%s"\n' % SECRET)
    from_file = dict(project_path=str(project), variables_file="prod.tfvars", complex_vars=True)
    steps = [("check", True, from_file), ("created", False, from_file), ("again", False, from_file),
             ("overridden", False, dict(from_file, variables=dict(name="from-variables")))]
    run = run_steps(run_playbook, sandbox_env, steps, "--diff", "-v")
    r = run.results
    assert r["check"]["changed"] and r["created"]["changed"] and not r["again"]["changed"]
    assert r["created"]["outputs"] == {"name": "from-file", "password": "********"}
    assert r["overridden"]["outputs"]["name"] == "from-variables"
    assert SECRET not in run.output, "a sensitive variable from a file was printed"
    assert '"input": "********"' in run.output


def test_outputs_in_the_shape_of_community_general_terraform(run_playbook, sandbox_env, project):
    options = dict(project_path=str(project), variables=dict(name="shaped", password=SECRET), outputs_format="terraform")
    run = run_steps(run_playbook, sandbox_env, [("check", True, options), ("created", False, options), ("again", False, options)])
    r = run.results
    # terraform_data's output is known only after apply: in check mode its value is null, its type unknown
    assert r["check"]["outputs"] == {"name": {"value": None, "type": "dynamic", "sensitive": False},
                                     "password": {"value": "********", "type": "dynamic", "sensitive": True}}
    for step in ("created", "again"):
        assert r[step]["outputs"] == {"name": {"value": "shaped", "type": "string", "sensitive": False},
                                      "password": {"value": "********", "type": "string", "sensitive": True}}, step
    assert not r["again"]["changed"] and r["again"]["commands"] == ["plan", "show", "output"]
    assert SECRET not in run.output


def test_purge_workspace_deletes_it_after_the_destroy(run_playbook, sandbox_env, project):
    base = dict(project_path=str(project), variables=dict(name="blue"), workspace="blue")
    gone = dict(base, state="absent", purge_workspace=True)
    steps = [("created", False, base), ("purge_check", True, gone), ("purged", False, gone), ("purged_again", False, gone),
             ("purged_again_check", True, gone), ("recreated", False, base), ("cleaned", False, gone)]
    listing = [{"name": "workspaces", "ansible.builtin.command": {"argv": ["tofu", "workspace", "list"], "chdir": str(project)},
                "register": "listed", "changed_when": False, "check_mode": False}]

    def tasks_between(register):
        return listing + [{"name": "keep", "ansible.builtin.set_fact": {
            register + "_seen": "{{ listed.stdout_lines | map('trim') | map('regex_replace', '^[*] ', '') | list }}"}}]

    r = run_steps(run_playbook, sandbox_env, steps, between=tasks_between).results
    assert r["created"]["changed"] and "blue" in r["created_seen"]
    assert r["purge_check"]["changed"] and "blue" in r["purge_check_seen"], "check mode deletes nothing"
    assert r["purged"]["changed"] and "blue" not in r["purged_seen"]
    assert r["purged"]["commands"][-2:] == ["workspace", "workspace"]
    for step in ("purged_again", "purged_again_check"):
        assert not r[step]["changed"] and not r[step].get("failed") and "blue" not in r[step + "_seen"], step
    assert r["recreated"]["changed"] and "blue" in r["recreated_seen"], "a later run makes it again"
    assert r["cleaned"]["changed"] and "blue" not in r["cleaned_seen"]


def test_init_options_of_community_general_terraform(run_playbook, sandbox_env, project):
    base = dict(project_path=str(project), variables=dict(name="init"))
    steps = [("created", False, base), ("forced", False, dict(base, force_init=True, init_reconfigure=True)),
             ("not_overwritten", False, dict(base, force_init=True, overwrite_init=False)),
             ("upgrade_check", True, dict(base, provider_upgrade=True)), ("upgraded", False, dict(base, provider_upgrade=True))]
    r = run_steps(run_playbook, sandbox_env, steps).results
    assert r["created"]["commands"][0] == "init"
    assert not r["forced"]["changed"] and r["forced"]["commands"] == ["init", "plan", "show"] and r["forced"]["initialised"]
    assert not r["not_overwritten"]["changed"] and r["not_overwritten"]["commands"] == ["plan", "show"]
    assert r["upgrade_check"]["commands"] == ["plan", "show"] and not r["upgrade_check"]["changed"]
    assert r["upgrade_check"]["warnings"] == ["provider_upgrade: check mode upgrades no provider; the plan uses the providers installed"]
    assert r["upgraded"]["commands"] == ["init", "plan", "show"] and not r["upgraded"]["changed"], "the lock file did not change"


def test_state_file_keeps_the_local_state_where_asked(run_playbook, sandbox_env, project, tmp_path):
    options = dict(project_path=str(project), variables=dict(name="elsewhere"), state_file=str(tmp_path / "states" / "demo.tfstate"))
    steps = [("check", True, options), ("created", False, options), ("again", False, options), ("absent", False, dict(options, state="absent"))]
    r = run_steps(run_playbook, sandbox_env, steps, between=lambda register: file_facts(tmp_path / "states" / "demo.tfstate", register)).results
    assert r["check"]["changed"] and not r["check_seen"]["stat"]["exists"]
    assert r["created"]["changed"] and r["created_seen"]["stat"]["exists"] and not (project / "terraform.tfstate").exists()
    assert r["created"]["outputs"]["name"] == "elsewhere"
    assert not r["again"]["changed"] and r["again"]["outputs"]["name"] == "elsewhere"
    assert r["absent"]["changed"]
    state = json.loads((tmp_path / "states" / "demo.tfstate").read_text())
    assert state["resources"] == []


def test_options_that_mean_nothing_here_are_refused_with_what_to_use(run_playbook, sandbox_env, project, tmp_path):
    kube = tmp_path / "kube"
    kube.mkdir()
    (kube / "main.tf").write_text('terraform {\n  backend "kubernetes" {}\n}\nresource "terraform_data" "a" {}\n')
    p = str(project)
    messages = failures(
        run_playbook, sandbox_env,
        dict(project_path=p, state="planned"),
        dict(project_path=p, state="absent", plan_file="x.tfplan"),
        dict(project_path=p, plan_file="missing.tfplan"),
        dict(project_path=p, purge_workspace=True, workspace="blue"),
        dict(project_path=p, no_color=False),
        dict(project_path=str(kube), state_file="x.tfstate"),
        dict(project_path=p, variables_files=["nope.tfvars"]),
    )
    assert messages == [
        "state=planned saves the plan to plan_file: set plan_file",
        "plan_file is for state=planned (save a plan) and state=present (apply it); state=absent plans the destroy afresh: "
        "remove plan_file",
        "plan_file missing.tfplan does not exist; make it first with state=planned",
        "purge_workspace deletes the workspace once state=absent destroyed what it held; with state=present remove purge_workspace",
        "no_color=false is not supported: the module reads the engine's output without colour and returns no raw output; "
        "remove no_color",
        "state_file is for the local backend, and the configuration in %s uses the kubernetes backend: give its settings in "
        "backend_config instead" % kube,
        "variables_files: nope.tfvars does not exist",
    ]
