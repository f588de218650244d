# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Keycloak base: shared connection options, python-keycloak's connection, errors as messages.

The options are documented by the ``azimuth.ops.keycloak`` doc fragment.  python-keycloak's
``KeycloakOpenIDConnection`` holds the HTTP session and the token: it gets one token on the first
request of the module run and gets another only when that one expires or a request answers 401.
``KeycloakCalls`` sends Admin REST requests over it and turns every failure into
``KeycloakApiError``; ``describe_error`` is the one place that words errors for people.  Threads
may share one ``KeycloakCalls``: the token is renewed under a lock, once however many threads find
it expired or refused.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import threading
import traceback
from datetime import datetime, timezone

from ansible.module_utils.basic import env_fallback, missing_required_lib
from urllib.parse import quote

from ansible_collections.azimuth.ops.plugins.module_utils.common._module import BaseModule, ModuleError

try:
    from keycloak import KeycloakOpenIDConnection
    from keycloak.connection import ConnectionManager
    from keycloak.exceptions import KeycloakConnectionError, KeycloakError
except ImportError:
    KEYCLOAK_IMPORT_ERROR = traceback.format_exc()
    ConnectionManager = None

    class KeycloakError(Exception):
        """Stands in for python-keycloak's error when it is missing (the module stops first)."""

    KeycloakConnectionError = KeycloakError
else:
    KEYCLOAK_IMPORT_ERROR = None

KEYCLOAK_ARGUMENT_SPEC = dict(
    auth_keycloak_url=dict(type="str", aliases=["url"], no_log=False, fallback=(env_fallback, ["KEYCLOAK_URL"])),
    auth_realm=dict(type="str", default="master", fallback=(env_fallback, ["KEYCLOAK_REALM"])),
    auth_client_id=dict(type="str", default="admin-cli", fallback=(env_fallback, ["KEYCLOAK_CLIENT_ID"])),
    auth_client_secret=dict(type="str", no_log=True, fallback=(env_fallback, ["KEYCLOAK_CLIENT_SECRET"])),
    auth_username=dict(type="str", aliases=["username"], fallback=(env_fallback, ["KEYCLOAK_ADMIN_USER", "KEYCLOAK_USER"])),
    auth_password=dict(type="str", no_log=True, aliases=["password"],
                       fallback=(env_fallback, ["KEYCLOAK_ADMIN_PASSWORD", "KEYCLOAK_PASSWORD"])),
    token=dict(type="str", no_log=True, fallback=(env_fallback, ["KEYCLOAK_TOKEN"])),
    validate_certs=dict(type="bool", default=True, fallback=(env_fallback, ["KEYCLOAK_VALIDATE_CERTS"])),
    ca_cert=dict(type="path", fallback=(env_fallback, ["KEYCLOAK_CA_CERT"])),
    connection_timeout=dict(type="int", default=10, fallback=(env_fallback, ["KEYCLOAK_CONNECTION_TIMEOUT"])),
)

# A given token is used until Keycloak refuses it: python-keycloak needs a lifetime, so a long one.
GIVEN_TOKEN_LIFETIME = 10 ** 8


class KeycloakApiError(Exception):
    """A Keycloak request that failed: what was asked, the HTTP status and Keycloak's own words."""

    def __init__(self, method, path, status, message):
        super(KeycloakApiError, self).__init__("%s %s: HTTP %s: %s" % (method, path, status, message))
        self.method, self.path, self.status, self.message = method, path, status, message


class KeycloakLoginError(Exception):
    """The token request failed: wrong credentials, or a client that may not log in."""


