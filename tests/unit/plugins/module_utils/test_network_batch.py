"""The batch form of tenancy_network: what Neutron shows each project, and the same answers as the one-project form.

The visibility rules are plain functions, checked branch by branch.  ``FakeCloud`` is an
in-memory Neutron with RBAC policies: ``admin()`` lists everything (list-valued filters, as
Neutron takes them), ``as_project(id)`` lists what that project may see, the way Neutron's
queries narrow it.  The batch form (as admin) and the one-project form (as each project) are run
over the same cloud and must agree.  tests/integration/test_tenancy_network_batch.py does the
same against the sandbox's real Neutron.
"""

import itertools

import pytest

from ansible_collections.azimuth.ops.plugins.module_utils.openstack._network import (
    SUBNET_MARKER,
    NetworkError,
    Options,
    Project,
    TenancyNetworks,
    network_marker,
    router_marker,
)
from ansible_collections.azimuth.ops.plugins.module_utils.openstack._network_batch import (
    BatchNetworks,
    chunks,
    cloud_entries,
    matches,
    project_entries,
    resolve_projects,
    sees_network,
    sees_port,
    sees_subnet,
    shared_with,
)

SHARED, EXTERNAL, READONLY = "access_as_shared", "access_as_external", "access_as_readonly"
P, Q = "p1", "p2"


# --- what Neutron shows a project ------------------------------------------------------------


@pytest.mark.parametrize("owner, policies, seen", [
    (P, [], True),                                  # its own
    (Q, [], False),                                 # another project's, not shared
    (Q, [(SHARED, "*")], True),                     # shared with everyone
    (Q, [(SHARED, P)], True),                       # shared with it
    (Q, [(SHARED, "p3")], False),                   # shared with another project only
    (Q, [(EXTERNAL, "*")], True),                   # external for everyone
    (Q, [(EXTERNAL, P)], True),                     # external for it
    (Q, [(EXTERNAL, "p3")], False),                 # external for another project only
    (Q, [(READONLY, P)], True),                     # read-only for it
    (Q, [(READONLY, "*")], True),
    (Q, [(EXTERNAL, "p3"), (SHARED, P)], True),     # any one policy is enough
])
def test_sees_network_every_sharing_branch(owner, policies, seen):
    assert sees_network(P, dict(project_id=owner), policies) is seen


@pytest.mark.parametrize("policies, shared", [
    ([], False),
    ([(SHARED, "*")], True),
    ([(SHARED, P)], True),            # shared with it: Neutron says shared to this project...
    ([(SHARED, Q)], False),           # ...and not to another
    ([(EXTERNAL, "*")], False),       # external is not shared
    ([(EXTERNAL, P)], False),
    ([(READONLY, P)], False),
])
def test_shared_is_as_the_project_reads_it(policies, shared):
    assert shared_with(P, policies) is shared


@pytest.mark.parametrize("owner, policies, seen", [
    (P, [], True),
    (Q, [], False),
    (Q, [(SHARED, "*")], True),
    (Q, [(SHARED, P)], True),
    (Q, [(SHARED, Q)], False),
    (Q, [(READONLY, P)], True),
    (Q, [(EXTERNAL, "*")], False),   # an external network's subnets are not listed to others
    (Q, [(EXTERNAL, P)], False),
])
def test_sees_subnet_every_branch(owner, policies, seen):
    assert sees_subnet(P, dict(project_id=owner), policies) is seen


def test_sees_port_its_own_or_on_its_network():
    assert sees_port(P, dict(project_id=P), Q)
    assert sees_port(P, dict(project_id=Q), P)
    assert not sees_port(P, dict(project_id=Q), Q)
    assert not sees_port(P, dict(project_id=Q), None)


def test_matches_filters_as_neutron_does():
    net = dict(name="a", tags=["x", "y"], is_router_external=True, project_id=P)
    assert matches(net, dict(any_tags="z,y"))
    assert not matches(net, dict(any_tags="z"))
    assert matches(net, dict(is_router_external=True)) and not matches(net, dict(is_router_external=False))
    assert matches(net, dict(name="a", project_id=P)) and not matches(net, dict(name="a", project_id=Q))
    assert not matches(dict(name="a", tags=None), dict(any_tags="x"))


