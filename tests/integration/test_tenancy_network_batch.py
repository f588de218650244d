"""The batch form of azimuth.ops.tenancy_network (``projects``) through real ansible-playbook against the sandbox's Neutron.

Each test makes its own projects (with a member user each) and networks shared with them in
every way Neutron knows (a network shared with everyone, RBAC policies access_as_shared and
access_as_external for one project), runs the batch form as the cloud admin or as a user with a
role in each project, and compares every project's answer with the one-project form's, run as
that project's member.  Objects are cleaned up by ``Cloud`` (tests/integration/test_tenancy_network.py).
"""

import pytest

from .conftest import localhost_play, save_results
from .test_tenancy_network import EXTERNAL, Cloud, Names, adds_router_external  # noqa: F401 # pylint: disable=unused-import

KEYS = ("changed", "project", "internal_network", "external_network", "storage_network", "subnet", "router", "created")


@pytest.fixture
def names(unique_name):
    return Names(unique_name)


@pytest.fixture
def cloud(openstack_admin, openstack_demo, names):
    cloud = Cloud(openstack_admin, openstack_demo)
    yield cloud
    cloud.clean(names)


def member_cloud(cloud, user, project_name):
    auth = cloud.admin.config.get_auth_args()
    return {"auth": {"auth_url": auth["auth_url"], "username": user, "password": user + "-pass", "project_name": project_name,
                     "user_domain_name": "Default", "project_domain_name": "Default"},
            "region_name": "RegionOne", "identity_api_version": "3"}


def share(cloud, network, action, project):
    cloud.admin.network.create_rbac_policy(object_type="network", object_id=network.id, action=action,
                                           target_project_id=project.id)


@pytest.fixture
def one_project_form(run_playbook, sandbox_env):
    """Run the one-project form once per ``(cloud, project)`` in one playbook; each project's result or message."""

    def run(clouds, options, *args):
        each = options if isinstance(options, list) else [options] * len(clouds)  # the same options, or each cloud's own
        tasks = [{"name": "One project %d" % number, "azimuth.ops.tenancy_network": dict(each[number], cloud=scoped),
                  "register": "result%d" % number, "ignore_errors": True} for number, scoped in enumerate(clouds)]
        tasks.append(dict(save_results("[%s]" % ", ".join("result%d" % n for n in range(len(clouds)))), check_mode=False))
        playbook_run = run_playbook([localhost_play(tasks)], *args, env=sandbox_env)
        assert playbook_run.ok and "Traceback" not in playbook_run.output, playbook_run.output
        return [result["msg"] if result.get("failed") else dict((k, result[k]) for k in KEYS) for result in playbook_run.results]

    return run


@pytest.fixture
def batch_form(run_playbook, sandbox_env):
    """Run the batch form once; (each project's result or message keyed by project ID, the registered result).

    ``scoped`` and ``projects`` None leave out ``cloud`` and ``projects``; ``clouds`` are the tenancies' own clouds."""

    def run(scoped, projects, options, *args, env=None, clouds=None):
        given = dict(cloud=scoped, projects=projects, clouds=clouds)
        task = {"name": "Batch", "azimuth.ops.tenancy_network": dict(options, **dict((k, v) for k, v in given.items() if v is not None)),
                "register": "result", "ignore_errors": True}
        playbook_run = run_playbook([localhost_play([task, dict(save_results("result"), check_mode=False)])], *args,
                                    env=env or sandbox_env)
        assert playbook_run.ok and "Traceback" not in playbook_run.output, playbook_run.output
        result = playbook_run.results
        result["output"] = playbook_run.output
        answers = dict((pid, dict((k, r[k]) for k in KEYS)) for pid, r in result.get("tenancies", {}).items())
        answers.update(result.get("errors") or {})
        return answers, result

    return run


