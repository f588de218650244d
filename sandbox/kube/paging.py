"""``limit`` and ``continue`` on lists: a page of items and the token for the next one."""

import base64
import json

from sandbox.kube.errors import bad_request


def _position(obj):
    return [obj["metadata"].get("namespace", ""), obj["metadata"]["name"]]


def _decode(token):
    try:
        return json.loads(base64.urlsafe_b64decode(token.encode()))["after"]
    except (ValueError, KeyError, TypeError) as exc:
        raise bad_request("continue key is not valid: incorrect encoded start resourceVersion") from exc


def page(items, query, resource_version):
    """(items of this page, list metadata) for a list request's query."""
    try:
        limit = int(query.get("limit") or 0)
    except ValueError as exc:
        raise bad_request(f"invalid limit: {query.get('limit')}") from exc
    if query.get("continue"):
        after = _decode(query["continue"])
        items = [obj for obj in items if _position(obj) > after]
    metadata = {"resourceVersion": str(resource_version)}
    if 0 < limit < len(items):
        token = json.dumps({"after": _position(items[limit - 1])}).encode()
        metadata["continue"] = base64.urlsafe_b64encode(token).decode()
        metadata["remainingItemCount"] = len(items) - limit
        items = items[:limit]
    return items, metadata
