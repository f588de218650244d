# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The networks of many tenancies in one call: ``BatchNetworks(conn, options, projects).run()``.

Each project gets exactly what the one-project form (``_network.TenancyNetworks``) gives it: its
run is that code, for that project.  What changes is where its reads come from.

- With an admin's connection, each kind of object (networks, subnets, routers, router ports,
  network RBAC policies) is read once for all the projects (``Snapshot``, each list on first
  use), and a project's run lists from a ``ProjectView`` of it: what Neutron would list to that
  project, with the visibility and the ``shared`` attribute Neutron computes from RBAC policies
  (``sees_network``, ``shared_with``, ``sees_subnet``).  From a project's first write on, its
  lists come from Neutron itself, narrowed to the project in the same way.  Objects it creates
  are owned by the project (the one-project code passes ``project_id``).
- With a user's connection (a role in each project), each project's run gets a connection scoped
  to it, and Neutron does the narrowing.
- With ``clouds``, each tenancy's own connection (its own token, scoped to its project): the
  clouds are opened (authorised) in a bounded pool, then each tenancy's run is the one-project
  code over its connection.  A cloud that cannot be used, or whose project another entry already
  gives, fails alone, before any write.

Each entry may carry options of its own over the task's (``entry_options``).  The runs go in a
few threads (``WORKERS``, a bound that Keystone and Neutron take well), so that the settling
waits of those that create overlap.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import functools
import threading
import time

from ansible_collections.azimuth.ops.plugins.module_utils.openstack._network import (
    BACKEND_ERRORS,
    OPTIONS_SPEC,
    SETTLE_SECONDS,
    SUBNET_MARKER,
    NetworkError,
    Options,
    Project,
    TenancyNetworks,
    network_marker,
    render_template,
)
from ansible_collections.azimuth.ops.plugins.module_utils.openstack._clouds import WORKERS, close, cloud_label, entry_overrides, open_cloud, pool_map
from ansible_collections.azimuth.ops.plugins.module_utils.openstack._openstack import describe_error, describe_sdk_error

SHARED = "access_as_shared"
READONLY = "access_as_readonly"
EXTERNAL = "access_as_external"
# The device owners of a router's ports on an internal network (legacy, DVR, HA; DVR's SNAT port).
ROUTER_PORT_OWNERS = ("network:router_interface", "network:router_interface_distributed",
                      "network:ha_router_replicated_interface", "network:router_centralized_snat")
ROUTER_FIELDS = ("id", "name", "description", "project_id", "external_gateway_info", "created_at")
PORT_FIELDS = ("id", "project_id", "device_id", "network_id", "fixed_ips")
# Characters of repeated ``name=`` values per request: well under the 8 KiB request line that
# Neutron (eventlet) and common proxies in front of it accept.
MAX_QUERY = 4000


# ---------------------------------------------------------------------------------------------
# What Neutron shows a project (pure)


def sees_network(project_id, network, policies):
    """Whether Neutron lists ``network`` to ``project_id``.

    ``policies``: the network's RBAC policies as ``(action, target project)`` pairs.  A project is
    shown its own networks, those shared with it (access_as_shared or access_as_readonly for it or
    for ``*``: neutron-lib's ``query_with_hooks``), and external networks it may use
    (access_as_external for it; Neutron's external-network filter hook also lets any policy for
    ``*`` through).
    """
    if network["project_id"] == project_id:
        return True
    return any(target == "*" or (target == project_id and action in (SHARED, READONLY, EXTERNAL))
               for action, target in policies)


def shared_with(project_id, policies):
    """The network's ``shared`` as ``project_id`` reads it: an access_as_shared policy for it or for ``*``."""
    return any(action == SHARED and target in ("*", project_id) for action, target in policies)


def sees_subnet(project_id, subnet, network_policies):
    """Whether Neutron lists ``subnet`` to ``project_id``: its own, or one of a network shared with it."""
    if subnet["project_id"] == project_id:
        return True
    return any(action in (SHARED, READONLY) and target in ("*", project_id) for action, target in network_policies)


def sees_port(project_id, port, network_owner):
    """Whether Neutron lists ``port`` to ``project_id``: its own, or one on a network it owns."""
    return port["project_id"] == project_id or network_owner == project_id


