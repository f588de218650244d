"""Secrets in options: found at any depth, hidden before Ansible logs the invocation, never sent to another host."""

import base64
import json

import pytest
import yaml
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

from ansible_collections.azimuth.ops.plugins.module_utils.kubernetes import _kubernetes as k
from ansible_collections.azimuth.ops.plugins.module_utils.openstack import _openstack as o
from ansible_collections.azimuth.ops.plugins.module_utils.common._module import ModuleError, Secrets, leaf_values, secret_values

TOKEN = "kube-bearer-TOKEN-1234"
KEY_DATA = "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0t"
PASSWORD = "keystone-PASSWORD-5678"


def kubeconfig(server="https://127.0.0.1:6443", token=TOKEN):
    return {
        "apiVersion": "v1", "kind": "Config", "current-context": "lab",
        "clusters": [{"name": "lab", "cluster": {"server": server, "insecure-skip-tls-verify": True}}],
        "contexts": [{"name": "lab", "context": {"cluster": "lab", "user": "admin"}}],
        "users": [{"name": "admin", "user": {"token": token}}],
    }


def test_secret_values_found_at_any_depth():
    config = kubeconfig()
    config["users"].append({"name": "other", "user": {
        "client-key-data": KEY_DATA, "client-certificate-data": "CERT", "password": "pw-1", "username": "bob",
        "auth-provider": {"name": "oidc", "config": {"id-token": "id-tok", "refresh-token": "ref-tok", "client-secret": "cs"}},
        "exec": {"command": "aws", "env": [{"name": "AWS_SESSION_TOKEN", "value": "sess"}, {"name": "AWS_REGION", "value": "eu"}]},
    }})
    assert secret_values(config) == {TOKEN, KEY_DATA, "pw-1", "id-tok", "ref-tok", "cs", "sess"}
    cloud = {"auth": {"auth_url": "http://k:5000/v3", "username": "demo", "password": PASSWORD, "project_name": "demo"},
             "identity_api_version": 3, "verify": False}
    assert secret_values(cloud) == {PASSWORD}
    assert leaf_values(cloud) == {"http://k:5000/v3", "demo", PASSWORD, "3"}


# --- the one registry ---------------------------------------------------------------------------


def b64(text):
    return base64.b64encode(text.encode()).decode()


def test_a_secret_is_registered_with_its_base64_and_that_of_the_texts_holding_it():
    secrets = Secrets()
    no_log = set(["given-before"])
    secrets.add("early-SECRET")
    secrets.bind(no_log)
    secrets.add("late-SECRET", held_in=["clouds: {secret: late-SECRET}", None])
    assert secrets.values == {"early-SECRET", b64("early-SECRET"), "late-SECRET", b64("late-SECRET"), b64("clouds: {secret: late-SECRET}")}
    assert no_log == secrets.values | {"given-before"}, "registered values join the module's no-log values at once"


def test_short_and_empty_values_are_ignored_unless_given():
    secrets = Secrets()
    secrets.add("", None, "1", "abc", 12)
    assert secrets.values == set()
    secrets.add("abc", "", short=True)
    assert secrets.values == {"abc", b64("abc")}


def test_mask_hides_every_secret_known_in_nested_values_longest_first():
    secrets = Secrets()
    secrets.bind(set(["no-log-PASSWORD"]))
    secrets.add("abcd", "abcd-efgh", 123456)
    value = dict(error="login with abcd-efgh failed", port=123456, keep=True, items=["x no-log-PASSWORD y", b64("abcd"), 7],
                 nested=dict(outputs=["abcd", None]))
    assert secrets.mask(value) == dict(error="login with ******** failed", port="********", keep=True, items=["x ******** y", "********", 7],
                                       nested=dict(outputs=["********", None]))
    assert secrets.mask("abcd-efgh") == "********", "the longer secret is masked whole, not as ********-efgh"
    assert value["error"] == "login with abcd-efgh failed", "the value itself is left as it was"


def test_unmask_keeps_what_is_registered():
    secrets = Secrets()
    no_log = set(["alice", "physics", "the-PASSWORD"])
    secrets.bind(no_log)
    secrets.add("the-PASSWORD")
    secrets.unmask(["alice", "the-PASSWORD"])
    assert no_log == {"physics", "the-PASSWORD", b64("the-PASSWORD")}


# --- the invocation log -----------------------------------------------------------------------


@pytest.fixture
def logged(monkeypatch):
    """What modules send to syslog (this machine has no journal), as a list."""
    messages = []
    monkeypatch.setattr(basic, "has_journal", False)
    monkeypatch.setattr(basic.AnsibleModule, "_log_to_syslog", lambda self, msg: messages.append(msg))
    return messages


def build(module_class, **args):
    with patch_module_args(args):
        return module_class()


class KubeModule(k.KubernetesModule):
    argument_spec = dict(name=dict(type="str"))


class CloudModule(o.OpenStackModule):
    argument_spec = dict(name=dict(type="str"))