def test_the_batch_form_gives_each_project_what_the_one_project_form_gives(
        cloud, names, one_project_form, batch_form, openstack_requests, openstack_env, adds_router_external):
    first, second, third = [cloud.project_with_member("%s-%d" % (names.prefix, n)) for n in (1, 2, 3)]
    # An external network (tagged) that only the first two projects may use: RBAC access_as_external for each
    # (Neutron makes the network external with the first); the third falls back to the template.
    site = cloud.network(names.prefix + "-site", tags=[names.external_tag])
    share(cloud, site, "access_as_external", first)
    share(cloud, site, "access_as_external", second)
    # A storage network shared with the second project alone.
    storage = cloud.network(names.prefix + "-storage", tags=[names.storage_tag])
    share(cloud, storage, "access_as_shared", second)
    # Internal candidates: one shared with everyone; the second project's own, which it shares with the third.
    everyone = cloud.network(names.prefix + "-all", tags=[names.internal_tag], is_shared=True)
    own = cloud.network(names.prefix + "-own", tags=[names.internal_tag], project_id=second.id)
    share(cloud, own, "access_as_shared", third)

    options = names.options(external_net_template=EXTERNAL)
    del options["cloud"]
    projects = [first, second, third]
    members = [member_cloud(cloud, project.name, project.name) for project in projects]
    listed = [first.id, second.name, third.id]

    # Check mode: the same predictions, nothing written.
    alone = one_project_form(members, options, "--check")
    together, result = batch_form("sandbox-admin", listed, options, "--check")
    assert together == dict((p.id, answer) for p, answer in zip(projects, alone))
    assert result["changed"] and cloud.find(names.net) == []

    # The real run creates the first and third projects' networks, owned by each.
    together, result = batch_form("sandbox-admin", listed, options)
    assert result["changed"] and not result.get("failed"), result
    assert together[first.id]["external_network"]["id"] == together[second.id]["external_network"]["id"] == site.id
    assert together[third.id]["external_network"]["name"] == EXTERNAL
    assert together[second.id]["storage_network"]["id"] == storage.id and together[second.id]["storage_network"]["shared"]
    assert together[first.id]["storage_network"] is None and together[third.id]["storage_network"] is None
    assert together[second.id]["internal_network"]["id"] == own.id and together[second.id]["created"] == []
    for project in (first, third):
        answer = together[project.id]
        assert [c["type"] for c in answer["created"]] == ["network", "subnet", "router"]
        network = cloud.admin.network.get_network(answer["internal_network"]["id"])
        router = cloud.admin.network.get_router(answer["router"]["id"])
        subnet = cloud.admin.network.get_subnet(answer["subnet"]["id"])
        assert network.project_id == subnet.project_id == router.project_id == project.id
        assert router.external_gateway_info["network_id"] == answer["external_network"]["id"]
        assert cloud.interfaces(router.id) == [subnet.id]

    # No-op: each project's answer is the one-project form's, and the batch reads each kind once.
    alone = one_project_form(members, options)
    with openstack_requests.measure() as served:
        together, result = batch_form("sandbox-admin", listed, options, env=openstack_env)
    assert not result["changed"]
    assert together == dict((p.id, answer) for p, answer in zip(projects, alone))
    assert served == {"keystone": {"GET /v3": 1, "POST /v3/auth/tokens": 1, "GET /v3/projects": 1},
                      "neutron": {"GET /v2.0/networks": 2, "GET /v2.0/rbac-policies": 1, "GET /v2.0/subnets": 1,
                                  "GET /v2.0/routers": 1, "GET /v2.0/ports": 1}}, served

    # Shared internal networks allowed: every project now sees several (which ones depends on the sharing),
    # and the messages say the same in both forms.
    shared = dict(options, allow_shared_internal_net=True, create_internal_net=False)
    alone = one_project_form(members, shared)
    together, result = batch_form("sandbox-admin", listed, shared)
    assert result["failed"] and not result["changed"]
    assert together == dict((p.id, answer) for p, answer in zip(projects, alone))
    assert "3 networks carry the tag" in together[third.id] and own.id in together[third.id]
    assert own.id not in together[first.id] and everyone.id in together[first.id]
    assert result["msg"].startswith("Could not settle the networks of 3 of 3 projects: Could not determine")


def test_a_user_with_a_role_in_each_project_gets_the_same_answers(cloud, names, one_project_form, batch_form):
    home, other = [cloud.project_with_member("%s-%d" % (names.prefix, n)) for n in (1, 2)]
    user = home.name
    cloud.admin.identity.assign_project_role_to_user(other, cloud.users[0], cloud.admin.identity.find_role("member"))
    options = names.options(external_net_template=EXTERNAL)
    del options["cloud"]

    together, result = batch_form(member_cloud(cloud, user, home.name), [home.name, other.name], options)
    assert result["changed"] and sorted(together) == sorted([home.id, other.id])
    for project in (home, other):
        assert cloud.admin.network.get_network(together[project.id]["internal_network"]["id"]).project_id == project.id
    alone = one_project_form([member_cloud(cloud, user, home.name), member_cloud(cloud, user, other.name)], options)
    together, result = batch_form(member_cloud(cloud, user, home.name), [home.name, other.name], options)
    assert not result["changed"]
    assert together == {home.id: alone[0], other.id: alone[1]}

    # A project the user has no role in: one message, nothing done.
    together, result = batch_form(member_cloud(cloud, user, home.name), [home.name, "demo"], options)
    assert result["msg"] == ("Could not find the projects to work on: no project has the ID or name 'demo' among the "
                             "projects user %s has a role in." % user)
    assert together == {}