def server_message(response):
    """Keycloak's explanation in an error response (its JSON error fields, else the body text)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        parts = [body.get(key) for key in ("errorMessage", "error", "error_description") if body.get(key)]
        if parts:
            return ": ".join(str(part) for part in parts)
    text = (response.text or "").strip()
    return text[:300] or response.reason or "no explanation"


def _root_cause(exc):
    """The innermost reason of a connection failure, without the pool and object names."""
    while exc.__cause__ is not None or getattr(exc, "reason", None) is not None:
        exc = exc.__cause__ if exc.__cause__ is not None else exc.reason
        if isinstance(exc, str):
            return exc
    if exc.args and isinstance(exc.args[0], Exception):
        return _root_cause(exc.args[0])
    text = str(exc)
    return text.split(">: ", 1)[-1] if text.startswith("<") else text


def describe_error(exc):
    """One line for a Keycloak failure, or None when ``exc`` is not one."""
    if isinstance(exc, KeycloakApiError) and exc.status == 401:
        return "%s (Keycloak refused the token)" % exc
    if isinstance(exc, (KeycloakApiError, KeycloakLoginError)):
        return str(exc)
    if isinstance(exc, KeycloakConnectionError):
        return "could not reach Keycloak: %s" % _root_cause(exc)
    if isinstance(exc, KeycloakError):
        return "HTTP %s: %s" % (exc.response_code, exc.error_message)
    return None


def translate_error(exc):
    """The module message for a Keycloak exception, or None for any other."""
    description = describe_error(exc)
    return None if description is None else "Keycloak request failed: %s" % description


def realm_path(realm, *parts):
    """The Admin REST path of ``realm`` (or of something in it), names URL-quoted."""
    return "/".join(["admin", "realms", quote(realm, safe="")] + [str(part) for part in parts])


def check_connection_options(params):
    """Raise ModuleError unless the options name a server and a way to log in."""
    if not params.get("auth_keycloak_url"):
        raise ModuleError("auth_keycloak_url is required (or the environment variable KEYCLOAK_URL)")
    has_user = params.get("auth_username") and params.get("auth_password")
    if not (params.get("token") or has_user or params.get("auth_client_secret")):
        raise ModuleError("Keycloak needs credentials: auth_username and auth_password (or KEYCLOAK_ADMIN_USER and "
                          "KEYCLOAK_ADMIN_PASSWORD), auth_client_secret for a service-account client, or token")


def connection(params):
    """python-keycloak's connection from the module options; nothing is sent yet."""
    kwargs = dict(
        server_url=params["auth_keycloak_url"].rstrip("/") + "/",
        realm_name=params["auth_realm"],
        user_realm_name=params["auth_realm"],
        client_id=params["auth_client_id"],
        client_secret_key=params.get("auth_client_secret"),
        verify=params.get("ca_cert") or params["validate_certs"],
        timeout=params["connection_timeout"],
        max_retries=0,
    )
    if params.get("auth_username") and params.get("auth_password"):
        kwargs.update(username=params["auth_username"], password=params["auth_password"])
    if params.get("token"):
        kwargs["token"] = {"access_token": params["token"], "expires_in": GIVEN_TOKEN_LIFETIME}
    return KeycloakOpenIDConnection(**kwargs)


