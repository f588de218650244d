"""Role mappings of users and groups, at realm and client level (``.../role-mappings/...``).

Users and groups store the ids of their directly mapped roles in ``_roles``.  Effective
("composite") roles add the roles of a user's groups and their ancestors, and composites.
"""

from sandbox.keycloak.errors import not_found
from sandbox.keycloak.roles import expand, realm_container, resolve_refs, role_rep
from sandbox.keycloak.web import json_body, no_content, ok, query_bool


def holder(realm, request):
    """The user or group named in the path."""
    kind, holder_id = request.params["kind"], request.params["id"]
    found = realm[kind].get(holder_id)
    if found is None:
        raise not_found("User not found" if kind == "users" else "Could not find group by id")
    return found


def effective_role_ids(realm, obj):
    """Every role a user or group has: direct, through groups (and their parents), and composites."""
    role_ids = list(obj["_roles"])
    group_ids = list(obj.get("_groups", []))
    if "parentId" in obj:  # a group inherits its parents' roles
        group_ids.append(obj["parentId"])
    seen = set()
    while group_ids:
        group = realm["groups"].get(group_ids.pop())
        if group is None or group["id"] in seen:
            continue
        seen.add(group["id"])
        role_ids.extend(group["_roles"])
        group_ids.append(group["parentId"])
    return expand(realm, role_ids)


def _container(realm, request):
    client = request.params.get("client")
    if client is None:
        return realm_container(realm)
    if client not in realm["clients"]:
        raise not_found("Could not find client")
    return client


def _reps(realm, role_ids, container, brief=True):
    roles = [realm["roles"][rid] for rid in role_ids if rid in realm["roles"]]
    roles = [role for role in roles if role["containerId"] == container]
    return [role_rep(role, brief) for role in sorted(roles, key=lambda role: role["name"])]


def get_all(store, request):
    realm = store.realm(request.params["realm"])
    obj = holder(realm, request)
    realm_roles = _reps(realm, obj["_roles"], realm_container(realm))
    clients = {}
    for client in realm["clients"].values():
        mapped = _reps(realm, obj["_roles"], client["id"])
        if mapped:
            clients[client["clientId"]] = {"id": client["id"], "client": client["clientId"], "mappings": mapped}
    body = {}
    if realm_roles:
        body["realmMappings"] = realm_roles
    if clients:
        body["clientMappings"] = clients
    return ok(body)


def get_mapped(store, request):
    realm = store.realm(request.params["realm"])
    obj = holder(realm, request)
    return ok(_reps(realm, obj["_roles"], _container(realm, request)))


def get_composite(store, request):
    realm = store.realm(request.params["realm"])
    obj = holder(realm, request)
    brief = query_bool(request, "briefRepresentation", True)
    return ok(_reps(realm, effective_role_ids(realm, obj), _container(realm, request), brief))


def get_available(store, request):
    realm = store.realm(request.params["realm"])
    obj = holder(realm, request)
    container = _container(realm, request)
    effective = effective_role_ids(realm, obj)
    available = [rid for rid in realm["roles"] if rid not in effective]
    return ok(_reps(realm, available, container))


def add_mappings(store, request):
    realm = store.realm(request.params["realm"])
    obj = holder(realm, request)
    for role in resolve_refs(realm, json_body(request, list), _container(realm, request)):
        if role["id"] not in obj["_roles"]:
            obj["_roles"].append(role["id"])
    return no_content()


def remove_mappings(store, request):
    realm = store.realm(request.params["realm"])
    obj = holder(realm, request)
    for role in resolve_refs(realm, json_body(request, list), _container(realm, request)):
        if role["id"] in obj["_roles"]:
            obj["_roles"].remove(role["id"])
    return no_content()


def _bind(handler, kind):
    def bound(store, request):
        request.params["kind"] = kind
        return handler(store, request)
    bound.__name__ = f"{handler.__name__}_{kind}"
    return bound


def _routes(kind):
    base = f"/admin/realms/{{realm}}/{kind}/{{id}}/role-mappings"
    rows = [("GET", base, get_all)]
    for level in (base + "/realm", base + "/clients/{client}"):
        rows += [
            ("GET", level, get_mapped),
            ("POST", level, add_mappings),
            ("DELETE", level, remove_mappings),
            ("GET", level + "/composite", get_composite),
            ("GET", level + "/available", get_available),
        ]
    return [(method, path, _bind(handler, kind)) for method, path, handler in rows]


ROUTES = _routes("users") + _routes("groups")
