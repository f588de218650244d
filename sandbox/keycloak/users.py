"""Users: CRUD, search and count, passwords and credentials, group membership.

A stored user is its representation plus ``_password`` (a credential or None), ``_groups``
and ``_roles`` (ids).  Usernames and emails are lower-cased, as Keycloak stores them.
"""

from sandbox.keycloak import passwords
from sandbox.keycloak.errors import ApiError, bad_request, conflict, not_found
from sandbox.keycloak.groups import group_by_id, group_rep
from sandbox.keycloak.roles import find_role, realm_container
from sandbox.keycloak.store import new_id, now_ms, public
from sandbox.keycloak.web import created, json_body, matches, no_content, ok, page, query_bool

USER_ACCESS = {"manageGroupMembership": True, "view": True, "mapRoles": True, "impersonate": False, "manage": True}
EDITABLE = ("enabled", "emailVerified", "firstName", "lastName", "email", "attributes", "requiredActions",
            "totp", "federationLink")
FILTERS = ("username", "email", "firstName", "lastName")


def user_rep(realm, user, brief=False):
    rep = public(user)
    if brief or not rep.get("attributes"):
        rep.pop("attributes", None)
    rep["access"] = dict(USER_ACCESS)
    return rep


def user_by_id(realm, user_id):
    try:
        return realm["users"][user_id]
    except KeyError:
        raise not_found("User not found") from None


def find_user(realm, username):
    username = (username or "").lower()
    return next((u for u in realm["users"].values() if u["username"] == username), None)


def _check_unique(realm, user_id, username, email):
    for other in realm["users"].values():
        if other["id"] == user_id:
            continue
        if other["username"] == username:
            raise conflict("User exists with same username")
        if email and other.get("email") == email and not realm["rep"].get("duplicateEmailsAllowed"):
            raise conflict("User exists with same email")


def add_user(realm, rep, service_account_client=None):
    """Create a user from a UserRepresentation (credentials, groups and realmRoles included)."""
    username = (rep.get("username") or "").strip().lower()
    if not username:
        raise ApiError(400, {"field": "username", "errorMessage": "error-user-attribute-required", "params": ["username"]})
    email = (rep.get("email") or "").lower() or None
    _check_unique(realm, None, username, email)
    user = {
        "id": rep.get("id") or new_id(),
        "createdTimestamp": now_ms(),
        "username": username,
        "enabled": bool(rep.get("enabled") or False),
        "totp": False,
        "emailVerified": bool(rep.get("emailVerified", False)),
        "disableableCredentialTypes": [],
        "requiredActions": list(rep.get("requiredActions") or []),
        "notBefore": 0,
        "_password": None,
        "_groups": [],
        "_roles": [],
    }
    for key in ("firstName", "lastName"):
        if rep.get(key) is not None:
            user[key] = rep[key]
    if email:
        user["email"] = email
    if rep.get("attributes"):
        user["attributes"] = rep["attributes"]
    if service_account_client:
        user["serviceAccountClientId"] = service_account_client
    default_role = find_role(realm, realm_container(realm), f"default-roles-{realm['rep']['realm'].lower()}")
    if default_role:
        user["_roles"].append(default_role["id"])
    realm["users"][user["id"]] = user
    _apply_import_fields(realm, user, rep)
    return user


def _apply_import_fields(realm, user, rep):
    from sandbox.keycloak.groups import find_by_path
    for credential in rep.get("credentials") or []:
        if credential.get("type", "password") == "password" and credential.get("value"):
            set_password(user, credential["value"], credential.get("temporary", False))
    for path in rep.get("groups") or []:
        group = find_by_path(realm, path)
        if group is None:
            raise bad_request(f"Group {path} not found")
        user["_groups"].append(group["id"])
    for name in rep.get("realmRoles") or []:
        role = find_role(realm, realm_container(realm), name)
        if role and role["id"] not in user["_roles"]:
            user["_roles"].append(role["id"])


def set_password(user, value, temporary=False):
    user["_password"] = passwords.make_credential(value)
    actions = user["requiredActions"]
    if temporary and "UPDATE_PASSWORD" not in actions:
        actions.append("UPDATE_PASSWORD")
    if not temporary and "UPDATE_PASSWORD" in actions:
        actions.remove("UPDATE_PASSWORD")


def update_user(realm, user, rep):
    username = (rep.get("username") or user["username"]).lower()
    email = rep["email"].lower() if rep.get("email") else (None if "email" in rep else user.get("email"))
    if username != user["username"] and not realm["rep"].get("editUsernameAllowed", False):
        raise bad_request("error-user-attribute-read-only")
    _check_unique(realm, user["id"], username, email)
    user["username"] = username
    for key in EDITABLE:
        if key in rep and rep[key] is not None:
            user[key] = rep[key]
    if "email" in rep:
        user.pop("email", None)
        if email:
            user["email"] = email
    for credential in rep.get("credentials") or []:
        if credential.get("value"):
            set_password(user, credential["value"], credential.get("temporary", False))


