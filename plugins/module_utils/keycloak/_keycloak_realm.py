# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the collection keeps in any realm it manages, and how one realm's changes are planned and made.

A realm is read with one request (``read_export``: the realm's partial export, which holds its
settings, client scopes, groups, identity providers, flows and user-profile component); each
part is compared by ``compare_part`` on the keys the module owns only (``project``), so what a
realm admin adds survives; the differences become ``RealmPlan`` actions, which ``Executor`` sends
in order (unless checking).  Parts shared by every managed realm live here: the ownership marker
and settings, the ``groups`` client scope as a realm default scope, and groups.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.azimuth.ops.plugins.module_utils.keycloak._keycloak import (
    KeycloakApiError,
    KeycloakError,
    describe_error,
    realm_path,
)
from ansible_collections.azimuth.ops.plugins.module_utils.common._module import Conflict, ModuleError  # Conflict: a write met a 409
from ansible_collections.azimuth.ops.plugins.module_utils.common._naming import MANAGED_BY
from ansible_collections.azimuth.ops.plugins.module_utils.common._dicts import overlay

MASK = "********"
# Realm attributes: which realms are the collection's, which tenancy and which portal a realm is for.
# Realm admins can edit them: they mark, and scope pruning, but never decide whose a realm is
# (that is ``_realm_binding``'s job, on the Kubernetes side).
MANAGED_BY_ATTRIBUTE = "azimuth-ops.managed-by"
TENANCY_ID_ATTRIBUTE = "azimuth-ops.tenancy-id"
PORTAL_ATTRIBUTE = "azimuth-ops.portal"

GROUPS_SCOPE = {"name": "groups", "description": "Group memberships", "protocol": "openid-connect"}
GROUPS_MAPPER = {
    "name": "groups",
    "protocol": "openid-connect",
    "protocolMapper": "oidc-group-membership-mapper",
    "config": {
        "claim.name": "groups",
        "full.path": "true",
        "id.token.claim": "true",
        "access.token.claim": "true",
        "userinfo.token.claim": "true",
    },
}


def project(current, desired):
    """``current`` cut down to the keys of ``desired`` (recursively through dicts); None stays None."""
    if current is None:
        return None
    if isinstance(desired, dict):
        current = current if isinstance(current, dict) else {}
        return dict((key, project(current.get(key), value)) for key, value in desired.items())
    return copy.deepcopy(current)


def is_managed(realm):
    return (realm.get("attributes") or {}).get(MANAGED_BY_ATTRIBUTE) == MANAGED_BY


def foreign_realm(name, tenancy_id=None):
    """The error for a realm of the wanted name that is not the collection's (for a tenancy's realm, ``tenancy_id``)."""
    wanted = "%s=%s" % (MANAGED_BY_ATTRIBUTE, MANAGED_BY)
    if tenancy_id:
        wanted = "%s and %s=%s" % (wanted, TENANCY_ID_ATTRIBUTE, tenancy_id)
    return ModuleError("realm %s exists but is not managed by azimuth.ops (it lacks the realm attribute%s %s); "
                       "rename or delete it, or set %s to let the collection manage it"
                       % (name, "s" if tenancy_id else "", wanted, "both" if tenancy_id else "that attribute"))


def read_export(calls, realm):
    """The realm's partial export (settings, client scopes, groups with their roles, identity providers, flows)."""
    return calls.export(realm, exportGroupsAndRoles="true")


def find(items, key, value):
    return next((item for item in items or [] if item.get(key) == value), None)


class RealmPlan:
    """The changes to one realm: ``actions`` in order, and the ``before``/``after`` views of what changes.

    ``current`` is the realm's export (None when the realm is to be created).  Actions are
    ``request`` (method, path, body; a created object's ID saved under ``save`` for the paths of
    later actions, as ``{key}``) or a named step of the Executor; ``part`` names the part of the
    realm an action makes (``realm``, ``scope``, ``defaultScope``, ...), so that the actions of a
    new realm can be folded into one representation (``_tenancy_realm.one_request``).
    """

    def __init__(self, realm, current):
        self.realm = realm
        self.current = current
        self.creating = current is None
        self.actions = []
        self.before = None if self.creating else {}
        self.after = {}

    def compare(self, key, before, after):
        """Record one part of the realm in the views; True when it differs."""
        if self.before is not None:
            self.before[key] = before
        self.after[key] = after
        return before != after

    def request(self, what, method, path, body=None, save=None, part=None):
        self.actions.append(dict(kind="request", what=what, method=method, path=path, body=body, save=save, part=part))

    def in_realm(self, *parts):
        return realm_path(self.realm, *parts)

    def step(self, what, kind, **args):
        self.actions.append(dict(args, kind=kind, what=what))

    def delete(self):
        self.after = None
        self.request("delete realm %s" % self.realm, "DELETE", realm_path(self.realm))

    @property
    def changed(self):
        return bool(self.actions)

    def diff(self):
        """(before, after) when the realm changes, else None."""
        if not self.changed:
            return None
        return self.before, self.after


