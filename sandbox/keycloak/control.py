"""The ``/_sandbox/`` control endpoints: request counts and fault injection.

The contract is in ``sandbox/control.py`` (the client).  Counts are keyed by method and route
template, e.g. ``"GET /admin/realms/{realm}/groups"``; control requests are not counted.
"""

import re
import threading
from collections import Counter

from sandbox.keycloak.errors import bad_request
from sandbox.keycloak.web import json_body, no_content, ok

UNMATCHED = "(unmatched)"


class Control:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts = Counter()
        self.faults = []

    def count(self, method, template):
        with self.lock:
            self.counts[f"{method} {template or UNMATCHED}"] += 1

    def take_fault(self, method, path):
        """The fault the next request ``method path`` must suffer (consuming one), or None."""
        with self.lock:
            for fault in self.faults:
                if fault.get("method") and fault["method"].upper() != method:
                    continue
                if fault.get("path_regex") and not re.search(fault["path_regex"], path):
                    continue
                fault["count"] -= 1
                if fault["count"] <= 0:
                    self.faults.remove(fault)
                return dict(fault)
        return None

    # -- handlers (store-free: the server calls them with this Control) --

    def get_requests(self, request):
        with self.lock:
            return ok({"total": sum(self.counts.values()), "by_route": dict(sorted(self.counts.items()))})

    def reset_requests(self, request):
        with self.lock:
            self.counts.clear()
        return no_content()

    def add_fault(self, request):
        fault = json_body(request)
        if not isinstance(fault.get("count"), int) or fault["count"] < 1:
            raise bad_request("count must be a positive integer")
        if ("status" in fault) == ("timeout" in fault):
            raise bad_request("give exactly one of status and timeout")
        if fault.get("path_regex"):
            try:
                re.compile(fault["path_regex"])
            except re.error as exc:
                raise bad_request(f"bad path_regex: {exc}") from None
        with self.lock:
            self.faults.append(fault)
        return no_content()

    def clear_faults(self, request):
        with self.lock:
            self.faults.clear()
        return no_content()

    def routes(self):
        return [
            ("GET", "/_sandbox/requests", self.get_requests),
            ("DELETE", "/_sandbox/requests", self.reset_requests),
            ("POST", "/_sandbox/faults", self.add_fault),
            ("DELETE", "/_sandbox/faults", self.clear_faults),
        ]
