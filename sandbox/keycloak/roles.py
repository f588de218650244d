"""Realm roles, client roles, roles by id and composite roles.

A stored role: ``id, name, description, composite, clientRole, containerId, attributes`` and
``_composites`` (ids).  Realm roles' container is the realm id, client roles' the client's id.
"""

from sandbox.keycloak.errors import bad_request, conflict, not_found
from sandbox.keycloak.store import new_id, public
from sandbox.keycloak.web import created, json_body, matches, no_content, ok, page, query_bool

# Realm roles every realm has; the master realm also has ``admin`` and ``create-realm``.
DEFAULT_REALM_ROLES = {
    "offline_access": "${role_offline-access}",
    "uma_authorization": "${role_uma_authorization}",
}


def realm_container(realm):
    return realm["rep"]["id"]


def role_rep(role, brief=False):
    rep = public(role)
    rep["composite"] = bool(role["_composites"])
    if brief:
        rep.pop("attributes", None)
    return rep


def container_roles(realm, container_id):
    return [role for role in realm["roles"].values() if role["containerId"] == container_id]


def find_role(realm, container_id, name):
    for role in container_roles(realm, container_id):
        if role["name"] == name:
            return role
    return None


def role_by_name(realm, container_id, name):
    role = find_role(realm, container_id, name)
    if role is None:
        raise not_found("Could not find role")
    return role


def role_by_id(realm, role_id):
    try:
        return realm["roles"][role_id]
    except KeyError:
        raise not_found("Could not find role with id") from None


def add_role(realm, container_id, rep, client_role=False):
    """Create a role from a RoleRepresentation; 409 if the name is taken in its container."""
    name = rep.get("name")
    if not name:
        raise bad_request("Role name is missing")
    if find_role(realm, container_id, name):
        raise conflict(f"Role with name {name} already exists")
    role = {
        "id": rep.get("id") or new_id(),
        "name": name,
        "description": rep.get("description", ""),
        "composite": False,
        "clientRole": client_role,
        "containerId": container_id,
        "attributes": rep.get("attributes") or {},
        "_composites": [],
    }
    realm["roles"][role["id"]] = role
    return role


def update_role(realm, role, rep):
    name = rep.get("name")
    if name and name != role["name"]:
        if find_role(realm, role["containerId"], name):
            raise conflict(f"Role with name {name} already exists")
        role["name"] = name
    if "description" in rep:
        role["description"] = rep["description"]
    if rep.get("attributes") is not None:
        role["attributes"] = rep["attributes"]


def delete_role(realm, role_id):
    """Remove a role and every mapping or composite that refers to it."""
    realm["roles"].pop(role_id, None)
    holders = list(realm["users"].values()) + list(realm["groups"].values())
    for holder in holders:
        if role_id in holder["_roles"]:
            holder["_roles"].remove(role_id)
    for role in realm["roles"].values():
        if role_id in role["_composites"]:
            role["_composites"].remove(role_id)


def expand(realm, role_ids):
    """Role ids plus everything their composites contain, recursively."""
    seen, todo = set(), list(role_ids)
    while todo:
        role_id = todo.pop()
        if role_id in seen or role_id not in realm["roles"]:
            continue
        seen.add(role_id)
        todo.extend(realm["roles"][role_id]["_composites"])
    return seen


def resolve_refs(realm, refs, container_id):
    """RoleRepresentations from a request body -> stored roles (404 if one does not exist)."""
    roles = []
    for ref in refs:
        if not isinstance(ref, dict):
            raise bad_request("Invalid role representation")
        role = realm["roles"].get(ref.get("id") or "")
        if role is None and ref.get("name"):
            role = find_role(realm, container_id, ref["name"])
        if role is None or (ref.get("id") and ref["id"] != role["id"]):
            raise not_found("Role not found")
        roles.append(role)
    return roles


def resolve_any(realm, refs):
    """Role references that may be realm or client roles (composites); by id, else realm role by name."""
    roles = []
    for ref in refs:
        role = realm["roles"].get(ref.get("id") or "") if isinstance(ref, dict) else None
        if role is None and isinstance(ref, dict) and ref.get("name"):
            role = find_role(realm, realm_container(realm), ref["name"])
        if role is None:
            raise not_found("Could not find composite role")
        roles.append(role)
    return roles


# -- containers: the realm, or a client by its id ---------------------------------------------

def _container(store, request):
    """``(realm, container_id)`` for a realm-role route or a client-role route."""
    realm = store.realm(request.params["realm"])
    client_id = request.params.get("client")
    if client_id is None:
        return realm, realm_container(realm)
    if client_id not in realm["clients"]:
        raise not_found("Could not find client")
    return realm, client_id


def list_roles(store, request):
    realm, container = _container(store, request)
    brief = query_bool(request, "briefRepresentation", True)
    search = request.query.get("search", "")
    roles = sorted(container_roles(realm, container), key=lambda role: role["name"])
    roles = [role for role in roles if not search or matches(role["name"], search)]
    return ok([role_rep(role, brief) for role in page(roles, request)])


