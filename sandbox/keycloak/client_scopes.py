"""Client scopes (realm level) and the realm's default / optional client scopes.

Clients refer to scopes by id in ``_default_scopes`` / ``_optional_scopes``; the realm's
``default_scopes`` / ``optional_scopes`` are what new clients get.
"""

from sandbox.keycloak.errors import bad_request, conflict, not_found
from sandbox.keycloak.protocol_mappers import new_mapper
from sandbox.keycloak.store import new_id
from sandbox.keycloak.web import created, json_body, no_content, ok

# The scopes a new Keycloak 23 realm has: name -> default (True) or optional (False).
BUILTIN_SCOPES = {
    "acr": True, "email": True, "profile": True, "roles": True, "web-origins": True,
    "address": False, "phone": False, "offline_access": False, "microprofile-jwt": False,
    "role_list": None,
}


def scope_by_id(realm, scope_id):
    try:
        return realm["client_scopes"][scope_id]
    except KeyError:
        raise not_found("Could not find client scope") from None


def scope_by_name(realm, name):
    return next((s for s in realm["client_scopes"].values() if s["name"] == name), None)


def add_scope(realm, rep):
    name = rep.get("name")
    if not name:
        raise bad_request("Client scope name is missing")
    if scope_by_name(realm, name):
        raise conflict(f"Client Scope {name} already exists")
    scope = {
        "id": rep.get("id") or new_id(),
        "name": name,
        "description": rep.get("description", ""),
        "protocol": rep.get("protocol", "openid-connect"),
        "attributes": rep.get("attributes") or {},
    }
    realm["client_scopes"][scope["id"]] = scope
    for mapper in rep.get("protocolMappers") or []:
        new_mapper(scope, mapper)
    return scope


def add_builtin_scopes(realm):
    for name, default in BUILTIN_SCOPES.items():
        protocol = "saml" if name == "role_list" else "openid-connect"
        scope = add_scope(realm, {"name": name, "protocol": protocol,
                                  "attributes": {"include.in.token.scope": "true", "display.on.consent.screen": "true"}})
        if default is True:
            realm["default_scopes"].append(scope["id"])
        elif default is False:
            realm["optional_scopes"].append(scope["id"])


def scope_link(scope):
    return {"id": scope["id"], "name": scope["name"]}


def list_scopes(store, request):
    realm = store.realm(request.params["realm"])
    return ok(sorted(realm["client_scopes"].values(), key=lambda s: s["name"]))


def create_scope(store, request):
    realm = store.realm(request.params["realm"])
    return created(request, add_scope(realm, json_body(request))["id"])


def get_scope(store, request):
    realm = store.realm(request.params["realm"])
    return ok(scope_by_id(realm, request.params["id"]))


def update_scope(store, request):
    realm = store.realm(request.params["realm"])
    scope = scope_by_id(realm, request.params["id"])
    rep = json_body(request)
    if rep.get("name") and rep["name"] != scope["name"]:
        if scope_by_name(realm, rep["name"]):
            raise conflict(f"Client Scope {rep['name']} already exists")
        scope["name"] = rep["name"]
    for key in ("description", "protocol", "attributes"):
        if rep.get(key) is not None:
            scope[key] = rep[key]
    return no_content()


def delete_scope(store, request):
    realm = store.realm(request.params["realm"])
    scope = scope_by_id(realm, request.params["id"])
    for client in realm["clients"].values():
        if scope["id"] in client["_default_scopes"] + client["_optional_scopes"]:
            raise bad_request("Cannot remove client scope, it is currently in use")
    for links in (realm["default_scopes"], realm["optional_scopes"]):
        if scope["id"] in links:
            links.remove(scope["id"])
    del realm["client_scopes"][scope["id"]]
    return no_content()


def _realm_links(request):
    return "default_scopes" if "default-default" in request.path else "optional_scopes"


def list_realm_defaults(store, request):
    realm = store.realm(request.params["realm"])
    ids = realm[_realm_links(request)]
    return ok([scope_link(realm["client_scopes"][sid]) for sid in ids if sid in realm["client_scopes"]])


def add_realm_default(store, request):
    realm = store.realm(request.params["realm"])
    scope = scope_by_id(realm, request.params["scope"])
    for links in (realm["default_scopes"], realm["optional_scopes"]):
        if scope["id"] in links:
            links.remove(scope["id"])
    realm[_realm_links(request)].append(scope["id"])
    return no_content()


def remove_realm_default(store, request):
    realm = store.realm(request.params["realm"])
    scope = scope_by_id(realm, request.params["scope"])
    links = realm[_realm_links(request)]
    if scope["id"] in links:
        links.remove(scope["id"])
    return no_content()


BASE = "/admin/realms/{realm}/client-scopes"
ROUTES = [
    ("GET", BASE, list_scopes),
    ("POST", BASE, create_scope),
    ("GET", BASE + "/{id}", get_scope),
    ("PUT", BASE + "/{id}", update_scope),
    ("DELETE", BASE + "/{id}", delete_scope),
]
for _kind in ("default-default-client-scopes", "default-optional-client-scopes"):
    ROUTES += [
        ("GET", f"/admin/realms/{{realm}}/{_kind}", list_realm_defaults),
        ("PUT", f"/admin/realms/{{realm}}/{_kind}/{{scope}}", add_realm_default),
        ("DELETE", f"/admin/realms/{{realm}}/{_kind}/{{scope}}", remove_realm_default),
    ]
