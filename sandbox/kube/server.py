"""The HTTPS layer: TLS, bearer-token auth, the control endpoints, counting and faults."""

import hmac
import logging
import ssl
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from sandbox.kube import tls
from sandbox.kube.api import PUBLIC_PATHS, Answer, Api, count_pattern
from sandbox.kube.control import Control, fault_status
from sandbox.kube.errors import ApiError
from sandbox.kube.objects import Objects
from sandbox.kube.store import Store

LOG = logging.getLogger("sandbox.kube")
UNAUTHORIZED = ApiError(401, "Unauthorized")


class Handler(BaseHTTPRequestHandler):
    """One connection; every method goes through :meth:`dispatch`."""

    protocol_version = "HTTP/1.1"
    server_version = "sandbox-kube-apiserver"
    disable_nagle_algorithm = True

    def do_GET(self):  # noqa: N802 (the names http.server wants)
        self.dispatch()

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        LOG.info("%s %s", self.address_string(), format % args)

    def _read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                chunk = self.rfile.read(size + 2)[:size]
                if not size:
                    return b"".join(chunks)
                chunks.append(chunk)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, answer):
        payload = answer.payload()
        self.send_response(answer.code)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Cache-Control", "no-cache, private")
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _authorized(self, path):
        if path in PUBLIC_PATHS:
            return True
        header = self.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(token.strip(), self.server.token)

    def dispatch(self):
        url = urlsplit(self.path)
        url = url._replace(path="/" + url.path.strip("/"))
        raw = self._read_body()
        if url.path.startswith("/_sandbox/"):
            self._control(url.path, raw)
            return
        self.server.control.count(self.command, count_pattern(url.path))
        fault = self.server.control.take_fault(self.command, url.path)
        if fault and fault["timeout"] is not None:
            time.sleep(fault["timeout"])
            self.close_connection = True
            return
        if fault:
            self._send(Answer(fault["status"], fault_status(fault["status"])))
        elif not self._authorized(url.path):
            self._send(Answer(401, UNAUTHORIZED.status()))
        else:
            self._send(self._answer(url, raw))

    def _answer(self, url, raw):
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        try:
            with self.server.store.lock:
                answer = self.server.api.handle(self.command, url.path, query, self.headers, raw)
                answer.body = answer.payload()  # serialise while the objects cannot change
        except Exception as exc:  # pylint: disable=broad-except
            LOG.exception("internal error on %s %s", self.command, self.path)
            return Answer(500, ApiError(500, f"Internal error occurred: {exc}").status())
        return answer

    def _control(self, path, raw):
        try:
            code, body = self.server.control.handle(self.command, path, raw)
        except ApiError as error:
            code, body = error.code, error.status()
        self._send(Answer(code, body))


class KubeServer(ThreadingHTTPServer):
    """The emulator: an HTTPS server around the store, the API and the control endpoints."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, state_dir, host="127.0.0.1", port=6443):
        state_dir = Path(state_dir)
        creds = tls.ensure(state_dir, host, port)
        super().__init__((host, port), Handler)
        self.token = creds.token
        self.control = Control()
        self.store = Store(state_dir / "state.json")
        objects = Objects(self.store, creds.ca_cert.read_text())
        self.api = Api(self.store, objects, f"{host}:{port}")
        if not self.store.load():
            objects.bootstrap(self.store.registry)
            self.store.flush()
        self.store.start_saver()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(creds.server_cert, creds.server_key)
        self.socket = context.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)

    def handle_error(self, request, client_address):
        LOG.exception("error serving %s", client_address)
