"""CustomResourceDefinitions: their validation and status, and the schema (pruning, defaulting,
type checks) they impose on custom resources."""

import copy

from sandbox.kube.errors import invalid
from sandbox.kube.validation import dns_label, dns_subdomain

JSON_TYPES = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
}


def _type_name(value):
    return next((name for name in ("boolean", "integer", "number", "string", "object", "array")
                 if JSON_TYPES[name](value)), "null")


def _names_causes(names):
    causes = []
    for field in ("plural", "kind"):
        if not names.get(field):
            causes.append((f"spec.names.{field}", "Required value"))
    if names.get("plural"):
        causes += [("spec.names.plural", p) for p in dns_label(names["plural"])]
    return causes


def _versions_causes(versions):
    if not versions:
        return [("spec.versions", "Required value: must have exactly one version marked as storage version")]
    causes = []
    if sum(1 for v in versions if v.get("storage")) != 1:
        causes.append(("spec.versions", "Invalid value: must have exactly one version marked as storage version"))
    for i, version in enumerate(versions):
        causes += [(f"spec.versions[{i}].name", p) for p in dns_label(version.get("name") or "")]
        if not (version.get("schema") or {}).get("openAPIV3Schema"):
            causes.append((f"spec.versions[{i}].schema.openAPIV3Schema", "Required value: schemas are required"))
    return causes


def _spec_causes(obj, old):
    spec = obj.get("spec") or {}
    group, names = spec.get("group") or "", spec.get("names") or {}
    causes = [] if group else [("spec.group", "Required value")]
    if group and ("." not in group or dns_subdomain(group)):
        causes.append(("spec.group", f'Invalid value: "{group}": should be a domain with at least one dot'))
    causes += _names_causes(names)
    if spec.get("scope") not in ("Cluster", "Namespaced"):
        causes.append(("spec.scope", f'Unsupported value: "{spec.get("scope")}": supported values: '
                                     '"Cluster", "Namespaced"'))
    causes += _versions_causes(spec.get("versions") or [])
    expected = f"{names.get('plural')}.{group}"
    if obj["metadata"]["name"] != expected:
        causes.append(("metadata.name", f'Invalid value: "{obj["metadata"]["name"]}": must be '
                                        'spec.names.plural+"."+spec.group'))
    if old:
        for field in ("group", "scope"):
            if spec.get(field) != old["spec"].get(field):
                causes.append((f"spec.{field}", f'Invalid value: "{spec.get(field)}": field is immutable'))
    return causes


def _status(obj, old, now):
    spec = obj["spec"]
    names = dict(spec["names"])
    names.setdefault("singular", names["kind"].lower())
    names.setdefault("listKind", names["kind"] + "List")
    spec["names"] = dict(names)
    old_status = (old or {}).get("status") or {}
    since = {c["type"]: c.get("lastTransitionTime") for c in old_status.get("conditions") or []}
    storage = next(v["name"] for v in spec["versions"] if v.get("storage"))
    stored = list(old_status.get("storedVersions") or [])
    return {
        "conditions": [
            {"type": "NamesAccepted", "status": "True", "lastTransitionTime": since.get("NamesAccepted", now),
             "reason": "NoConflicts", "message": "no conflicts found"},
            {"type": "Established", "status": "True", "lastTransitionTime": since.get("Established", now),
             "reason": "InitialNamesAccepted", "message": "the initial names have been accepted"},
        ],
        "acceptedNames": names,
        "storedVersions": stored + ([storage] if storage not in stored else []),
    }


def prepare_crd(rtype, obj, old, now=None):
    """Validate a CRD, fill its defaults and set its status to Established."""
    causes = _spec_causes(obj, old)
    if causes:
        raise invalid(rtype, obj["metadata"]["name"], causes)
    spec = obj["spec"]
    spec.setdefault("conversion", {"strategy": "None"})
    for version in spec["versions"]:
        version.setdefault("served", True)
    obj["status"] = _status(obj, old, now or obj["metadata"].get("creationTimestamp"))
    return obj


# --- custom resources ---------------------------------------------------------

def apply_schema(rtype, version, obj):
    """Prune, default and type-check a custom resource against its version's schema."""
    schema = rtype.schemas.get(version) or {}
    if not schema:
        return obj
    causes = []
    envelope = ("apiVersion", "kind", "metadata")
    body = {k: v for k, v in obj.items() if k not in envelope}
    schema = dict(schema, required=[k for k in schema.get("required") or [] if k not in envelope])
    body = _walk(body, schema, "", causes)
    if causes:
        raise invalid(rtype, obj["metadata"].get("name"), causes)
    return dict(body, apiVersion=obj["apiVersion"], kind=obj["kind"], metadata=obj["metadata"])


def _walk(value, schema, path, causes):
    if value is None:
        return value
    if not _type_ok(value, schema):
        causes.append((path or "<root>", f'Invalid value: "{_type_name(value)}": {path or "body"} in body '
                                         f'must be of type {schema["type"]}: "{_type_name(value)}"'))
        return value
    if "enum" in schema and value not in schema["enum"]:
        allowed = ", ".join(f'"{v}"' for v in schema["enum"])
        causes.append((path, f'Unsupported value: "{value}": supported values: {allowed}'))
    if isinstance(value, dict):
        return _walk_object(value, schema, path, causes)
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [_walk(item, schema["items"], f"{path}[{i}]", causes) for i, item in enumerate(value)]
    return value


def _type_ok(value, schema):
    if schema.get("x-kubernetes-int-or-string"):
        return JSON_TYPES["string"](value) or JSON_TYPES["integer"](value)
    expected = schema.get("type")
    return not expected or expected not in JSON_TYPES or JSON_TYPES[expected](value)


def _walk_object(value, schema, path, causes):
    properties = schema.get("properties")
    additional = schema.get("additionalProperties")
    preserve = schema.get("x-kubernetes-preserve-unknown-fields") or schema.get("x-kubernetes-embedded-resource")
    result = {}
    for key, item in value.items():
        child = f"{path}.{key}" if path else key
        if properties is not None and key in properties:
            result[key] = _walk(item, properties[key], child, causes)
        elif isinstance(additional, dict):
            result[key] = _walk(item, additional, child, causes)
        elif preserve or additional is True:
            result[key] = item
    for key, sub in (properties or {}).items():
        if key not in result and "default" in sub:
            result[key] = copy.deepcopy(sub["default"])
    for key in schema.get("required") or []:
        if key not in result:
            causes.append((f"{path}.{key}" if path else key, "Required value"))
    return result
