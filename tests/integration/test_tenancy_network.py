"""azimuth.ops.tenancy_network through real ansible-playbook against the sandbox's Neutron.

Objects are set up (and checked) with openstacksdk as the cloud admin; the module runs as the
project member ``sandbox-demo`` (``cloud: sandbox-demo``), or as a fresh project's member for the
concurrent-run test.  Every test uses its own tags and names (``unique_name``), so tests can run
in parallel, and deletes what it made.

External networks are visible to every project, so the number of ``router:external`` networks is
shared state: tests that rely on the sandbox's single one (``sandbox-external``) hold a shared
lock, and the test that adds a second one holds it exclusively.  Every other test names its
external network by tag or template.
"""

import concurrent.futures
import contextlib
import fcntl

import openstack.exceptions
import pytest

from .conftest import REPO, localhost_play, save_results

EXTERNAL = "sandbox-external"
MARKER = "Created by azimuth.ops.tenancy_network"
EXTERNAL_LOCK = REPO / ".build" / "router-external-networks.lock"


@contextlib.contextmanager
def _external_lock(mode):
    EXTERNAL_LOCK.parent.mkdir(parents=True, exist_ok=True)
    with open(EXTERNAL_LOCK, "a+") as lock:
        fcntl.flock(lock, mode)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture
def only_sandbox_external():
    """While held, ``sandbox-external`` is the only router:external network (shared lock)."""
    with _external_lock(fcntl.LOCK_SH):
        yield


@pytest.fixture
def adds_router_external():
    """Exclusive: this test adds a router:external network."""
    with _external_lock(fcntl.LOCK_EX):
        yield


class Names:
    """Unique tags and names for one test."""

    def __init__(self, prefix):
        self.prefix = prefix
        self.internal_tag = prefix + "-int"
        self.external_tag = prefix + "-ext"
        self.storage_tag = prefix + "-sto"
        self.net = prefix + "-net"
        self.router = prefix + "-router"

    def options(self, **extra):
        options = dict(cloud="sandbox-demo", internal_net_tag=self.internal_tag, external_net_tag=self.external_tag,
                       storage_net_tag=self.storage_tag, internal_net_name=self.net, router_name=self.router)
        options.update(extra)
        return options


class Cloud:
    """Admin-side set-up, inspection and clean-up for one test."""

    def __init__(self, admin, demo):
        self.admin = admin
        self.demo = demo
        self.demo_project = demo.current_project_id
        self.names = set()
        self.projects = []
        self.users = []

    def network(self, name, tags=(), conn=None, **fields):
        self.names.add(name)
        network = (conn or self.admin).network.create_network(name=name, **fields)
        if tags:
            (conn or self.admin).network.set_tags(network, list(tags))
        return (conn or self.admin).network.get_network(network.id)

    def find(self, name, **query):
        return list(self.admin.network.networks(name=name, **query))

    def state(self, names):
        """Everything the module may manage, as (id, revision_number, updated_at) triples."""
        state = []
        for network in self.find(names.net):
            state.append(("network", network.id, network.revision_number, network.updated_at))
            for subnet in self.admin.network.subnets(network_id=network.id):
                state.append(("subnet", subnet.id, subnet.revision_number, subnet.updated_at))
            for port in self.admin.network.ports(network_id=network.id):
                state.append(("port", port.id, port.revision_number, port.updated_at))
        for router in self.admin.network.routers(name=names.router):
            state.append(("router", router.id, router.revision_number, router.updated_at))
        return sorted(state)

    def interfaces(self, router_id):
        ports = self.admin.network.ports(device_id=router_id, device_owner="network:router_interface")
        return sorted(ip["subnet_id"] for port in ports for ip in port.fixed_ips)

    def project_with_member(self, name):
        project = self.admin.identity.create_project(name=name, domain_id="default")
        self.projects.append(project)
        user = self.admin.identity.create_user(name=name, password=name + "-pass", domain_id="default",
                                               default_project_id=project.id)
        self.users.append(user)
        member = self.admin.identity.find_role("member")
        self.admin.identity.assign_project_role_to_user(project, user, member)
        return project

    def remove_router(self, router):
        for port in self.admin.network.ports(device_id=router.id, device_owner="network:router_interface"):
            with contextlib.suppress(openstack.exceptions.NotFoundException):
                self.admin.network.remove_interface_from_router(router, port_id=port.id)
        self.admin.network.delete_router(router, ignore_missing=True)

    def clean(self, names):
        for router in self.admin.network.routers(name=names.router):
            self.remove_router(router)
        for project in self.projects:
            for router in self.admin.network.routers(project_id=project.id):
                self.remove_router(router)
        doomed = [n for name in self.names | {names.net} for n in self.find(name)]
        doomed += [n for project in self.projects for n in self.admin.network.networks(project_id=project.id)]
        for network in doomed:
            self.admin.network.delete_network(network, ignore_missing=True)
        for user in self.users:
            self.admin.identity.delete_user(user, ignore_missing=True)
        for project in self.projects:
            self.admin.identity.delete_project(project, ignore_missing=True)


