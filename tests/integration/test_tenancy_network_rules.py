"""azimuth.ops.tenancy_network and its role: an external network that cannot be one, results keyed by tenancy, partial failures."""

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
    assert "clouds[0].options: unknown option internal_net_cdir; the options are " in run.output


def test_a_run_that_fails_part_way_reports_everything_it_created(module, cloud, names, openstack_requests, openstack_env):
    """The subnet and the router are created together: the router refused, the subnet made just before is reported too."""
    openstack_requests.neutron.inject_fault(count=1, status=500, method="POST", path_regex="^/v2.0/routers$")
    result = module(names.options(external_net_template=EXTERNAL), env=openstack_env)[1]
    msg = _failed(result)
    [network] = cloud.find(names.net)
    [subnet] = cloud.admin.network.subnets(network_id=network.id)
    assert result["changed"] is True
    assert result["created"] == [dict(type="network", id=network.id, name=names.net), dict(type="subnet", id=subnet.id, name=names.net)]
    assert msg.endswith("before failing, this run wrote to Neutron and created: network %s (%s), subnet %s (%s)"
                        % (names.net, network.id, names.net, subnet.id)), msg
