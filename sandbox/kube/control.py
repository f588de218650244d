"""The ``/_sandbox/`` control endpoints: request counts by route, and fault injection.

The contract is in :mod:`sandbox.control`'s docstring.
"""

import json

from sandbox.kube.errors import ApiError
from sandbox.request_log import RequestLog


class Control(RequestLog):
    """The request log, answering the control endpoints with Kubernetes-style errors."""

    def handle(self, method, path, raw):
        """Answer a control request: (code, JSON body or None)."""
        if path == "/_sandbox/requests" and method == "GET":
            return 200, self.counts()
        if path == "/_sandbox/requests" and method == "DELETE":
            self.reset_counts()
            return 200, {}
        if path == "/_sandbox/faults" and method == "POST":
            try:
                fault = self.add_fault(json.loads(raw or b"{}"))
            except ValueError as exc:
                raise ApiError(400, str(exc)) from exc
            return 201, {"count": fault["count"]}
        if path == "/_sandbox/faults" and method == "DELETE":
            self.clear_faults()
            return 200, {}
        if path == "/_sandbox/faults" and method == "GET":
            return 200, {"pending": self.pending_faults()}
        return 404, {"error": f"no control endpoint {method} {path}"}


def fault_status(code):
    """The Status body a real server sends with ``code``."""
    messages = {500: "Internal error occurred: injected fault", 409: "Operation cannot be fulfilled: injected conflict",
                429: "Too many requests, please try again later.", 503: "the server is currently unable to handle "
                "the request", 504: "the server was unable to return a response in the time allotted"}
    return ApiError(code, messages.get(code, f"injected fault ({code})")).status()
