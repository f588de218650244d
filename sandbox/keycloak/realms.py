"""Realms: the default objects a new realm gets, the master realm, and realm CRUD."""

from sandbox.keycloak import settings
from sandbox.keycloak.client_scopes import add_builtin_scopes, add_scope
from sandbox.keycloak.clients import add_client, add_client_roles, find_client
from sandbox.keycloak.errors import ApiError, bad_request, conflict, forbidden
from sandbox.keycloak.groups import add_group
from sandbox.keycloak.idps import add_idp, add_idp_mapper
from sandbox.keycloak.roles import DEFAULT_REALM_ROLES, add_role, find_role, realm_container
from sandbox.keycloak.store import empty_realm, new_id
from sandbox.keycloak.users import add_user
from sandbox.keycloak.web import created, json_body, no_content, ok

REALM_DEFAULTS = {
    "notBefore": 0,
    "defaultSignatureAlgorithm": "RS256",
    "revokeRefreshToken": False,
    "refreshTokenMaxReuse": 0,
    "accessTokenLifespan": 300,
    "ssoSessionIdleTimeout": 1800,
    "ssoSessionMaxLifespan": 36000,
    "offlineSessionIdleTimeout": 2592000,
    "accessCodeLifespan": 60,
    "enabled": False,
    "sslRequired": "external",
    "registrationAllowed": False,
    "registrationEmailAsUsername": False,
    "rememberMe": False,
    "verifyEmail": False,
    "loginWithEmailAllowed": True,
    "duplicateEmailsAllowed": False,
    "resetPasswordAllowed": False,
    "editUsernameAllowed": False,
    "bruteForceProtected": False,
    "internationalizationEnabled": False,
    "eventsEnabled": False,
    "adminEventsEnabled": False,
    "attributes": {},
}
# What Keycloak derives from other objects, never stored in the realm representation.
DERIVED = ("id", "clients", "users", "groups", "roles", "clientScopes", "identityProviders",
           "identityProviderMappers", "defaultRole", "defaultDefaultClientScopes", "defaultOptionalClientScopes")

MANAGEMENT_ROLES = [
    "create-client", "impersonation", "manage-authorization", "manage-clients", "manage-events",
    "manage-identity-providers", "manage-realm", "manage-users", "query-clients", "query-groups",
    "query-realms", "query-users", "view-authorization", "view-clients", "view-events",
    "view-identity-providers", "view-realm", "view-users",
]
ACCOUNT_ROLES = ["manage-account", "manage-account-links", "view-profile", "view-applications",
                 "view-consent", "manage-consent", "delete-account", "view-groups"]
BUILTIN_CLIENTS = {
    "account": {"publicClient": True, "baseUrl": "/realms/{realm}/account/"},
    "account-console": {"publicClient": True, "baseUrl": "/realms/{realm}/account/"},
    "admin-cli": {"publicClient": True, "directAccessGrantsEnabled": True, "standardFlowEnabled": False},
    "broker": {"bearerOnly": True},
    "realm-management": {"bearerOnly": True},
    "security-admin-console": {"publicClient": True, "baseUrl": "/admin/{realm}/console/"},
}


def realm_rep(realm):
    rep = dict(REALM_DEFAULTS)
    rep.update(realm["rep"])
    role = find_role(realm, realm_container(realm), f"default-roles-{rep['realm'].lower()}")
    if role:
        rep["defaultRole"] = {"id": role["id"], "name": role["name"], "description": role["description"],
                              "composite": True, "clientRole": False, "containerId": rep["id"]}
    return rep


def new_realm(store, rep):
    """Create a realm with Keycloak's default clients, roles and scopes, then import ``rep``'s objects."""
    name = rep.get("realm")
    if not name or not isinstance(name, str) or "/" in name:
        raise bad_request("Realm name is missing or invalid")
    if name in store.realms:
        raise conflict("Conflict detected. See logs for details")
    stored = {key: value for key, value in rep.items() if key not in DERIVED and value is not None}
    stored["id"] = rep.get("id") or (name if name == "master" else new_id())
    realm = empty_realm(stored)
    store.realms[name] = realm
    try:
        _add_defaults(realm, name)
        _import(realm, rep)
    except ApiError:
        del store.realms[name]
        raise
    return realm


