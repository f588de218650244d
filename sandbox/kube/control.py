"""The ``/_sandbox/`` control endpoints: request counts by route, and fault injection.

The contract is in :mod:`sandbox.control`'s docstring.
"""

import json
import re
import threading
from collections import Counter

from sandbox.kube.errors import ApiError


class Control:
    """Counts of the API requests served, and the faults waiting for the next ones."""

    def __init__(self):
        self._lock = threading.Lock()
        self._counts = Counter()
        self._faults = []

    def count(self, method, pattern):
        with self._lock:
            self._counts[f"{method} {pattern}"] += 1

    def counts(self):
        with self._lock:
            return {"total": sum(self._counts.values()), "by_route": dict(sorted(self._counts.items()))}

    def take_fault(self, method, path):
        """The fault (a dict with ``status`` or ``timeout``) this request meets, or None."""
        with self._lock:
            for fault in self._faults:
                if fault["method"] and fault["method"] != method:
                    continue
                if fault["path_regex"] and not fault["path_regex"].search(path):
                    continue
                fault["count"] -= 1
                if fault["count"] <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def handle(self, method, path, raw):
        """Answer a control request: (code, JSON body or None)."""
        if path == "/_sandbox/requests" and method == "GET":
            return 200, self.counts()
        if path == "/_sandbox/requests" and method == "DELETE":
            with self._lock:
                self._counts.clear()
            return 200, {}
        if path == "/_sandbox/faults" and method == "POST":
            fault = _parse_fault(raw)
            with self._lock:
                self._faults.append(fault)
            return 201, {"count": fault["count"]}
        if path == "/_sandbox/faults" and method == "DELETE":
            with self._lock:
                self._faults.clear()
            return 200, {}
        if path == "/_sandbox/faults" and method == "GET":
            with self._lock:
                return 200, {"pending": [dict(f, path_regex=f["path_regex"] and f["path_regex"].pattern)
                                         for f in self._faults]}
        return 404, {"error": f"no control endpoint {method} {path}"}


def _parse_fault(raw):
    try:
        body = json.loads(raw or b"{}")
        count = int(body["count"])
        status = int(body["status"]) if body.get("status") is not None else None
        timeout = float(body["timeout"]) if body.get("timeout") is not None else None
        regex = re.compile(body["path_regex"]) if body.get("path_regex") else None
    except (ValueError, KeyError, TypeError, re.error) as exc:
        raise ApiError(400, f"bad fault: {exc}") from exc
    if count < 1 or (status is None) == (timeout is None):
        raise ApiError(400, "a fault needs count >= 1 and exactly one of status or timeout")
    return {"count": count, "status": status, "timeout": timeout,
            "method": (body.get("method") or "").upper() or None, "path_regex": regex}


def fault_status(code):
    """The Status body a real server sends with ``code``."""
    messages = {500: "Internal error occurred: injected fault", 409: "Operation cannot be fulfilled: injected conflict",
                429: "Too many requests, please try again later.", 503: "the server is currently unable to handle "
                "the request", 504: "the server was unable to return a response in the time allotted"}
    return ApiError(code, messages.get(code, f"injected fault ({code})")).status()
