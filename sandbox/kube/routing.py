"""Request paths: which resource (or discovery document) a URL names, and its count pattern."""

from dataclasses import dataclass
from typing import Optional

NAMESPACE_SUBRESOURCES = ("status", "finalize")


@dataclass
class Route:
    """What a path names.  ``kind`` is ``resource``, ``watch``, or a discovery document name."""

    kind: str
    group: str = ""
    version: str = ""
    plural: str = ""
    namespace: Optional[str] = None
    name: Optional[str] = None
    subresource: Optional[str] = None
    pattern: str = ""


def _prefix(group, version):
    return f"/apis/{group}/{version}" if group else f"/api/{version}"


def _resource_route(group, version, rest):
    """Route for the part after ``/api/v1`` or ``/apis/{group}/{version}``."""
    prefix = _prefix(group, version)
    if not rest:
        return Route("resources", group, version, pattern=prefix)
    if rest[0] == "watch":
        return Route("watch", group, version, pattern=prefix + "/watch/...")
    namespace, pattern = None, prefix
    namespaced_path = (rest[0] == "namespaces" and len(rest) >= 3
                       and not (not group and len(rest) == 3 and rest[2] in NAMESPACE_SUBRESOURCES))
    if namespaced_path:
        namespace, rest, pattern = rest[1], rest[2:], prefix + "/namespaces/{namespace}"
    if len(rest) > 3:
        return None
    plural, name, sub = (rest + [None, None])[:3]
    pattern += f"/{plural}" + ("/{name}" if name else "") + (f"/{sub}" if sub else "")
    return Route("resource", group, version, plural, namespace, name, sub, pattern)


def route(path):
    """The Route for a URL path, or None when nothing is served there."""
    parts = [part for part in path.split("/") if part]
    if parts == ["api"]:
        return Route("api", pattern="/api")
    if parts == ["apis"]:
        return Route("apis", pattern="/apis")
    if len(parts) >= 2 and parts[0] == "api":
        return _resource_route("", parts[1], parts[2:])
    if len(parts) == 2 and parts[0] == "apis":
        return Route("group", parts[1], pattern=f"/apis/{parts[1]}")
    if len(parts) >= 3 and parts[0] == "apis":
        return _resource_route(parts[1], parts[2], parts[3:])
    return None
