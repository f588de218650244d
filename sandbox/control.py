"""Client for the control endpoints every sandbox emulator serves under ``/_sandbox/``.

- ``GET /_sandbox/requests``: ``{"total": N, "by_route": {"GET /api/v1/namespaces": n, ...}}``
  counting the API requests served since the last reset (control requests not counted);
- ``DELETE /_sandbox/requests``: reset the counts;
- ``POST /_sandbox/faults`` with ``{"count": N, "status": 500}`` or ``{"count": N, "timeout": S}``
  and optional ``"method"`` and ``"path_regex"``: the next N matching API requests answer that
  status (a Status/error body as the real server would) or hang S seconds then drop;
- ``DELETE /_sandbox/faults``: clear pending faults.
"""

import json
import ssl
import urllib.request


def _call(base_url, method, path, body=None, ca_file=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base_url.rstrip("/") + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    context = ssl.create_default_context(cafile=ca_file) if ca_file else None
    with urllib.request.urlopen(req, context=context, timeout=10) as resp:
        payload = resp.read()
    return json.loads(payload) if payload else None


def request_counts(base_url, ca_file=None):
    return _call(base_url, "GET", "/_sandbox/requests", ca_file=ca_file)


def reset_counts(base_url, ca_file=None):
    _call(base_url, "DELETE", "/_sandbox/requests", ca_file=ca_file)


def inject_fault(base_url, count, status=None, timeout=None, method=None, path_regex=None, ca_file=None):
    body = {"count": count}
    for key, value in (("status", status), ("timeout", timeout), ("method", method), ("path_regex", path_regex)):
        if value is not None:
            body[key] = value
    _call(base_url, "POST", "/_sandbox/faults", body, ca_file=ca_file)


def clear_faults(base_url, ca_file=None):
    _call(base_url, "DELETE", "/_sandbox/faults", ca_file=ca_file)