def matches(obj, query):
    """Whether ``obj`` passes Neutron's list filters ``query`` (as the one-project code sends them)."""
    for key, value in query.items():
        if key == "any_tags":
            if not set(value.split(",")) & set(obj.get("tags") or []):
                return False
        elif key == "is_router_external":
            if bool(obj.get("is_router_external")) != bool(value):
                return False
        elif obj.get(key) != value:
            return False
    return True


def chunks(values, limit=MAX_QUERY):
    """``values`` in runs whose lengths add up to at most ``limit`` (at least one value each)."""
    run, size = [], 0
    for value in values:
        if run and size + len(value) > limit:
            yield run
            run, size = [], 0
        run.append(value)
        size += len(value) + 6  # "&name="
    if run:
        yield run


def _network(resource):
    """A network as the one-project code reads it (``_network.network_dict`` takes these keys)."""
    return dict(id=resource["id"], name=resource["name"], description=resource.get("description"),
                project_id=resource["project_id"], tags=list(resource.get("tags") or []),
                is_router_external=bool(resource.get("is_router_external")), created_at=resource.get("created_at"))


# ---------------------------------------------------------------------------------------------
# Reading once for all the projects


class Snapshot:
    """The admin's lists of what the projects' runs read, each fetched once, on first use.

    ``covering(kind, query)`` answers a list the one-project code makes with a superset read
    once for all the projects (every other query gets None: ask Neutron); the caller filters.
    """

    def __init__(self, network_api, options, projects):
        self.api = network_api
        self.options = options
        templates = [t for t in (options.external_net_template, options.internal_net_template) if t is not None]
        self.names = sorted(set(render_template(t, project.name) for t in templates for project in projects))
        self.failure = None
        self._lock = threading.Lock()
        self._lists = {}
        self._owners = {}

    def _once(self, what, read):
        """``read()`` the first time ``what`` is asked for; a failure is kept and raised for every caller."""
        with self._lock:
            if self.failure is None and what not in self._lists:
                try:
                    self._lists[what] = read()
                except BACKEND_ERRORS as exc:
                    self.failure = NetworkError("Could not list the %s of the projects: %s" % (what, describe_sdk_error(exc)))
            if self.failure is not None:
                raise self.failure
            return self._lists[what]

    def policies(self, network_id):
        """The RBAC policies of a network, as ``(action, target project)`` pairs."""
        table = self._once("network RBAC policies", self._read_policies)
        return table.get(network_id, ())

    def _read_policies(self):
        table = {}
        for policy in self.api.rbac_policies(object_type="network"):
            table.setdefault(policy["object_id"], []).append((policy["action"], policy["target_project_id"]))
        return table

    def owner(self, network_id):
        """The project of a network any list has shown (None when unknown)."""
        with self._lock:
            return self._owners.get(network_id)

    def remember(self, networks):
        with self._lock:
            self._owners.update((net["id"], net["project_id"]) for net in networks)

    def covering(self, kind, query):
        opts = self.options
        keys = set(query)
        if kind == "networks":
            if keys == {"any_tags"} and query["any_tags"] == ",".join(opts.tags):
                return self._once("tagged networks", lambda: self._networks(any_tags=query["any_tags"]))
            if keys == {"name"} and query["name"] in self.names:
                return self._once("networks named by templates", self._named)
            if keys == {"is_router_external"}:
                return self._once("external networks", lambda: self._networks(is_router_external=True))
            if (keys == {"name", "project_id", "description"} and query["name"] == opts.internal_net_name
                    and query["description"] == network_marker(opts.internal_net_tag)):
                return self._once("internal networks this module created", lambda: self._networks(
                    name=opts.internal_net_name, description=network_marker(opts.internal_net_tag)))
        elif kind == "subnets" and keys == {"network_id", "description"} and query["description"] == SUBNET_MARKER:
            return self._once("subnets this module created",
                              lambda: [dict(s) for s in self.api.subnets(description=SUBNET_MARKER)])
        elif kind == "routers" and keys <= {"project_id", "description"}:
            return self._once("routers", lambda: [dict(r) for r in self.api.routers(fields=list(ROUTER_FIELDS))])
        elif kind == "ports" and keys == {"device_id", "network_id"}:
            return self._once("router ports", lambda: [dict(p) for p in self.api.ports(
                device_owner=list(ROUTER_PORT_OWNERS), fields=list(PORT_FIELDS))])
        return None

    def _networks(self, **query):
        return [_network(net) for net in self.api.networks(**query)]

    def _named(self):
        return [net for names in chunks(self.names) for net in self._networks(name=names)]


