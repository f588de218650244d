"""The OpenTofu base: finding the engine, its environment, errors trimmed, plans read and masked."""

import os
import stat

import pytest

from ansible_collections.azimuth.ops.plugins.module_utils.tofu import _tofu as tofu

PORT_ERROR = ("\nError: Error creating openstack_networking_port_v2: Expected HTTP response code [201 202] when accessing "
              "[POST http://127.0.0.1:9696/v2.0/ports], but got 404 instead: "
              '{"NeutronError": {"type": "NetworkNotFound", "message": "Network 0000 could not be found.", "detail": ""}}\n' """
  with openstack_networking_port_v2.bad,
  on main.tf line 27, in resource "openstack_networking_port_v2" "bad":
  27: resource "openstack_networking_port_v2" "bad" {

""")

VARIABLE_ERROR = """
Error: Invalid value for input variable

  on main.tf line 11:
  11: variable "pw" {

The given value is not suitable for var.pw, which is sensitive: string
required, but have object. Invalid value defined at
/tmp/x/variables.tfvars.json:1,19-26.
"""

LOCK_ERROR = """
Error: Error acquiring the state lock

Error message: resource temporarily unavailable
Lock Info:
  ID:        5e4b1bd6-0a4c-6d5b-2bd1-6b4d9c2a1a11
  Path:      terraform.tfstate
  Operation: OperationTypeApply
  Who:       root@host
  Version:   1.15.5
  Created:   2026-12-01 15:30:00.000000 +0000 UTC
  Info:

Terraform acquires a state lock to protect the state from being written
by multiple users at the same time. Please resolve the issue above and try
again. For most commands, you can disable locking with the "-lock=false"
flag, but this is not recommended.
"""

BOXED = """\u2577
\u2502 Error: Unsupported argument
\u2502
\u2502   on main.tf line 3, in resource "terraform_data" "x":
\u2502    3:   nope = 1
\u2502
\u2502 An argument named "nope" is not expected here.
\u2575
"""


