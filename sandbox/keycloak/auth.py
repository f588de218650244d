"""The token endpoint (password, client_credentials, refresh_token grants) and who a bearer is.

Admin access follows Keycloak's model: a user of the master realm with the ``admin`` role may
administer every realm; a user or service account of realm R with ``realm-management`` roles
may administer R (``realm-admin`` / ``manage-*`` for writes, ``view-*`` / ``query-*`` to read).
"""

import base64
from dataclasses import dataclass, field
from urllib.parse import unquote

from sandbox.keycloak import passwords, settings, tokens
from sandbox.keycloak.clients import confidential, find_client, service_account
from sandbox.keycloak.errors import ApiError, oauth_error, unauthorized
from sandbox.keycloak.role_mappings import effective_role_ids
from sandbox.keycloak.roles import realm_container
from sandbox.keycloak.store import new_id
from sandbox.keycloak.users import find_user
from sandbox.keycloak.web import ok


@dataclass
class Lifespans:
    access: int = settings.ACCESS_TOKEN_LIFESPAN
    refresh: int = settings.REFRESH_TOKEN_LIFESPAN


LIFESPANS = Lifespans()


@dataclass
class Identity:
    """The bearer of an admin request: its realm and the admin roles it holds."""

    realm: str
    username: str
    master_admin: bool = False
    management_roles: set = field(default_factory=set)

    def can_see(self, realm):
        return self.master_admin or (realm == self.realm and bool(self.management_roles))

    def can_create_realms(self):
        return self.master_admin

    def may(self, realm, method):
        if self.master_admin:
            return True
        if realm != self.realm:
            return False
        writers = {"realm-admin"} | {r for r in self.management_roles if r.startswith("manage-")}
        return bool(self.management_roles & writers) or (method == "GET" and bool(self.management_roles))


def issuer(request, realm_name):
    return f"{request.base_url}/realms/{realm_name}"


def identify(store, request):
    """The Identity behind the request's bearer token, or 401."""
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("bearer "):
        raise unauthorized()
    claims = tokens.decode(header[7:].strip(), store.secret)
    if not claims or claims.get("typ") != "Bearer":
        raise unauthorized()
    realm_name = claims.get("iss", "").rsplit("/", 1)[-1]
    realm = store.realms.get(realm_name)
    user = realm["users"].get(claims.get("sub")) if realm else None
    if user is None or not user["enabled"]:
        raise unauthorized()
    return _identity(realm, realm_name, user)


def _identity(realm, realm_name, user):
    roles = [realm["roles"][rid] for rid in effective_role_ids(realm, user)]
    management = find_client(realm, "realm-management")
    names = {r["name"] for r in roles if management and r["containerId"] == management["id"]}
    is_admin = realm_name == "master" and any(
        r["name"] == "admin" and r["containerId"] == realm_container(realm) for r in roles)
    return Identity(realm_name, user["username"], is_admin, names)


# -- the token endpoint -------------------------------------------------------------------------

def token_endpoint(store, request):
    realm_name = request.params["realm"]
    realm = store.realms.get(realm_name)
    if realm is None:
        raise ApiError(404, {"error": "Realm does not exist"})
    client = _authenticate_client(realm, request)
    grant = request.form.get("grant_type")
    if grant == "password":
        user = _password_user(realm, client, request.form)
        return ok(_token_response(store, request, realm_name, client, user, refresh=True))
    if grant == "client_credentials":
        user = _service_account_user(realm, client)
        return ok(_token_response(store, request, realm_name, client, user, refresh=False))
    if grant == "refresh_token":
        user = _refresh_user(store, realm, client, request.form.get("refresh_token", ""))
        return ok(_token_response(store, request, realm_name, client, user, refresh=True))
    raise oauth_error(400, "unsupported_grant_type", "Unsupported grant_type")


def _client_credentials(request):
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        return unquote(client_id), unquote(secret)
    return request.form.get("client_id"), request.form.get("client_secret")


def _authenticate_client(realm, request):
    client_id, secret = _client_credentials(request)
    client = find_client(realm, client_id or "")
    if client is None or not client["enabled"]:
        raise oauth_error(401, "invalid_client", "Invalid client or Invalid client credentials")
    if client["bearerOnly"]:
        raise oauth_error(400, "invalid_client", "Bearer-only not allowed")
    if confidential(client) and secret != client.get("secret"):
        raise oauth_error(401, "unauthorized_client", "Invalid client or Invalid client credentials")
    return client