class ProjectView:
    """``conn.network`` for one project's run: Neutron's lists as that project would get them.

    Lists come from the snapshot until the run's first write (any call but a list goes to
    Neutron and counts as one), then from Neutron as the admin sees them; either way they are
    narrowed to what the project may see.
    """

    def __init__(self, snapshot, project_id):
        self.snapshot = snapshot
        self.project_id = project_id
        self.live = False

    def __getattr__(self, name):
        # Writes, and the reads the one-project code makes only while writing (get_network).
        self.live = True
        return getattr(self.snapshot.api, name)

    def _list(self, kind, query, convert=dict):
        found = None if self.live else self.snapshot.covering(kind, query)
        if found is None:
            found = [convert(obj) for obj in getattr(self.snapshot.api, kind)(**query)]
        return [obj for obj in found if matches(obj, query)]

    def networks(self, **query):
        found = self._list("networks", query, _network)
        self.snapshot.remember(found)
        project, policies = self.project_id, self.snapshot.policies
        return [dict(net, is_shared=shared_with(project, policies(net["id"])))
                for net in found if sees_network(project, net, policies(net["id"]))]

    def subnets(self, **query):
        return [subnet for subnet in self._list("subnets", query)
                if sees_subnet(self.project_id, subnet, self.snapshot.policies(subnet["network_id"]))]

    def routers(self, **query):
        # Routers have no RBAC: a project is shown its own.
        return [router for router in self._list("routers", query) if router["project_id"] == self.project_id]

    def ports(self, **query):
        return [port for port in self._list("ports", query)
                if sees_port(self.project_id, port, self.snapshot.owner(port["network_id"]))]


class _Scoped:
    """A connection for ``TenancyNetworks``: only ``network`` is used (the project is given)."""

    def __init__(self, network):
        self.network = network


# ---------------------------------------------------------------------------------------------
# Projects


def resolve_projects(requested, known, whose):
    """The projects ``requested`` (IDs or names) among ``known`` (dicts with id, name, domain_id), in order, once each.

    ``whose`` says which projects ``known`` are, for the message when some are not found.
    """
    by_id = dict((project["id"], project) for project in known)
    found, missing, ambiguous = [], [], []
    for ref in requested:
        named = [project for project in known if project["name"] == ref]
        if ref in by_id:
            found.append(by_id[ref])
        elif len(named) == 1:
            found.append(named[0])
        elif named:
            ambiguous.append("'%s' (%s)" % (ref, ", ".join("%s in domain %s" % (p["id"], p["domain_id"]) for p in named)))
        else:
            missing.append("'%s'" % ref)
    problems = []
    if missing:
        problems.append("no project has the ID or name %s among %s" % (", ".join(missing), whose))
    if ambiguous:
        problems.append("several projects have the name %s: list them by ID" % "; ".join(ambiguous))
    if problems:
        raise NetworkError("Could not find the projects to work on: %s." % "; ".join(problems))
    unique = {}
    for project in found:
        unique.setdefault(project["id"], Project(project["id"], project["name"]))
    return list(unique.values())


# ---------------------------------------------------------------------------------------------
# The entries of ``projects`` and ``clouds``: each with the task's options, or its own over them


def entry_options(base, given, where):
    """The ``Options`` of one entry: ``base`` (the task's option values) with the entry's own ``given`` over them.

    ``given`` is checked as the module's argument spec checks the task's options (types, unknown names).
    """
    if given is None:
        given = {}
    if not isinstance(given, dict):
        raise NetworkError("%s.options must be a dict of azimuth.ops.tenancy_network options, not a %s" % (where, type(given).__name__))
    values = dict(base)
    values.update(entry_overrides(OPTIONS_SPEC, given, "%s.options" % where, error=NetworkError))
    try:
        return Options(**values)
    except NetworkError as exc:
        raise NetworkError("%s.options: %s" % (where, exc))


