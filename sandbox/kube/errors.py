"""API errors, answered as ``Status`` objects with the reasons a real API server uses."""

REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    406: "NotAcceptable",
    409: "Conflict",
    410: "Expired",
    415: "UnsupportedMediaType",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
}


class ApiError(Exception):
    """An error answer: HTTP code, Status reason, message and details."""

    def __init__(self, code, message, reason=None, details=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason or REASONS.get(code, "Unknown")
        self.details = details

    def status(self):
        body = {
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": self.message, "reason": self.reason, "code": self.code,
        }
        if self.details is not None:
            body["details"] = self.details
        return body


def _details(rtype, name, kind=None):
    """Status details as the server sends them (an empty group is left out)."""
    details = {"name": name or "", "group": rtype.group, "kind": kind or rtype.plural}
    return {k: v for k, v in details.items() if v}


def not_found(rtype, name):
    return ApiError(404, f'{rtype.resource_ref} "{name}" not found',
                    details=_details(rtype, name))


def already_exists(rtype, name):
    return ApiError(409, f'{rtype.resource_ref} "{name}" already exists', reason="AlreadyExists",
                    details=_details(rtype, name))


def conflict(rtype, name):
    message = (f'Operation cannot be fulfilled on {rtype.resource_ref} "{name}": the object has been '
               "modified; please apply your changes to the latest version and try again")
    return ApiError(409, message, details=_details(rtype, name))


def invalid(rtype, name, causes):
    """422 Invalid; ``causes`` is a list of (field, message) pairs."""
    summary = ", ".join(f"{field}: {message}" for field, message in causes)
    qualified_kind = f"{rtype.kind}.{rtype.group}" if rtype.group else rtype.kind
    details = {
        **_details(rtype, name, rtype.kind),
        "causes": [{"reason": "FieldValueInvalid", "message": message, "field": field}
                   for field, message in causes],
    }
    return ApiError(422, f'{qualified_kind} "{name or ""}" is invalid: {summary}', details=details)


def bad_request(message):
    return ApiError(400, message)