def _listed(realm, request):
    """The users a search selects (service accounts are never listed), sorted by username."""
    query = request.query
    exact = query_bool(request, "exact")
    users = [u for u in realm["users"].values() if "serviceAccountClientId" not in u]
    if query.get("search"):
        search = query["search"].strip()
        fields = ("username", "email", "firstName", "lastName")
        if search.startswith('"') and search.endswith('"'):
            users = [u for u in users if any(matches(u.get(f), search.strip('"'), True) for f in fields)]
        else:
            users = [u for u in users if any(matches(u.get(f), search) for f in fields)]
    for name in FILTERS:
        if query.get(name) is not None:
            users = [u for u in users if matches(u.get(name), query[name], exact)]
    if query.get("enabled") is not None:
        users = [u for u in users if u["enabled"] == query_bool(request, "enabled")]
    if query.get("emailVerified") is not None:
        users = [u for u in users if u["emailVerified"] == query_bool(request, "emailVerified")]
    if query.get("q"):
        wanted = dict(item.split(":", 1) for item in query["q"].split() if ":" in item)
        users = [u for u in users if all(v in u.get("attributes", {}).get(k, []) for k, v in wanted.items())]
    return sorted(users, key=lambda u: u["username"])


def list_users(store, request):
    realm = store.realm(request.params["realm"])
    brief = query_bool(request, "briefRepresentation")
    return ok([user_rep(realm, u, brief) for u in page(_listed(realm, request), request, 100)])


def count_users(store, request):
    return ok(len(_listed(store.realm(request.params["realm"]), request)))


def create_user(store, request):
    realm = store.realm(request.params["realm"])
    return created(request, add_user(realm, json_body(request))["id"])


def get_user(store, request):
    realm = store.realm(request.params["realm"])
    return ok(user_rep(realm, user_by_id(realm, request.params["id"])))


def put_user(store, request):
    realm = store.realm(request.params["realm"])
    update_user(realm, user_by_id(realm, request.params["id"]), json_body(request))
    return no_content()


def delete_user(store, request):
    realm = store.realm(request.params["realm"])
    user_by_id(realm, request.params["id"])
    del realm["users"][request.params["id"]]
    return no_content()


def reset_password(store, request):
    realm = store.realm(request.params["realm"])
    user = user_by_id(realm, request.params["id"])
    rep = json_body(request)
    if not rep.get("value"):
        raise bad_request("Empty password")
    set_password(user, rep["value"], rep.get("temporary", True))
    return no_content()


def list_credentials(store, request):
    realm = store.realm(request.params["realm"])
    user = user_by_id(realm, request.params["id"])
    return ok([passwords.credential_rep(user["_password"])] if user["_password"] else [])


def delete_credential(store, request):
    realm = store.realm(request.params["realm"])
    user = user_by_id(realm, request.params["id"])
    if not user["_password"] or user["_password"]["id"] != request.params["credential"]:
        raise not_found("Credential not found")
    user["_password"] = None
    return no_content()


def user_groups(store, request):
    realm = store.realm(request.params["realm"])
    user = user_by_id(realm, request.params["id"])
    brief = query_bool(request, "briefRepresentation", True)
    groups = [realm["groups"][gid] for gid in user["_groups"] if gid in realm["groups"]]
    search = request.query.get("search")
    groups = [g for g in groups if not search or matches(g["name"], search)]
    reps = sorted((group_rep(realm, g, brief) for g in groups), key=lambda rep: rep["path"])
    return ok(page(reps, request, 100))


def join_group(store, request):
    realm = store.realm(request.params["realm"])
    user = user_by_id(realm, request.params["id"])
    group = group_by_id(realm, request.params["group"])
    if group["id"] not in user["_groups"]:
        user["_groups"].append(group["id"])
    return no_content()


def leave_group(store, request):
    realm = store.realm(request.params["realm"])
    user = user_by_id(realm, request.params["id"])
    group = group_by_id(realm, request.params["group"])
    if group["id"] in user["_groups"]:
        user["_groups"].remove(group["id"])
    return no_content()


BASE = "/admin/realms/{realm}/users"
ROUTES = [
    ("GET", BASE, list_users),
    ("POST", BASE, create_user),
    ("GET", BASE + "/count", count_users),
    ("GET", BASE + "/{id}", get_user),
    ("PUT", BASE + "/{id}", put_user),
    ("DELETE", BASE + "/{id}", delete_user),
    ("PUT", BASE + "/{id}/reset-password", reset_password),
    ("GET", BASE + "/{id}/credentials", list_credentials),
    ("DELETE", BASE + "/{id}/credentials/{credential}", delete_credential),
    ("GET", BASE + "/{id}/groups", user_groups),
    ("PUT", BASE + "/{id}/groups/{group}", join_group),
    ("DELETE", BASE + "/{id}/groups/{group}", leave_group),
]