class KeycloakCalls:
    """Admin REST requests over one python-keycloak connection; bodies are plain JSON data.

    Paths are relative to the server URL (``admin/realms/...``, see ``realm_path``).  Every
    failure raises KeycloakApiError (or python-keycloak's connection error); a read with
    ``missing_ok`` returns None on 404.  Requests go out through python-keycloak's plain
    connection manager; the token is renewed here, under a lock (python-keycloak's own renewal
    is not safe for threads that share the connection).
    """

    def __init__(self, conn, login_description):
        self.conn = conn
        self.login_description = login_description
        self._token_lock = threading.Lock()

    def log_in(self):
        """Get the run's token now, so that bad credentials are reported as such."""
        if self.conn.token is not None:
            return
        try:
            self.conn.get_token()
        except KeycloakError as exc:
            if isinstance(exc, KeycloakConnectionError):
                raise
            body = exc.response_body.decode("utf-8", "replace") if isinstance(exc.response_body, bytes) else exc.response_body
            try:
                detail = json.loads(body)
                detail = ": ".join(str(detail[key]) for key in ("error", "error_description") if detail.get(key))
            except (TypeError, ValueError, AttributeError):
                detail = exc.error_message
            if exc.response_code == 404:
                raise KeycloakLoginError(self._not_found_hint())
            raise KeycloakLoginError("Keycloak refused to log in %s: HTTP %s: %s"
                                     % (self.login_description, exc.response_code, detail))

    def _not_found_hint(self):
        """What a 404 from the token endpoint means: most often a URL with the ``/auth`` path of Keycloak before 17."""
        url = self.conn.server_url.rstrip("/")
        message = "the token endpoint of realm %s was not found (HTTP 404) under %s" % (self.conn.realm_name, url)
        if url.endswith("/auth"):
            message += ("; Keycloak 17 and later serve no /auth path (unless started with --http-relative-path=/auth): "
                        "try %s" % url[:-len("/auth")])
        return message + "; check auth_keycloak_url and auth_realm"

    def _current_token(self):
        """The token to send: renewed first when it has expired (by one thread; the others wait for it)."""
        with self._token_lock:
            expires = self.conn.expires_at
            if self.conn.token is not None and expires is not None and datetime.now(tz=timezone.utc) >= expires:
                self.conn.refresh_token()
            return self.conn.token

    def _renew(self, refused):
        """Renew the token Keycloak refused, unless another thread has renewed it meanwhile."""
        with self._token_lock:
            if self.conn.token is refused:
                self.conn.refresh_token()

    def _send(self, method, path, body=None, params=None, missing_ok=False):
        send = getattr(ConnectionManager, "raw_" + method.lower())
        kwargs = dict(params or {})
        if method in ("POST", "PUT"):
            kwargs["data"] = json.dumps(body) if body is not None else ""
        token = self._current_token()
        response = send(self.conn, path, **kwargs)
        if response.status_code == 401 and token is not None:
            self._renew(token)
            response = send(self.conn, path, **kwargs)
        if missing_ok and response.status_code == 404:
            return None
        if response.status_code >= 400:
            raise KeycloakApiError(method, path, response.status_code, server_message(response))
        return response

    @staticmethod
    def _json(method, path, response):
        """The answer's JSON (None without a body); one that is cut short or garbled is said plainly."""
        if response is None or not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise KeycloakApiError(method, path, response.status_code,
                                   "the answer is not complete JSON (%d bytes; %s)" % (len(response.content), exc))

    def _read(self, method, path, params, missing_ok=False):
        """A request that changes nothing; an answer cut short is asked for once more before it fails."""
        try:
            return self._json(method, path, self._send(method, path, params=params, missing_ok=missing_ok))
        except KeycloakApiError as exc:
            if exc.status >= 400:
                raise
        return self._json(method, path, self._send(method, path, params=params, missing_ok=missing_ok))

    def get(self, path, missing_ok=False, **params):
        return self._read("GET", path, params, missing_ok)

    def export(self, realm, **params):
        """The realm's partial export: a POST that only reads."""
        return self._read("POST", realm_path(realm, "partial-export"), params)

    def post(self, path, body, **params):
        """POST; returns (the response JSON or None, the ID at the end of a ``Location`` header or None)."""
        response = self._send("POST", path, body, params=params)
        location = response.headers.get("Location") or ""
        return self._json("POST", path, response), (location.rstrip("/").rsplit("/", 1)[-1] or None) if location else None

    def put(self, path, body):
        return self._json("PUT", path, self._send("PUT", path, body))

    def delete(self, path):
        """DELETE; False when it was already gone."""
        return self._send("DELETE", path, missing_ok=True) is not None


def login_description(params):
    if params.get("token") and not (params.get("auth_username") and params.get("auth_password")):
        return "with the given token"
    if params.get("auth_username") and params.get("auth_password"):
        return "user %s (client %s, realm %s)" % (params["auth_username"], params["auth_client_id"], params["auth_realm"])
    return "client %s (realm %s)" % (params["auth_client_id"], params["auth_realm"])


class KeycloakModule(BaseModule):
    """Base for modules that talk to Keycloak; ``self.keycloak`` (KeycloakCalls) is logged in when ``run()`` starts."""

    base_argument_spec = KEYCLOAK_ARGUMENT_SPEC

    def __init__(self):
        super(KeycloakModule, self).__init__()
        if KEYCLOAK_IMPORT_ERROR:
            self.module.fail_json(msg=missing_required_lib("python-keycloak"), exception=KEYCLOAK_IMPORT_ERROR)
        self.keycloak = None

    @property
    def server_url(self):
        return self.params["auth_keycloak_url"].rstrip("/")

    def connect(self):
        check_connection_options(self.params)
        self.keycloak = KeycloakCalls(connection(self.params), login_description(self.params))
        self.keycloak.log_in()

    def translate(self, exc):
        return translate_error(exc)

    def translate_connect(self, exc):
        if isinstance(exc, (KeycloakError, KeycloakLoginError)):
            return "Could not log in to Keycloak at %s: %s" % (self.server_url, describe_error(exc))
        return None
