# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A tenancy's networks: discover the external, internal and storage networks, create the internal one.

``TenancyNetworks(conn, options).run()`` does the work for the project ``conn`` is scoped to
and returns the module's result.  The selection rules are plain functions over network dicts
(``select_external``, ``select_internal``, ``select_storage``, ``settle``) that unit tests call
directly.

Objects this module creates are marked by their ``description`` (``network_marker``,
``SUBNET_MARKER``, ``router_marker``).  Only a marked network with the name ``internal_net_name``
owned by the project is ever completed (subnet, router, gateway, interface); a network the
operator tagged or named by template is used as it is.

Concurrent runs: a run that creates an object waits ``SETTLE_SECONDS`` (Neutron's
``created_at`` has a resolution of one second), lists the marked candidates again and keeps the
oldest (``created_at``, then lowest ID); it deletes its own object when another one wins, so
every run ends on the same objects.

That is why this file keeps its own write steps rather than the collection's plan writer
(``common/_module.carry_out``): each step depends on what the one before it settled on (the subnet
goes on the network that won, the router on that subnet), so the writes cannot be planned as a
list up front; a failure still says what was created (``changed``, ``created``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import time

from ansible_collections.azimuth.ops.plugins.module_utils.common._module import ModuleError
from ansible_collections.azimuth.ops.plugins.module_utils.openstack._openstack import describe_sdk_error

try:
    from keystoneauth1 import exceptions as ksa_exceptions
    from openstack import exceptions as sdk_exceptions
except ImportError:  # the module reports the missing library before it gets here
    BACKEND_ERRORS = ()
    CONFLICT_ERRORS = ()
    NOT_FOUND_ERRORS = ()
else:
    BACKEND_ERRORS = (sdk_exceptions.SDKException, ksa_exceptions.ClientException)
    CONFLICT_ERRORS = (sdk_exceptions.BadRequestException, sdk_exceptions.ConflictException)
    NOT_FOUND_ERRORS = (sdk_exceptions.NotFoundException,)

MARKER = "Created by azimuth.ops.tenancy_network"
SUBNET_MARKER = MARKER
SETTLE_SECONDS = 2.0
# Times a run looks again when an object it was completing vanished (removed by a concurrent run).
COMPLETE_ATTEMPTS = 3
TEMPLATE_PLACEHOLDER = "{tenant_name}"


def network_marker(tag):
    """The description of an internal network this module creates for ``tag``."""
    return "%s (tag %s)" % (MARKER, tag)


def router_marker(network_id):
    """The description of the router this module creates for the internal network ``network_id``."""
    return "%s (network %s)" % (MARKER, network_id)


class NetworkError(ModuleError):
    """Bad input or a cloud state the module cannot settle on its own."""


# ---------------------------------------------------------------------------------------------
# Plain data


def _field(obj, *names):
    """The first of ``names`` that ``obj`` (an openstacksdk resource or a plain dict) has."""
    for name in names:
        if obj.get(name) is not None:
            return obj.get(name)
    return None


def network_dict(network):
    """The fields of a Neutron network the module uses and returns."""
    return dict(
        id=network["id"],
        name=network["name"],
        description=network.get("description") or "",
        project_id=network["project_id"],
        tags=sorted(network.get("tags") or []),
        shared=bool(_field(network, "is_shared", "shared")),
        router_external=bool(_field(network, "is_router_external", "router:external")),
        created_at=network.get("created_at"),
    )


def subnet_dict(subnet):
    return dict(
        id=subnet["id"],
        name=subnet["name"],
        description=subnet.get("description") or "",
        project_id=subnet["project_id"],
        network_id=subnet["network_id"],
        ip_version=subnet["ip_version"],
        cidr=subnet["cidr"],
        gateway_ip=subnet.get("gateway_ip"),
        dns_nameservers=list(subnet.get("dns_nameservers") or []),
        created_at=subnet.get("created_at"),
    )


def router_dict(router, interface_subnet_ids):
    gateway = router.get("external_gateway_info") or {}
    return dict(
        id=router["id"],
        name=router["name"],
        project_id=router["project_id"],
        external_network_id=gateway.get("network_id"),
        interfaces=[dict(subnet_id=subnet_id) for subnet_id in interface_subnet_ids],
        created_at=router.get("created_at"),
    )


def describe(objects):
    """``name (id), name (id)`` in a stable order."""
    return ", ".join("%s (%s)" % (obj["name"], obj["id"]) for obj in sorted(objects, key=lambda o: (o["name"], o["id"])))


def settle(candidates):
    """The object concurrent runs agree on: the oldest ``created_at``, then the lowest ID."""
    return min(candidates, key=lambda obj: (obj.get("created_at") or "", obj["id"]))


class _Create:
    """One object to create: ``call()`` creates it; ``would_be`` is what check mode answers (no ID);
    ``candidates()`` lists the objects concurrent runs may have created; ``delete(id)`` removes ours if it lost."""

    def __init__(self, kind, name, call, would_be, candidates, delete):
        self.kind, self.name, self.call, self.would_be, self.candidates, self.delete = kind, name, call, would_be, candidates, delete


def render_template(template, project_name):
    return template.replace(TEMPLATE_PLACEHOLDER, project_name)


def gateway_for(cidr):
    """The gateway Neutron gives a subnet by default: the first host address."""
    network = ipaddress.ip_network(str(cidr))
    return str(network.network_address + 1)


class Project:
    def __init__(self, project_id, name):
        self.id = project_id
        self.name = name

    def __str__(self):
        return "project %s (%s)" % (self.name, self.id)


# ---------------------------------------------------------------------------------------------
# Options


# The module's own options: its argument spec, and (through the defaults here) ``Options``.
# DOCUMENTATION describes them; ansible-test checks that it says what this says.
OPTIONS_SPEC = dict(
    allow_shared_internal_net=dict(type="bool", default=False),
    create_internal_net=dict(type="bool", default=True),
    external_net_required=dict(type="bool", default=True),
    external_net_tag=dict(type="str", default="portal-external"),
    external_net_template=dict(type="str"),
    internal_net_cidr=dict(type="str", default="192.168.3.0/24"),
    internal_net_dns_nameservers=dict(type="list", elements="str"),
    internal_net_name=dict(type="str", default="portal-internal"),
    internal_net_tag=dict(type="str", default="portal-internal"),
    internal_net_template=dict(type="str"),
    router_name=dict(type="str", default="portal-router"),
    storage_net_tag=dict(type="str", default="portal-storage"),
)


class Options:
    """The module's options (``OPTIONS_SPEC``, defaults filled in), checked before any request."""

    def __init__(self, **values):
        unknown = set(values) - set(OPTIONS_SPEC)
        if unknown:
            raise TypeError("unknown options: %s" % ", ".join(sorted(unknown)))
        for field, spec in OPTIONS_SPEC.items():
            value = values.get(field)
            setattr(self, field, spec.get("default") if value is None else value)
        self.internal_net_dns_nameservers = list(self.internal_net_dns_nameservers or [])
        self.validate()

    @classmethod
    def from_params(cls, params):
        return cls(**dict((field, params.get(field)) for field in OPTIONS_SPEC))

    def validate(self):
        for field in ("internal_net_tag", "external_net_tag", "storage_net_tag", "internal_net_name", "router_name"):
            value = getattr(self, field)
            if not value or not value.strip():
                raise NetworkError("%s must not be empty" % field)
        for field in ("internal_net_tag", "external_net_tag", "storage_net_tag"):
            if "," in getattr(self, field):
                raise NetworkError("%s '%s' must not contain a comma (Neutron tags cannot)" % (field, getattr(self, field)))
        for field in ("internal_net_template", "external_net_template"):
            template = getattr(self, field)
            if template is not None and not render_template(template, "x").strip():
                raise NetworkError("%s must not be empty" % field)
        try:
            cidr = ipaddress.ip_network(str(self.internal_net_cidr), strict=True)
        except ValueError as exc:
            raise NetworkError("internal_net_cidr '%s' is not a network address: %s" % (self.internal_net_cidr, exc))
        if cidr.version != 4:
            raise NetworkError("internal_net_cidr '%s' is not an IPv4 network" % self.internal_net_cidr)
        if cidr.num_addresses < 4:
            raise NetworkError("internal_net_cidr '%s' is too small for a subnet with a gateway" % self.internal_net_cidr)
        self.internal_net_cidr = str(cidr)
        for server in self.internal_net_dns_nameservers:
            try:
                ipaddress.ip_address(str(server))
            except ValueError:
                raise NetworkError("internal_net_dns_nameservers: '%s' is not an IP address" % server)

    @property
    def tags(self):
        """The distinct tags to look for, in one request."""
        return sorted(set([self.external_net_tag, self.internal_net_tag, self.storage_net_tag]))


# ---------------------------------------------------------------------------------------------
# Selection rules (pure)


def select_external(project, options, tagged, by_template=None, router_external=None):
    """The external network, or raise NetworkError.

    ``tagged``: visible networks carrying ``external_net_tag``; ``by_template``: networks named
    by ``external_net_template`` (None when not asked); ``router_external``: networks with
    ``router:external`` (None when not asked).  Returns ``(network, next_step)`` where
    ``next_step`` is None when decided, else ``"template"`` or ``"router_external"``: the list
    the caller must fetch before calling again.
    """
    prefix = "Could not determine the external network for %s: " % project
    tag = options.external_net_tag
    if len(tagged) == 1:
        return _external(prefix, tagged[0], "carries the tag '%s'" % tag, "move the tag to the external network"), None
    if len(tagged) > 1:
        raise NetworkError(
            prefix + "%d networks carry the tag '%s': %s. Remove the tag from all but the one to use."
            % (len(tagged), tag, describe(tagged)))
    if options.external_net_template is not None:
        if by_template is None:
            return None, "template"
        name = render_template(options.external_net_template, project.name)
        if len(by_template) == 1:
            return _external(prefix, by_template[0], "is named by external_net_template '%s'" % options.external_net_template,
                             "change external_net_template or tag the external network with '%s'" % tag), None
        if not by_template:
            raise NetworkError(
                prefix + "no network carries the tag '%s' and no network is named '%s' (external_net_template '%s')."
                % (tag, name, options.external_net_template))
        raise NetworkError(
            prefix + "%d networks are named '%s' (external_net_template '%s'): %s. Tag the one to use with '%s'."
            % (len(by_template), name, options.external_net_template, describe(by_template), tag))
    if router_external is None:
        return None, "router_external"
    unique = list(dict((net["id"], net) for net in router_external).values())
    if len(unique) == 1:
        return unique[0], None
    if not unique:
        raise NetworkError(
            prefix + "could not find an external network: no network carries the tag '%s' and no network has "
            "router:external set. Tag the external network with '%s' or set external_net_template." % (tag, tag))
    raise NetworkError(
        prefix + "no network carries the tag '%s' and %d networks have router:external set: %s. "
        "Tag the one to use with '%s' (or set external_net_template)." % (tag, len(unique), describe(unique), tag))


def _external(prefix, network, found_by, remedy):
    """``network`` if it is external (``router:external``): a router's gateway can only be on such a network."""
    if not network["router_external"]:
        raise NetworkError(
            prefix + "network %s (%s) %s but is not external (router:external is false), so no router can have its "
            "gateway on it. Set router:external on it, or %s." % (network["name"], network["id"], found_by, remedy))
    return network


def owned(project, options, networks):
    """The networks that may be the project's internal network."""
    if options.allow_shared_internal_net:
        return list(networks)
    return [net for net in networks if net["project_id"] == project.id]


def is_managed(project, options, network):
    """Whether this module created ``network`` (so it may complete it)."""
    return (network["project_id"] == project.id and network["name"] == options.internal_net_name
            and network["description"] == network_marker(options.internal_net_tag))


def select_internal(project, options, tagged, by_template=None):
    """The internal network found by tag or template, or None when it must be created.

    ``tagged``: visible networks carrying ``internal_net_tag`` (any owner: the rule filters);
    ``by_template``: visible networks named by ``internal_net_template`` (None when not asked).
    Returns ``(network, next_step)`` as ``select_external`` does; ``next_step`` is ``"template"``
    or ``"create"``.
    """
    prefix = "Could not determine the internal network for %s: " % project
    tag = options.internal_net_tag
    candidates = owned(project, options, tagged)
    if len(candidates) == 1:
        return candidates[0], None
    if len(candidates) > 1:
        raise NetworkError(
            prefix + "%d networks%s carry the tag '%s': %s. Remove the tag from all but the one to use."
            % (len(candidates), "" if options.allow_shared_internal_net else " of the project", tag, describe(candidates)))
    if options.internal_net_template is not None:
        if by_template is None:
            return None, "template"
        name = render_template(options.internal_net_template, project.name)
        named = owned(project, options, by_template)
        if len(named) == 1:
            return named[0], None
        if len(named) > 1:
            raise NetworkError(
                prefix + "%d networks are named '%s' (internal_net_template '%s'): %s. Tag the one to use with '%s'."
                % (len(named), name, options.internal_net_template, describe(named), tag))
        raise NetworkError(
            prefix + "no network%s carries the tag '%s' and none is named '%s' (internal_net_template '%s'; "
            "a template never creates a network)%s."
            % (_of_project(options), tag, name, options.internal_net_template,
               _others(project, options, tagged + by_template)))
    if options.create_internal_net:
        return None, "create"
    raise NetworkError(
        "Could not find an internal network for %s: no network%s carries the tag '%s'%s. "
        "Tag one with '%s' or enable create_internal_net."
        % (project, _of_project(options), tag, _others(project, options, tagged), tag))


def _of_project(options):
    return "" if options.allow_shared_internal_net else " of the project"


def _others(project, options, networks):
    others = [net for net in networks if net["project_id"] != project.id]
    if not others or options.allow_shared_internal_net:
        return ""
    return " (networks of other projects are not used unless allow_shared_internal_net is true: %s)" % describe(others)


def select_storage(project, options, tagged):
    if len(tagged) > 1:
        raise NetworkError(
            "Could not determine the storage network for %s: %d networks carry the tag '%s': %s. "
            "Remove the tag from all but the one to use." % (project, len(tagged), options.storage_net_tag, describe(tagged)))
    return tagged[0] if tagged else None


def with_tag(networks, tag):
    return [net for net in networks if tag in net["tags"]]


# ---------------------------------------------------------------------------------------------
# The run


class TenancyNetworks:
    """Discovers (and creates) the networks of ``project`` (default: the one ``conn`` is scoped to).

    Objects are created with the project's ID, so that an admin's connection creates them for it
    (``_network_batch`` runs this for many projects).
    """

    def __init__(self, conn, options, check_mode=False, project=None, sleep=time.sleep, settle_seconds=SETTLE_SECONDS):
        self.conn = conn
        self.options = options
        self.check_mode = check_mode
        self.sleep = sleep
        self.settle_seconds = settle_seconds
        self.project = project or self._current_project()
        self.warnings = []
        self.created = []
        self.changed = False

    # -- reads ---------------------------------------------------------------------------------

    def _current_project(self):
        """The project from the token (no request beyond authentication)."""
        access = self.conn.session.auth.get_access(self.conn.session)
        if not access.project_id:
            raise NetworkError("the credentials are not scoped to a project; set project_name or project_id in auth")
        return Project(access.project_id, access.project_name)

    def _networks(self, **query):
        return [network_dict(net) for net in self.conn.network.networks(**query)]

    def _managed_networks(self):
        """Networks this module created for the tag, tagged yet or not."""
        return self._networks(name=self.options.internal_net_name, project_id=self.project.id,
                              description=network_marker(self.options.internal_net_tag))

    def _managed_subnets(self, network_id):
        return [subnet_dict(s) for s in self.conn.network.subnets(network_id=network_id, description=SUBNET_MARKER)]

    def _managed_routers(self, network_id):
        return [dict(r) for r in self.conn.network.routers(project_id=self.project.id, description=router_marker(network_id))]

    def _interface_subnet_ids(self, router_id, network_id):
        ports = self.conn.network.ports(device_id=router_id, network_id=network_id)
        return sorted(set(ip["subnet_id"] for port in ports for ip in (port.get("fixed_ips") or [])))

    # -- writes: each decided where it is made; in check mode only noted ------------------------------

    def _write(self, what, call, *args, **kwargs):
        """Make one write (in check mode: note that a real run would make it, and return None)."""
        if self.check_mode:
            self.changed = True
            return None
        try:
            done = call(*args, **kwargs)
        except BACKEND_ERRORS as exc:
            raise NetworkError("Could not %s for %s: %s" % (what, self.project, describe_sdk_error(exc))) from exc
        self.changed = True
        return done

    def _create_settled(self, *creates):
        """Create objects, wait, and keep for each the one concurrent runs agree on (deleting ours if it lost).

        One wait covers them all.  When Neutron refuses a create (a subnet overlapping one a
        concurrent run just created), an object that ``candidates`` returns is used instead.
        Returns the winners, in order; in check mode, the objects a real run would create (no IDs).
        Each object is in ``created`` from the moment it exists until it is deleted, so that a run
        failing part way names everything it made.  Nothing to create waits for nothing.
        """
        if not creates:
            return []
        if self.check_mode:
            for create in creates:
                self._write("create %s %s" % (create.kind, create.name), None)
                self.created.append(dict(type=create.kind, id=None, name=create.name))
            return [create.would_be for create in creates]
        mine = []
        started = time.time()
        for create in creates:
            try:
                mine.append(self._write("create %s %s" % (create.kind, create.name), create.call))
                self.created.append(dict(type=create.kind, id=mine[-1]["id"], name=mine[-1]["name"]))
            except NetworkError as exc:
                if not isinstance(exc.__cause__, CONFLICT_ERRORS) or not create.candidates():
                    raise
                mine.append(None)
        # Neutron's created_at has a resolution of one second: a concurrent object that would win
        # (created in the same second) is visible once its create request has finished, which
        # takes about as long as ours did.
        self.sleep(self.settle_seconds + 2 * (time.time() - started))
        winners = []
        for create, obj in zip(creates, mine):
            seen = create.candidates()
            if obj is not None and not any(other["id"] == obj["id"] for other in seen):
                seen.append(obj)
            winner = settle(seen)
            if obj is not None and winner["id"] != obj["id"]:
                self._write("delete %s %s (%s), created by a concurrent run that lost" % (create.kind, create.name, obj["id"]),
                            create.delete, obj["id"])
                self.created.remove(dict(type=create.kind, id=obj["id"], name=obj["name"]))
            winners.append(winner)
        return winners

    # -- discovery -----------------------------------------------------------------------------

    def discover(self):
        """Find the external, storage and internal networks; nothing is written."""
        opts = self.options
        tagged = self._networks(any_tags=",".join(opts.tags))

        external = None
        try:
            external, step = select_external(self.project, opts, with_tag(tagged, opts.external_net_tag))
            if step == "template":
                name = render_template(opts.external_net_template, self.project.name)
                external, step = select_external(self.project, opts, [], by_template=self._networks(name=name))
            elif step == "router_external":
                external, step = select_external(self.project, opts, [], router_external=self._networks(is_router_external=True))
        except NetworkError as exc:
            if opts.external_net_required:
                raise
            self.warnings.append("%s Carrying on without an external network (external_net_required is false)." % exc)

        storage = select_storage(self.project, opts, with_tag(tagged, opts.storage_net_tag))

        internal_tagged = with_tag(tagged, opts.internal_net_tag)
        internal, step = select_internal(self.project, opts, internal_tagged)
        if step == "template":
            query = dict(name=render_template(opts.internal_net_template, self.project.name))
            internal, step = select_internal(self.project, opts, internal_tagged, by_template=self._networks(**query))
        return external, storage, internal

    # -- the internal network this module manages ------------------------------------------------

    def observe(self, network):
        """What exists of a managed internal network: (network, subnet, router) dicts or None."""
        if network is None:
            managed = self._managed_networks()
            if not managed:
                return None, None, None
            network = settle(managed)
        subnets = self._managed_subnets(network["id"])
        subnet = settle(subnets) if subnets else None
        routers = self._managed_routers(network["id"])
        router = None
        if routers:
            found = settle(routers)
            attached = self._interface_subnet_ids(found["id"], network["id"]) if subnet else []
            router = router_dict(found, [s for s in attached if subnet and s == subnet["id"]])
        return network, subnet, router

    def complete(self, network, subnet, router, external):
        """Create what the managed internal network lacks; returns the (network, subnet, router) a run ends with.

        The one encoding of the plan: each step is decided here and made at once, or in check mode
        answered with the object it would make (new objects without IDs).
        """
        opts = self.options
        net_api = self.conn.network
        if network is None:
            network, = self._create_settled(_Create(
                "network", opts.internal_net_name,
                lambda: network_dict(net_api.create_network(name=opts.internal_net_name, description=network_marker(opts.internal_net_tag),
                                                            project_id=self.project.id)),
                dict(id=None, name=opts.internal_net_name, description=network_marker(opts.internal_net_tag), project_id=self.project.id,
                     tags=[], shared=False, router_external=False, created_at=None),
                self._managed_networks, net_api.delete_network))
            if not self.check_mode:
                # A concurrent run may have got further with the winner meanwhile.
                network, subnet, router = self.observe(network)
        if opts.internal_net_tag not in network["tags"]:
            tags = sorted(set(network["tags"]) | set([opts.internal_net_tag]))
            self._write("tag network %s (%s) with '%s'" % (network["name"], network["id"], opts.internal_net_tag),
                        lambda: net_api.set_tags(net_api.get_network(network["id"]), tags))
            network = dict(network, tags=tags)
        creates = []
        if subnet is None:
            subnet_fields = dict(name=opts.internal_net_name, description=SUBNET_MARKER, project_id=self.project.id,
                                 network_id=network["id"], ip_version=4, cidr=opts.internal_net_cidr)
            if opts.internal_net_dns_nameservers:
                subnet_fields["dns_nameservers"] = opts.internal_net_dns_nameservers
            creates.append(_Create(
                "subnet", opts.internal_net_name, lambda: subnet_dict(net_api.create_subnet(**subnet_fields)),
                dict(subnet_fields, id=None, project_id=self.project.id, gateway_ip=gateway_for(opts.internal_net_cidr),
                     dns_nameservers=list(opts.internal_net_dns_nameservers), created_at=None),
                lambda: self._managed_subnets(network["id"]), net_api.delete_subnet))
        if router is None and external is not None:
            router_fields = dict(name=opts.router_name, description=router_marker(network["id"]), project_id=self.project.id,
                                 external_gateway_info=dict(network_id=external["id"]))
            creates.append(_Create(
                "router", opts.router_name, lambda: dict(net_api.create_router(**router_fields)),
                dict(router_fields, id=None, project_id=self.project.id, created_at=None),
                lambda: self._managed_routers(network["id"]), net_api.delete_router))
        winners = dict((create.kind, winner) for create, winner in zip(creates, self._create_settled(*creates)))
        subnet = winners.get("subnet", subnet)
        if "router" in winners:
            router = router_dict(winners["router"], [])
        if router is None:
            return network, subnet, router
        if router["external_network_id"] is None and external is not None:
            self._write("set the gateway of router %s (%s) to %s (%s)" % (router["name"], router["id"], external["name"], external["id"]),
                        net_api.update_router, router["id"], external_gateway_info=dict(network_id=external["id"]))
            router = dict(router, external_network_id=external["id"])
        if not router["interfaces"]:
            self._add_interface(router, network, subnet)
            router = dict(router, interfaces=[dict(subnet_id=subnet["id"])])
        return network, subnet, router

    def _add_interface(self, router, network, subnet):
        what = "attach router %s (%s) to subnet %s (%s)" % (router["name"], router["id"], subnet["name"], subnet["id"])
        if self.check_mode:
            self.changed = True
            return
        try:
            self.conn.network.add_interface_to_router(router["id"], subnet_id=subnet["id"])
            self.changed = True
        except CONFLICT_ERRORS as exc:
            # A concurrent run attached it first: fine if the interface is there now.
            if subnet["id"] not in self._interface_subnet_ids(router["id"], network["id"]):
                raise NetworkError("Could not %s for %s: %s" % (what, self.project, describe_sdk_error(exc))) from exc
        except BACKEND_ERRORS as exc:
            raise NetworkError("Could not %s for %s: %s" % (what, self.project, describe_sdk_error(exc))) from exc

    def complete_concurrently(self, network, subnet, router, external):
        """``complete()``, looking again when an object vanished under it.

        A concurrent run deletes the objects it created and lost with; this run may have seen such
        an object (a router whose gateway Neutron was clearing, say) just before it went.  Then the
        managed objects are observed afresh, and completion goes on from there.
        """
        for attempt in range(COMPLETE_ATTEMPTS):
            try:
                return self.complete(network, subnet, router, external)
            except NetworkError as exc:
                if attempt == COMPLETE_ATTEMPTS - 1 or not isinstance(exc.__cause__, NOT_FOUND_ERRORS):
                    raise
            network, subnet, router = self.observe(None)
        return network, subnet, router

    # -- all together ----------------------------------------------------------------------------

    def run(self, diff=False):
        external, storage, internal = self.discover()
        subnet = router = None
        before = after = None
        if internal is None or is_managed(self.project, self.options, internal):
            network, subnet, router = self.observe(internal)
            before = dict(internal_network=network, subnet=subnet, router=router)
            try:
                internal, subnet, router = self.complete_concurrently(network, subnet, router, external)
            except NetworkError as exc:
                raise self._partial(exc)
            except BACKEND_ERRORS as exc:
                error = NetworkError("OpenStack request failed for %s: %s" % (self.project, describe_sdk_error(exc)))
                error.__cause__ = exc
                raise self._partial(error)
            after = dict(internal_network=internal, subnet=subnet, router=router)
            if router is None and external is None:
                self.warnings.append(
                    "No router for the internal network %s of %s: there is no external network, so it has no way out."
                    % (internal["name"], self.project))
        result = dict(
            changed=self.changed,
            project=dict(id=self.project.id, name=self.project.name),
            internal_network=internal,
            external_network=external,
            storage_network=storage,
            subnet=subnet,
            router=router,
            created=self.created,
        )
        if diff:
            if before is None:
                before = after = dict(internal_network=internal, subnet=None, router=None)
            result["diff"] = dict(before=before, after=after)
        return result

    def _partial(self, exc):
        """``exc``, saying what the run wrote before it (``changed`` and ``created`` beside the message)."""
        if not self.changed or self.check_mode:
            return exc
        created = ", ".join("%s %s (%s)" % (c["type"], c["name"], c["id"]) for c in self.created) or "nothing"
        failure = NetworkError("%s; before failing, this run wrote to Neutron and created: %s" % (str(exc).rstrip("."), created),
                               changed=True, created=self.created, project=dict(id=self.project.id, name=self.project.name))
        failure.__cause__ = exc.__cause__
        return failure
