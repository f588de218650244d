"""What each built-in kind does on write: defaulting, folding and kind-specific validation."""

import base64
import binascii
import re

from sandbox.kube.crds import prepare_crd
from sandbox.kube.errors import bad_request, invalid

FIELDS = {
    ("", "namespaces"): {"spec", "status"},
    ("", "secrets"): {"data", "stringData", "type", "immutable"},
    ("", "configmaps"): {"data", "binaryData", "immutable"},
    ("", "serviceaccounts"): {"secrets", "imagePullSecrets", "automountServiceAccountToken"},
    ("apiextensions.k8s.io", "customresourcedefinitions"): {"spec", "status"},
}
CONFIG_KEY = re.compile(r"[-._a-zA-Z0-9]+")
CONFIG_KEY_MESSAGE = ("a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. "
                      "'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')")
SECRET_REQUIRED_KEYS = {
    "kubernetes.io/tls": ["tls.crt", "tls.key"],
    "kubernetes.io/dockerconfigjson": [".dockerconfigjson"],
    "kubernetes.io/dockercfg": [".dockercfg"],
    "kubernetes.io/basic-auth": [],
    "kubernetes.io/ssh-auth": ["ssh-privatekey"],
}
MAX_DATA = 1024 * 1024


def unknown_fields(rtype, obj):
    """Top-level fields a built-in kind does not have (a real server drops them)."""
    known = FIELDS.get(rtype.key)
    if known is None:
        return []
    return sorted(k for k in obj if k not in known | {"apiVersion", "kind", "metadata"})


def prepare(rtype, obj, old):
    """Default and check ``obj`` (``old`` is the stored object on update); return it."""
    handler = PREPARERS.get(rtype.key)
    return handler(rtype, obj, old) if handler else obj


def _decode_error(rtype, message):
    return bad_request(f'{rtype.kind} in version "v1" cannot be handled as a {rtype.kind}: {message}')


def _check_base64(rtype, values, field):
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise _decode_error(rtype, f"json: cannot unmarshal into Go struct field {rtype.kind}.{field}")
    for value in values.values():
        if not isinstance(value, str):
            raise _decode_error(rtype, f"json: cannot unmarshal into Go struct field {rtype.kind}.{field} "
                                       "of type []uint8")
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise _decode_error(rtype, f"illegal base64 data: {exc}") from exc
    return values


def _key_causes(field, keys):
    causes = []
    for key in keys:
        if not CONFIG_KEY.fullmatch(key):
            causes.append((f"{field}[{key}]", f'Invalid value: "{key}": {CONFIG_KEY_MESSAGE}'))
    return causes


def _immutability_causes(obj, old, fields):
    if not old or not old.get("immutable"):
        return []
    causes = [] if obj.get("immutable") else [("immutable", "Forbidden: field is immutable when `immutable` is set")]
    for field in fields:
        if obj.get(field) != old.get(field):
            causes.append((field, "Forbidden: field is immutable when `immutable` is set"))
    return causes


def _secret(rtype, obj, old):
    data = dict(_check_base64(rtype, obj.get("data"), "data"))
    string_data = obj.pop("stringData", None) or {}
    if not isinstance(string_data, dict) or not all(isinstance(v, str) for v in string_data.values()):
        raise _decode_error(rtype, "json: cannot unmarshal into Go struct field Secret.stringData of type string")
    for key, value in string_data.items():
        data[key] = base64.b64encode(value.encode()).decode()
    obj.pop("data", None)
    if data:
        obj["data"] = data
    obj["type"] = obj.get("type") or "Opaque"
    causes = _key_causes("data", data)
    causes += [(f"data[{key}]", "Required value") for key in SECRET_REQUIRED_KEYS.get(obj["type"], [])
               if key not in data]
    if sum(len(base64.b64decode(v)) for v in data.values()) > MAX_DATA:
        causes.append(("data", f"Too long: must have at most {MAX_DATA} bytes"))
    if old and old.get("type", "Opaque") != obj["type"]:
        causes.append(("type", f'Invalid value: "{obj["type"]}": field is immutable'))
    causes += _immutability_causes(obj, old, ["data"])
    if causes:
        raise invalid(rtype, obj["metadata"]["name"], causes)
    return obj


def _configmap(rtype, obj, old):
    data = obj.get("data") or {}
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise _decode_error(rtype, "json: cannot unmarshal into Go struct field ConfigMap.data of type string")
    binary = _check_base64(rtype, obj.get("binaryData"), "binaryData")
    causes = _key_causes("data", data) + _key_causes("binaryData", binary)
    causes += [(f"data[{key}]", f'Invalid value: "{key}": duplicate of key present in binaryData')
               for key in data if key in binary]
    if sum(len(k) + len(v) for k, v in data.items()) > MAX_DATA:
        causes.append(("data", f"Too long: must have at most {MAX_DATA} bytes"))
    causes += _immutability_causes(obj, old, ["data", "binaryData"])
    if causes:
        raise invalid(rtype, obj["metadata"]["name"], causes)
    for field in ("data", "binaryData"):
        if not obj.get(field):
            obj.pop(field, None)
    return obj


def _namespace(_rtype, obj, _old):
    name = obj["metadata"]["name"]
    obj["metadata"].setdefault("labels", {})
    if obj["metadata"]["labels"] is None:
        obj["metadata"]["labels"] = {}
    obj["metadata"]["labels"]["kubernetes.io/metadata.name"] = name
    spec = obj.get("spec") or {}
    spec.setdefault("finalizers", ["kubernetes"])
    obj["spec"] = spec
    obj["status"] = obj.get("status") or {"phase": "Active"}
    return obj


PREPARERS = {
    ("", "namespaces"): _namespace,
    ("", "secrets"): _secret,
    ("", "configmaps"): _configmap,
    ("apiextensions.k8s.io", "customresourcedefinitions"): prepare_crd,
}
