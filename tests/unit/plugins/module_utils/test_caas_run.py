"""CaaS appliance runs: extra-variable precedence, the appliance's environment, what the events say."""

import os
import stat

from ansible_collections.azimuth.ops.plugins.module_utils.caas import _caas_run as caas_run

PARAMS = dict(
    name="ws1", id="6f1c", type="workstation", state="present",
    deploy_ssh_public_key="ssh-ed25519 AAAA", ssh_private_key_file="/keys/id_ed25519",
    global_extravars=dict(a="global", b="global", c="global", d="global", cluster_name="from-global"),
    type_extravars=dict(b="type", c="type", d="type", nested=dict(x=1)),
    cluster_extravars=dict(c="cluster", d="cluster", cluster_state="present"),
    extravar_overrides=dict(d="override", cluster_id="from-overrides"),
)


def test_later_layers_win_then_the_fixed_variables():
    merged = caas_run.merge_extravars(PARAMS)
    assert merged == dict(
        a="global", b="type", c="cluster", d="override", nested=dict(x=1),
        cluster_name="ws1", cluster_id="6f1c", cluster_type="workstation", cluster_state="present",
        cluster_deploy_ssh_public_key="ssh-ed25519 AAAA", cluster_ssh_private_key_file="/keys/id_ed25519")


def test_absent_forces_cluster_state():
    merged = caas_run.merge_extravars(dict(PARAMS, state="absent"))
    assert merged["cluster_state"] == "absent"


def test_present_wins_over_a_layer_that_says_absent():
    params = dict(PARAMS, cluster_extravars=dict(cluster_state="absent"), extravar_overrides=dict(cluster_state="absent"))
    assert caas_run.merge_extravars(params)["cluster_state"] == "present"


def test_merge_copies_the_layers():
    merged = caas_run.merge_extravars(PARAMS)
    merged["nested"]["x"] = 2
    assert PARAMS["type_extravars"]["nested"]["x"] == 1


def test_environment_keeps_only_what_a_program_needs(tmp_path):
    base = dict(PATH="/usr/bin", HOME="/root", LANG="C.UTF-8", LC_ALL="C", ANSIBLE_COLLECTIONS_PATH="/c", SSL_CERT_FILE="/ca",
                KEYCLOAK_ADMIN_PASSWORD="kc", ANSIBLE_VAULT_PASSWORD_FILE="/v", TF_TOKEN_example_org="t", AWS_SECRET_ACCESS_KEY="a",
                TF_CLI_CONFIG_FILE="/tofurc")
    env = caas_run.appliance_environment(base, dict(TF_CLI_CONFIG_FILE="/declared"), str(tmp_path), None)
    assert env == dict(PATH="/usr/bin", HOME="/root", LANG="C.UTF-8", LC_ALL="C", ANSIBLE_COLLECTIONS_PATH="/c", SSL_CERT_FILE="/ca",
                       TF_CLI_CONFIG_FILE="/declared", OS_CLOUD="openstack", OS_CLIENT_CONFIG_FILE=str(tmp_path / "clouds.yaml"),
                       ANSIBLE_SSH_RETRIES="10")