# --- the parts every managed realm has -----------------------------------------------------------


def settings_view(realm, attributes):
    have = (realm or {}).get("attributes") or {}
    return {
        "enabled": (realm or {}).get("enabled"),
        "sslRequired": (realm or {}).get("sslRequired"),
        "attributes": dict((key, have[key]) for key in attributes if key in have),
    }


def plan_realm(plan, ssl_required, attributes, groups=(), realm_id=None):
    """Create the realm (with its top-level ``groups``, and the ID ``realm_id`` when given), or update
    its settings and the module's attributes."""
    after = {"enabled": True, "sslRequired": ssl_required, "attributes": dict(attributes)}
    if plan.creating:
        plan.compare("realm", None, after)
        body = dict(after, realm=plan.realm, groups=[group_body(group) for group in groups])
        if realm_id:
            body["id"] = realm_id
        plan.request("create realm %s" % plan.realm, "POST", "admin/realms", body=body, part="realm")
        return
    if plan.compare("realm", settings_view(plan.current, attributes), after):
        merged = dict(plan.current.get("attributes") or {})
        merged.update(attributes)
        plan.request("update the settings of realm %s" % plan.realm, "PUT", realm_path(plan.realm),
                     body=dict(after, attributes=merged))


def scope_view(scope):
    if scope is None:
        return None
    view = project(scope, dict((key, value) for key, value in GROUPS_SCOPE.items() if key != "name"))
    mapper = find(scope.get("protocolMappers"), "name", GROUPS_MAPPER["name"])
    view["mapper"] = project(mapper, GROUPS_MAPPER)
    return view


def desired_scope_view():
    view = dict((key, value) for key, value in GROUPS_SCOPE.items() if key != "name")
    view["mapper"] = copy.deepcopy(GROUPS_MAPPER)
    return view


def plan_groups_scope(plan):
    """The ``groups`` client scope and its mapper, as a realm default (not optional) scope."""
    current = plan.current or {}
    scope = find(current.get("clientScopes"), "name", GROUPS_SCOPE["name"])
    if plan.compare("clientScope", scope_view(scope), desired_scope_view()):
        if scope is None:
            plan.request("create the client scope groups", "POST", plan.in_realm("client-scopes"),
                         body=dict(GROUPS_SCOPE, protocolMappers=[GROUPS_MAPPER]), save="scope", part="scope")
        else:
            _plan_scope_update(plan, scope)
    scope_id = scope["id"] if scope else "{scope}"
    name = GROUPS_SCOPE["name"]
    before = {"default": name in (current.get("defaultDefaultClientScopes") or []),
              "optional": name in (current.get("defaultOptionalClientScopes") or [])}
    if plan.compare("defaultClientScope", before, {"default": True, "optional": False}):
        if before["optional"]:
            plan.request("remove the client scope groups from the optional default scopes", "DELETE",
                         plan.in_realm("default-optional-client-scopes", scope_id))
        if not before["default"]:
            plan.request("make the client scope groups a default scope", "PUT",
                         plan.in_realm("default-default-client-scopes", scope_id), part="defaultScope")


def _plan_scope_update(plan, scope):
    wanted = dict((key, value) for key, value in GROUPS_SCOPE.items() if key != "name")
    if project(scope, wanted) != wanted:
        body = overlay(dict((k, v) for k, v in scope.items() if k != "protocolMappers"), wanted)
        plan.request("update the client scope groups", "PUT", plan.in_realm("client-scopes", scope["id"]), body=body)
    mapper = find(scope.get("protocolMappers"), "name", GROUPS_MAPPER["name"])
    models = plan.in_realm("client-scopes", scope["id"], "protocol-mappers", "models")
    if mapper is None:
        plan.request("create the mapper groups of the client scope groups", "POST", models, body=GROUPS_MAPPER)
    elif project(mapper, GROUPS_MAPPER) != GROUPS_MAPPER:
        plan.request("update the mapper groups of the client scope groups", "PUT", "%s/%s" % (models, mapper["id"]),
                     body=overlay(mapper, GROUPS_MAPPER))


