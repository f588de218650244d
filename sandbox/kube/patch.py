"""The three patch formats: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and
Kubernetes strategic merge patch (for built-in kinds)."""

import copy
import json

from sandbox.kube.errors import ApiError, bad_request

# Lists that strategic merge patches merge instead of replacing: path -> merge key
# (None: a list of scalars merged as a set).
MERGE_KEYS_ALL = {("metadata", "ownerReferences"): "uid", ("metadata", "finalizers"): None}
MERGE_KEYS = {("", "serviceaccounts"): {("secrets",): "name"}}


def merge_patch(target, patch):
    """RFC 7386: objects merge recursively, ``null`` deletes, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


# --- RFC 6902 ---------------------------------------------------------------

def _pointer(path):
    if path == "":
        return []
    if not path.startswith("/"):
        raise _patch_failed(f"invalid JSON pointer {path!r}")
    return [part.replace("~1", "/").replace("~0", "~") for part in path[1:].split("/")]


def _patch_failed(message):
    return ApiError(422, message)


def _index(container, token, adding=False):
    if token == "-" and adding:
        return len(container)
    if not token.isdigit() or (len(token) > 1 and token.startswith("0")):
        raise _patch_failed(f"invalid array index {token!r}")
    index = int(token)
    if index > len(container) or (index == len(container) and not adding):
        raise _patch_failed(f"array index {index} out of bounds")
    return index


def _parent(doc, parts):
    node = doc
    for token in parts[:-1]:
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list):
            node = node[_index(node, token)]
        else:
            raise _patch_failed(f"doc is missing path: /{'/'.join(parts)}")
    return node


def _get(doc, parts):
    if not parts:
        return doc
    parent, token = _parent(doc, parts), parts[-1]
    if isinstance(parent, dict) and token in parent:
        return parent[token]
    if isinstance(parent, list):
        return parent[_index(parent, token)]
    raise _patch_failed(f"doc is missing path: /{'/'.join(parts)}")


def _add(doc, parts, value):
    if not parts:
        return value
    parent, token = _parent(doc, parts), parts[-1]
    if isinstance(parent, dict):
        parent[token] = value
    elif isinstance(parent, list):
        parent.insert(_index(parent, token, adding=True), value)
    else:
        raise _patch_failed(f"doc is missing path: /{'/'.join(parts)}")
    return doc


def _remove(doc, parts):
    if not parts:
        raise _patch_failed("cannot remove the whole document")
    parent, token = _parent(doc, parts), parts[-1]
    if isinstance(parent, dict) and token in parent:
        return parent.pop(token)
    if isinstance(parent, list):
        return parent.pop(_index(parent, token))
    raise _patch_failed(f"unable to remove nonexistent key: {token}: missing value")


def _apply_operation(doc, op):
    name, path = op.get("op"), _pointer(op.get("path", ""))
    if name in ("add", "replace", "test") and "value" not in op:
        raise bad_request(f"missing value for {name} operation")
    if name == "add":
        return _add(doc, path, copy.deepcopy(op["value"]))
    if name == "remove":
        _remove(doc, path)
        return doc
    if name == "replace":
        _get(doc, path)
        if not path:
            return copy.deepcopy(op["value"])
        _remove(doc, path)
        return _add(doc, path, copy.deepcopy(op["value"]))
    if name in ("move", "copy"):
        source = _pointer(op.get("from", ""))
        value = _remove(doc, source) if name == "move" else copy.deepcopy(_get(doc, source))
        return _add(doc, path, value)
    if name == "test":
        if _get(doc, path) != op["value"]:
            raise _patch_failed(f"testing value /{'/'.join(path)} failed: test failed")
        return doc
    raise bad_request(f"Unexpected kind: {name}")


def json_patch(target, operations):
    """RFC 6902, applied atomically to a copy of ``target``."""
    if not isinstance(operations, list) or not all(isinstance(op, dict) for op in operations):
        raise bad_request("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    doc = copy.deepcopy(target)
    for op in operations:
        doc = _apply_operation(doc, op)
    return doc


# --- strategic merge patch --------------------------------------------------

def strategic_merge_patch(target, patch, rtype_key):
    """Merge-patch semantics plus the keyed lists and ``$patch``/``$retainKeys``/
    ``$setElementOrder``/``$deleteFromPrimitiveList`` directives of built-in kinds."""
    if not isinstance(patch, dict):
        raise bad_request("the body of the request was not a JSON object")
    merge_keys = {**MERGE_KEYS_ALL, **MERGE_KEYS.get(rtype_key, {})}
    return _sm_map(copy.deepcopy(target), patch, (), merge_keys)


def _sm_map(target, patch, path, merge_keys):
    target = target if isinstance(target, dict) else {}
    directive = patch.get("$patch")
    if directive == "delete":
        return None
    if directive == "replace":
        return {k: v for k, v in patch.items() if not k.startswith("$")}
    for key, value in patch.items():
        if key.startswith("$deleteFromPrimitiveList/"):
            field = key.split("/", 1)[1]
            target[field] = [item for item in target.get(field) or [] if item not in value]
    for key, value in patch.items():
        if key.startswith("$"):
            continue
        if value is None:
            target.pop(key, None)
            continue
        field_path = path + (key,)
        if isinstance(value, dict):
            merged = _sm_map(target.get(key), value, field_path, merge_keys)
            if merged is None:
                target.pop(key, None)
            else:
                target[key] = merged
        elif isinstance(value, list) and field_path in merge_keys:
            target[key] = _sm_list(target.get(key) or [], value, field_path, merge_keys)
        else:
            target[key] = copy.deepcopy(value)
    if "$retainKeys" in patch:
        target = {k: v for k, v in target.items() if k in patch["$retainKeys"]}
    return target


def _sm_list(target, patch, path, merge_keys):
    key = merge_keys[path]
    if any(isinstance(item, dict) and item.get("$patch") == "replace" for item in patch):
        return [item for item in patch if not (isinstance(item, dict) and "$patch" in item)]
    if key is None:
        return target + [item for item in patch if item not in target]
    result = list(target)
    for item in patch:
        if not isinstance(item, dict) or key not in item:
            raise bad_request(f"map: {item} does not contain declared merge key: {key}")
        position = next((i for i, old in enumerate(result) if old.get(key) == item[key]), None)
        if item.get("$patch") == "delete":
            if position is not None:
                result.pop(position)
        elif position is None:
            result.append({k: v for k, v in item.items() if not k.startswith("$")})
        else:
            result[position] = _sm_map(result[position], item, path, merge_keys)
    return result


def parse_body(raw, what="request body"):
    try:
        return json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad_request(f"error decoding {what}: {exc}") from exc