def project_entries(entries, base):
    """``projects`` as ``[(ID or name, Options)]``: each entry a project ID or name, or a dict {project, options}."""
    found = []
    for index, entry in enumerate(entries or []):
        where = "projects[%d]" % index
        if isinstance(entry, dict):
            unknown = sorted(set(entry) - set(["project", "options"]))
            if unknown or not isinstance(entry.get("project"), str) or not entry["project"].strip():
                raise NetworkError("%s must be a project ID or name, or a dict with project (an ID or name) and options%s"
                                   % (where, " (unknown keys: %s)" % ", ".join(unknown) if unknown else ""))
            found.append((entry["project"], entry_options(base, entry.get("options"), where)))
        elif isinstance(entry, str) and entry.strip():
            found.append((entry, entry_options(base, None, where)))
        else:
            raise NetworkError("%s must be a project ID or name, or a dict with project and options" % where)
    return found


def cloud_entries(entries, base):
    """``clouds`` as ``[(label, cloud, Options)]``: each entry a cloud name, a dict of connection settings, or a dict
    {cloud, options}.  Messages name keys, never values (a cloud holds secrets)."""
    found = []
    for index, entry in enumerate(entries or []):
        where = "clouds[%d]" % index
        if isinstance(entry, dict) and "cloud" in entry:
            unknown = sorted(set(entry) - set(["cloud", "options"]))
            if unknown or not isinstance(entry["cloud"], (str, dict)) or not entry["cloud"]:
                raise NetworkError("%s: a dict with cloud must have cloud (a cloud name or a dict of connection settings) "
                                   "and optionally options%s" % (where, " (unknown keys: %s)" % ", ".join(unknown) if unknown else ""))
            cloud, given = entry["cloud"], entry.get("options")
        elif (isinstance(entry, str) and entry.strip()) or (isinstance(entry, dict) and entry):
            cloud, given = entry, None
        else:
            raise NetworkError("%s must be a cloud name, a dict of connection settings, or a dict with cloud and options" % where)
        found.append((cloud_label(where, cloud), cloud, entry_options(base, given, where)))
    return found


def options_key(options):
    """Entries whose options are equal share one snapshot."""
    return tuple(sorted((name, repr(value)) for name, value in vars(options).items()))


# ---------------------------------------------------------------------------------------------
# The run


class _Job:
    """One tenancy's run: its project, how to get its connection, its options."""

    def __init__(self, project, connect, options):
        self.project = project
        self.connect = connect
        self.options = options