@pytest.fixture
def names(unique_name):
    return Names(unique_name)


@pytest.fixture
def cloud(openstack_admin, openstack_demo, names):
    cloud = Cloud(openstack_admin, openstack_demo)
    yield cloud
    cloud.clean(names)


@pytest.fixture
def module(run_playbook, sandbox_env):
    """Run azimuth.ops.tenancy_network once with ``options``; returns (run, result)."""

    def run(options, *args, env=None):
        task = {"name": "Tenancy networks", "azimuth.ops.tenancy_network": options, "register": "result",
                "ignore_errors": True}
        playbook_run = run_playbook([localhost_play([task, dict(save_results("result"), check_mode=False)])], *args,
                                    env=env or sandbox_env)
        assert playbook_run.ok, playbook_run.output
        assert "Traceback" not in playbook_run.output
        return playbook_run, playbook_run.results

    return run


@pytest.fixture
def module_result(module):
    """Like ``module``, returning only the module's result."""

    def run(options, *args, env=None):
        return module(options, *args, env=env)[1]

    return run


def _failed(result):
    assert result["failed"], result
    # ansible-core reports "(traceback unavailable)" for every fail_json; a crash would carry one.
    assert "Traceback" not in result.get("exception", "") and "module_stderr" not in result, result
    return result["msg"]


# --- discovery and creation ------------------------------------------------------------------