def test_chunks_keep_requests_short():
    names = ["n%03d" % i for i in range(100)]
    runs = list(chunks(names, limit=100))
    assert [name for run in runs for name in run] == names
    assert all(sum(len(n) + 6 for n in run) <= 100 for run in runs) and len(runs) == 10
    assert list(chunks(["x" * 500], limit=100)) == [["x" * 500]]
    assert list(chunks([])) == []


# --- projects --------------------------------------------------------------------------------


KNOWN = [dict(id="id-a", name="alpha", domain_id="default"), dict(id="id-b", name="beta", domain_id="default"),
         dict(id="id-c", name="twin", domain_id="default"), dict(id="id-d", name="twin", domain_id="other")]


def test_projects_by_id_or_name_in_order_once_each():
    found = resolve_projects(["beta", "id-a", "id-b", "id-c"], KNOWN, "the cloud's projects")
    assert [(p.id, p.name) for p in found] == [("id-b", "beta"), ("id-a", "alpha"), ("id-c", "twin")]
    assert resolve_projects([], KNOWN, "x") == []


def test_unknown_and_ambiguous_projects_are_one_error():
    with pytest.raises(NetworkError) as info:
        resolve_projects(["alpha", "gamma", "twin", "nope"], KNOWN, "the projects user bob has a role in")
    assert str(info.value) == (
        "Could not find the projects to work on: no project has the ID or name 'gamma', 'nope' among the projects "
        "user bob has a role in; several projects have the name 'twin' (id-c in domain default, id-d in domain "
        "other): list them by ID.")


# --- an in-memory Neutron with RBAC ---------------------------------------------------------


class Access:
    def __init__(self, project_id, roles, user_id="u1", username="bob"):
        self.project_id, self.role_names, self.user_id, self.username = project_id, roles, user_id, username
        self.project_name = dict((p["id"], p["name"]) for p in PROJECTS).get(project_id)


class FakeCloud:
    """Networks, subnets, routers, ports and network RBAC policies; every list and write counted."""

    def __init__(self):
        self.objects = dict(networks=[], subnets=[], routers=[], ports=[])
        self.policies = []
        self.lists = []
        self.writes = []
        self.ids = itertools.count(100)
        self.seconds = itertools.count()

    def add(self, kind, **fields):
        fields.setdefault("id", "%s-%d" % (kind[:3], next(self.ids)))
        fields.setdefault("created_at", "2026-01-01T00:%02d:00Z" % next(self.seconds))
        fields.setdefault("description", "")
        fields.setdefault("tags", [])
        if kind == "networks":
            fields.setdefault("is_router_external", False)
        self.objects[kind].append(fields)
        return dict(fields)

    def share(self, network, action, target):
        self.policies.append(dict(object_id=network["id"], action=action, target_project_id=target))

    def policies_of(self, network_id):
        return [(p["action"], p["target_project_id"]) for p in self.policies if p["object_id"] == network_id]

    def admin(self):
        return NeutronAPI(self, None)

    def as_project(self, project_id):
        return NeutronAPI(self, project_id)


def _passes(obj, key, value):
    if key == "any_tags":
        return bool(set(value.split(",")) & set(obj["tags"]))
    if key in ("fields", "device_owner") and key not in obj:
        return True
    values = value if isinstance(value, list) else [value]
    return obj.get(key) in values


