"""The HTTP side: parse a request, count it, maybe inject a fault, authenticate, route, answer."""

import json
import socket
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from sandbox.keycloak import auth, client_scopes, clients, groups, idps, protocol_mappers, realms
from sandbox.keycloak import role_mappings, roles, users
from sandbox.keycloak.control import Control
from sandbox.keycloak.errors import ApiError, forbidden, status_body
from sandbox.keycloak.routing import Router
from sandbox.keycloak.web import Request, Response

API_ROUTES = (auth.ROUTES + realms.ROUTES + groups.ROUTES + users.ROUTES + clients.ROUTES
              + client_scopes.ROUTES + protocol_mappers.ROUTES + idps.ROUTES + roles.ROUTES
              + role_mappings.ROUTES)


class KeycloakHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "KeycloakSandbox/23"

    def setup(self):
        super().setup()
        # Headers and body go out in separate writes: without this, Nagle's algorithm and the
        # client's delayed ACK add ~40 ms to every keep-alive response.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self):
        self.handle_any()

    do_POST = do_PUT = do_DELETE = do_GET

    def handle_any(self):
        app = self.server.app
        request = self.parse()
        if request.path.startswith("/_sandbox/"):
            self.send(app.control_call(request))
            return
        route, params = app.api.resolve(request.method, request.path)
        app.control.count(request.method, route.template if route else None)
        fault = app.control.take_fault(request.method, request.path)
        if fault and fault["timeout"] is not None:
            time.sleep(float(fault["timeout"]))
            self.close_connection = True
            return
        if fault:
            self.send(Response(int(fault["status"]), status_body(int(fault["status"]))))
            return
        self.send(app.api_call(request, route, params))

    def parse(self):
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = {key.lower(): value for key, value in self.headers.items()}
        request = Request(
            method=self.command,
            path=url.path,
            params={},
            query={key: values[0] for key, values in parse_qs(url.query, keep_blank_values=True).items()},
            body=None,
            headers=headers,
            base_url=f"http://{self.headers.get('Host') or '%s:%d' % self.server.server_address[:2]}",
        )
        if "x-www-form-urlencoded" in headers.get("content-type", ""):
            request.form = {k: v[0] for k, v in parse_qs(raw.decode(), keep_blank_values=True).items()}
        elif raw.strip():
            try:
                request.body = json.loads(raw)
            except ValueError:
                request.body = ValueError
        return request

    def send(self, response):
        payload = b"" if response.body is None else json.dumps(response.body).encode()
        self.send_response(response.status)
        for key, value in response.headers.items():
            self.send_header(key, value)
        if payload:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        if self.server.app.verbose:
            super().log_message(format, *args)


class App:
    """Routing tables, the store and the control state, shared by all handler threads."""

    def __init__(self, store, verbose=False):
        self.store = store
        self.control = Control()
        self.api = Router(API_ROUTES)
        self.control_router = Router(self.control.routes())
        self.verbose = verbose

    def control_call(self, request):
        route, _params = self.control_router.resolve(request.method, request.path)
        if route is None:
            return Response(404, {"error": "HTTP 404 Not Found"})
        return _answer(lambda: route.handler(request))

    def api_call(self, request, route, params):
        if route is None:
            status = 404 if params is None else 405
            return Response(status, status_body(status))
        request.params = params
        if request.body is ValueError:
            return Response(400, {"error": "HTTP 400 Bad Request"})
        with self.store.lock:
            response = _answer(lambda: self._authorised(route, request))
            if request.method != "GET" and response.status < 300 and request.path.startswith("/admin/"):
                self.store.mark_dirty()
        return response

    def _authorised(self, route, request):
        if request.path.startswith("/admin/"):
            request.identity = auth.identify(self.store, request)
            realm = request.params.get("realm")
            if realm is not None and not request.identity.may(realm, request.method):
                raise forbidden()
        return route.handler(self.store, request)


def _answer(call):
    try:
        return call()
    except ApiError as error:
        return Response(error.status, error.body, error.headers)


def make_server(host, port, app):
    ThreadingHTTPServer.allow_reuse_address = True
    server = ThreadingHTTPServer((host, port), KeycloakHandler)
    server.daemon_threads = True
    server.app = app
    return server