class BatchNetworks:
    """The networks of many tenancies, each as the one-project form finds or creates them.

    ``requested``: projects (IDs or names, or ``(ID or name, Options)`` pairs) worked on through ``conn``.
    ``clouds``: ``(label, open, Options)`` triples, ``open()`` returning an authorised connection scoped to
    the tenancy's project (each tenancy its own token); they are opened, then worked on, in a bounded pool.
    """

    def __init__(self, conn, options, requested, check_mode=False, workers=WORKERS, sleep=time.sleep,
                 settle_seconds=SETTLE_SECONDS, clouds=()):
        self.conn = conn
        self.options = options
        self.requested = [entry if isinstance(entry, tuple) else (entry, options) for entry in requested or ()]
        self.clouds = list(clouds or ())
        self.check_mode = check_mode
        self.workers = workers
        self.sleep = sleep
        self.settle_seconds = settle_seconds
        self.warnings = []
        self._opened = []

    def run(self, diff=False):
        jobs, snapshots = self._project_jobs() if self.requested else ([], [])
        try:
            more, failed = self._cloud_jobs(set(job.project.id for job in jobs))
            outcomes = self._run_all(jobs + more, diff)
        finally:
            for conn in self._opened:
                close(conn)
        failure = next((snapshot.failure for snapshot in snapshots if snapshot.failure is not None), None)
        return self._result(outcomes, failed, failure, diff)

    def _project_jobs(self):
        """A job per project of ``requested``; as admin, the projects with equal options share one snapshot."""
        access = self.conn.session.auth.get_access(self.conn.session)
        admin = "admin" in (access.role_names or [])
        refs = [ref for ref, _options in self.requested]
        if admin:
            projects = resolve_projects(refs, self._read_projects(self.conn.identity.projects), "the cloud's projects")
        else:
            known = self._read_projects(lambda: self.conn.identity.user_projects(access.user_id))
            projects = resolve_projects(refs, known, "the projects user %s has a role in" % access.username)
        options_of = {}  # a project given twice keeps its first entry's options
        for ref, options in self.requested:
            project = next((p for p in projects if p.id == ref), None) or next(p for p in projects if p.name == ref)
            options_of.setdefault(project.id, options)
        jobs, snapshots = [], {}
        for project in projects:
            options = options_of[project.id]
            if admin:
                key = options_key(options)
                if key not in snapshots:
                    snapshots[key] = Snapshot(self.conn.network, options, [p for p in projects if options_key(options_of[p.id]) == key])
                connect = functools.partial(_Scoped, ProjectView(snapshots[key], project.id))
            else:
                connect = functools.partial(self._scoped_to, project, access)
            jobs.append(_Job(project, connect, options))
        return jobs, list(snapshots.values())

    def _cloud_jobs(self, taken):
        """Open each cloud (a bounded pool); a cloud that cannot be used, or whose project is already given, fails alone."""
        def open_one(entry):
            label, connect, options = entry
            try:
                # A NetworkError is already worded; any other ModuleError propagates.
                conn, problem = open_cloud(label, connect, describe_error, worded=())
            except NetworkError as exc:
                conn, problem = None, str(exc)
            return label, conn, problem, options

        jobs, failures = [], {}
        for label, conn, problem, options in self._pool(open_one, self.clouds):
            key = label.split(" (")[0]  # clouds[<index>]
            if conn is not None:
                self._opened.append(conn)
            if problem is not None:
                failures[key] = problem
                continue
            access = conn.session.auth.get_access(conn.session)
            if not access.project_id:
                failures[key] = "%s is not scoped to a project; set project_name or project_id in its auth." % label
            elif access.project_id in taken:
                failures[key] = ("%s is scoped to project %s (%s), which another entry already gives; give each project once."
                                 % (label, access.project_name, access.project_id))
            else:
                taken.add(access.project_id)
                jobs.append(_Job(Project(access.project_id, access.project_name), lambda conn=conn: conn, options))
        return jobs, failures

    def _pool(self, work, items):
        return pool_map(work, items, self.workers)

    def _read_projects(self, listing):
        try:
            return [dict(id=p["id"], name=p["name"], domain_id=p.get("domain_id")) for p in listing()]
        except BACKEND_ERRORS as exc:
            raise NetworkError("Could not list the projects: %s" % describe_sdk_error(exc)) from exc

    def _scoped_to(self, project, access):
        if project.id == access.project_id:
            return self.conn
        try:
            return self.conn.connect_as(project_id=project.id)
        except BACKEND_ERRORS as exc:
            raise NetworkError("Could not act on %s: %s" % (project, describe_sdk_error(exc))) from exc

    def _run_all(self, jobs, diff):
        """Each tenancy's run: (project, result or None, error or None, warnings), in order."""
        def one(job):
            project = job.project
            try:
                networks = TenancyNetworks(job.connect(), job.options, check_mode=self.check_mode, project=project,
                                           sleep=self.sleep, settle_seconds=self.settle_seconds)
            except NetworkError as exc:
                return project, None, exc, []
            try:
                return project, networks.run(diff=diff), None, networks.warnings
            except NetworkError as exc:
                return project, None, exc, networks.warnings
            except BACKEND_ERRORS as exc:
                error = NetworkError("OpenStack request failed for %s: %s" % (project, describe_sdk_error(exc)))
                if networks.changed:
                    error.details.update(changed=True, created=networks.created)
                return project, None, error, networks.warnings

        return self._pool(one, jobs)

    def _result(self, outcomes, failures, failure, diff):
        tenancies, errors = {}, dict(failures)
        changed = False
        for project, result, error, warnings in outcomes:
            self.warnings.extend(warnings)
            if error is None:
                tenancies[project.id] = dict((k, v) for k, v in result.items() if k != "diff")
                changed = changed or result["changed"]
            else:
                errors[project.id] = str(error)
                changed = changed or bool(error.details.get("changed"))
        if failure is not None:
            raise NetworkError(str(failure), changed=changed, tenancies=tenancies)
        if errors:
            raise NetworkError(
                "Could not settle the networks of %d of %d projects: %s"
                % (len(errors), len(outcomes) + len(failures), " ".join(errors.values())), changed=changed, tenancies=tenancies,
                errors=errors)
        batch = dict(changed=changed, tenancies=tenancies)
        if diff:
            batch["diff"] = dict((side, dict((project.id, result["diff"][side]) for project, result, _e, _w in outcomes))
                                 for side in ("before", "after"))
        return batch
