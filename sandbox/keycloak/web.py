"""What handlers receive and return: a parsed request and a response, plus query helpers."""

from dataclasses import dataclass, field
from urllib.parse import quote

from sandbox.keycloak.errors import ApiError


@dataclass
class Request:
    method: str
    path: str
    params: dict
    query: dict
    body: object
    headers: dict
    base_url: str
    form: dict = field(default_factory=dict)
    identity: object = None

    @property
    def url(self):
        return self.base_url + self.path


@dataclass
class Response:
    status: int
    body: object = None
    headers: dict = field(default_factory=dict)


def ok(body):
    return Response(200, body)


def created(request, new_id):
    """201 with the new object's URL in ``Location`` and no body, as Keycloak answers creates."""
    return Response(201, None, {"Location": f"{request.url.rstrip('/')}/{quote(str(new_id), safe='')}"})


def created_at(request, path):
    """201 with ``Location`` pointing at ``path`` (for creates whose URL is not under the request's)."""
    return Response(201, None, {"Location": request.base_url + quote(path)})


def no_content():
    return Response(204)


def json_body(request, kind=dict):
    """The request body, which must be a JSON object (or ``kind``)."""
    if not isinstance(request.body, kind):
        raise ApiError(400, {"error": "HTTP 400 Bad Request"})
    return request.body


def query_bool(request, name, default=False):
    value = request.query.get(name)
    if value is None or value == "":
        return default
    return value.lower() == "true"


def query_int(request, name, default=None):
    value = request.query.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ApiError(400, {"error": "HTTP 400 Bad Request"}) from None


def page(items, request, default_max=None):
    """Slice ``items`` by the ``first`` / ``max`` query parameters (``max`` < 0 means no limit)."""
    first = max(query_int(request, "first", 0), 0)
    limit = query_int(request, "max", default_max)
    items = list(items)[first:]
    return items if limit is None or limit < 0 else items[:limit]


def matches(value, pattern, exact=False):
    """Keycloak's search: case-insensitive infix match (``*`` as a wildcard), or equality."""
    value = (value or "").lower()
    pattern = (pattern or "").lower()
    if exact:
        return value == pattern
    return all(part in value for part in pattern.split("*"))
