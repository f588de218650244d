"""Errors a person can act on, through real ansible-playbook runs; and the filters' documented examples run."""

import pytest
import yaml

from .conftest import REPO, localhost_play


def failing(run_playbook, task, env=None):
    run = run_playbook([localhost_play([task])], env=env)
    assert not run.ok
    assert "Traceback" not in run.output
    return run.output


def test_a_tenancy_name_without_ascii_letters_says_what_was_dropped(run_playbook, kube_env):
    output = failing(run_playbook, {"azimuth.ops.tenancy": {"tenancies": [{"id": "f1", "name": "Физика"}]}}, env=kube_env)
    assert ("tenancy Физика (f1): the name cannot name a namespace: 'Физика' has no ASCII letters or digits, which a "
            "Kubernetes name needs: every other character is dropped (letters outside ASCII, such as 'Ф', too), "
            "which leaves nothing") in output


@pytest.mark.parametrize("expression, message", [
    ("template | azimuth.ops.acl_allowed",
     "azimuth.ops.acl_allowed: missing a required argument: 'tenancy'; use it as platform_type | "
     "azimuth.ops.acl_allowed({'id': ..., 'name': ...})"),
    ("[template] | azimuth.ops.acl_filter",
     "azimuth.ops.acl_filter: missing a required argument: 'tenancy'"),
    ("template | azimuth.ops.acl_allowed({'id': 123, 'name': 'physics'})",
     "azimuth.ops.acl_allowed: the tenancy {'id': 123, 'name': 'physics'}: its 'id' is 123 (an integer), not a string; give it as '123'"),
])
def test_a_filter_called_wrongly_says_how_to_call_it(run_playbook, expression, message):
    task = {"ansible.builtin.debug": {"msg": "{{ %s }}" % expression},
            "vars": {"template": {"kind": "ClusterTemplate", "metadata": {"name": "kube"}}}}
    assert message in failing(run_playbook, task)


@pytest.mark.parametrize("name", ["acl_actions", "acl_allowed", "acl_annotations", "acl_filter", "tenancy_namespace"])
def test_the_documented_examples_run(run_playbook, name):
    examples = yaml.safe_load((REPO / "plugins" / "filter" / (name + ".yml")).read_text())["EXAMPLES"]
    run = run_playbook([localhost_play(yaml.safe_load(examples))])
    assert run.ok, run.output


@pytest.mark.parametrize("kubeconfig, message", [
    (["not", "a", "mapping"], "kubeconfig must be a path or a dict, not a list"),
    ("{path}", "the kubeconfig {path} is not a kubeconfig (a mapping with clusters, users and contexts): it holds a list"),
])
def test_app_credential_with_a_kubeconfig_that_is_not_a_mapping(run_playbook, sandbox_env, tmp_path, kubeconfig, message):
    path = tmp_path / "list-kubeconfig.yaml"
    path.write_text("- not\n- a mapping\n")
    kubeconfig = kubeconfig.format(path=path) if isinstance(kubeconfig, str) else kubeconfig
    task = {"azimuth.ops.app_credential": {"cloud": "sandbox-demo", "name": "never-made", "secret": {"namespace": "az-never"},
                                           "kubernetes": {"kubeconfig": kubeconfig}}}
    output = failing(run_playbook, task, env=sandbox_env)
    assert "Could not configure the Kubernetes client: " + message.format(path=path) in output, output
    assert "object has no attribute" not in output