def executable(path):
    path.write_text("#!/bin/sh\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_find_binary_prefers_tofu_then_terraform(tmp_path):
    terraform = executable(tmp_path / "terraform")
    assert tofu.find_binary(search_path=str(tmp_path)) == terraform
    found = executable(tmp_path / "tofu")
    assert tofu.find_binary(search_path=str(tmp_path)) == found


def test_find_binary_explicit_path_and_missing(tmp_path):
    engine = executable(tmp_path / "my-tofu")
    assert tofu.find_binary(engine) == engine
    with pytest.raises(tofu.TofuError, match="binary_path /nowhere/tofu is not an executable"):
        tofu.find_binary("/nowhere/tofu")
    with pytest.raises(tofu.TofuError, match="neither tofu nor terraform is on PATH"):
        tofu.find_binary(search_path=str(tmp_path / "empty"))


def test_clean_environment_drops_what_steers_the_engine():
    base = dict(PATH="/bin", TF_VAR_password="x", TF_CLI_ARGS_plan="-destroy", TF_LOG="TRACE", TF_LOG_PATH="/tmp/log",
                TF_WORKSPACE="other", TF_DATA_DIR="/elsewhere", TF_INPUT="1", TF_CLI_CONFIG_FILE="/etc/tofurc",
                OS_CLOUD="demo", KUBE_CONFIG_PATH="/k")
    env = tofu.clean_environment(base)
    assert env == dict(PATH="/bin", TF_CLI_CONFIG_FILE="/etc/tofurc", OS_CLOUD="demo", KUBE_CONFIG_PATH="/k",
                       TF_INPUT="0", TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1")
    assert tofu.clean_environment(base, "blue")["TF_WORKSPACE"] == "blue"
    assert "TF_WORKSPACE" not in tofu.clean_environment(base, "default")


def test_private_json_is_readable_by_its_owner_only(tmp_path):
    path = tofu.write_private_json(str(tmp_path), "v.tfvars.json", {"a": 1})
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_error_names_the_resource_and_the_servers_words():
    assert tofu.describe_errors(PORT_ERROR) == (
        "openstack_networking_port_v2.bad: Error creating openstack_networking_port_v2: "
        "POST http://127.0.0.1:9696/v2.0/ports returned 404: Network 0000 could not be found.")


def test_error_without_resource_keeps_the_detail_not_the_source():
    message = tofu.describe_errors(VARIABLE_ERROR)
    assert message.startswith("Invalid value for input variable: The given value is not suitable for var.pw")
    assert "main.tf line" not in message and 'variable "pw"' not in message


def test_boxed_diagnostics_are_read_too():
    assert tofu.describe_errors(BOXED) == 'Unsupported argument: An argument named "nope" is not expected here.'


def test_lock_error_names_the_holder():
    assert tofu.is_lock_error(LOCK_ERROR)
    assert tofu.describe_errors(LOCK_ERROR) == (
        "Error acquiring the state lock: held by root@host since 2026-12-01 15:30:00.000000 +0000 UTC for "
        "OperationTypeApply (lock ID 5e4b1bd6-0a4c-6d5b-2bd1-6b4d9c2a1a11)")
    assert tofu.lock_holder(LOCK_ERROR)["id"] == "5e4b1bd6-0a4c-6d5b-2bd1-6b4d9c2a1a11"


def test_many_errors_are_cut_short():
    text = "".join("\nError: problem %d\n\ndetail %d\n" % (n, n) for n in range(5))
    assert tofu.describe_errors(text) == "problem 0: detail 0; problem 1: detail 1; problem 2: detail 2; and 2 more errors"


def test_stale_plan_is_recognised():
    assert tofu.is_stale_plan("\nError: Saved plan is stale\n\nThe given plan file can no longer be applied.\n")
    assert not tofu.is_stale_plan(PORT_ERROR)


# --- plans -----------------------------------------------------------------------------------

def change(address, actions, before=None, after=None, **extra):
    return dict(address=address, change=dict(actions=actions, before=before, after=after, **extra))


PLAN = dict(
    resource_changes=[
        change("terraform_data.same", ["no-op"], {"input": "a"}, {"input": "a"}),
        change("openstack_networking_network_v2.net", ["create"], None, {"name": "n", "tags": None},
               after_unknown={"id": True, "segments": True}, after_sensitive={"segments": []}),
        change("terraform_data.secret", ["delete", "create"], {"input": "old-secret"}, {"input": "new-secret"},
               before_sensitive={"input": True}, after_sensitive={"input": True}),
        change("data.openstack_networking_network_v2.ext", ["read"]),
    ],
    output_changes={"id": dict(actions=["no-op"])},
    planned_values=dict(outputs={"id": dict(sensitive=False, value="x"), "pw": dict(sensitive=True, value="s3cret"),
                                 "later": dict(sensitive=False)}),
    configuration=dict(root_module=dict(variables={"name": {}, "password": {"sensitive": True}})),
)


def test_resource_changes_are_masked():
    changes = tofu.resource_changes(PLAN)
    assert [(c["address"], c["action"]) for c in changes] == [
        ("terraform_data.same", "no-op"), ("openstack_networking_network_v2.net", "create"),
        ("terraform_data.secret", "replace"), ("data.openstack_networking_network_v2.ext", "read")]
    assert changes[1]["after"] == {"name": "n", "tags": None, "id": tofu.UNKNOWN, "segments": tofu.UNKNOWN}
    assert changes[2]["before"] == {"input": tofu.MASK} and changes[2]["after"] == {"input": tofu.MASK}


def test_mask_follows_nested_sensitivity():
    value = {"a": [{"b": "x", "c": "y"}], "d": "z"}
    assert tofu.mask(value, {"a": [{"c": True}]}) == {"a": [{"b": "x", "c": tofu.MASK}], "d": "z"}
    assert tofu.mask(value, True) == tofu.MASK
    assert tofu.mask(None, False, True) == tofu.UNKNOWN


def test_changed_only_for_actions_that_write():
    assert tofu.has_changes(PLAN)
    quiet = dict(resource_changes=[change("a.b", ["no-op"]), change("data.c.d", ["read"])],
                 output_changes={"o": dict(actions=["no-op"])})
    assert not tofu.has_changes(quiet)
    output_only = dict(resource_changes=[], output_changes={"o": dict(actions=["create"])})
    assert tofu.has_changes(output_only)
    assert not tofu.has_changes({})


def test_diff_shows_address_and_action_of_each_change():
    diff = tofu.plan_diff(tofu.resource_changes(PLAN))
    assert [(d["before_header"], d["after_header"]) for d in diff] == [
        ("openstack_networking_network_v2.net", "openstack_networking_network_v2.net (create)"),
        ("terraform_data.secret", "terraform_data.secret (replace)")]
    assert diff[0]["before"] == {}
    assert "old-secret" not in str(diff) and "new-secret" not in str(diff)


def test_outputs_and_sensitive_variables():
    assert tofu.planned_outputs(PLAN) == {"id": dict(value="x", sensitive=False), "pw": dict(value="s3cret", sensitive=True),
                                          "later": dict(value=None, sensitive=False)}
    assert tofu.state_outputs('{"ip": {"sensitive": false, "type": "string", "value": "10.0.0.3"}}') == {
        "ip": dict(value="10.0.0.3", sensitive=False, type="string")}
    assert tofu.sensitive_variables(PLAN) == ["password"]


def test_engine_runs_in_the_project_and_records_commands(tmp_path):
    script = tmp_path / "fake-tofu"
    script.write_text('#!/bin/sh\necho "$@" "$PWD" "$TF_INPUT"\necho "\nError: nope\n\nbroken" >&2\nexit 3\n')
    script.chmod(0o755)
    engine = tofu.Engine(str(script), str(tmp_path), tofu.clean_environment(dict(PATH="/bin:/usr/bin")))
    returncode, stdout, _stderr = engine.run("plan", "-input=false")
    assert returncode == 3 and stdout.split() == ["plan", "-input=false", str(tmp_path), "0"]
    with pytest.raises(tofu.TofuError, match="^output failed: nope: broken$"):
        engine.check("output", "-json")
    assert engine.commands == ["plan", "output"]


WORKSPACE_MISSING = """Workspace "blue" doesn't exist.

You can create this workspace with the "new" subcommand
or include the "-or-create" flag with the "select" subcommand.
"""


def test_engine_words_keep_what_the_engine_said_without_diagnostics():
    assert tofu.engine_words("", WORKSPACE_MISSING).startswith("Workspace \"blue\" doesn't exist. You can create this workspace")
    assert tofu.engine_words("\nError: nope\n\nbroken", WORKSPACE_MISSING) == "nope: broken"
    assert tofu.engine_words("", "  ") == ""
    long_words = tofu.engine_words("x" * 1000 + " the end")
    assert long_words.endswith("the end") and long_words.startswith("...") and len(long_words) <= tofu.MAX_DETAIL


def test_a_failed_subcommand_keeps_the_engines_words(tmp_path):
    (tmp_path / "said").write_text(WORKSPACE_MISSING)
    script = tmp_path / "fake-tofu"
    script.write_text("#!/bin/sh\ncat %s >&2\nexit 1\n" % (tmp_path / "said"))
    script.chmod(0o755)
    engine = tofu.Engine(str(script), str(tmp_path), tofu.clean_environment(dict(PATH="/bin:/usr/bin")))
    with pytest.raises(tofu.TofuError, match="^workspace failed: Workspace \"blue\" doesn't exist. You can create"):
        engine.check("workspace", "select", "blue")


def test_value_types_as_the_engine_writes_them():
    assert tofu.value_type("a") == "string" and tofu.value_type(True) == "bool" and tofu.value_type(2.5) == "number"
    assert tofu.value_type([1, "x"]) == ["tuple", ["number", "string"]]
    assert tofu.value_type({"ip": "10.0.0.1", "up": False}) == ["object", {"ip": "string", "up": "bool"}]
    assert tofu.value_type(None) == "dynamic"


# The apply of the sandbox-network appliance (subnet replaced, destroyed first) when it was stopped.
STOPPED_APPLY = """openstack_networking_router_interface_v2.cluster: Destroying... [id=501c]
openstack_networking_router_interface_v2.cluster: Still destroying... [id=501c, 00m10s elapsed]
openstack_networking_router_interface_v2.cluster: Destruction complete after 14s
openstack_networking_subnet_v2.cluster: Destroying... [id=21f8]
openstack_networking_subnet_v2.cluster: Still destroying... [id=21f8, 00m10s elapsed]
openstack_networking_subnet_v2.cluster (deposed object 39b95b22): Destroying... [id=77aa]
openstack_networking_subnet_v2.cluster: Still destroying... [id=21f8, 01m40s elapsed]
Interrupt received.
"""


def test_in_progress_names_the_operations_not_finished():
    assert tofu.in_progress(STOPPED_APPLY) == {"openstack_networking_subnet_v2.cluster": ("destroying", "01m40s")}
    assert tofu.in_progress("a.b: Creating...\na.b: Creation complete after 1s [id=x]\n") == {}
    assert tofu.in_progress("") == {}


def plan_with(actions, references):
    """A plan JSON of root-module resources with their actions and what each refers to."""
    return {
        "resource_changes": [{"address": a, "type": a.split(".")[0], "name": a.split(".")[1], "mode": "managed",
                              "change": {"actions": act}} for a, act in actions.items()],
        "configuration": {"root_module": {"resources": [
            {"address": a, "expressions": {"fixed_ip": [{"subnet_id": {"references": refs}}]}} for a, refs in references.items()]}},
    }


def test_held_replacements_are_destroy_first_replacements_that_a_kept_resource_depends_on():
    subnet, port, iface = "openstack_networking_subnet_v2.cluster", "openstack_networking_port_v2.gateway", "openstack_x_v2.iface"
    refs = {subnet: [], port: [subnet + ".id", subnet], iface: [subnet + ".id"]}
    held = plan_with({subnet: ["delete", "create"], port: ["update"], iface: ["delete", "create"]}, refs)
    assert tofu.held_replacements(held) == {subnet: [port]}, "the interface is replaced too, the port stays"
    made_first = plan_with({subnet: ["create", "delete"], port: ["update"], iface: ["create", "delete"]}, refs)
    assert tofu.held_replacements(made_first) == {}, "create_before_destroy: the new subnet exists before the old goes"
    untouched = plan_with({subnet: ["delete", "create"], port: ["no-op"], iface: ["delete"]}, refs)
    assert tofu.held_replacements(untouched) == {subnet: [port]}
    assert tofu.held_replacements(plan_with({subnet: ["update"], port: ["update"]}, refs)) == {}
