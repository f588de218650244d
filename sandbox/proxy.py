"""A counting, fault-injecting HTTP reverse proxy in front of one real server, for tests and benchmarks.

A test starts one in-process (``with RecordingProxy(upstream) as proxy:``) on a free port of
127.0.0.1 and points its client at ``proxy.url``; the shared server behind it never changes.

- Requests go upstream unchanged (method, path, query, headers, body) except for ``Host`` and the
  hop-by-hop headers; responses come back streamed (a chunked watch is relayed chunk by chunk).
  What names the upstream's base URL is rewritten to name the proxy: the ``Location`` and
  ``Content-Location`` headers always, and with ``rewrite_bodies`` JSON and text bodies too, which
  are then read whole before they are relayed (Keystone's catalog, the links of Neutron and
  Keycloak; never for kube, whose watches must stream).  ``links`` adds more
  base URLs to rewrite, so that a Keystone proxy can send openstacksdk to a Neutron proxy.
- ``counts()`` gives ``{"METHOD /path": n}`` (no query string) for every request received since
  the start or ``reset_counts()``, faulted ones included; a Kubernetes dry run (``dryRun=All`` in the
  query) as ``{"DRYRUN METHOD /path": n}``, which ``writes()`` leaves out and ``dry_runs()`` gives.
- ``inject_fault(count, status=... | timeout=..., method=None, path_regex=None)``: the next
  ``count`` matching requests get that status with the server's kind of error body (``errors``
  picks it: kube, keystone, neutron, keycloak) or hang ``timeout`` seconds and are then dropped
  unanswered; none of them reaches the server.
- Over TLS on either side: ``ca_file`` verifies an HTTPS upstream; ``cert_file``/``key_file`` make
  the proxy itself serve HTTPS (for kube, the kube-apiserver's own serving certificate, so the
  kubeconfig's CA stays valid).
"""

import contextlib
import gzip
import http.client
import json
import re
import ssl
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
DRY_RUN = "DRYRUN "
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
              "transfer-encoding", "upgrade", "proxy-connection"}
UPSTREAM_TIMEOUT = 600


def writes(counts):
    """The write requests among ``counts`` (route -> number)."""
    return {route: count for route, count in counts.items() if route.split(" ", 1)[0] in WRITE_METHODS}


def dry_runs(counts):
    """The Kubernetes dry-run requests (``dryRun=All``) among ``counts``, which write nothing."""
    return {route: count for route, count in counts.items() if route.startswith(DRY_RUN)}


def route_of(method, target):
    """The key ``counts()`` files a request under: ``METHOD /path``, prefixed ``DRYRUN `` for a dry run."""
    parts = urlsplit(target)
    dry = "All" in parse_qs(parts.query).get("dryRun", [])
    return f"{DRY_RUN if dry else ''}{method} {parts.path}"


# --- faults ----------------------------------------------------------------------------------


def parse_fault(count, status=None, timeout=None, method=None, path_regex=None):
    """A fault as a dict; ValueError says what is wrong with it."""
    try:
        fault = {"count": int(count), "status": None if status is None else int(status),
                 "timeout": None if timeout is None else float(timeout),
                 "method": (method or "").upper() or None, "path_regex": re.compile(path_regex) if path_regex else None}
    except (ValueError, TypeError, re.error) as exc:
        raise ValueError(f"bad fault: {exc}") from exc
    if fault["count"] < 1 or (fault["status"] is None) == (fault["timeout"] is None):
        raise ValueError("a fault needs count >= 1 and exactly one of status or timeout")
    return fault


def _matches(fault, method, path):
    return ((not fault["method"] or fault["method"] == method)
            and (not fault["path_regex"] or fault["path_regex"].search(path)))


REASONS = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 405: "MethodNotAllowed",
           409: "Conflict", 410: "Expired", 413: "RequestEntityTooLarge", 415: "UnsupportedMediaType",
           422: "Invalid", 429: "TooManyRequests", 500: "InternalError", 503: "ServiceUnavailable", 504: "Timeout"}


def _kube_error(status, message):
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
            "reason": REASONS.get(status, "Unknown"), "code": status}