def test_creates_the_internal_network_check_mode_diff_and_no_op(module, module_result, cloud, names, only_sandbox_external):
    options = names.options(internal_net_cidr="10.77.0.0/24", internal_net_dns_nameservers=["192.0.2.53"])
    external = cloud.find(EXTERNAL)[0]

    # Check mode: the exact prediction, nothing written.
    predicted = module_result(options, "--check", "--diff")
    assert predicted["changed"]
    assert cloud.state(names) == []
    assert predicted["created"] == [
        {"type": "network", "id": None, "name": names.net},
        {"type": "subnet", "id": None, "name": names.net},
        {"type": "router", "id": None, "name": names.router},
    ]
    assert predicted["internal_network"] == {
        "id": None, "name": names.net, "description": "%s (tag %s)" % (MARKER, names.internal_tag),
        "project_id": cloud.demo_project, "tags": [names.internal_tag], "shared": False, "router_external": False,
        "created_at": None}
    assert predicted["subnet"] == {
        "id": None, "name": names.net, "description": MARKER, "project_id": cloud.demo_project, "network_id": None,
        "ip_version": 4, "cidr": "10.77.0.0/24", "gateway_ip": "10.77.0.1", "dns_nameservers": ["192.0.2.53"],
        "created_at": None}
    assert predicted["router"] == {
        "id": None, "name": names.router, "project_id": cloud.demo_project, "external_network_id": external.id,
        "interfaces": [{"subnet_id": None}], "created_at": None}
    assert predicted["external_network"]["id"] == external.id
    assert predicted["storage_network"] is None
    assert predicted["diff"]["before"] == {"internal_network": None, "subnet": None, "router": None}
    assert predicted["diff"]["after"]["subnet"] == predicted["subnet"]

    # The real run creates what check mode predicted.
    run, created = module(options, "--diff")
    assert created["changed"]
    assert [(c["type"], c["name"]) for c in created["created"]] == [(c["type"], c["name"]) for c in predicted["created"]]
    network, subnet, router = created["internal_network"], created["subnet"], created["router"]
    assert [c["id"] for c in created["created"]] == [network["id"], subnet["id"], router["id"]]
    for key in ("internal_network", "subnet", "router"):
        real = dict(created[key], id=None, created_at=None)
        expected = dict(predicted[key])
        if key == "subnet":
            real["network_id"] = None
        if key == "router":
            real["interfaces"] = [{"subnet_id": None}]
        assert real == expected, key
    assert created["diff"]["after"]["internal_network"]["id"] == network["id"]
    assert names.net in run.output  # --diff shows what is created

    server_network = cloud.admin.network.get_network(network["id"])
    assert server_network.tags == [names.internal_tag] and server_network.project_id == cloud.demo_project
    server_subnet = cloud.admin.network.get_subnet(subnet["id"])
    assert (server_subnet.cidr, server_subnet.dns_nameservers, server_subnet.network_id) == (
        "10.77.0.0/24", ["192.0.2.53"], network["id"])
    server_router = cloud.admin.network.get_router(router["id"])
    assert server_router.external_gateway_info["network_id"] == external.id
    assert cloud.interfaces(router["id"]) == [subnet["id"]]

    # A second run finds everything and writes nothing (no revision or update time moves).
    before = cloud.state(names)
    again = module_result(options, "--diff")
    assert not again["changed"] and again["created"] == []
    for key in ("internal_network", "subnet", "router", "external_network"):
        assert again[key] == created[key], key
    assert again["diff"]["before"] == again["diff"]["after"]
    assert cloud.state(names) == before


def test_tagged_networks_are_used_as_they_are(module_result, cloud, names, adds_router_external):
    external = cloud.network(names.prefix + "-x", tags=[names.external_tag], is_router_external=True)
    storage = cloud.network(names.prefix + "-s", tags=[names.storage_tag], is_shared=True)
    internal = cloud.network(names.prefix + "-i", tags=[names.internal_tag, "other"], conn=cloud.demo)
    before = cloud.admin.network.get_network(internal.id)
    result = module_result(names.options())
    assert not result["changed"] and result["created"] == []
    assert result["external_network"]["id"] == external.id and result["external_network"]["tags"] == [names.external_tag]
    assert result["storage_network"]["id"] == storage.id
    assert result["internal_network"] == {
        "id": internal.id, "name": names.prefix + "-i", "description": "", "project_id": cloud.demo_project,
        "tags": sorted([names.internal_tag, "other"]), "shared": False, "router_external": False,
        "created_at": internal.created_at}
    assert result["subnet"] is None and result["router"] is None
    after = cloud.admin.network.get_network(internal.id)
    assert (after.revision_number, after.updated_at) == (before.revision_number, before.updated_at)
    assert list(cloud.admin.network.subnets(network_id=internal.id)) == []


def test_a_shared_network_of_another_project_is_internal_only_when_allowed(module, module_result, cloud, names):
    theirs = cloud.network(names.prefix + "-shared", tags=[names.internal_tag], is_shared=True)
    options = names.options(external_net_template=EXTERNAL, create_internal_net=False)
    msg = _failed(module(options)[1])
    assert msg == (
        "Could not find an internal network for project demo (%s): no network of the project carries the tag '%s' "
        "(networks of other projects are not used unless allow_shared_internal_net is true: %s (%s)). "
        "Tag one with '%s' or enable create_internal_net."
        % (cloud.demo_project, names.internal_tag, theirs.name, theirs.id, names.internal_tag))
    result = module_result(dict(options, allow_shared_internal_net=True))
    assert result["internal_network"]["id"] == theirs.id and not result["changed"]


