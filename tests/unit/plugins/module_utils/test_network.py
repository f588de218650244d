"""Tenancy network discovery and creation: the selection rules, messages and race settlement.

The rules are plain functions over network dicts.  ``TenancyNetworks`` is run against
``FakeNeutron``, an in-memory stand-in for ``conn.network`` that filters like Neutron does and
records every write, so that the run's reads, writes and race handling can be checked exactly.
The same paths run against the sandbox's real Neutron in tests/integration/test_tenancy_network.py.
"""

import itertools

import pytest
from openstack import exceptions as sdk_exceptions

from ansible_collections.azimuth.ops.plugins.module_utils.openstack._network import (
    SUBNET_MARKER,
    NetworkError,
    Options,
    Project,
    TenancyNetworks,
    gateway_for,
    network_marker,
    render_template,
    router_marker,
    select_external,
    select_internal,
    select_storage,
    settle,
)

PROJECT = Project("p1", "physics")
OTHER = "p2"


def net(name, net_id=None, project_id="p1", tags=(), external=False, created_at="2026-01-01T00:00:00Z", description=""):
    return dict(id=net_id or "id-" + name, name=name, project_id=project_id, tags=sorted(tags), shared=False,
                router_external=external, created_at=created_at, description=description)


# --- options -------------------------------------------------------------------------------


def test_options_have_the_documented_defaults():
    opts = Options()
    assert opts.internal_net_tag == "portal-internal"
    assert opts.external_net_tag == "portal-external"
    assert opts.storage_net_tag == "portal-storage"
    assert opts.internal_net_cidr == "192.168.3.0/24"
    assert opts.internal_net_dns_nameservers == []
    assert (opts.internal_net_name, opts.router_name) == ("portal-internal", "portal-router")
    assert opts.create_internal_net and opts.external_net_required and not opts.allow_shared_internal_net
    assert opts.tags == ["portal-external", "portal-internal", "portal-storage"]