class NeutronAPI:
    """``conn.network``: as the admin (``project_id`` None) or as a project, narrowed as Neutron narrows."""

    def __init__(self, cloud, project_id):
        self.cloud, self.project_id = cloud, project_id

    def _visible(self, kind, obj):
        pid, policies = self.project_id, self.cloud.policies_of
        if pid is None or kind == "routers":
            return pid is None or obj["project_id"] == pid
        if kind == "networks":
            return obj["project_id"] == pid or any(
                t == "*" or (t == pid and a in (SHARED, READONLY, EXTERNAL)) for a, t in policies(obj["id"]))
        if kind == "subnets":
            return obj["project_id"] == pid or any(
                a in (SHARED, READONLY) and t in ("*", pid) for a, t in policies(obj["network_id"]))
        network = next((n for n in self.cloud.objects["networks"] if n["id"] == obj["network_id"]), {})
        return obj["project_id"] == pid or network.get("project_id") == pid

    def _list(self, kind, query):
        self.cloud.lists.append((kind, self.project_id))
        found = []
        for obj in self.cloud.objects[kind]:
            if self._visible(kind, obj) and all(_passes(obj, k, v) for k, v in query.items()):
                obj = dict(obj)
                if kind == "networks":
                    viewer = self.project_id or "admin"
                    obj["is_shared"] = any(a == SHARED and t in ("*", viewer) for a, t in self.cloud.policies_of(obj["id"]))
                found.append(obj)
        return found

    def networks(self, **query):
        return self._list("networks", query)

    def subnets(self, **query):
        return self._list("subnets", query)

    def routers(self, **query):
        return self._list("routers", query)

    def ports(self, **query):
        return self._list("ports", query)

    def rbac_policies(self, **query):
        assert self.project_id is None and query == dict(object_type="network")
        self.cloud.lists.append(("rbac_policies", None))
        return [dict(p) for p in self.cloud.policies]

    def _owner(self, fields):
        return fields.pop("project_id", None) or self.project_id

    def create_network(self, **fields):
        self.cloud.writes.append(("create_network", fields.get("project_id")))
        return self.cloud.add("networks", project_id=self._owner(fields), is_shared=False, **fields)

    def create_subnet(self, **fields):
        self.cloud.writes.append(("create_subnet", fields.get("project_id")))
        return self.cloud.add("subnets", project_id=self._owner(fields), gateway_ip="192.168.3.1",
                              dns_nameservers=[], **fields)

    def create_router(self, **fields):
        self.cloud.writes.append(("create_router", fields.get("project_id")))
        return self.cloud.add("routers", project_id=self._owner(fields), **fields)

    def _delete(self, kind, obj_id):
        self.cloud.writes.append(("delete_" + kind, obj_id))
        self.cloud.objects[kind] = [o for o in self.cloud.objects[kind] if o["id"] != obj_id]

    def delete_network(self, obj_id):
        self._delete("networks", obj_id)

    def delete_subnet(self, obj_id):
        self._delete("subnets", obj_id)

    def delete_router(self, obj_id):
        self._delete("routers", obj_id)

    def get_network(self, network_id):
        return dict(next(n for n in self.cloud.objects["networks"] if n["id"] == network_id))

    def set_tags(self, network, tags):
        self.cloud.writes.append(("set_tags", network["id"]))
        next(n for n in self.cloud.objects["networks"] if n["id"] == network["id"])["tags"] = list(tags)

    def add_interface_to_router(self, router_id, subnet_id):
        self.cloud.writes.append(("add_interface", router_id))
        router = next(r for r in self.cloud.objects["routers"] if r["id"] == router_id)
        subnet = next(s for s in self.cloud.objects["subnets"] if s["id"] == subnet_id)
        self.cloud.add("ports", project_id=router["project_id"], device_id=router_id, network_id=subnet["network_id"],
                       device_owner="network:router_interface", fixed_ips=[dict(subnet_id=subnet_id)])


class Identity:
    def __init__(self, projects):
        self._projects = projects

    def projects(self):
        return [dict(p) for p in self._projects]

    def user_projects(self, user_id):
        return [dict(p) for p in self._projects if user_id in p.get("members", ())]


class Session:
    def __init__(self, access):
        self.auth = self
        self.access = access

    def get_access(self, session):
        return self.access


class FakeConnection:
    def __init__(self, cloud, projects, access):
        self.cloud, self.projects = cloud, projects
        self.session = Session(access)
        self.identity = Identity(projects)
        admin = "admin" in access.role_names
        self.network = cloud.admin() if admin else cloud.as_project(access.project_id)
        self.rescoped = []

    def connect_as(self, project_id):
        self.rescoped.append(project_id)
        access = self.session.access
        return FakeConnection(self.cloud, self.projects, Access(project_id, access.role_names, access.user_id, access.username))


PROJECTS = [dict(id="p%d" % i, name="project-%d" % i, domain_id="default", members=("u1",)) for i in range(1, 6)]
IDS = [p["id"] for p in PROJECTS]


