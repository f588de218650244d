"""Groups and subgroups, group-by-path, group members, group counts.

A stored group: ``id, name, parentId (None at top level), attributes, _roles``.  Paths are
computed from the parent chain.  Representations follow Keycloak 23: lists and GETs carry
``subGroupCount`` and an empty ``subGroups`` (clients fetch ``/children``), except a search,
which returns the matching branches.
"""

from sandbox.keycloak.errors import bad_request, conflict, not_found
from sandbox.keycloak.store import new_id
from sandbox.keycloak.web import created_at, json_body, matches, no_content, ok, page, query_bool

GROUP_ACCESS = {"view": True, "viewMembers": True, "manageMembers": True, "manage": True, "manageMembership": True}


def children(realm, parent_id):
    kids = [g for g in realm["groups"].values() if g["parentId"] == parent_id]
    return sorted(kids, key=lambda g: g["name"])


def group_path(realm, group):
    names = []
    while group is not None:
        names.append(group["name"])
        group = realm["groups"].get(group["parentId"])
    return "/" + "/".join(reversed(names))


def group_rep(realm, group, brief=True, sub_groups=None):
    rep = {"id": group["id"], "name": group["name"], "path": group_path(realm, group)}
    if group["parentId"]:
        rep["parentId"] = group["parentId"]
    rep["subGroupCount"] = len(children(realm, group["id"]))
    rep["subGroups"] = sub_groups or []
    if not brief:
        rep["attributes"] = group["attributes"]
        rep["realmRoles"] = _role_names(realm, group, client=False)
        rep["clientRoles"] = _client_role_names(realm, group)
        rep["access"] = dict(GROUP_ACCESS)
    return rep


def _role_names(realm, group, client):
    roles = [realm["roles"][rid] for rid in group["_roles"] if rid in realm["roles"]]
    return [role["name"] for role in roles if role["clientRole"] == client]


def _client_role_names(realm, group):
    names = {}
    for rid in group["_roles"]:
        role = realm["roles"].get(rid)
        if role and role["clientRole"]:
            client_id = realm["clients"][role["containerId"]]["clientId"]
            names.setdefault(client_id, []).append(role["name"])
    return names


def group_by_id(realm, group_id):
    try:
        return realm["groups"][group_id]
    except KeyError:
        raise not_found("Could not find group by id") from None


def find_by_path(realm, path):
    parent_id, group = None, None
    for name in [part for part in path.split("/") if part]:
        group = next((g for g in children(realm, parent_id) if g["name"] == name), None)
        if group is None:
            return None
        parent_id = group["id"]
    return group


def add_group(realm, rep, parent_id=None):
    """Create a group (and any ``subGroups`` in the representation) under ``parent_id``."""
    name = rep.get("name")
    if not name:
        raise bad_request("Group name is missing")
    _check_sibling_name(realm, parent_id, name)
    group = {
        "id": rep.get("id") or new_id(),
        "name": name,
        "parentId": parent_id,
        "attributes": rep.get("attributes") or {},
        "_roles": [],
    }
    realm["groups"][group["id"]] = group
    for sub in rep.get("subGroups") or []:
        add_group(realm, sub, group["id"])
    return group


def _check_sibling_name(realm, parent_id, name, ignore_id=None):
    for sibling in children(realm, parent_id):
        if sibling["name"] == name and sibling["id"] != ignore_id:
            if parent_id is None:
                raise conflict(f"Top level group named '{name}' already exists.")
            raise conflict(f"Sibling group named '{name}' already exists.")


def subtree_ids(realm, group_id):
    ids, todo = [], [group_id]
    while todo:
        current = todo.pop()
        ids.append(current)
        todo.extend(g["id"] for g in children(realm, current))
    return ids


def remove_group(realm, group_id):
    for gid in subtree_ids(realm, group_id):
        realm["groups"].pop(gid, None)
        for user in realm["users"].values():
            if gid in user["_groups"]:
                user["_groups"].remove(gid)


def _create_or_move(realm, request, parent_id):
    """POST a group: an existing ``id`` moves that group here, otherwise a new group is created."""
    rep = json_body(request)
    existing = realm["groups"].get(rep.get("id") or "")
    if existing is None:
        group = add_group(realm, rep, parent_id)
        return created_at(request, f"/admin/realms/{request.params['realm']}/groups/{group['id']}")
    if parent_id and parent_id in subtree_ids(realm, existing["id"]):
        raise bad_request("Cannot move group to its own subgroup")
    _check_sibling_name(realm, parent_id, existing["name"], ignore_id=existing["id"])
    existing["parentId"] = parent_id
    return no_content()