def test_external_network_by_template(module, module_result, cloud, names, adds_router_external):
    options = names.options(external_net_template=names.prefix + "-{tenant_name}-ext", create_internal_net=False,
                            internal_net_template=names.prefix + "-{tenant_name}-int")
    internal = cloud.network(names.prefix + "-demo-int", conn=cloud.demo)
    # None: an error, before anything is created.
    msg = _failed(module(options)[1])
    assert msg == (
        "Could not determine the external network for project demo (%s): no network carries the tag '%s' and no "
        "network is named '%s-demo-ext' (external_net_template '%s-{tenant_name}-ext')."
        % (cloud.demo_project, names.external_tag, names.prefix, names.prefix))
    # One: used.
    first = cloud.network(names.prefix + "-demo-ext", is_router_external=True)
    result = module_result(options)
    assert result["external_network"]["id"] == first.id
    assert result["internal_network"]["id"] == internal.id
    # Several: an error naming them.
    second = cloud.network(names.prefix + "-demo-ext", is_router_external=True)
    msg = _failed(module(options)[1])
    ordered = sorted([first.id, second.id])
    assert msg == (
        "Could not determine the external network for project demo (%s): 2 networks are named '%s-demo-ext' "
        "(external_net_template '%s-{tenant_name}-ext'): %s-demo-ext (%s), %s-demo-ext (%s). Tag the one to use with '%s'."
        % (cloud.demo_project, names.prefix, names.prefix, names.prefix, ordered[0], names.prefix, ordered[1],
           names.external_tag))


def test_several_tagged_external_or_storage_networks_are_errors(module, cloud, names, adds_router_external):
    first = cloud.network(names.prefix + "-x1", tags=[names.external_tag], is_router_external=True)
    second = cloud.network(names.prefix + "-x2", tags=[names.external_tag], is_router_external=True)
    msg = _failed(module(names.options())[1])
    assert msg == (
        "Could not determine the external network for project demo (%s): 2 networks carry the tag '%s': "
        "%s (%s), %s (%s). Remove the tag from all but the one to use."
        % (cloud.demo_project, names.external_tag, first.name, first.id, second.name, second.id))
    assert cloud.find(names.net) == []  # failed before creating anything

    cloud.admin.network.set_tags(second, [])
    storage = [cloud.network(names.prefix + "-s%d" % i, tags=[names.storage_tag], is_shared=True) for i in (1, 2)]
    msg = _failed(module(names.options())[1])
    assert msg == (
        "Could not determine the storage network for project demo (%s): 2 networks carry the tag '%s': "
        "%s (%s), %s (%s). Remove the tag from all but the one to use."
        % (cloud.demo_project, names.storage_tag, storage[0].name, storage[0].id, storage[1].name, storage[1].id))
    assert cloud.find(names.net) == []


def test_several_router_external_networks_need_a_tag(module, module_result, cloud, names, adds_router_external):
    sandbox = cloud.find(EXTERNAL)[0]
    extra = cloud.network(names.prefix + "-public", is_router_external=True)
    msg = _failed(module(names.options())[1])
    first, second = sorted([(sandbox.name, sandbox.id), (extra.name, extra.id)])
    assert msg == (
        "Could not determine the external network for project demo (%s): no network carries the tag '%s' and 2 "
        "networks have router:external set: %s (%s), %s (%s). Tag the one to use with '%s' (or set "
        "external_net_template)." % (cloud.demo_project, names.external_tag, first[0], first[1], second[0], second[1],
                                     names.external_tag))
    assert cloud.find(names.net) == []
    # The operator does what the message says.
    cloud.admin.network.set_tags(extra, [names.external_tag])
    internal = cloud.network(names.prefix + "-i", tags=[names.internal_tag], conn=cloud.demo)
    result = module_result(names.options())
    assert result["external_network"]["id"] == extra.id
    assert result["internal_network"]["id"] == internal.id and not result["changed"]