def sharing_cloud():
    """Every way a network can reach a project, and the module's own objects for one of them."""
    cloud = FakeCloud()
    # External networks: one tagged, external only for p1 and p2; the fallback by router:external for everyone.
    tagged_ext = cloud.add("networks", name="site-ext", project_id="admin", tags=["portal-external"], is_router_external=True)
    cloud.share(tagged_ext, EXTERNAL, "p1")
    cloud.share(tagged_ext, EXTERNAL, "p2")
    public = cloud.add("networks", name="public", project_id="admin", is_router_external=True)
    cloud.share(public, EXTERNAL, "*")
    # Storage: shared with p2 only (shared is true for p2, and p2 alone sees it).
    storage = cloud.add("networks", name="storage", project_id="admin", tags=["portal-storage"])
    cloud.share(storage, SHARED, "p2")
    # Internal: p2 tagged its own; an admin network tagged internal, shared with everyone; another shared with p4.
    cloud.add("networks", name="p2-own", project_id="p2", tags=["portal-internal"])
    everyone = cloud.add("networks", name="for-all", project_id="admin", tags=["portal-internal"])
    cloud.share(everyone, SHARED, "*")
    for_p4 = cloud.add("networks", name="for-p4", project_id="p5", tags=["portal-internal"])
    cloud.share(for_p4, SHARED, "p4")
    # p3: the module's network, subnet, router and interface from an earlier run.
    net = cloud.add("networks", name="portal-internal", project_id="p3", tags=["portal-internal"],
                    description=network_marker("portal-internal"))
    subnet = cloud.add("subnets", name="portal-internal", project_id="p3", network_id=net["id"], description=SUBNET_MARKER,
                       cidr="192.168.3.0/24", ip_version=4, gateway_ip="192.168.3.1", dns_nameservers=[])
    router = cloud.add("routers", name="portal-router", project_id="p3", description=router_marker(net["id"]),
                       external_gateway_info=dict(network_id=public["id"]))
    cloud.add("ports", project_id="p3", device_id=router["id"], network_id=net["id"], device_owner="network:router_interface",
              fixed_ips=[dict(subnet_id=subnet["id"])])
    return cloud


def one_project_results(cloud, options, check_mode=False):
    """Each project's result from the one-project form, as that project; an error's message instead."""
    results = {}
    for project in PROJECTS:
        conn = FakeConnection(cloud, PROJECTS, Access(project["id"], ["member"]))
        try:
            results[project["id"]] = TenancyNetworks(conn, options, check_mode=check_mode, project=Project(project["id"], project["name"]),
                                                     sleep=lambda s: None).run(diff=True)
        except NetworkError as exc:
            results[project["id"]] = str(exc)
    return results


def batch(cloud, options, check_mode=False, roles=("admin",), projects=IDS):
    conn = FakeConnection(cloud, PROJECTS, Access("admin-project", list(roles)))
    networks = BatchNetworks(conn, options, projects, check_mode=check_mode, sleep=lambda s: None)
    try:
        result = networks.run(diff=True)
    except NetworkError as exc:
        return dict(exc.details.get("tenancies", {}), **exc.details.get("errors", {})), exc, conn
    per_project = dict((pid, dict(r, diff=dict(before=result["diff"]["before"][pid], after=result["diff"]["after"][pid])))
                       for pid, r in result["tenancies"].items())
    return per_project, result, conn


@pytest.mark.parametrize("options", [
    dict(),
    dict(external_net_template="public"),
    dict(allow_shared_internal_net=True, create_internal_net=False, external_net_template="public"),
    dict(external_net_tag="none", external_net_required=False),
    dict(internal_net_tag="none", internal_net_template="{tenant_name}-net", create_internal_net=False, external_net_template="public"),
], ids=["defaults", "template", "shared-internal", "no-external", "internal-template"])
@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "real"])
@pytest.mark.parametrize("roles", [("admin",), ("member",)], ids=["admin", "user"])
def test_the_batch_form_gives_each_project_what_the_one_project_form_gives(options, check_mode, roles):
    expected = one_project_results(sharing_cloud(), Options(**options), check_mode=check_mode)
    got, result, _conn = batch(sharing_cloud(), Options(**options), check_mode=check_mode, roles=roles)
    if isinstance(result, NetworkError):  # a failed task returns the other projects' results without diff
        expected = dict((pid, r if isinstance(r, str) else dict((k, v) for k, v in r.items() if k != "diff"))
                        for pid, r in expected.items())
    assert got == expected


