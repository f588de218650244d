"""Clients: CRUD, secrets, service-account users and each client's default / optional scopes.

A stored client is its ClientRepresentation plus ``_default_scopes`` / ``_optional_scopes``
(client scope ids).  Confidential clients get a generated ``secret``; clients with
``serviceAccountsEnabled`` get a ``service-account-<clientId>`` user.
"""

import secrets

from sandbox.keycloak.client_scopes import scope_by_id, scope_by_name, scope_link
from sandbox.keycloak.errors import bad_request, conflict, not_found
from sandbox.keycloak.protocol_mappers import new_mapper
from sandbox.keycloak.roles import add_role, container_roles, delete_role
from sandbox.keycloak.store import new_id, public
from sandbox.keycloak.users import add_user, user_rep
from sandbox.keycloak.web import created, json_body, no_content, ok, page, query_bool

CLIENT_DEFAULTS = {
    "surrogateAuthRequired": False,
    "enabled": True,
    "alwaysDisplayInConsole": False,
    "clientAuthenticatorType": "client-secret",
    "redirectUris": [],
    "webOrigins": [],
    "notBefore": 0,
    "bearerOnly": False,
    "consentRequired": False,
    "standardFlowEnabled": True,
    "implicitFlowEnabled": False,
    "directAccessGrantsEnabled": False,
    "serviceAccountsEnabled": False,
    "publicClient": False,
    "frontchannelLogout": True,
    "protocol": "openid-connect",
    "attributes": {},
    "authenticationFlowBindingOverrides": {},
    "fullScopeAllowed": True,
    "nodeReRegistrationTimeout": -1,
}
CLIENT_ACCESS = {"view": True, "configure": True, "manage": True}
READ_ONLY = ("id", "defaultClientScopes", "optionalClientScopes", "protocolMappers", "access")


def client_rep(realm, client):
    rep = public(client)
    rep["defaultClientScopes"] = _scope_names(realm, client["_default_scopes"])
    rep["optionalClientScopes"] = _scope_names(realm, client["_optional_scopes"])
    if not rep.get("protocolMappers"):
        rep.pop("protocolMappers", None)
    rep["access"] = dict(CLIENT_ACCESS)
    return rep


def _scope_names(realm, ids):
    return [realm["client_scopes"][sid]["name"] for sid in ids if sid in realm["client_scopes"]]


def client_by_id(realm, client_uuid):
    try:
        return realm["clients"][client_uuid]
    except KeyError:
        raise not_found("Could not find client") from None


def find_client(realm, client_id):
    return next((c for c in realm["clients"].values() if c["clientId"] == client_id), None)


def confidential(client):
    return not client["publicClient"] and not client["bearerOnly"]


def add_client(realm, rep):
    """Create a client from a ClientRepresentation, as ``POST /clients`` and realm import do."""
    client_id = rep.get("clientId")
    if not client_id:
        raise bad_request("Client id is missing")
    if find_client(realm, client_id):
        raise conflict(f"Client {client_id} already exists")
    client = {"id": rep.get("id") or new_id(), "clientId": client_id}
    client.update({key: value for key, value in CLIENT_DEFAULTS.items()})
    client.update({key: value for key, value in rep.items() if key not in READ_ONLY and value is not None})
    client["attributes"] = dict(rep.get("attributes") or {})
    client["_default_scopes"] = _scope_ids(realm, rep.get("defaultClientScopes"), realm["default_scopes"])
    client["_optional_scopes"] = _scope_ids(realm, rep.get("optionalClientScopes"), realm["optional_scopes"])
    realm["clients"][client["id"]] = client
    for mapper in rep.get("protocolMappers") or []:
        new_mapper(client, mapper)
    _settle(realm, client)
    return client


def _scope_ids(realm, names, default):
    if names is None:
        return list(default)
    scopes = [scope_by_name(realm, name) for name in names]
    return [scope["id"] for scope in scopes if scope is not None]


def _settle(realm, client):
    """Keep the secret and the service-account user in line with the client's settings."""
    if confidential(client) and not client.get("secret"):
        client["secret"] = secrets.token_urlsafe(24)
    if not confidential(client):
        client.pop("secret", None)
    if client["serviceAccountsEnabled"] and not service_account(realm, client):
        add_user(realm, {"username": f"service-account-{client['clientId']}", "enabled": True},
                 service_account_client=client["clientId"])


def service_account(realm, client):
    return next((u for u in realm["users"].values() if u.get("serviceAccountClientId") == client["clientId"]), None)


def update_client(realm, client, rep):
    new_client_id = rep.get("clientId")
    if new_client_id and new_client_id != client["clientId"]:
        if find_client(realm, new_client_id):
            raise conflict(f"Client {new_client_id} already exists")
        user = service_account(realm, client)
        if user:
            user["serviceAccountClientId"] = new_client_id
    client.update({key: value for key, value in rep.items() if key not in READ_ONLY and value is not None})
    if rep.get("defaultClientScopes") is not None:
        client["_default_scopes"] = _scope_ids(realm, rep["defaultClientScopes"], [])
    if rep.get("optionalClientScopes") is not None:
        client["_optional_scopes"] = _scope_ids(realm, rep["optionalClientScopes"], [])
    _settle(realm, client)