def test_internal_network_errors(module, module_result, cloud, names):
    base = names.options(external_net_template=EXTERNAL)
    first = cloud.network(names.prefix + "-a", tags=[names.internal_tag], conn=cloud.demo)
    second = cloud.network(names.prefix + "-b", tags=[names.internal_tag], conn=cloud.demo)
    msg = _failed(module(base)[1])
    assert msg == (
        "Could not determine the internal network for project demo (%s): 2 networks of the project carry the tag "
        "'%s': %s (%s), %s (%s). Remove the tag from all but the one to use."
        % (cloud.demo_project, names.internal_tag, first.name, first.id, second.name, second.id))

    template = dict(base, internal_net_tag=names.prefix + "-untagged", internal_net_template=names.prefix + "-{tenant_name}")
    msg = _failed(module(template)[1])
    assert msg == (
        "Could not determine the internal network for project demo (%s): no network of the project carries the tag "
        "'%s-untagged' and none is named '%s-demo' (internal_net_template '%s-{tenant_name}'; a template never creates "
        "a network)." % (cloud.demo_project, names.prefix, names.prefix, names.prefix))
    assert cloud.find(names.net) == []
    one = cloud.network(names.prefix + "-demo", conn=cloud.demo)
    result = module_result(template)
    assert result["internal_network"]["id"] == one.id and result["subnet"] is None
    two = cloud.network(names.prefix + "-demo", conn=cloud.demo)
    msg = _failed(module(template)[1])
    assert "2 networks are named '%s-demo' (internal_net_template '%s-{tenant_name}'): " % (names.prefix, names.prefix) in msg
    assert one.id in msg and two.id in msg

    msg = _failed(module(dict(base, internal_net_tag=names.prefix + "-none", create_internal_net=False))[1])
    assert msg == (
        "Could not find an internal network for project demo (%s): no network of the project carries the tag "
        "'%s-none'. Tag one with '%s-none' or enable create_internal_net." % (cloud.demo_project, names.prefix, names.prefix))


BAD_INPUT = [
    ({"internal_net_cidr": "10.0.0.1/24"}, "internal_net_cidr '10.0.0.1/24' is not a network address: 10.0.0.1/24 has host bits set"),
    ({"internal_net_cidr": "fd00::/64"}, "internal_net_cidr 'fd00::/64' is not an IPv4 network"),
    ({"internal_net_dns_nameservers": ["dns.example"]}, "internal_net_dns_nameservers: 'dns.example' is not an IP address"),
    ({"internal_net_tag": "a,b"}, "internal_net_tag 'a,b' must not contain a comma"),
    ({"auth": {"password": "wrong-password"}}, "Could not connect to OpenStack: the cloud refused the credentials"),
]


def test_bad_input_fails_with_one_message(run_playbook, sandbox_env, cloud, names):
    tasks = []
    for number, (options, _message) in enumerate(BAD_INPUT):
        tasks.append({"name": "Bad input %d" % number, "azimuth.ops.tenancy_network": dict(names.options(), **options),
                      "register": "result%d" % number, "ignore_errors": True})
    tasks.append(save_results("[%s]" % ", ".join("result%d" % n for n in range(len(BAD_INPUT)))))
    run = run_playbook([localhost_play(tasks)], env=sandbox_env)
    assert run.ok, run.output
    for result, message in zip(run.results, [message for _options, message in BAD_INPUT]):
        assert _failed(result).startswith(message), result
    assert "wrong-password" not in run.output and "Traceback" not in run.output
    assert cloud.find(names.net) == []