def test_sharing_reaches_each_project_as_neutron_says():
    got, result, _conn = batch(sharing_cloud(), Options(external_net_template="public"))
    assert not isinstance(result, NetworkError), result
    external = dict((pid, r["external_network"]["name"]) for pid, r in got.items())
    assert external == {"p1": "site-ext", "p2": "site-ext", "p3": "public", "p4": "public", "p5": "public"}
    assert got["p2"]["storage_network"]["name"] == "storage" and got["p2"]["storage_network"]["shared"] is True
    assert [got[p]["storage_network"] for p in ("p1", "p3", "p4", "p5")] == [None] * 4
    assert got["p2"]["internal_network"]["name"] == "p2-own" and not got["p2"]["changed"]
    assert got["p3"]["created"] == [] and not got["p3"]["changed"]
    # p5 owns the network it shares with p4: its own internal network; p4 may not use it (a shared one).
    assert got["p5"]["internal_network"]["name"] == "for-p4" and got["p5"]["created"] == []
    for pid in ("p1", "p4"):
        assert [c["type"] for c in got[pid]["created"]] == ["network", "subnet", "router"]
        assert got[pid]["internal_network"]["project_id"] == got[pid]["router"]["project_id"] == pid


def test_objects_are_created_owned_by_each_project():
    cloud = sharing_cloud()
    batch(cloud, Options(external_net_template="public"))
    creates = [w for w in cloud.writes if w[0].startswith("create_")]
    assert sorted(creates) == sorted((kind, pid) for pid in ("p1", "p4")
                                     for kind in ("create_network", "create_subnet", "create_router"))


def test_a_no_op_reads_each_kind_once_for_all_projects():
    cloud = sharing_cloud()
    options = Options(external_net_template="public")
    batch(cloud, options)
    cloud.lists.clear()
    got, result, _conn = batch(cloud, options)
    assert not result["changed"] and not any(r["changed"] for r in got.values())
    assert sorted(cloud.lists) == sorted([("networks", None), ("networks", None), ("rbac_policies", None),
                                          ("subnets", None), ("routers", None), ("ports", None)])


def test_a_users_batch_works_on_each_project_with_a_token_scoped_to_it():
    cloud = sharing_cloud()
    got, _result, conn = batch(cloud, Options(external_net_template="public"), roles=("member",),
                               projects=["project-2", "p1"])
    assert sorted(conn.rescoped) == ["p1", "p2"]
    assert sorted(got) == ["p1", "p2"]
    assert {pid for kind, pid in cloud.lists} == {"p1", "p2"}


def test_a_user_cannot_name_a_project_it_has_no_role_in():
    projects = [dict(PROJECTS[0]), dict(id="p9", name="elsewhere", domain_id="default")]
    conn = FakeConnection(FakeCloud(), projects, Access("p1", ["member"]))
    with pytest.raises(NetworkError, match="no project has the ID or name 'elsewhere' among the projects user bob has a role in"):
        BatchNetworks(conn, Options(), ["p1", "elsewhere"]).run()


def with_two_tagged_internal_networks_of_p1():
    cloud = sharing_cloud()
    cloud.add("networks", name="a", project_id="p1", tags=["portal-internal"])
    cloud.add("networks", name="b", project_id="p1", tags=["portal-internal"])
    return cloud


def test_a_failing_project_does_not_stop_the_others():
    options = Options(external_net_template="public")
    expected = one_project_results(with_two_tagged_internal_networks_of_p1(), options)
    _got, error, _conn = batch(with_two_tagged_internal_networks_of_p1(), options)
    assert isinstance(error, NetworkError)
    assert str(error).startswith("Could not settle the networks of 1 of 5 projects: Could not determine the internal "
                                 "network for project project-1 (p1): 2 networks of the project carry the tag")
    assert error.details["errors"] == {"p1": expected["p1"]}
    assert error.details["changed"] is True
    assert sorted(error.details["tenancies"]) == ["p2", "p3", "p4", "p5"]
    for pid, result in error.details["tenancies"].items():
        assert result == dict((k, v) for k, v in expected[pid].items() if k != "diff")