def test_no_projects_and_unknown_projects(cloud, names, batch_form):
    options = names.options(external_net_template=EXTERNAL)
    del options["cloud"]
    together, result = batch_form("sandbox-admin", [], options)
    assert together == {} and not result["changed"] and not result.get("failed")
    together, result = batch_form("sandbox-admin", ["demo", names.prefix + "-missing"], options)
    assert result["msg"] == ("Could not find the projects to work on: no project has the ID or name '%s-missing' "
                             "among the cloud's projects." % names.prefix)
    assert cloud.find(names.net) == []


def test_the_role_works_on_tenancies_given_by_project_in_one_call(run_playbook, sandbox_env, cloud, names):
    batched = [cloud.project_with_member("%s-%d" % (names.prefix, n)) for n in (1, 2)]
    own_options = cloud.project_with_member("%s-3" % names.prefix)
    options = names.options(external_net_template=EXTERNAL)
    del options["cloud"]
    play = localhost_play(
        [{"ansible.builtin.include_role": {"name": "azimuth.ops.tenancy_network"}}, save_results("tenancy_network_results")],
        vars={"tenancy_network_cloud": "sandbox-admin",
              "tenancy_network_tenancies": [{"project": batched[0].id}, {"project": batched[1].name},
                                            {"project": own_options.id, "options": {"internal_net_cidr": "10.81.0.0/24"}},
                                            {"cloud": "sandbox-demo"}],
              "tenancy_network_options": options})
    run = run_playbook([play], env=sandbox_env)
    assert run.ok, run.output
    assert sorted(run.results) == sorted([p.id for p in batched + [own_options]] + [cloud.demo_project])
    for project in batched + [own_options]:
        networks = run.results[project.id]
        assert [c["type"] for c in networks["created"]] == ["network", "subnet", "router"]
        assert networks["internal_network"]["project_id"] == project.id
    assert run.results[own_options.id]["subnet"]["cidr"] == "10.81.0.0/24"
    assert run.results[batched[0].id]["subnet"]["cidr"] == "192.168.3.0/24"
    # one module call for all: those by project through the operator's cloud, the one by cloud through its own
    assert run.output.count("TASK [azimuth.ops.tenancy_network : Find or create the tenancies' networks, in one call]") == 1

    # Tenancies given by project need the cloud to go through.
    play["vars"]["tenancy_network_cloud"] = None
    run = run_playbook([play], env=sandbox_env)
    assert not run.ok and "Tenancies given by project (not by cloud) need tenancy_network_cloud" in run.output


def test_each_tenancys_own_cloud_in_one_call_gives_what_the_one_project_form_gives(cloud, names, one_project_form, batch_form):
    """Issue 18: the clouds form (each tenancy its own token), its own options per entry, a bad cloud failing alone."""
    projects = [cloud.project_with_member("%s-%d" % (names.prefix, n)) for n in (1, 2)]
    options = names.options(external_net_template=EXTERNAL)
    del options["cloud"]
    members = [member_cloud(cloud, project.name, project.name) for project in projects]
    entries = [members[0], {"cloud": members[1], "options": {"internal_net_cidr": "10.83.0.0/24"}}]
    each = [options, dict(options, internal_net_cidr="10.83.0.0/24")]
    bad = member_cloud(cloud, projects[0].name, projects[0].name)
    bad["auth"]["password"] = names.prefix + "-wrong-pass"

    alone = one_project_form(members, each, "--check")
    together, result = batch_form(None, None, options, "--check", clouds=entries)
    assert together == dict((p.id, answer) for p, answer in zip(projects, alone))
    assert result["changed"] and cloud.find(names.net) == []

    # The real run: both created, each owned by its project; the bad cloud fails alone, naming no secret.
    together, result = batch_form(None, None, options, "--diff", "-v", clouds=entries + [bad])
    assert result["failed"] and result["changed"], result
    assert list(result["errors"]) == ["clouds[2]"] and "refused the credentials" in result["errors"]["clouds[2]"]
    assert sorted(result["tenancies"]) == sorted(p.id for p in projects)
    assert together[projects[1].id]["subnet"]["cidr"] == "10.83.0.0/24"
    for project in projects:
        assert together[project.id]["internal_network"]["project_id"] == project.id
        assert [c["type"] for c in together[project.id]["created"]] == ["network", "subnet", "router"]
    for secret in [bad["auth"]["password"]] + [m["auth"]["password"] for m in members]:
        assert secret not in result["output"]

    alone = one_project_form(members, each)
    together, result = batch_form(None, None, options, clouds=entries)
    assert not result["changed"] and not result.get("failed"), result
    assert together == dict((p.id, answer) for p, answer in zip(projects, alone))