@pytest.mark.parametrize("values, message", [
    (dict(internal_net_cidr="192.168.3.1/24"), "internal_net_cidr '192.168.3.1/24' is not a network address"),
    (dict(internal_net_cidr="nonsense"), "internal_net_cidr 'nonsense' is not a network address"),
    (dict(internal_net_cidr="fd00::/64"), "internal_net_cidr 'fd00::/64' is not an IPv4 network"),
    (dict(internal_net_cidr="10.0.0.0/31"), "is too small"),
    (dict(internal_net_dns_nameservers=["8.8.8.8", "dns.example"]), "'dns.example' is not an IP address"),
    (dict(internal_net_tag="a,b"), "internal_net_tag 'a,b' must not contain a comma"),
    (dict(router_name=" "), "router_name must not be empty"),
    (dict(internal_net_template="{tenant_name}"), None),
    (dict(external_net_template=""), "external_net_template must not be empty"),
])
def test_options_are_checked_before_any_request(values, message):
    if message is None:
        Options(**values)
        return
    with pytest.raises(NetworkError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Options(**values)


def test_render_template_and_gateway():
    assert render_template("{tenant_name}-net-{tenant_name}", "physics") == "physics-net-physics"
    assert render_template("fixed", "physics") == "fixed"
    assert gateway_for("10.1.2.0/24") == "10.1.2.1"


# --- external ------------------------------------------------------------------------------


def test_external_by_tag_then_template_then_router_external():
    opts = Options()
    tagged = net("ext", tags=["portal-external"], project_id="admin", external=True)
    assert select_external(PROJECT, opts, [tagged]) == (tagged, None)
    assert select_external(PROJECT, opts, []) == (None, "router_external")
    public = net("public", external=True, project_id="admin")
    assert select_external(PROJECT, opts, [], router_external=[public, public]) == (public, None)  # counted once
    templated = Options(external_net_template="{tenant_name}-ext")
    assert select_external(PROJECT, templated, []) == (None, "template")
    assert select_external(PROJECT, templated, [], by_template=[public]) == (public, None)


def test_external_errors_name_the_project_the_networks_and_the_tag():
    opts = Options()
    with pytest.raises(NetworkError) as info:
        select_external(PROJECT, opts, [net("b", "id2"), net("a", "id1")])
    assert str(info.value) == (
        "Could not determine the external network for project physics (p1): 2 networks carry the tag "
        "'portal-external': a (id1), b (id2). Remove the tag from all but the one to use.")

    with pytest.raises(NetworkError) as info:
        select_external(PROJECT, opts, [], router_external=[])
    assert "could not find an external network" in str(info.value)
    assert "Tag the external network with 'portal-external'" in str(info.value)

    with pytest.raises(NetworkError) as info:
        select_external(PROJECT, opts, [], router_external=[net("x", "i1", external=True), net("y", "i2", external=True)])
    assert str(info.value) == (
        "Could not determine the external network for project physics (p1): no network carries the tag "
        "'portal-external' and 2 networks have router:external set: x (i1), y (i2). Tag the one to use with "
        "'portal-external' (or set external_net_template).")

    templated = Options(external_net_template="{tenant_name}-ext")
    with pytest.raises(NetworkError, match="no network is named 'physics-ext' \\(external_net_template '{tenant_name}-ext'\\)"):
        select_external(PROJECT, templated, [], by_template=[])
    with pytest.raises(NetworkError, match="2 networks are named 'physics-ext'.*: physics-ext \\(i1\\), physics-ext \\(i2\\)"):
        select_external(PROJECT, templated, [], by_template=[net("physics-ext", "i1"), net("physics-ext", "i2")])


def test_an_external_network_that_is_not_router_external_is_refused_during_discovery():
    tagged = net("site-net", "id9", tags=["portal-external"])
    with pytest.raises(NetworkError) as info:
        select_external(PROJECT, Options(), [tagged])
    assert str(info.value) == (
        "Could not determine the external network for project physics (p1): network site-net (id9) carries the tag "
        "'portal-external' but is not external (router:external is false), so no router can have its gateway on it. "
        "Set router:external on it, or move the tag to the external network.")
    templated = Options(external_net_template="{tenant_name}-ext")
    with pytest.raises(NetworkError, match="network physics-ext \\(i1\\) is named by external_net_template"):
        select_external(PROJECT, templated, [], by_template=[net("physics-ext", "i1")])


def test_a_tagged_network_that_is_not_external_fails_before_anything_is_created(cloud):
    cloud.network.add("network", name="site-net", tags=["portal-external"], is_router_external=False)
    with pytest.raises(NetworkError, match="is not external"):
        run(cloud)
    assert cloud.network.writes == []


# --- internal and storage ------------------------------------------------------------------


def test_internal_by_tag_counts_only_the_projects_own_unless_shared_is_allowed():
    mine = net("mine", tags=["portal-internal"])
    theirs = net("theirs", project_id=OTHER, tags=["portal-internal"])
    assert select_internal(PROJECT, Options(), [mine, theirs]) == (mine, None)
    assert select_internal(PROJECT, Options(), [theirs]) == (None, "create")
    assert select_internal(PROJECT, Options(allow_shared_internal_net=True), [theirs]) == (theirs, None)
    with pytest.raises(NetworkError, match="2 networks carry the tag 'portal-internal': mine .*, theirs "):
        select_internal(PROJECT, Options(allow_shared_internal_net=True), [mine, theirs])


def test_internal_several_tagged_is_an_error_naming_them():
    with pytest.raises(NetworkError) as info:
        select_internal(PROJECT, Options(), [net("a", "1"), net("b", "2")])
    assert str(info.value) == (
        "Could not determine the internal network for project physics (p1): 2 networks of the project carry "
        "the tag 'portal-internal': a (1), b (2). Remove the tag from all but the one to use.")


def test_internal_template_never_creates():
    opts = Options(internal_net_template="{tenant_name}-net")
    assert select_internal(PROJECT, opts, []) == (None, "template")
    found = net("physics-net")
    assert select_internal(PROJECT, opts, [], by_template=[found, net("physics-net", "x", project_id=OTHER)]) == (found, None)
    with pytest.raises(NetworkError) as info:
        select_internal(PROJECT, opts, [], by_template=[net("physics-net", "x", project_id=OTHER)])
    assert str(info.value) == (
        "Could not determine the internal network for project physics (p1): no network of the project carries "
        "the tag 'portal-internal' and none is named 'physics-net' (internal_net_template '{tenant_name}-net'; a "
        "template never creates a network) (networks of other projects are not used unless "
        "allow_shared_internal_net is true: physics-net (x)).")
    with pytest.raises(NetworkError, match="2 networks are named 'physics-net'"):
        select_internal(PROJECT, opts, [], by_template=[net("physics-net", "1"), net("physics-net", "2")])


def test_internal_without_creation_is_an_error_telling_what_to_do():
    with pytest.raises(NetworkError) as info:
        select_internal(PROJECT, Options(create_internal_net=False), [])
    assert str(info.value) == (
        "Could not find an internal network for project physics (p1): no network of the project carries the tag "
        "'portal-internal'. Tag one with 'portal-internal' or enable create_internal_net.")


def test_storage_is_optional_and_unique():
    opts = Options()
    assert select_storage(PROJECT, opts, []) is None
    storage = net("st", tags=["portal-storage"])
    assert select_storage(PROJECT, opts, [storage]) is storage
    with pytest.raises(NetworkError, match="storage network for project physics \\(p1\\): 2 networks carry the tag 'portal-storage': a \\(1\\), b \\(2\\)"):
        select_storage(PROJECT, opts, [net("a", "1"), net("b", "2")])


def test_settle_prefers_the_oldest_then_the_lowest_id():
    older = net("x", "zzz", created_at="2026-01-01T00:00:00Z")
    same_second = [net("x", "bbb", created_at="2026-01-01T00:00:01Z"), net("x", "aaa", created_at="2026-01-01T00:00:01Z")]
    assert settle(same_second + [older]) is older
    assert settle(same_second)["id"] == "aaa"


# --- the run, against an in-memory Neutron -------------------------------------------------


class FakeNeutron:
    """Enough of ``conn.network`` for the module: filtering like Neutron, every write recorded."""

    def __init__(self):
        self.objects = dict(network=[], subnet=[], router=[], port=[])
        self.writes = []
        self.reads = 0
        self.seconds = itertools.count()
        self.ids = itertools.count(100)
        self.before_create_subnet = lambda: None

    def new_id(self):
        return "%s-%d" % ("id", next(self.ids))

    def stamp(self):
        return "2026-01-01T00:%02d:00Z" % next(self.seconds)

    def add(self, kind, **fields):
        fields.setdefault("id", self.new_id())
        fields.setdefault("created_at", self.stamp())
        fields.setdefault("description", "")
        fields.setdefault("tags", [])
        fields.setdefault("project_id", PROJECT.id)
        self.objects[kind].append(fields)
        return dict(fields)

    def _list(self, kind, query):
        self.reads += 1
        found = []
        for obj in self.objects[kind]:
            keep = True
            for key, value in query.items():
                if key == "any_tags":
                    keep = keep and bool(set(value.split(",")) & set(obj["tags"]))
                else:
                    keep = keep and obj.get(key) == value
            if keep:
                found.append(dict(obj))
        return found

    def networks(self, **query):
        return self._list("network", query)

    def subnets(self, **query):
        return self._list("subnet", query)

    def routers(self, **query):
        return self._list("router", query)

    def ports(self, **query):
        return self._list("port", query)

    def get_network(self, network_id):
        self.reads += 1
        return dict(next(n for n in self.objects["network"] if n["id"] == network_id))

    def create_network(self, **fields):
        self.writes.append(("create_network", fields["name"]))
        return self.add("network", is_shared=False, is_router_external=False, **fields)

    def create_subnet(self, **fields):
        self.writes.append(("create_subnet", fields["name"]))
        self.before_create_subnet()
        if any(s["network_id"] == fields["network_id"] and s["cidr"] == fields["cidr"] for s in self.objects["subnet"]):
            raise sdk_exceptions.BadRequestException("Requested subnet with cidr: %s overlaps with another subnet." % fields["cidr"])
        fields.setdefault("dns_nameservers", [])
        return self.add("subnet", gateway_ip=gateway_for(fields["cidr"]), **fields)

    def create_router(self, **fields):
        self.writes.append(("create_router", fields["name"]))
        return self.add("router", **fields)

    def _delete(self, kind, obj_id):
        self.writes.append(("delete_" + kind, obj_id))
        self.objects[kind] = [o for o in self.objects[kind] if o["id"] != obj_id]

    def delete_network(self, obj_id):
        self._delete("network", obj_id)

    def delete_subnet(self, obj_id):
        self._delete("subnet", obj_id)

    def delete_router(self, obj_id):
        self._delete("router", obj_id)

    def set_tags(self, network, tags):
        self.writes.append(("set_tags", network["id"], tuple(tags)))
        next(n for n in self.objects["network"] if n["id"] == network["id"])["tags"] = list(tags)

    def update_router(self, router_id, **fields):
        self.writes.append(("update_router", router_id))
        next(r for r in self.objects["router"] if r["id"] == router_id).update(fields)

    def add_interface_to_router(self, router_id, subnet_id):
        self.writes.append(("add_interface", router_id, subnet_id))
        subnet = next(s for s in self.objects["subnet"] if s["id"] == subnet_id)
        self.add("port", device_id=router_id, network_id=subnet["network_id"],
                 fixed_ips=[dict(subnet_id=subnet_id, ip_address=subnet["gateway_ip"])])


class FakeConnection:
    def __init__(self):
        self.network = FakeNeutron()


@pytest.fixture
def cloud():
    conn = FakeConnection()
    conn.network.add("network", id="ext-id", name="public", project_id="admin", is_router_external=True)
    return conn


def run(conn, check_mode=False, sleep=None, **options):
    networks = TenancyNetworks(conn, Options(**options), check_mode=check_mode, project=PROJECT,
                               sleep=sleep or (lambda seconds: None))
    return networks, networks.run(diff=True)


def test_creates_network_subnet_and_router_then_changes_nothing(cloud):
    networks, result = run(cloud, internal_net_dns_nameservers=["8.8.8.8"])
    neutron = cloud.network
    assert [w[0] for w in neutron.writes] == ["create_network", "set_tags", "create_subnet", "create_router", "add_interface"]
    assert result["changed"]
    assert [(c["type"], c["name"]) for c in result["created"]] == [
        ("network", "portal-internal"), ("subnet", "portal-internal"), ("router", "portal-router")]
    assert result["internal_network"]["tags"] == ["portal-internal"]
    assert result["internal_network"]["description"] == network_marker("portal-internal")
    assert result["subnet"]["dns_nameservers"] == ["8.8.8.8"]
    assert result["router"]["external_network_id"] == "ext-id"
    assert result["router"]["interfaces"] == [dict(subnet_id=result["subnet"]["id"])]
    assert result["diff"]["before"] == dict(internal_network=None, subnet=None, router=None)
    assert networks.warnings == []

    neutron.writes.clear()
    neutron.reads = 0
    waits = []
    again = run(cloud, sleep=waits.append)[1]
    assert neutron.writes == []
    assert waits == [], "a run that creates nothing does not wait for concurrent creates"
    assert not again["changed"] and again["created"] == []
    # tagged networks, router:external, subnets, routers, ports
    assert neutron.reads == 5
    for key in ("internal_network", "subnet", "router", "external_network"):
        assert again[key] == result[key]


def test_check_mode_predicts_the_real_run_without_ids(cloud):
    predicted = run(cloud, check_mode=True)[1]
    assert cloud.network.writes == []
    assert predicted["changed"]
    assert [(c["type"], c["id"]) for c in predicted["created"]] == [("network", None), ("subnet", None), ("router", None)]
    real = run(cloud)[1]

    def without_ids(result):
        def strip(obj):
            obj = dict(obj, id=None, created_at=None)
            for key in ("network_id",):
                if key in obj:
                    obj[key] = None
            if "interfaces" in obj:
                obj["interfaces"] = [dict(subnet_id=None)] * len(obj["interfaces"])
            return obj
        return dict((key, strip(result[key])) for key in ("internal_network", "subnet", "router"))

    assert without_ids(predicted) == without_ids(real)
    assert predicted["diff"]["after"]["subnet"]["gateway_ip"] == "192.168.3.1"


def test_an_operator_tagged_network_is_used_as_it_is(cloud):
    cloud.network.add("network", name="theirs", tags=["portal-internal"])
    result = run(cloud)[1]
    assert cloud.network.writes == []
    assert result["internal_network"]["name"] == "theirs"
    assert result["subnet"] is None and result["router"] is None and not result["changed"]


def _unfinished(conn, subnet=True, router=True, gateway=True, tagged=True):
    neutron = conn.network
    network = neutron.add("network", name="portal-internal", description=network_marker("portal-internal"),
                          tags=["portal-internal"] if tagged else [])
    if subnet:
        subnet = neutron.add("subnet", name="portal-internal", network_id=network["id"], description=SUBNET_MARKER,
                             cidr="192.168.3.0/24", ip_version=4, gateway_ip="192.168.3.1")
    if router:
        neutron.add("router", name="portal-router", description=router_marker(network["id"]),
                    external_gateway_info=dict(network_id="ext-id") if gateway else None)
    return network


@pytest.mark.parametrize("state, writes", [
    (dict(subnet=False, router=False), ["create_subnet", "create_router", "add_interface"]),
    (dict(router=False), ["create_router", "add_interface"]),
    (dict(), ["add_interface"]),
    (dict(gateway=False), ["update_router", "add_interface"]),
    (dict(tagged=False, subnet=False, router=False), ["set_tags", "create_subnet", "create_router", "add_interface"]),
])
def test_an_unfinished_network_this_module_created_is_completed(cloud, state, writes):
    network = _unfinished(cloud, **state)
    predicted = run(cloud, check_mode=True)[1]
    assert cloud.network.writes == []
    result = run(cloud)[1]
    assert [w[0] for w in cloud.network.writes] == writes
    assert result["internal_network"]["id"] == network["id"] == predicted["internal_network"]["id"]
    assert result["router"]["interfaces"] == [dict(subnet_id=result["subnet"]["id"])]
    assert result["router"]["external_network_id"] == "ext-id"


def test_an_object_that_vanishes_under_completion_is_looked_for_again(cloud):
    """A concurrent run deleted the router it lost with just as this run went to complete it."""
    _unfinished(cloud, gateway=False)
    neutron = cloud.network
    vanishing = neutron.objects["router"][0]["id"]

    def deleted_meanwhile(router_id, **fields):
        neutron.objects["router"] = [r for r in neutron.objects["router"] if r["id"] != router_id]
        raise sdk_exceptions.NotFoundException("Router %s could not be found" % router_id)

    neutron.update_router = deleted_meanwhile
    result = run(cloud)[1]
    assert [w[0] for w in neutron.writes] == ["create_router", "add_interface"]
    assert result["router"]["id"] != vanishing
    assert result["router"]["external_network_id"] == "ext-id"
    assert result["router"]["interfaces"] == [dict(subnet_id=result["subnet"]["id"])]


def test_without_an_external_network_no_router_and_a_warning():
    conn = FakeConnection()
    networks, result = run(conn, external_net_required=False)
    assert [w[0] for w in conn.network.writes] == ["create_network", "set_tags", "create_subnet"]
    assert result["external_network"] is None and result["router"] is None
    assert "could not find an external network" in networks.warnings[0]
    assert "Carrying on without an external network" in networks.warnings[0]
    assert "No router for the internal network portal-internal of project physics (p1)" in networks.warnings[1]


def test_a_required_external_network_fails_before_anything_is_created():
    conn = FakeConnection()
    with pytest.raises(NetworkError, match="could not find an external network"):
        run(conn)
    assert conn.network.writes == []


def test_a_lost_race_deletes_its_own_objects_and_returns_the_winners(cloud):
    """A concurrent run created the same objects in the same second, with lower IDs: it wins."""
    neutron = cloud.network
    waits = []

    def concurrent_run(seconds):
        assert 2.0 <= seconds < 3.0
        waits.append(seconds)
        mine = [o for o in neutron.objects["network"] if o["name"] == "portal-internal"]
        if len(waits) == 1:  # after our network was created
            neutron.add("network", id="aaa-net", name="portal-internal", created_at=mine[0]["created_at"],
                        description=network_marker("portal-internal"))
        else:  # after our subnet and router were created
            subnet = next(s for s in neutron.objects["subnet"])
            router = next(r for r in neutron.objects["router"])
            neutron.add("subnet", id="aaa-sub", name="portal-internal", network_id="aaa-net", description=SUBNET_MARKER,
                        cidr="192.168.3.0/24", ip_version=4, gateway_ip="192.168.3.1", created_at=subnet["created_at"])
            neutron.add("router", id="aaa-rtr", name="portal-router", description=router_marker("aaa-net"),
                        external_gateway_info=dict(network_id="ext-id"), created_at=router["created_at"])

    result = run(cloud, sleep=concurrent_run)[1]
    assert result["internal_network"]["id"] == "aaa-net"
    assert result["subnet"]["id"] == "aaa-sub"
    assert result["router"]["id"] == "aaa-rtr"
    assert result["created"] == []
    assert len(waits) == 2
    deleted = [w[0] for w in neutron.writes if w[0].startswith("delete_")]
    assert deleted == ["delete_network", "delete_subnet", "delete_router"]
    assert [n["id"] for n in neutron.objects["network"] if n["name"] == "portal-internal"] == ["aaa-net"]
    assert len(neutron.objects["subnet"]) == len(neutron.objects["router"]) == 1


def test_a_won_race_keeps_its_objects(cloud):
    neutron = cloud.network

    def concurrent_run(seconds):
        # A later network of a concurrent run (created a second later): it will lose and delete it.
        if len(neutron.objects["network"]) == 2:
            neutron.add("network", id="aaa-late", name="portal-internal", description=network_marker("portal-internal"))

    result = run(cloud, sleep=concurrent_run)[1]
    assert result["internal_network"]["id"] != "aaa-late"
    assert [c["type"] for c in result["created"]] == ["network", "subnet", "router"]
    assert not [w for w in neutron.writes if w[0].startswith("delete_")]


def test_an_untagged_network_left_by_an_interrupted_run_is_adopted(cloud):
    network = _unfinished(cloud, tagged=False, subnet=False, router=False)
    result = run(cloud)[1]
    assert result["internal_network"]["id"] == network["id"]
    assert "create_network" not in [w[0] for w in cloud.network.writes]


def test_a_subnet_refused_as_overlapping_a_concurrent_runs_is_used(cloud):
    """Neutron refuses a second subnet with the same CIDR on a network: the other run's is used."""
    network = _unfinished(cloud, subnet=False, router=False)
    neutron = cloud.network

    def concurrent_subnet():
        neutron.add("subnet", id="theirs", name="portal-internal", network_id=network["id"], description=SUBNET_MARKER,
                    cidr="192.168.3.0/24", ip_version=4, gateway_ip="192.168.3.1")

    neutron.before_create_subnet = concurrent_subnet
    result = run(cloud)[1]
    assert result["subnet"]["id"] == "theirs"
    assert [c["type"] for c in result["created"]] == ["router"]
    assert result["router"]["interfaces"] == [dict(subnet_id="theirs")]


def test_a_refused_create_without_a_concurrent_object_is_an_error(cloud):
    network = _unfinished(cloud, subnet=False, router=False)
    neutron = cloud.network
    neutron.add("subnet", name="operator's", network_id=network["id"], cidr="192.168.3.0/24", ip_version=4)
    with pytest.raises(NetworkError) as info:
        run(cloud)
    assert str(info.value).startswith("Could not create subnet portal-internal for project physics (p1): ")
    assert "overlaps with another subnet" in str(info.value)


def test_the_result_names_the_tenancys_project_even_with_a_shared_internal_network(cloud):
    cloud.network.add("network", id="shared-id", name="shared", project_id=OTHER, tags=["portal-internal"])
    result = run(cloud, allow_shared_internal_net=True)[1]
    assert result["internal_network"]["project_id"] == OTHER
    assert result["project"] == {"id": PROJECT.id, "name": PROJECT.name}


def test_a_failure_after_a_write_says_what_was_created(cloud):
    def refuse():
        raise sdk_exceptions.SDKException("quota exceeded for subnets")

    cloud.network.before_create_subnet = refuse
    with pytest.raises(NetworkError) as info:
        run(cloud)
    [network] = cloud.network.objects["network"][1:]
    assert str(info.value) == (
        "Could not create subnet portal-internal for project physics (p1): SDKException: quota exceeded for subnets; "
        "before failing, this run wrote to Neutron and created: network portal-internal (%s)" % network["id"])
    assert info.value.details["changed"] is True
    assert info.value.details["created"] == [dict(type="network", id=network["id"], name="portal-internal")]


def test_a_failure_before_any_write_is_not_a_change(cloud):
    network = _unfinished(cloud, subnet=False, router=False)
    cloud.network.add("subnet", name="operator's", network_id=network["id"], cidr="192.168.3.0/24", ip_version=4)
    with pytest.raises(NetworkError) as info:
        run(cloud)
    assert "changed" not in info.value.details


def test_a_failure_after_creates_in_one_batch_names_each_object_made(cloud):
    """Subnet and router are created together: the router refused, the subnet made just before is named too."""
    def refuse(**fields):
        raise sdk_exceptions.SDKException("quota exceeded for routers")

    cloud.network.create_router = refuse
    with pytest.raises(NetworkError) as info:
        run(cloud)
    network, subnet = cloud.network.objects["network"][1], cloud.network.objects["subnet"][0]
    assert info.value.details["changed"] is True
    assert info.value.details["created"] == [dict(type="network", id=network["id"], name="portal-internal"),
                                             dict(type="subnet", id=subnet["id"], name="portal-internal")]
    assert str(info.value).endswith("created: network portal-internal (%s), subnet portal-internal (%s)" % (network["id"], subnet["id"]))


def test_a_failed_read_after_a_write_still_says_what_was_created(cloud):
    def refuse(**query):
        raise sdk_exceptions.SDKException("connection reset")

    created = cloud.network.create_network

    def create_then_fail_reads(**fields):
        cloud.network.subnets = refuse
        return created(**fields)

    cloud.network.create_network = create_then_fail_reads
    with pytest.raises(NetworkError) as info:
        run(cloud)
    assert info.value.details["changed"] is True and [c["type"] for c in info.value.details["created"]] == ["network"]
    assert str(info.value).startswith("OpenStack request failed for project physics (p1): SDKException: connection reset")