def test_a_kubeconfig_dict_is_masked_in_the_invocation_log(logged):
    module = build(KubeModule, kubeconfig=kubeconfig(), name="x")
    assert len(logged) == 1 and "kubeconfig=" in logged[0]
    assert TOKEN not in logged[0] and "https://127.0.0.1:6443" in logged[0]
    assert TOKEN in module.module.no_log_values


def test_auth_and_a_cloud_dict_are_masked_in_the_invocation_log_and_auth_only_where_secret(logged):
    cloud = {"auth": {"auth_url": "http://k:5000/v3", "username": "alice", "password": PASSWORD, "project_name": "physics"}}
    module = build(CloudModule, cloud=cloud, name="x")
    assert PASSWORD not in logged[0] and "physics" in logged[0]
    logged.clear()
    module = build(CloudModule, auth=dict(cloud["auth"], password="other-PASSWORD"), name="x")
    assert "auth=NOT_LOGGING_PARAMETER" in logged[0] and "other-PASSWORD" not in logged[0]
    # In the results only the secrets stay masked: project and user names (inside namespace names, say) are kept.
    assert "other-PASSWORD" in module.module.no_log_values
    assert not {"alice", "physics", "http://k:5000/v3"} & module.module.no_log_values


def test_a_secret_registered_mid_run_is_masked_in_what_the_module_returns(logged, capsys):
    with patch_module_args(dict(kubeconfig=kubeconfig(), name="x")):
        module = KubeModule()
        module.secrets.add("read-mid-RUN")
        with pytest.raises(SystemExit):
            module.module.exit_json(changed=False, seen="said read-mid-RUN")
    output = json.loads(capsys.readouterr().out)
    assert output["seen"] == "said ********" and "read-mid-RUN" not in json.dumps(output)


def test_an_early_failure_does_not_show_a_kubeconfig_secret(logged, capsys):
    with pytest.raises(SystemExit):
        build(KubeModule, kubeconfig=kubeconfig(), name="x", unknown_option=1)
    output = capsys.readouterr().out
    assert "Unsupported parameters" in output and TOKEN not in output


# --- the connection ------------------------------------------------------------------------


def test_a_cloud_dict_and_auth_are_merged_with_the_explicit_options_winning():
    params = dict(cloud={"auth": {"auth_url": "u", "username": "a", "password": "p"}, "region_name": "R1", "interface": "internal"},
                  auth={"password": "q", "project_name": "demo"}, region_name="R2", validate_certs=False)
    assert o.connection_kwargs(params) == {
        "auth": {"auth_url": "u", "username": "a", "password": "q", "project_name": "demo"},
        "region_name": "R2", "interface": "internal", "verify": False}
    assert o.connection_kwargs(dict(cloud="demo", auth={"password": "q"})) == {"cloud": "demo", "auth": {"password": "q"}}
    with pytest.raises(ModuleError, match="cloud must be the name of a cloud in clouds.yaml or a dict of connection settings, not a list"):
        o.connection_kwargs(dict(cloud=["demo"]))


def write(tmp_path, content):
    path = tmp_path / "kubeconfig"
    path.write_text(content)
    return str(path)


def test_host_of_another_server_gets_none_of_the_kubeconfigs_credentials(tmp_path):
    path = write(tmp_path, yaml.safe_dump(kubeconfig()))
    same = k.api_client(dict(kubeconfig=path, host="https://127.0.0.1:6443/")).configuration
    assert TOKEN in repr(same.api_key)
    other = k.api_client(dict(kubeconfig=path, host="https://elsewhere.example.org")).configuration
    assert other.host == "https://elsewhere.example.org" and TOKEN not in repr(other.api_key) and not other.cert_file
    explicit = k.api_client(dict(kubeconfig=path, host="https://elsewhere.example.org", api_key="its-own")).configuration
    assert explicit.api_key["authorization"] == "Bearer its-own"


@pytest.mark.parametrize("content, message", [
    ("clusters: [", "the kubeconfig {path} is not YAML: "),
    ("- just\n- a list\n", "the kubeconfig {path} is not a kubeconfig (a mapping with clusters, users and contexts): it holds a list"),
    ("", "the kubeconfig {path} is not a kubeconfig (a mapping with clusters, users and contexts): it holds nothing"),
    ("contexts: 5\ncurrent-context: x\n", "invalid kubeconfig ({path}): "),
])
def test_a_bad_kubeconfig_is_one_clear_message(tmp_path, content, message):
    path = write(tmp_path, content)
    with pytest.raises(k.KubernetesError) as error:
        k.api_client(dict(kubeconfig=path))
    assert str(error.value).startswith(message.format(path=path))


def test_a_kubeconfig_of_another_type_is_one_clear_message():
    with pytest.raises(k.KubernetesError, match="kubeconfig must be a path or a dict, not a list"):
        k.api_client(dict(kubeconfig=["a"]))
    with pytest.raises(k.KubernetesError, match="invalid kubeconfig \\(given as a dict\\)"):
        k.api_client(dict(kubeconfig={"contexts": 5}))