def test_environment_sets_what_the_operator_sets_and_envvars_win(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    env = caas_run.appliance_environment(dict(PATH="/usr/bin"), {}, str(tmp_path), None, str(project))
    assert env["ANSIBLE_SSH_RETRIES"] == "10" and "ANSIBLE_CONFIG" not in env, "no ansible.cfg, no ANSIBLE_CONFIG"
    (project / "ansible.cfg").write_text("[defaults]\n")
    env = caas_run.appliance_environment(dict(PATH="/usr/bin"), {}, str(tmp_path), None, str(project))
    assert env["ANSIBLE_CONFIG"] == str(project / "ansible.cfg")
    env = caas_run.appliance_environment(dict(PATH="/usr/bin"), dict(ANSIBLE_SSH_RETRIES=3, ANSIBLE_CONFIG="/other.cfg"),
                                         str(tmp_path), None, str(project))
    assert env["ANSIBLE_SSH_RETRIES"] == "3" and env["ANSIBLE_CONFIG"] == "/other.cfg"


def test_the_run_searches_its_own_directories_first(tmp_path):
    env = caas_run.with_run_search_paths(dict(ANSIBLE_COLLECTIONS_PATHS="/old", ANSIBLE_ROLES_PATH="/roles"), "/run", str(tmp_path))
    assert env == dict(ANSIBLE_COLLECTIONS_PATH="/run/galaxy/collections:/old", ANSIBLE_ROLES_PATH="/run/galaxy/roles:/roles")
    env = caas_run.with_run_search_paths({}, "/run", str(tmp_path))
    assert env["ANSIBLE_COLLECTIONS_PATH"] == "/run/galaxy/collections:~/.ansible/collections:/usr/share/ansible/collections"
    (tmp_path / "ansible.cfg").write_text("[defaults]\ncollections_path = ./collections:/abs\nroles_path = roles\n")
    env = caas_run.with_run_search_paths(dict(ANSIBLE_CONFIG=str(tmp_path / "ansible.cfg")), "/run", str(tmp_path))
    assert env["ANSIBLE_COLLECTIONS_PATH"] == "/run/galaxy/collections:%s/./collections:/abs" % tmp_path
    assert env["ANSIBLE_ROLES_PATH"] == "/run/galaxy/roles:%s/roles" % tmp_path


def test_the_requirements_file_is_the_operators(tmp_path):
    assert caas_run.requirements_file(str(tmp_path)) is None
    (tmp_path / "roles").mkdir()
    (tmp_path / "roles" / "requirements.yml").write_text("- src: geerlingguy.docker\n")
    assert caas_run.requirements_file(str(tmp_path)) == "roles/requirements.yml"
    assert caas_run.requirement_names(str(tmp_path / "roles" / "requirements.yml")) == ["role geerlingguy.docker"]
    (tmp_path / "requirements.yml").write_text(
        "collections:\n  - name: openstack.cloud\n    version: 1.8.0\n  - azimuth_cloud.terraform\n"
        "  - name: /src/local\n    type: dir\nroles:\n  - name: ws\n    src: https://example.org/ws.git\n")
    assert caas_run.requirements_file(str(tmp_path)) == "requirements.yml"
    assert caas_run.requirement_names(str(tmp_path / "requirements.yml")) == [
        "collection openstack.cloud", "collection azimuth_cloud.terraform", "collection /src/local", "role ws"]
    (tmp_path / "requirements.yml").write_text("{not yaml")
    assert caas_run.requirement_names(str(tmp_path / "requirements.yml")) == []


def test_galaxy_error_keeps_what_went_wrong():
    output = ("Starting galaxy collection install process\nProcess install dependency map\n"
              "[WARNING]: Skipping Galaxy server https://galaxy.ansible.com. Got an unexpected error for community.x\n"
              "[ERROR]: Unknown error when attempting to call Galaxy\n\n<<< caused by >>>\n")
    assert caas_run.galaxy_error(output) == ("[WARNING]: Skipping Galaxy server https://galaxy.ansible.com. Got an unexpected "
                                             "error for community.x [ERROR]: Unknown error when attempting to call Galaxy")
    assert caas_run.galaxy_error("one\nlast line\n") == "last line"
    assert caas_run.galaxy_error("") == "no output"


def test_environment_drops_the_callers_cloud(tmp_path):
    base = dict(PATH="/usr/bin", OS_PASSWORD="hunter2", OS_CLOUD="admin", OS_AUTH_URL="x", HOME="/root")
    env = caas_run.appliance_environment(base, dict(KUBE_CONFIG_PATH="/k", OS_REGION_NAME="ignored?"), str(tmp_path), "/venv/bin")
    assert env["PATH"] == "/venv/bin:/usr/bin" and env["HOME"] == "/root" and env["KUBE_CONFIG_PATH"] == "/k"
    assert env["OS_CLOUD"] == "openstack" and env["OS_CLIENT_CONFIG_FILE"] == str(tmp_path / "clouds.yaml")
    assert "OS_PASSWORD" not in env and "OS_AUTH_URL" not in env and "OS_CACERT" not in env
    assert env["OS_REGION_NAME"] == "ignored?", "the appliance's own envvars are kept"
    (tmp_path / "cacert").write_text("PEM")
    assert caas_run.appliance_environment(base, {}, str(tmp_path), None)["OS_CACERT"] == str(tmp_path / "cacert")


def ok(task, action, res, changed=False):
    return dict(event="runner_on_ok", event_data=dict(task=task, task_action=action, res=dict(res, changed=changed)))


def failed(task, res, ignore_errors=False):
    return dict(event="runner_on_failed", event_data=dict(task=task, task_action="fail", res=res, ignore_errors=ignore_errors))


def stats(changed):
    return dict(event="playbook_on_stats", event_data=dict(changed=changed))


def test_outputs_come_from_the_last_debug_with_a_dict_outputs():
    events = [
        ok("first", "ansible.builtin.debug", dict(outputs=dict(ip="1"))),
        ok("second", "debug", dict(outputs=dict(ip="2"))),
        ok("not a debug", "ansible.builtin.set_fact", dict(outputs=dict(ip="3"))),
        ok("a message", "ansible.builtin.debug", dict(msg="hello")),
        ok("not a dict", "ansible.builtin.debug", dict(outputs="VARIABLE IS NOT DEFINED!")),
    ]
    assert caas_run.outputs_from_events(events) == dict(ip="2")
    assert caas_run.outputs_from_events(events[2:]) == {}


def test_failure_is_the_last_failed_task_not_ignored():
    events = [
        failed("early", dict(msg="first")),
        failed("ignored", dict(msg="never mind"), ignore_errors=True),
        failed("Create the network", dict(msg="quota exceeded\n", _ansible_no_log=False)),
        ok("after", "debug", dict(msg="x")),
    ]
    assert caas_run.failure_from_events(events) == dict(task="Create the network", message="quota exceeded")
    assert caas_run.describe_failure(caas_run.failure_from_events(events)) == "Task:'Create the network' Error:\nquota exceeded"
    assert caas_run.failure_from_events(events[1:2]) is None


def test_failure_message_of_a_no_log_task_is_hidden():
    censored = dict(censored="the output has been hidden due to the fact that 'no_log: true' was specified for this result")
    for res in (censored, dict(msg="secret", _ansible_no_log=True), dict(msg="secret", _ansible_no_log="true"), {}):
        failure = caas_run.failure_from_events([failed("Use the token", res)])
        assert failure == dict(task="Use the token", message=caas_run.HIDDEN_MESSAGE)


def test_unreachable_counts_as_failure():
    event = dict(event="runner_on_unreachable", event_data=dict(task="Wait", res=dict(msg="ssh: no route")))
    assert caas_run.failure_from_events([event]) == dict(task="Wait", message="ssh: no route")


def test_changed_from_the_recap_else_the_tasks():
    assert caas_run.changed_from_events([ok("t", "command", {}, changed=True), stats({"localhost": 1})])
    assert not caas_run.changed_from_events([ok("t", "command", {}, changed=True), stats({})])
    assert caas_run.changed_from_events([ok("t", "command", {}, changed=True)])
    assert not caas_run.changed_from_events([ok("t", "command", {})])


def test_run_directory_is_private_and_removed(tmp_path):
    with caas_run.RunDirectory(str(tmp_path)) as run_dir:
        assert stat.S_IMODE(os.stat(run_dir.path).st_mode) == 0o700
        run_dir.write_inputs({"a": 1}, "clouds: {}\n", "PEM", caas_run.default_inventory())
        for relative in ("env/extravars", "clouds.yaml", "cacert", "inventory/hosts"):
            assert stat.S_IMODE(os.stat(os.path.join(run_dir.path, relative)).st_mode) == 0o600
        private = run_dir.write("ssh/id_ed25519", "KEY")
        assert stat.S_IMODE(os.stat(private).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(os.path.dirname(private)).st_mode) == 0o700
    assert os.listdir(str(tmp_path)) == []


class FakeTree:
    def __init__(self):
        self.asked = self.killed = 0
        self.over = False

    def ask(self):
        self.asked += 1

    def grace_over(self):
        return self.over

    def kill(self):
        self.killed += 1


def test_stopping_on_timeout_asks_first_and_cuts_only_after_the_grace_period():
    now = [0.0]
    tree = FakeTree()
    stopping = caas_run.Stopping(10, tree, clock=lambda: now[0])
    assert not stopping.cancel() and tree.asked == 0 and stopping.reason is None
    now[0] = 10
    assert not stopping.cancel() and tree.asked == 1 and stopping.status == "timeout"
    assert stopping.reason == "the appliance did not finish within 10 seconds and was stopped"
    tree.over = True
    assert stopping.cancel() and tree.killed == 1


def test_stopping_on_a_signal_says_which():
    stopping = caas_run.Stopping(3600, FakeTree(), clock=lambda: 0)
    stopping.on_signal(15, None)
    stopping.on_signal(2, None)
    assert not stopping.cancel() and stopping.status == "stopped"
    assert stopping.reason == "the run was stopped by SIGTERM before the appliance finished"