def _password_user(realm, client, form):
    if not client["directAccessGrantsEnabled"]:
        raise oauth_error(400, "unauthorized_client", "Client not allowed for direct access grants")
    user = find_user(realm, form.get("username"))
    if user is None or "serviceAccountClientId" in user or not passwords.check(user["_password"], form.get("password")):
        raise oauth_error(401, "invalid_grant", "Invalid user credentials")
    if not user["enabled"]:
        raise oauth_error(400, "invalid_grant", "Account disabled")
    if user["requiredActions"]:
        raise oauth_error(400, "invalid_grant", "Account is not fully set up")
    return user


def _service_account_user(realm, client):
    user = service_account(realm, client) if client["serviceAccountsEnabled"] else None
    if user is None or not confidential(client):
        raise oauth_error(401, "unauthorized_client", "Client not enabled to retrieve service account")
    return user


def _refresh_user(store, realm, client, refresh_token):
    claims = tokens.decode(refresh_token, store.secret)
    if not claims or claims.get("typ") != "Refresh":
        raise oauth_error(400, "invalid_grant", "Token is not active")
    if claims.get("azp") != client["clientId"]:
        raise oauth_error(400, "invalid_grant", "Invalid refresh token. Token client and authorized client don't match")
    user = realm["users"].get(claims.get("sub"))
    if user is None or not user["enabled"]:
        raise oauth_error(400, "invalid_grant", "Session not active")
    return user


def _token_response(store, request, realm_name, client, user, refresh):
    iss = issuer(request, realm_name)
    session = new_id()
    common = {"sid": session, "preferred_username": user["username"], "email_verified": user["emailVerified"]}
    if user.get("email"):
        common["email"] = user["email"]
    access = tokens.claims(iss, user["id"], client["clientId"], "Bearer", LIFESPANS.access,
                           scope="openid profile email", **common)
    body = {
        "access_token": tokens.encode(access, store.secret),
        "expires_in": LIFESPANS.access,
        "refresh_expires_in": LIFESPANS.refresh if refresh else 0,
        "token_type": "Bearer",
        "id_token": tokens.encode(tokens.claims(iss, user["id"], client["clientId"], "ID", LIFESPANS.access,
                                                aud=client["clientId"], **common), store.secret),
        "not-before-policy": 0,
        "scope": "openid profile email",
    }
    if refresh:
        body["refresh_token"] = tokens.encode(
            tokens.claims(iss, user["id"], client["clientId"], "Refresh", LIFESPANS.refresh, sid=session), store.secret)
        body["session_state"] = session
    return body


def well_known(store, request):
    realm_name = request.params["realm"]
    if realm_name not in store.realms:
        raise ApiError(404, {"error": "Realm does not exist"})
    iss = issuer(request, realm_name)
    oidc = f"{iss}/protocol/openid-connect"
    return ok({
        "issuer": iss,
        "authorization_endpoint": f"{oidc}/auth",
        "token_endpoint": f"{oidc}/token",
        "userinfo_endpoint": f"{oidc}/userinfo",
        "end_session_endpoint": f"{oidc}/logout",
        "jwks_uri": f"{oidc}/certs",
        "grant_types_supported": ["password", "client_credentials", "refresh_token"],
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["HS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
    })


def userinfo(store, request):
    identity_realm = store.realms.get(request.params["realm"])
    header = request.headers.get("authorization", "")
    claims = tokens.decode(header[7:].strip(), store.secret) if header.lower().startswith("bearer ") else None
    user = identity_realm["users"].get(claims.get("sub")) if identity_realm and claims else None
    if user is None or claims.get("iss") != issuer(request, request.params["realm"]):
        raise oauth_error(401, "invalid_token", "Token verification failed")
    body = {"sub": user["id"], "preferred_username": user["username"], "email_verified": user["emailVerified"]}
    for claim, key in (("email", "email"), ("given_name", "firstName"), ("family_name", "lastName")):
        if user.get(key):
            body[claim] = user[key]
    return ok(body)


ROUTES = [
    ("POST", "/realms/{realm}/protocol/openid-connect/token", token_endpoint),
    ("GET", "/realms/{realm}/protocol/openid-connect/userinfo", userinfo),
    ("GET", "/realms/{realm}/.well-known/openid-configuration", well_known),
]