def group_body(group):
    """A group to create: name, attributes, client roles (roles by client ID)."""
    body = {"name": group["name"]}
    for key in ("attributes", "clientRoles"):
        if group.get(key):
            body[key] = copy.deepcopy(group[key])
    return body


def group_view(current, desired):
    """The module's part of a group: its attributes and which of the wanted client roles it has."""
    if current is None:
        return None
    have_roles = current.get("clientRoles") or {}
    return {
        "name": current.get("name"),
        "attributes": project(current.get("attributes") or {}, desired.get("attributes") or {}),
        "clientRoles": dict((client, sorted(set(roles) & set(have_roles.get(client) or [])))
                            for client, roles in (desired.get("clientRoles") or {}).items()),
    }


def desired_group_view(desired):
    return {
        "name": desired["name"],
        "attributes": copy.deepcopy(desired.get("attributes") or {}),
        "clientRoles": dict((client, sorted(roles)) for client, roles in (desired.get("clientRoles") or {}).items()),
    }


def plan_group(plan, views, current, desired, path, parent=None, inline=False):
    """Create or update one group; returns how later actions refer to its ID.

    ``views`` collects the group's view under ``path``; ``parent`` is the parent's ID (reference)
    for a subgroup; ``inline`` means the group comes with the realm being created.
    """
    before, after = group_view(current, desired), desired_group_view(desired)
    views[0][path], views[1][path] = before, after
    if before == after or inline:
        return current["id"] if current else None
    if current is None:
        key = "group%d" % len(plan.actions)
        parts = ("groups", parent, "children") if parent else ("groups",)
        plan.request("create the group %s" % path, "POST", plan.in_realm(*parts),
                     body={"name": desired["name"], "attributes": copy.deepcopy(desired.get("attributes") or {})}, save=key)
        ref = "{%s}" % key
    else:
        ref = current["id"]
        if (before["name"], before["attributes"]) != (after["name"], after["attributes"]):
            body = {"id": current["id"], "name": desired["name"],
                    "attributes": overlay(current.get("attributes") or {}, desired.get("attributes") or {})}
            plan.request("update the group %s" % path, "PUT", plan.in_realm("groups", ref), body=body)
    for client, roles in sorted((desired.get("clientRoles") or {}).items()):
        missing = sorted(set(roles) - set(((current or {}).get("clientRoles") or {}).get(client) or []))
        if missing:
            plan.step("give the group %s the roles %s of the client %s" % (path, ", ".join(missing), client),
                      "grant_client_roles", group=ref, client=client, roles=missing)
    return ref


def plan_top_groups(plan, groups):
    """Top-level groups by name (created with the realm when it is new); the views go under ``groups``."""
    views = ({}, {})
    existing = (plan.current or {}).get("groups") or []
    for group in groups:
        plan_group(plan, views, find(existing, "name", group["name"]), group, "/" + group["name"], inline=plan.creating)
    plan.compare("groups", None if plan.creating else views[0], views[1])


class Executor:
    """Sends RealmPlans' actions in order; a failure names the action and the realm (and says whether
    earlier actions changed something)."""

    def __init__(self, calls):
        self.calls = calls
        self.wrote = False

    def run(self, plan):
        ids = {}
        for action in plan.actions:
            try:
                getattr(self, "_" + action["kind"])(plan, action, ids)
            except (KeycloakApiError, KeycloakError) as exc:
                what = action["what"]
                if plan.realm not in what:
                    what = "%s in realm %s" % (what, plan.realm)
                failure = Conflict if getattr(exc, "status", None) == 409 else ModuleError
                raise failure("Could not %s: %s" % (what, describe_error(exc)), changed=self.wrote)
            self.wrote = True

    def _request(self, plan, action, ids):
        path = action["path"].format(**ids)
        if action["method"] == "POST":
            created = self.calls.post(path, action["body"])[1]
            if action.get("save"):
                ids[action["save"]] = created
        elif action["method"] == "PUT":
            self.calls.put(path, action["body"])
        else:
            self.calls.delete(path)

    def _grant_client_roles(self, plan, action, ids):
        client = self.calls.get(plan.in_realm("clients"), clientId=action["client"])
        client = find(client, "clientId", action["client"])
        if client is None:
            raise ModuleError("Could not %s: realm %s has no client %s" % (action["what"], plan.realm, action["client"]))
        roles = [self.calls.get(plan.in_realm("clients", client["id"], "roles", role)) for role in action["roles"]]
        group = action["group"].format(**ids)
        self.calls.post(plan.in_realm("groups", group, "role-mappings", "clients", client["id"]), roles)