def create_role(store, request):
    realm, container = _container(store, request)
    role = add_role(realm, container, json_body(request), client_role=container != realm_container(realm))
    return created(request, role["name"])


def get_role(store, request):
    realm, container = _container(store, request)
    return ok(role_rep(role_by_name(realm, container, request.params["role"])))


def put_role(store, request):
    realm, container = _container(store, request)
    update_role(realm, role_by_name(realm, container, request.params["role"]), json_body(request))
    return no_content()


def remove_role(store, request):
    realm, container = _container(store, request)
    role = role_by_name(realm, container, request.params["role"])
    if role["name"].startswith("default-roles-") and container == realm_container(realm):
        raise bad_request("You cannot delete a default role")
    delete_role(realm, role["id"])
    return no_content()


def role_users(store, request):
    from sandbox.keycloak.users import user_rep  # users import roles; import late to avoid a cycle
    realm, container = _container(store, request)
    role = role_by_name(realm, container, request.params["role"])
    users = sorted((u for u in realm["users"].values() if role["id"] in u["_roles"]), key=lambda u: u["username"])
    return ok([user_rep(realm, user, brief=True) for user in page(users, request, 100)])


def role_groups(store, request):
    from sandbox.keycloak.groups import group_rep
    realm, container = _container(store, request)
    role = role_by_name(realm, container, request.params["role"])
    brief = query_bool(request, "briefRepresentation", True)
    groups = [g for g in realm["groups"].values() if role["id"] in g["_roles"]]
    return ok([group_rep(realm, group, brief=brief) for group in page(groups, request, 100)])


# -- composites -------------------------------------------------------------------------------

def _composite_target(store, request):
    realm = store.realm(request.params["realm"])
    if "role_id" in request.params:
        return realm, role_by_id(realm, request.params["role_id"])
    realm, container = _container(store, request)
    return realm, role_by_name(realm, container, request.params["role"])


def get_composites(store, request):
    realm, role = _composite_target(store, request)
    members = [realm["roles"][rid] for rid in role["_composites"]]
    kind = request.params.get("kind")
    if kind == "realm":
        members = [r for r in members if not r["clientRole"]]
    elif kind == "client":
        members = [r for r in members if r["containerId"] == request.params["client_uuid"]]
    return ok([role_rep(member, brief=True) for member in members])


def add_composites(store, request):
    realm, role = _composite_target(store, request)
    for member in resolve_any(realm, json_body(request, list)):
        if member["id"] not in role["_composites"] and member["id"] != role["id"]:
            role["_composites"].append(member["id"])
    return no_content()


def remove_composites(store, request):
    realm, role = _composite_target(store, request)
    for member in resolve_any(realm, json_body(request, list)):
        if member["id"] in role["_composites"]:
            role["_composites"].remove(member["id"])
    return no_content()


# -- roles by id --------------------------------------------------------------------------------

def get_role_by_id(store, request):
    realm = store.realm(request.params["realm"])
    return ok(role_rep(role_by_id(realm, request.params["role_id"])))


def put_role_by_id(store, request):
    realm = store.realm(request.params["realm"])
    update_role(realm, role_by_id(realm, request.params["role_id"]), json_body(request))
    return no_content()


def delete_role_by_id(store, request):
    realm = store.realm(request.params["realm"])
    delete_role(realm, role_by_id(realm, request.params["role_id"])["id"])
    return no_content()


REALM = "/admin/realms/{realm}/roles"
CLIENT = "/admin/realms/{realm}/clients/{client}/roles"
BY_ID = "/admin/realms/{realm}/roles-by-id/{role_id}"


def _role_routes(base):
    one = base + "/{role}"
    return [
        ("GET", base, list_roles),
        ("POST", base, create_role),
        ("GET", one, get_role),
        ("PUT", one, put_role),
        ("DELETE", one, remove_role),
        ("GET", one + "/users", role_users),
        ("GET", one + "/groups", role_groups),
        ("GET", one + "/composites", get_composites),
        ("POST", one + "/composites", add_composites),
        ("DELETE", one + "/composites", remove_composites),
    ]


ROUTES = _role_routes(REALM) + _role_routes(CLIENT) + [
    ("GET", BY_ID, get_role_by_id),
    ("PUT", BY_ID, put_role_by_id),
    ("DELETE", BY_ID, delete_role_by_id),
    ("GET", BY_ID + "/composites", get_composites),
    ("POST", BY_ID + "/composites", add_composites),
    ("DELETE", BY_ID + "/composites", remove_composites),
]


def _kind_routes():
    """``.../composites/realm`` and ``.../composites/clients/{client_uuid}`` reads."""
    rows = []
    for base in (REALM + "/{role}", CLIENT + "/{role}", BY_ID):
        rows.append(("GET", base + "/composites/realm", _with_kind(get_composites, "realm")))
        rows.append(("GET", base + "/composites/clients/{client_uuid}", _with_kind(get_composites, "client")))
    return rows


def _with_kind(handler, kind):
    def wrapped(store, request):
        request.params["kind"] = kind
        return handler(store, request)
    wrapped.__name__ = f"{handler.__name__}_{kind}"
    return wrapped


ROUTES += _kind_routes()