def _search_tree(realm, group, search, exact):
    """``group``'s representation pruned to the branches that match, or None."""
    if matches(group["name"], search, exact):
        return group_rep(realm, group)
    subs = [rep for rep in (_search_tree(realm, kid, search, exact) for kid in children(realm, group["id"])) if rep]
    return group_rep(realm, group, sub_groups=subs) if subs else None


def _attribute_query(q):
    pairs = [item.split(":", 1) for item in q.split() if ":" in item]
    return {key: value for key, value in pairs}


def list_groups(store, request):
    realm = store.realm(request.params["realm"])
    brief = query_bool(request, "briefRepresentation", True)
    search, q = request.query.get("search"), request.query.get("q")
    top = children(realm, None)
    if q:
        wanted = _attribute_query(q)
        found = [g for g in sorted(realm["groups"].values(), key=lambda g: g["name"])
                 if all(value in g["attributes"].get(key, []) for key, value in wanted.items())]
        return ok([group_rep(realm, g, brief) for g in page(found, request)])
    if search:
        exact = query_bool(request, "exact")
        reps = [rep for rep in (_search_tree(realm, g, search, exact) for g in top) if rep]
        return ok(page(reps, request))
    return ok([group_rep(realm, g, brief) for g in page(top, request)])


def count_groups(store, request):
    realm = store.realm(request.params["realm"])
    search = request.query.get("search")
    groups = children(realm, None) if query_bool(request, "top") else list(realm["groups"].values())
    if search:
        groups = [g for g in groups if matches(g["name"], search)]
    return ok({"count": len(groups)})


def create_top(store, request):
    return _create_or_move(store.realm(request.params["realm"]), request, None)


def create_child(store, request):
    realm = store.realm(request.params["realm"])
    parent = group_by_id(realm, request.params["id"])
    return _create_or_move(realm, request, parent["id"])


def list_children(store, request):
    realm = store.realm(request.params["realm"])
    parent = group_by_id(realm, request.params["id"])
    brief = query_bool(request, "briefRepresentation", False)
    return ok([group_rep(realm, g, brief) for g in page(children(realm, parent["id"]), request, 10)])


def get_group(store, request):
    realm = store.realm(request.params["realm"])
    return ok(group_rep(realm, group_by_id(realm, request.params["id"]), brief=False))


def get_by_path(store, request):
    realm = store.realm(request.params["realm"])
    group = find_by_path(realm, request.params["path"])
    if group is None:
        raise not_found("Group path does not exist")
    return ok(group_rep(realm, group, brief=False))


def update_group(store, request):
    realm = store.realm(request.params["realm"])
    group = group_by_id(realm, request.params["id"])
    rep = json_body(request)
    if rep.get("name") and rep["name"] != group["name"]:
        _check_sibling_name(realm, group["parentId"], rep["name"], ignore_id=group["id"])
        group["name"] = rep["name"]
    if rep.get("attributes") is not None:
        group["attributes"] = rep["attributes"]
    return no_content()


def delete_group(store, request):
    realm = store.realm(request.params["realm"])
    remove_group(realm, group_by_id(realm, request.params["id"])["id"])
    return no_content()


def list_members(store, request):
    from sandbox.keycloak.users import user_rep  # users import groups; import late to avoid a cycle
    realm = store.realm(request.params["realm"])
    group = group_by_id(realm, request.params["id"])
    brief = query_bool(request, "briefRepresentation", False)
    members = sorted((u for u in realm["users"].values() if group["id"] in u["_groups"]), key=lambda u: u["username"])
    return ok([user_rep(realm, user, brief) for user in page(members, request, 100)])


BASE = "/admin/realms/{realm}/groups"
ROUTES = [
    ("GET", BASE, list_groups),
    ("POST", BASE, create_top),
    ("GET", BASE + "/count", count_groups),
    ("GET", BASE + "/{id}", get_group),
    ("PUT", BASE + "/{id}", update_group),
    ("DELETE", BASE + "/{id}", delete_group),
    ("GET", BASE + "/{id}/children", list_children),
    ("POST", BASE + "/{id}/children", create_child),
    ("GET", BASE + "/{id}/members", list_members),
    ("GET", "/admin/realms/{realm}/group-by-path/{path:path}", get_by_path),
]