def test_a_listing_failure_is_one_message():
    from openstack import exceptions as sdk_exceptions  # pylint: disable=import-outside-toplevel

    cloud = sharing_cloud()

    def broken(**query):
        raise sdk_exceptions.SDKException("Neutron is down")

    api = cloud.admin()
    api.rbac_policies = broken
    conn = FakeConnection(cloud, PROJECTS, Access("admin-project", ["admin"]))
    conn.network = api
    with pytest.raises(NetworkError) as info:
        BatchNetworks(conn, Options(), IDS).run()
    assert str(info.value) == "Could not list the network RBAC policies of the projects: SDKException: Neutron is down"
    assert cloud.writes == []


# --- issue 18: clouds of their own, options of each entry -------------------------------------


def opener(cloud, project_id, roles=("member",)):
    return lambda: FakeConnection(cloud, PROJECTS, Access(project_id, list(roles)))


def by_clouds(cloud, options, check_mode=False, entries=None):
    """The batch form over each project's own connection (``clouds``); per project as ``batch`` gives it."""
    entries = entries or [("clouds[%d]" % i, opener(cloud, pid), options) for i, pid in enumerate(IDS)]
    networks = BatchNetworks(None, options, [], check_mode=check_mode, sleep=lambda s: None, clouds=entries)
    try:
        result = networks.run(diff=True)
    except NetworkError as exc:
        return dict(exc.details.get("tenancies", {}), **exc.details.get("errors", {})), exc
    return dict((pid, dict(r, diff=dict(before=result["diff"]["before"][pid], after=result["diff"]["after"][pid])))
                for pid, r in result["tenancies"].items()), result


@pytest.mark.parametrize("options", [dict(), dict(external_net_template="public"),
                                     dict(allow_shared_internal_net=True, create_internal_net=False, external_net_template="public")],
                         ids=["defaults", "template", "shared-internal"])
@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "real"])
def test_the_clouds_form_gives_each_tenancy_what_the_one_project_form_gives(options, check_mode):
    expected = one_project_results(sharing_cloud(), Options(**options), check_mode=check_mode)
    got, result = by_clouds(sharing_cloud(), Options(**options), check_mode=check_mode)
    if isinstance(result, NetworkError):
        expected = dict((pid, r if isinstance(r, str) else dict((k, v) for k, v in r.items() if k != "diff"))
                        for pid, r in expected.items())
    assert got == expected


def test_a_cloud_that_cannot_be_used_fails_alone_before_anything_is_written_for_it():
    from openstack import exceptions as sdk_exceptions  # pylint: disable=import-outside-toplevel

    def refused():
        raise sdk_exceptions.SDKException("The request you have made requires authentication.")

    cloud = sharing_cloud()
    options = Options(external_net_template="public")
    entries = [("clouds[0] (cloud physics)", opener(cloud, "p1"), options), ("clouds[1] (project p4)", refused, options),
               ("clouds[2] (cloud again)", opener(cloud, "p1"), options), ("clouds[3]", opener(cloud, None), options)]
    got, error = by_clouds(cloud, options, entries=entries)
    assert error.details["errors"] == {
        "clouds[1]": "Could not connect to OpenStack with clouds[1] (project p4): SDKException: The request you have made "
                     "requires authentication.",
        "clouds[2]": "clouds[2] (cloud again) is scoped to project project-1 (p1), which another entry already gives; give each "
                     "project once.",
        "clouds[3]": "clouds[3] is not scoped to a project; set project_name or project_id in its auth."}
    assert error.details["changed"] is True and sorted(error.details["tenancies"]) == ["p1"]
    assert str(error).startswith("Could not settle the networks of 3 of 4 projects: ")
    assert set(pid for kind, pid in cloud.writes if kind.startswith("create_")) == {"p1"}