# --- without an external network, completion --------------------------------------------------


def test_no_external_network_then_completion(module, module_result, cloud, names, only_sandbox_external):
    missing = names.options(external_net_template=names.prefix + "-missing", external_net_required=False)
    run, result = module(missing)
    assert result["changed"] and result["external_network"] is None and result["router"] is None
    assert [c["type"] for c in result["created"]] == ["network", "subnet"]
    assert "Carrying on without an external network" in run.output
    assert "No router for the internal network %s of project demo" % names.net in run.output
    assert not list(cloud.admin.network.routers(name=names.router))
    network, subnet = result["internal_network"], result["subnet"]

    # Now there is an external network (router:external): the next run adds the router.
    completed = module_result(names.options())
    assert completed["changed"]
    assert [(c["type"], c["name"]) for c in completed["created"]] == [("router", names.router)]
    assert completed["internal_network"]["id"] == network["id"] and completed["subnet"]["id"] == subnet["id"]
    assert cloud.interfaces(completed["router"]["id"]) == [subnet["id"]]


def test_an_unfinished_network_this_module_created_is_completed(module_result, cloud, names):
    options = names.options(external_net_template=EXTERNAL)
    first = module_result(options)
    network, subnet, router = first["internal_network"], first["subnet"], first["router"]

    # The router lost its interface.
    cloud.admin.network.remove_interface_from_router(router["id"], subnet_id=subnet["id"])
    predicted = module_result(options, "--check", "--diff")
    assert predicted["changed"] and predicted["created"] == []
    assert predicted["diff"]["before"]["router"]["interfaces"] == []
    assert predicted["router"]["interfaces"] == [{"subnet_id": subnet["id"]}]
    assert cloud.interfaces(router["id"]) == []
    fixed = module_result(options)
    assert fixed["changed"] and fixed["created"] == [] and fixed["router"]["id"] == router["id"]
    assert cloud.interfaces(router["id"]) == [subnet["id"]]

    # No router.
    cloud.remove_router(cloud.admin.network.get_router(router["id"]))
    fixed = module_result(options)
    assert [c["type"] for c in fixed["created"]] == ["router"]
    assert cloud.interfaces(fixed["router"]["id"]) == [subnet["id"]]

    # No subnet (and so no interface), and the tag lost: a run interrupted just after creating the network.
    cloud.remove_router(cloud.admin.network.get_router(fixed["router"]["id"]))
    cloud.admin.network.delete_subnet(subnet["id"])
    cloud.admin.network.set_tags(cloud.admin.network.get_network(network["id"]), [])
    fixed = module_result(options)
    assert [c["type"] for c in fixed["created"]] == ["subnet", "router"]
    assert fixed["internal_network"]["id"] == network["id"]
    assert cloud.admin.network.get_network(network["id"]).tags == [names.internal_tag]
    assert cloud.interfaces(fixed["router"]["id"]) == [fixed["subnet"]["id"]]


def test_an_operator_tagged_network_is_never_modified(module_result, cloud, names):
    # Same name as the module would use, but not created by it: used as it is, even without a subnet.
    network = cloud.network(names.net, tags=[names.internal_tag], conn=cloud.demo)
    result = module_result(names.options(external_net_template=EXTERNAL))
    assert not result["changed"] and result["internal_network"]["id"] == network.id
    assert result["subnet"] is None and result["router"] is None
    assert list(cloud.admin.network.subnets(network_id=network.id)) == []
    assert cloud.admin.network.get_network(network.id).revision_number == network.revision_number


# --- requests and faults, through this test's proxies ------------------------------------------


