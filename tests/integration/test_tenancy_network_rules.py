"""azimuth.ops.tenancy_network and its role: an external network that cannot be one, results keyed by tenancy."""

from .conftest import localhost_play, save_results
from .test_tenancy_network import EXTERNAL, _failed, cloud, module, names  # noqa: F401 pylint: disable=unused-import


def test_a_tagged_external_network_that_is_not_router_external_is_refused_before_anything_is_created(module, cloud, names):
    site = cloud.network(names.prefix + "-site", tags=[names.external_tag], conn=cloud.demo)
    msg = _failed(module(names.options())[1])
    assert msg == (
        "Could not determine the external network for project demo (%s): network %s (%s) carries the tag '%s' but is "
        "not external (router:external is false), so no router can have its gateway on it. Set router:external on it, "
        "or move the tag to the external network." % (cloud.demo_project, site.name, site.id, names.external_tag))
    assert cloud.find(names.net) == [] and list(cloud.admin.network.routers(name=names.router)) == []


def test_the_roles_results_are_keyed_by_the_tenancys_project_even_with_a_shared_internal_network(run_playbook, sandbox_env, cloud, names):
    shared = cloud.network(names.prefix + "-shared", tags=[names.internal_tag], is_shared=True)
    options = names.options(external_net_template=EXTERNAL, allow_shared_internal_net=True)
    del options["cloud"]
    play = localhost_play([{"ansible.builtin.include_role": {"name": "azimuth.ops.tenancy_network"}}, save_results("tenancy_network_results")],
                          vars={"tenancy_network_tenancies": [{"cloud": "sandbox-demo"}], "tenancy_network_options": options})
    run = run_playbook([play], env=sandbox_env)
    assert run.ok, run.output
    assert list(run.results) == [cloud.demo_project]
    assert run.results[cloud.demo_project]["internal_network"]["id"] == shared.id
    assert run.results[cloud.demo_project]["internal_network"]["project_id"] != cloud.demo_project


def test_the_role_refuses_an_option_the_module_does_not_have(run_playbook, sandbox_env, names):
    play = localhost_play([{"ansible.builtin.include_role": {"name": "azimuth.ops.tenancy_network"}}],
                          vars={"tenancy_network_tenancies": [{"cloud": "sandbox-demo", "options": {"internal_net_cdir": "10.0.0.0/24"}}]})
    run = run_playbook([play], env=sandbox_env)
    assert not run.ok
    assert "Unsupported parameters for (azimuth.ops.tenancy_network) module: internal_net_cdir" in run.output