def _add_defaults(realm, name):
    add_builtin_scopes(realm)
    for client_id, settings_ in BUILTIN_CLIENTS.items():
        extra = {key: value.replace("{realm}", name) if isinstance(value, str) else value
                 for key, value in settings_.items()}
        add_client(realm, {"clientId": client_id, "name": f"${{client_{client_id}}}", **extra})
    management = find_client(realm, "realm-management")
    add_client_roles(realm, management, MANAGEMENT_ROLES + ["realm-admin"], {
        "realm-admin": MANAGEMENT_ROLES,
        "view-users": ["query-users", "query-groups"],
        "view-clients": ["query-clients"],
    })
    account_roles = add_client_roles(realm, find_client(realm, "account"), ACCOUNT_ROLES, {
        "manage-account": ["manage-account-links"],
        "manage-consent": ["view-consent"],
    })
    add_client_roles(realm, find_client(realm, "broker"), ["read-token"])
    container = realm_container(realm)
    members = [add_role(realm, container, {"name": role, "description": desc})["id"]
               for role, desc in DEFAULT_REALM_ROLES.items()]
    default = add_role(realm, container, {"name": f"default-roles-{name.lower()}",
                                          "description": "${role_default-roles}"})
    default["_composites"] = members + [account_roles["view-profile"]["id"], account_roles["manage-account"]["id"]]


def _import(realm, rep):
    """The nested objects a RealmRepresentation may carry (a partial realm import)."""
    container = realm_container(realm)
    roles = rep.get("roles") or {}
    for role in roles.get("realm") or []:
        if not find_role(realm, container, role.get("name")):
            add_role(realm, container, role)
    for scope in rep.get("clientScopes") or []:
        add_scope(realm, scope)
    for client in rep.get("clients") or []:
        add_client(realm, client)
    for client_id, client_roles in (roles.get("client") or {}).items():
        client = find_client(realm, client_id)
        if client is None:
            raise bad_request(f"Client {client_id} not found for its roles")
        for role in client_roles:
            add_role(realm, client["id"], role, client_role=True)
    for group in rep.get("groups") or []:
        add_group(realm, group)
    for user in rep.get("users") or []:
        add_user(realm, user)
    for idp in rep.get("identityProviders") or []:
        add_idp(realm, idp)
    for mapper in rep.get("identityProviderMappers") or []:
        add_idp_mapper(realm, mapper.get("identityProviderAlias"), mapper)


def seed_master(store, admin_user=settings.ADMIN_USER, admin_password=settings.ADMIN_PASSWORD):
    """The master realm with its ``admin`` role and administrator, as a fresh Keycloak has them."""
    realm = new_realm(store, {"realm": "master", "displayName": "Keycloak", "enabled": True,
                              "accessTokenLifespan": settings.ACCESS_TOKEN_LIFESPAN})
    container = realm_container(realm)
    create_realm_role = add_role(realm, container, {"name": "create-realm", "description": "${role_create-realm}"})
    admin_role = add_role(realm, container, {"name": "admin", "description": "${role_admin}"})
    management = find_client(realm, "realm-management")
    admin_role["_composites"] = [create_realm_role["id"]] + [
        role["id"] for role in realm["roles"].values() if role["containerId"] == management["id"]
    ]
    add_user(realm, {"username": admin_user, "enabled": True, "realmRoles": ["admin"],
                     "credentials": [{"type": "password", "value": admin_password, "temporary": False}]})
    return realm


# -- handlers ---------------------------------------------------------------------------------

def list_realms(store, request):
    visible = [realm for name, realm in store.realms.items() if request.identity.can_see(name)]
    return ok([realm_rep(realm) for realm in visible])


def create_realm(store, request):
    if not request.identity.can_create_realms():
        raise forbidden()
    realm = new_realm(store, json_body(request))
    return created(request, realm["rep"]["realm"])


def get_realm(store, request):
    return ok(realm_rep(store.realm(request.params["realm"])))


def update_realm(store, request):
    name = request.params["realm"]
    realm = store.realm(name)
    rep = json_body(request)
    new_name = rep.get("realm") or name
    if new_name != name:
        if new_name in store.realms:
            raise conflict("Conflict detected. See logs for details")
        store.realms[new_name] = store.realms.pop(name)
    realm["rep"].update({key: value for key, value in rep.items() if key not in DERIVED and value is not None})
    realm["rep"]["realm"] = new_name
    return no_content()


def delete_realm(store, request):
    name = request.params["realm"]
    store.realm(name)
    if name == "master":
        raise bad_request("Can't delete master realm")
    del store.realms[name]
    return no_content()


ROUTES = [
    ("GET", "/admin/realms", list_realms),
    ("POST", "/admin/realms", create_realm),
    ("GET", "/admin/realms/{realm}", get_realm),
    ("PUT", "/admin/realms/{realm}", update_realm),
    ("DELETE", "/admin/realms/{realm}", delete_realm),
]
