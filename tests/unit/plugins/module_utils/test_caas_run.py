"""CaaS appliance runs: extra-variable precedence, the appliance's environment, what the events say."""

import os
import stat

from ansible_collections.azimuth.ops.plugins.module_utils import _caas_run as caas_run

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
                       TF_CLI_CONFIG_FILE="/declared", OS_CLOUD="openstack", OS_CLIENT_CONFIG_FILE=str(tmp_path / "clouds.yaml"))


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
        public, private = run_dir.deploy_key()
        assert public.startswith("ssh-ed25519 ") and os.path.exists(private)
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