def test_projects_and_clouds_in_one_call_each_with_its_own_options():
    cloud = sharing_cloud()
    base = dict(external_net_template="public")
    projects = project_entries(["p1", {"project": "project-4", "options": {"internal_net_cidr": "10.4.0.0/24"}}], base)
    clouds = [(label, opener(cloud, "p5"), options) for label, _c, options in
              cloud_entries([{"cloud": "p5-cloud", "options": {"internal_net_cidr": "10.5.0.0/24", "create_internal_net": "yes"}}], base)]
    conn = FakeConnection(cloud, PROJECTS, Access("admin-project", ["admin"]))
    result = BatchNetworks(conn, Options(**base), projects, sleep=lambda s: None, clouds=clouds).run()
    assert sorted(result["tenancies"]) == ["p1", "p4", "p5"]
    subnets = dict((pid, (r["subnet"] or {}).get("cidr")) for pid, r in result["tenancies"].items())
    assert subnets == {"p1": "192.168.3.0/24", "p4": "10.4.0.0/24", "p5": None}  # p5 has its own network (for-p4)
    # p4 with options of its own is read apart from p1 (one snapshot per set of options), and gives what it gives alone
    alone = TenancyNetworks(FakeConnection(sharing_cloud(), PROJECTS, Access("p4", ["member"])),
                            Options(internal_net_cidr="10.4.0.0/24", **base), project=Project("p4", "project-4"),
                            sleep=lambda s: None).run()
    assert dict((k, v) for k, v in result["tenancies"]["p4"].items() if k not in ("internal_network", "subnet", "router", "created")) == \
        dict((k, v) for k, v in alone.items() if k not in ("internal_network", "subnet", "router", "created"))


@pytest.mark.parametrize("entries, kind, message", [
    ([{"project": "p1", "optoins": {}}], "projects", "projects[0] must be a project ID or name, or a dict with project (an ID or name) "
                                                     "and options (unknown keys: optoins)"),
    ([""], "projects", "projects[0] must be a project ID or name, or a dict with project and options"),
    ([{"project": "p1", "options": {"internal_net_cidrs": "x"}}], "projects", "projects[0].options: unknown option internal_net_cidrs; "
                                                                              "the options are allow_shared_internal_net,"),
    ([{"project": "p1", "options": {"create_internal_net": "perhaps"}}], "projects",
     "projects[0].options: argument 'create_internal_net' is of type str and we were unable to convert to bool"),
    ([{"project": "p1", "options": {"internal_net_cidr": "10.0.0.1/24"}}], "projects",
     "projects[0].options: internal_net_cidr '10.0.0.1/24' is not a network address"),
    ([{"project": "p1", "options": []}], "projects", "projects[0].options must be a dict of azimuth.ops.tenancy_network options, not a list"),
    (["ok", {"cloud": {"auth": {"password": "s3cret"}}, "extra": 1}], "clouds",
     "clouds[1]: a dict with cloud must have cloud (a cloud name or a dict of connection settings) and optionally options (unknown keys: extra)"),
    ([{}], "clouds", "clouds[0] must be a cloud name, a dict of connection settings, or a dict with cloud and options"),
    ([42], "clouds", "clouds[0] must be a cloud name, a dict of connection settings, or a dict with cloud and options"),
])
def test_bad_entries_are_named_before_any_request(entries, kind, message):
    parse = project_entries if kind == "projects" else cloud_entries
    with pytest.raises(NetworkError) as info:
        parse(entries, {})
    assert str(info.value).startswith(message) and "s3cret" not in str(info.value)


def test_entries_take_the_tasks_options_with_their_own_over_them():
    base = dict(internal_net_cidr="10.1.0.0/24", external_net_template="public")
    (ref, options), = project_entries([{"project": "p1", "options": {"internal_net_dns_nameservers": [], "router_name": "r"}}], base)
    assert (ref, options.internal_net_cidr, options.external_net_template, options.router_name) == ("p1", "10.1.0.0/24", "public", "r")
    labels = [label for label, _cloud, _options in cloud_entries(
        ["physics", {"auth": {"project_name": "chem", "password": "s3cret"}}, {"cloud": {"auth": {"project_id": "p9"}}}], base)]
    assert labels == ["clouds[0] (cloud physics)", "clouds[1] (project chem)", "clouds[2] (project p9)"]