def remove_client(realm, client):
    for role in container_roles(realm, client["id"]):
        delete_role(realm, role["id"])
    user = service_account(realm, client)
    if user:
        del realm["users"][user["id"]]
    del realm["clients"][client["id"]]


def add_client_roles(realm, client, names, composites=None):
    """Create client roles by name; ``composites`` maps a role name to the names it contains."""
    roles = {name: add_role(realm, client["id"], {"name": name, "description": f"${{role_{name}}}"}, True)
             for name in names}
    for name, members in (composites or {}).items():
        roles[name]["_composites"] = [roles[member]["id"] for member in members]
    return roles


# -- handlers ---------------------------------------------------------------------------------

def list_clients(store, request):
    realm = store.realm(request.params["realm"])
    wanted = request.query.get("clientId")
    search = query_bool(request, "search")
    clients = sorted(realm["clients"].values(), key=lambda c: c["clientId"])
    if wanted:
        clients = [c for c in clients if (wanted.lower() in c["clientId"].lower() if search else c["clientId"] == wanted)]
    return ok([client_rep(realm, c) for c in page(clients, request)])


def create_client(store, request):
    realm = store.realm(request.params["realm"])
    return created(request, add_client(realm, json_body(request))["id"])


def get_client(store, request):
    realm = store.realm(request.params["realm"])
    return ok(client_rep(realm, client_by_id(realm, request.params["id"])))


def put_client(store, request):
    realm = store.realm(request.params["realm"])
    update_client(realm, client_by_id(realm, request.params["id"]), json_body(request))
    return no_content()


def delete_client(store, request):
    realm = store.realm(request.params["realm"])
    remove_client(realm, client_by_id(realm, request.params["id"]))
    return no_content()


def get_secret(store, request):
    realm = store.realm(request.params["realm"])
    client = client_by_id(realm, request.params["id"])
    body = {"type": "secret"}
    if client.get("secret"):
        body["value"] = client["secret"]
    return ok(body)


def regenerate_secret(store, request):
    realm = store.realm(request.params["realm"])
    client = client_by_id(realm, request.params["id"])
    if not confidential(client):
        raise bad_request("Client is not confidential")
    client["secret"] = secrets.token_urlsafe(24)
    return ok({"type": "secret", "value": client["secret"]})


def get_service_account(store, request):
    realm = store.realm(request.params["realm"])
    client = client_by_id(realm, request.params["id"])
    user = service_account(realm, client) if client["serviceAccountsEnabled"] else None
    if user is None:
        raise bad_request(f"Service account not enabled for the client '{client['clientId']}'")
    return ok(user_rep(realm, user))


def _links(request):
    return "_default_scopes" if "/default-client-scopes" in request.path else "_optional_scopes"


def list_client_scopes(store, request):
    realm = store.realm(request.params["realm"])
    client = client_by_id(realm, request.params["id"])
    ids = client[_links(request)]
    return ok([scope_link(realm["client_scopes"][sid]) for sid in ids if sid in realm["client_scopes"]])


def add_client_scope(store, request):
    realm = store.realm(request.params["realm"])
    client = client_by_id(realm, request.params["id"])
    scope = scope_by_id(realm, request.params["scope"])
    if scope["id"] not in client["_default_scopes"] + client["_optional_scopes"]:
        client[_links(request)].append(scope["id"])
    return no_content()


def remove_client_scope(store, request):
    realm = store.realm(request.params["realm"])
    client = client_by_id(realm, request.params["id"])
    scope = scope_by_id(realm, request.params["scope"])
    links = client[_links(request)]
    if scope["id"] in links:
        links.remove(scope["id"])
    return no_content()


BASE = "/admin/realms/{realm}/clients"
ROUTES = [
    ("GET", BASE, list_clients),
    ("POST", BASE, create_client),
    ("GET", BASE + "/{id}", get_client),
    ("PUT", BASE + "/{id}", put_client),
    ("DELETE", BASE + "/{id}", delete_client),
    ("GET", BASE + "/{id}/client-secret", get_secret),
    ("POST", BASE + "/{id}/client-secret", regenerate_secret),
    ("GET", BASE + "/{id}/service-account-user", get_service_account),
]
for _kind in ("default-client-scopes", "optional-client-scopes"):
    ROUTES += [
        ("GET", f"{BASE}/{{id}}/{_kind}", list_client_scopes),
        ("PUT", f"{BASE}/{{id}}/{_kind}/{{scope}}", add_client_scope),
        ("DELETE", f"{BASE}/{{id}}/{_kind}/{{scope}}", remove_client_scope),
    ]
