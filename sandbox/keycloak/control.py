"""The ``/_sandbox/`` control endpoints: request counts and fault injection.

The contract is in ``sandbox/control.py`` (the client).  Counts are keyed by method and route
template, e.g. ``"GET /admin/realms/{realm}/groups"``; control requests are not counted.
"""

from sandbox.keycloak.errors import bad_request
from sandbox.keycloak.web import json_body, no_content, ok
from sandbox.request_log import RequestLog

UNMATCHED = "(unmatched)"


class Control(RequestLog):
    """The request log, answering the control endpoints with Keycloak-style errors."""

    def count(self, method, route):
        super().count(method, route or UNMATCHED)

    def get_requests(self, request):
        return ok(self.counts())

    def reset_requests(self, request):
        self.reset_counts()
        return no_content()

    def post_fault(self, request):
        try:
            self.add_fault(json_body(request))
        except ValueError as exc:
            raise bad_request(str(exc)) from None
        return no_content()

    def delete_faults(self, request):
        self.clear_faults()
        return no_content()

    def routes(self):
        return [
            ("GET", "/_sandbox/requests", self.get_requests),
            ("DELETE", "/_sandbox/requests", self.reset_requests),
            ("POST", "/_sandbox/faults", self.post_fault),
            ("DELETE", "/_sandbox/faults", self.delete_faults),
        ]