def test_a_no_op_run_only_reads_and_a_failed_write_is_completed_later(module, module_result, cloud, names, openstack_requests, openstack_env):
    options = names.options(external_net_template=EXTERNAL)
    openstack_requests.neutron.inject_fault(count=1, status=500, method="POST", path_regex="^/v2.0/routers$")
    msg = _failed(module(options, env=openstack_env)[1])
    assert msg.startswith("Could not create router %s for project demo (%s): HTTP 500 from %s/v2.0/routers: "
                          % (names.router, cloud.demo_project, openstack_requests.neutron.url)), msg
    assert "injected fault: 500 Internal Server Error" in msg
    completed = module_result(options, env=openstack_env)
    assert [c["type"] for c in completed["created"]] == ["router"]

    with openstack_requests.measure() as served:
        again = module_result(options, env=openstack_env)
    assert not again["changed"]
    # Keystone: version discovery and a token; Neutron: reads only (the figures of bench/RESULTS.md)
    assert served == {"keystone": {"GET /v3": 1, "POST /v3/auth/tokens": 1},
                      "neutron": {"GET /v2.0/networks": 2, "GET /v2.0/subnets": 1, "GET /v2.0/routers": 1, "GET /v2.0/ports": 1}}, served


# --- concurrency -------------------------------------------------------------------------------


def test_two_concurrent_runs_end_with_one_network(module, module_result, cloud, names, only_sandbox_external):
    project = cloud.project_with_member(names.prefix)
    auth = cloud.admin.config.get_auth_args()
    options = names.options(cloud={
        "auth": {"auth_url": auth["auth_url"], "username": names.prefix, "password": names.prefix + "-pass",
                 "project_name": names.prefix, "user_domain_name": "Default", "project_domain_name": "Default"},
        "region_name": "RegionOne", "identity_api_version": "3"})
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        results = [future.result()[1] for future in [pool.submit(module, options), pool.submit(module, options)]]

    networks = list(cloud.admin.network.networks(project_id=project.id))
    subnets = list(cloud.admin.network.subnets(project_id=project.id))
    routers = list(cloud.admin.network.routers(project_id=project.id))
    assert [n.name for n in networks] == [names.net]
    assert [s.network_id for s in subnets] == [networks[0].id]
    assert [r.name for r in routers] == [names.router]
    assert cloud.interfaces(routers[0].id) == [subnets[0].id]
    for result in results:
        assert not result.get("failed"), result
        assert result["internal_network"]["id"] == networks[0].id
        assert result["subnet"]["id"] == subnets[0].id
        assert result["router"]["id"] == routers[0].id
        assert result["internal_network"]["project_id"] == project.id
    created = sorted((c["type"], c["id"]) for result in results for c in result["created"])
    assert created == sorted([("network", networks[0].id), ("subnet", subnets[0].id), ("router", routers[0].id)])

    again = module_result(options)
    assert not again["changed"]


# --- the role ----------------------------------------------------------------------------------


def test_the_role_finds_or_creates_each_tenancys_networks(run_playbook, sandbox_env, cloud, names):
    options = names.options(external_net_template=EXTERNAL)
    del options["cloud"]
    play = localhost_play(
        [{"ansible.builtin.include_role": {"name": "azimuth.ops.tenancy_network"}}, save_results("tenancy_network_results")],
        vars={"tenancy_network_tenancies": [{"cloud": "sandbox-demo", "options": {"internal_net_cidr": "10.78.0.0/24"}}],
              "tenancy_network_options": dict(options, internal_net_cidr="10.79.0.0/24")})
    run = run_playbook([play], env=sandbox_env)
    assert run.ok, run.output
    networks = run.results[cloud.demo_project]
    assert networks["internal_network"]["name"] == names.net
    assert networks["subnet"]["cidr"] == "10.78.0.0/24"  # the tenancy's own options win
    assert networks["external_network"]["name"] == EXTERNAL
    assert [c["type"] for c in networks["created"]] == ["network", "subnet", "router"]
    assert "project %s: internal %s (%s), external %s (%s), storage none, created network, subnet, router" % (
        cloud.demo_project, names.net, networks["internal_network"]["id"], EXTERNAL,
        networks["external_network"]["id"]) in run.output