ERROR_BODIES = {
    "kube": _kube_error,
    "keystone": lambda status, message: {"error": {"code": status, "title": http.client.responses.get(status, ""),
                                                   "message": message}},
    "neutron": lambda status, message: {"NeutronError": {"type": REASONS.get(status, "HTTPError"), "message": message,
                                                         "detail": ""}},
    "keycloak": lambda status, message: {"error": message},
    "plain": lambda status, message: {"error": message},
}


def error_body(errors, status):
    """The JSON error body (bytes) a server of kind ``errors`` answers with ``status``."""
    message = f"injected fault: {status} {http.client.responses.get(status, '')}".strip()
    return json.dumps(ERROR_BODIES[errors](status, message)).encode()


# --- the proxy -------------------------------------------------------------------------------


class RecordingProxy:
    """A reverse proxy on a free port of 127.0.0.1 in front of ``upstream`` (``scheme://host:port``)."""

    def __init__(self, upstream, ca_file=None, cert_file=None, key_file=None, errors="plain",
                 rewrite_bodies=False, links=None):
        parts = urlsplit(upstream)
        if parts.scheme not in ("http", "https") or parts.path.strip("/") or parts.query:
            raise ValueError(f"upstream must be scheme://host:port, not {upstream}")
        if errors not in ERROR_BODIES:
            raise ValueError(f"errors must be one of {', '.join(ERROR_BODIES)}")
        self.upstream = f"{parts.scheme}://{parts.netloc}"
        self.errors = errors
        self.rewrite_bodies = rewrite_bodies
        self.links = dict(links or {})  # base URL -> proxy URL, to rewrite; start() adds upstream -> url
        self._upstream_context = ssl.create_default_context(cafile=ca_file) if parts.scheme == "https" else None
        self.tls = None  # the server side's SSLContext
        if cert_file:
            self.tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self.tls.load_cert_chain(cert_file, key_file)
        self._lock = threading.Lock()
        self._counts = Counter()
        self._faults = []
        self._stopping = threading.Event()
        self._server = None
        self.url = None

    # lifecycle

    def start(self):
        self._server = _Server(self)
        self.url = f"{'https' if self.tls else 'http'}://127.0.0.1:{self._server.server_address[1]}"
        self.links[self.upstream] = self.url
        threading.Thread(target=self._server.serve_forever, name=f"proxy {self.url}", daemon=True).start()
        return self

    def stop(self):
        self._stopping.set()
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    # counting

    def counts(self):
        """Requests received so far, as ``{"METHOD /path": n}``."""
        with self._lock:
            return dict(sorted(self._counts.items()))

    def reset_counts(self):
        with self._lock:
            self._counts.clear()

    @contextlib.contextmanager
    def measure(self):
        """Yield a dict that, on exit, holds the requests received meanwhile, by route."""
        served = {}
        before = self.counts()
        yield served
        after = self.counts()
        served.update((route, n - before.get(route, 0)) for route, n in after.items() if n != before.get(route, 0))

    # faults

    def inject_fault(self, count, status=None, timeout=None, method=None, path_regex=None):
        """The next ``count`` requests matching ``method`` and ``path_regex`` answer ``status`` or hang ``timeout`` s."""
        fault = parse_fault(count, status, timeout, method, path_regex)
        with self._lock:
            self._faults.append(fault)

    def clear_faults(self):
        with self._lock:
            self._faults.clear()

    def record(self, method, target):
        """Count a request (``target``: its path and query); return the fault it meets (consuming one of its count), or None."""
        path = urlsplit(target).path
        with self._lock:
            self._counts[route_of(method, target)] += 1
            for fault in self._faults:
                if _matches(fault, method, path):
                    fault["count"] -= 1
                    if fault["count"] <= 0:
                        self._faults.remove(fault)
                    return dict(fault)
        return None

    # the upstream side

    def hang(self, seconds):
        """Wait ``seconds``, or less when the proxy stops."""
        self._stopping.wait(seconds)

    def connect(self):
        """A new connection to the upstream."""
        parts = urlsplit(self.upstream)
        if self._upstream_context:
            return http.client.HTTPSConnection(parts.hostname, parts.port, timeout=UPSTREAM_TIMEOUT,
                                               context=self._upstream_context)
        return http.client.HTTPConnection(parts.hostname, parts.port, timeout=UPSTREAM_TIMEOUT)

    def rewrite(self, data):
        """``data`` (bytes) with every linked base URL replaced by its proxy URL."""
        links = {base.encode(): url.encode() for base, url in self.links.items()}
        pattern = b"|".join(re.escape(base) + rb"(?![\w.:-])" for base in links)  # not a longer host or port
        return re.sub(pattern, lambda match: links[match.group(0)], data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, proxy):
        self.proxy = proxy
        super().__init__(("127.0.0.1", 0), _Handler)

    def finish_request(self, request, client_address):
        context = self.proxy.tls
        if context:
            try:
                request = context.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                return
        try:
            super().finish_request(request, client_address)
        finally:
            if context:
                request.close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    _head_sent = False  # per request: whether the response's head went out

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        """Quiet: the counts are the record."""

    def _proxy(self):
        self._head_sent = False
        proxy = self.server.proxy
        fault = proxy.record(self.command, self.path)
        body = self._read_body()
        if fault and fault["timeout"] is not None:
            proxy.hang(fault["timeout"])
            self.close_connection = True
            return
        if fault:
            self._send(fault["status"], [("Content-Type", "application/json")], error_body(proxy.errors, fault["status"]))
            return
        upstream = proxy.connect()
        try:
            upstream.request(self.command, self.path, body, self._upstream_headers(proxy))
            self._relay(proxy, upstream.getresponse())
        except (OSError, http.client.HTTPException) as exc:
            self.close_connection = True
            if not self._head_sent:
                self._send(502, [("Content-Type", "application/json")],
                           json.dumps({"error": f"proxy: upstream {proxy.upstream} failed: {exc}"}).encode())
        finally:
            upstream.close()

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _proxy

    def _read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return b"".join(iter(self._read_chunk, b""))
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else None

    def _read_chunk(self):
        size = int(self.rfile.readline().split(b";", 1)[0], 16)
        data = self.rfile.read(size) if size else b""
        if not size:  # trailers, up to the empty line
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass
        else:
            self.rfile.readline()
        return data

    def _upstream_headers(self, proxy):
        headers = {name: value for name, value in self.headers.items()
                   if name.lower() not in HOP_BY_HOP and name.lower() not in ("host", "content-length", "expect")}
        headers["Host"] = urlsplit(proxy.upstream).netloc
        return headers

    def _relay(self, proxy, response):
        headers = [(name, proxy.rewrite(value.encode("latin-1")).decode("latin-1")
                    if name.lower() in ("location", "content-location") else value)
                   for name, value in response.getheaders() if name.lower() not in HOP_BY_HOP]
        if self.command == "HEAD" or response.status in (204, 304) or response.status < 200:
            self._send(response.status, headers, None)
        elif proxy.rewrite_bodies and _is_text(headers):
            self._send_rewritten(proxy, response, headers)
        elif response.length is not None:
            self._send_head(response.status, headers)
            while chunk := response.read(65536):
                self.wfile.write(chunk)
        else:
            self._send_chunked(response, headers)

    def _send_rewritten(self, proxy, response, headers):
        data = response.read()
        if _header(headers, "content-encoding") == "gzip":
            data = gzip.decompress(data)
            headers = [(n, v) for n, v in headers if n.lower() != "content-encoding"]
        self._send(response.status, [(n, v) for n, v in headers if n.lower() != "content-length"], proxy.rewrite(data))

    def _send_chunked(self, response, headers):
        """Relay a body of unknown length (a watch) chunk by chunk as it arrives."""
        self._send_head(response.status, [(n, v) for n, v in headers if n.lower() != "content-length"]
                        + [("Transfer-Encoding", "chunked")])
        try:
            while chunk := response.read1(65536):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
        except (OSError, http.client.HTTPException):
            self.close_connection = True

    def _send_head(self, status, headers):
        self._head_sent = True
        self.send_response_only(status)
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()

    def _send(self, status, headers, data):
        if data is not None:
            headers = [*headers, ("Content-Length", str(len(data)))]
        self._send_head(status, headers)
        if data:
            self.wfile.write(data)


def _header(headers, name):
    return next((value.strip().lower() for key, value in headers if key.lower() == name), "")


def _is_text(headers):
    content_type = _header(headers, "content-type")
    return "json" in content_type or content_type.startswith("text/")
