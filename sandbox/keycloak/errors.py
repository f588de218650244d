"""Errors a handler raises, answered with the status and body real Keycloak uses."""


class ApiError(Exception):
    """An HTTP error response: ``status`` and a JSON ``body``."""

    def __init__(self, status, body, headers=None):
        super().__init__(f"{status} {body}")
        self.status = status
        self.body = body
        self.headers = headers or {}


def not_found(message):
    return ApiError(404, {"error": message})


def conflict(message):
    return ApiError(409, {"errorMessage": message})


def bad_request(message):
    return ApiError(400, {"errorMessage": message})


def unauthorized():
    return ApiError(401, {"error": "HTTP 401 Unauthorized"}, {"WWW-Authenticate": 'Bearer realm="keycloak"'})


def forbidden():
    return ApiError(403, {"error": "HTTP 403 Forbidden"})


def oauth_error(status, error, description):
    """An OAuth2 token endpoint error (RFC 6749 section 5.2)."""
    return ApiError(status, {"error": error, "error_description": description})


HTTP_REASONS = {
    400: "HTTP 400 Bad Request",
    401: "HTTP 401 Unauthorized",
    403: "HTTP 403 Forbidden",
    404: "HTTP 404 Not Found",
    405: "HTTP 405 Method Not Allowed",
    409: "Conflict detected. See logs for details",
    500: "unknown_error",
    502: "HTTP 502 Bad Gateway",
    503: "HTTP 503 Service Unavailable",
    504: "HTTP 504 Gateway Timeout",
}


def status_body(status):
    """The body Keycloak sends with a bare status (used for injected faults)."""
    if status == 409:
        return {"errorMessage": HTTP_REASONS[409]}
    return {"error": HTTP_REASONS.get(status, f"HTTP {status}")}
