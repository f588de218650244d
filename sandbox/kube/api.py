"""From a request (method, path, query, headers, body) to an answer, independent of HTTP plumbing."""

import json
from dataclasses import dataclass, field

from sandbox.kube import discovery, tables
from sandbox.kube.errors import ApiError
from sandbox.kube.objects import Call
from sandbox.kube.patch import parse_body
from sandbox.kube.routing import route

JSON = "application/json"
PUBLIC_PATHS = ("/version", "/healthz", "/livez", "/readyz")
NOT_ALLOWED = "the server does not allow this method on the requested resource"


@dataclass
class Answer:
    code: int
    body: object
    content_type: str = JSON
    headers: dict = field(default_factory=dict)

    def payload(self):
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body, separators=(",", ":")).encode()


def count_pattern(path):
    """The route a request counts under: path patterns, not concrete names."""
    found = route(path)
    return found.pattern if found else path


def _method_not_allowed():
    return ApiError(405, NOT_ALLOWED, details={})


class Api:
    """The API server's answers, given the store of objects."""

    def __init__(self, store, objects, server_address):
        self.store = store
        self.objects = objects
        self.server_address = server_address

    def handle(self, method, path, query, headers, raw):
        """An Answer; callers hold the store's lock."""
        try:
            return self._dispatch(method, path, query, headers, raw)
        except ApiError as error:
            return Answer(error.code, error.status())

    def _dispatch(self, method, path, query, headers, raw):
        fixed = self._fixed_path(path, headers)
        if fixed is not None:
            if method not in ("GET", "HEAD"):
                raise _method_not_allowed()
            return fixed
        found = route(path)
        if found is None:
            raise discovery.not_found()
        if found.kind == "resource":
            return self._resource(method, found, query, headers, raw)
        if found.kind == "watch":
            raise ApiError(405, "watch is not supported by the sandbox Kubernetes emulator")
        if method not in ("GET", "HEAD"):
            raise _method_not_allowed()
        return Answer(200, self._discovery(found))

    def _fixed_path(self, path, headers):
        if path == "/version":
            return Answer(200, discovery.VERSION)
        if path in ("/healthz", "/livez", "/readyz"):
            return Answer(200, b"ok", "text/plain")
        if path == "/openapi/v2":
            if "protobuf" in headers.get("Accept", ""):
                return Answer(200, discovery.OPENAPI_V2_PROTOBUF,
                              "application/com.github.proto-openapi.spec.v2.v1.0+protobuf")
            return Answer(200, discovery.OPENAPI_V2_JSON)
        return None

    def _discovery(self, found):
        registry = self.store.registry
        if found.kind == "api":
            return discovery.api_versions(self.server_address)
        if found.kind == "apis":
            return discovery.api_group_list(registry)
        if found.kind == "group":
            return discovery.api_group(registry, found.group)
        return discovery.api_resource_list(registry, found.group, found.version)

    def _call(self, found, query):
        rtype = self.store.registry.lookup(found.group, found.version, found.plural)
        if rtype is None:
            raise discovery.not_found()
        wrong_scope = (found.namespace is not None and not rtype.namespaced
                       or found.namespace is None and found.name is not None and rtype.namespaced)
        bad_subresource = found.subresource and not (found.subresource == "status" and rtype.status_subresource)
        if wrong_scope or bad_subresource:
            raise discovery.not_found()
        return Call(rtype, found.version, found.namespace, found.name, found.subresource, dict(query))

    def _resource(self, method, found, query, headers, raw):
        call = self._call(found, query)
        if call.name is None:
            return self._collection(method, call, headers, raw)
        if method in ("GET", "HEAD"):
            return self._maybe_table(call, headers, *self.objects.get(call))
        if method == "PUT":
            return Answer(*self.objects.replace(call, _body(headers, raw)))
        if method == "PATCH":
            return Answer(*self.objects.patch(call, raw, headers.get("Content-Type")))
        if method == "DELETE" and not call.subresource:
            return Answer(*self.objects.delete(call, raw))
        raise _method_not_allowed()

    def _collection(self, method, call, headers, raw):
        if method in ("GET", "HEAD"):
            return self._maybe_table(call, headers, *self.objects.list(call))
        if method == "POST" and (call.namespace is not None or not call.rtype.namespaced):
            return Answer(*self.objects.create(call, _body(headers, raw)))
        if method == "DELETE" and "deletecollection" in call.rtype.verbs():
            return Answer(*self.objects.delete_collection(call, raw))
        raise _method_not_allowed()

    def _maybe_table(self, call, headers, code, body):
        if not tables.wants_table(headers.get("Accept")):
            return Answer(code, body)
        objects = [self.objects.out(call, item) for item in body["items"]] if "items" in body else [body]
        version = body.get("metadata", {}).get("resourceVersion", "") if "items" in body else ""
        include = call.query.get("includeObject", "Metadata")
        answer = tables.table(call.rtype, call.version, objects, version, include)
        if "items" in body and "continue" in body["metadata"]:
            answer["metadata"]["continue"] = body["metadata"]["continue"]
        return Answer(code, answer, "application/json;as=Table;v=v1;g=meta.k8s.io")


def _body(headers, raw):
    """A create or replace body: JSON (YAML and protobuf bodies are refused as unknown formats)."""
    media = (headers.get("Content-Type") or JSON).split(";")[0].strip().lower()
    if media not in (JSON, "*/*", ""):
        raise ApiError(415, "the body of the request was in an unknown format - accepted media types "
                            "include: application/json")
    return parse_body(raw)
