"""The verbs on objects: create, get, list, replace, patch, delete and deletecollection.

Each verb takes a :class:`Call` (what the URL named plus the query) and answers
``(http_code, body)``; failures raise :class:`~sandbox.kube.errors.ApiError`.
Callers hold the store's lock.
"""

import copy
import json
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Optional

from sandbox.kube import kinds, patch as patches, paging
from sandbox.kube.crds import apply_schema
from sandbox.kube.errors import ApiError, already_exists, bad_request, conflict, invalid, not_found
from sandbox.kube.resources import ResourceType
from sandbox.kube.selectors import field_selector, label_selector
from sandbox.kube.validation import metadata_causes, name_causes

NAMESPACES = ("", "namespaces")
SERVER_FIELDS = ("uid", "creationTimestamp", "generation", "deletionTimestamp", "deletionGracePeriodSeconds")
IGNORED_FIELDS = ("selfLink", "managedFields")
PROTECTED_NAMESPACES = ("default", "kube-system", "kube-public")
SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
MERGE = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
PATCH_TYPES = f"{JSON_PATCH}, {MERGE}, application/apply-patch+yaml"


@dataclass
class Call:
    """One request on a resource type."""

    rtype: ResourceType
    version: str
    namespace: Optional[str] = None
    name: Optional[str] = None
    subresource: Optional[str] = None
    query: dict = field(default_factory=dict)

    @property
    def key(self):
        return self.rtype.key

    @property
    def dry_run(self):
        value = self.query.get("dryRun")
        if value not in (None, "", "All"):
            raise bad_request(f'Invalid dryRun value "{value}": valid values are "All"')
        return value == "All"


def now():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _random_suffix():
    return "".join(random.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(5))


def _content(obj, ignore_status=False):
    """The parts of an object that count as a change (not its resourceVersion)."""
    meta = {k: v for k, v in obj["metadata"].items() if k != "resourceVersion"}
    body = {k: v for k, v in obj.items() if k not in ("metadata", "apiVersion", "kind")}
    if ignore_status:
        body.pop("status", None)
    return meta, body


class Objects:
    """The objects of every type, behind the REST verbs."""

    def __init__(self, store, ca_pem=""):
        self.store = store
        self.ca_pem = ca_pem

    # --- shared steps ----------------------------------------------------------

    def out(self, call, obj):
        """``obj`` as served at the requested version."""
        return dict(obj, apiVersion=call.rtype.api_version(call.version), kind=call.rtype.kind)

    def _decode(self, call, body):
        """Check a request body's apiVersion, kind and metadata; return a copy to store."""
        rtype = call.rtype
        if not isinstance(body, dict):
            raise bad_request(f"{rtype.kind} in version \"{call.version}\" cannot be handled as a "
                              f"{rtype.kind}: json: cannot unmarshal {type(body).__name__} into Go value")
        expected = rtype.api_version(call.version)
        api_version, kind = body.get("apiVersion"), body.get("kind")
        if not rtype.builtin and not kind:
            raise bad_request(f"Object 'Kind' is missing in '{json.dumps(body)}'")
        if not rtype.builtin and not api_version:
            raise bad_request(f"Object 'apiVersion' is missing in '{json.dumps(body)}'")
        if api_version and api_version != expected:
            raise bad_request(f"the API version in the data ({api_version}) does not match the expected "
                              f"API version ({expected})")
        if kind and kind != rtype.kind:
            raise bad_request(f"the kind in the data ({kind}) does not match the expected kind ({rtype.kind})")
        if not isinstance(body.get("metadata", {}), dict):
            raise bad_request(f"{rtype.kind} in version \"{call.version}\" cannot be handled as a "
                              f"{rtype.kind}: metadata must be an object")
        obj = copy.deepcopy(body)
        obj["metadata"] = obj.get("metadata") or {}
        for name in IGNORED_FIELDS:
            obj["metadata"].pop(name, None)
        self._drop_unknown_fields(call, obj)
        obj.update(apiVersion=rtype.api_version(rtype.storage), kind=rtype.kind)
        return obj

    def _drop_unknown_fields(self, call, obj):
        unknown = kinds.unknown_fields(call.rtype, obj)
        if unknown and call.query.get("fieldValidation") == "Strict":
            raise bad_request("strict decoding error: " + ", ".join(f'unknown field "{f}"' for f in unknown))
        for name in unknown:
            del obj[name]

    def _place(self, call, obj):
        """Fill in (or check) the namespace the URL names."""
        meta = obj["metadata"]
        if not call.rtype.namespaced:
            meta.pop("namespace", None)
            return
        if meta.get("namespace") and meta["namespace"] != call.namespace:
            raise bad_request("the namespace of the provided object does not match the namespace sent on the request")
        meta["namespace"] = call.namespace

    def _check_name_matches(self, call, obj):
        name = obj["metadata"].get("name") or ""
        if name != call.name:
            raise bad_request(f"the name of the object ({name}) does not match the name on the URL ({call.name})")

    def _validate(self, call, obj):
        causes = name_causes(call.rtype, obj) + metadata_causes(obj)
        if causes:
            raise invalid(call.rtype, obj["metadata"].get("name"), causes)

    def _prepare(self, call, obj, old):
        if call.rtype.builtin:
            return kinds.prepare(call.rtype, obj, old)
        return apply_schema(call.rtype, call.rtype.storage, obj)

    def _existing(self, call):
        obj = self.store.get(call.key, call.namespace, call.name)
        if obj is None:
            raise not_found(call.rtype, call.name)
        return obj

    def _commit(self, call, obj):
        if call.dry_run:
            return obj
        obj["metadata"]["resourceVersion"] = self.store.next_resource_version()
        self.store.put(call.key, obj)
        return obj

    # --- create ------------------------------------------------------------------

    def create(self, call, body):
        obj = self._decode(call, body)
        meta = obj["metadata"]
        meta.pop("resourceVersion", None)
        self._place(call, obj)
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + _random_suffix()
        self._validate(call, obj)
        if call.rtype.namespaced and not self.store.get(NAMESPACES, None, call.namespace):
            raise ApiError(404, f'namespaces "{call.namespace}" not found',
                           details={"name": call.namespace, "kind": "namespaces"})
        if self.store.get(call.key, call.namespace, meta["name"]):
            raise already_exists(call.rtype, meta["name"])
        for name in SERVER_FIELDS:
            meta.pop(name, None)
        meta.update(uid=str(uuid.uuid4()), creationTimestamp=now())
        if call.rtype.has_generation:
            meta["generation"] = 1
        if call.rtype.status_subresource and call.key != NAMESPACES:
            obj.pop("status", None)
        obj = self._commit(call, self._prepare(call, obj, None))
        if call.key == NAMESPACES and not call.dry_run:
            self.seed_namespace(meta["name"])
        return 201, self.out(call, obj)

    def seed_namespace(self, namespace):
        """What controllers add to every new namespace: the default ServiceAccount and CA ConfigMap."""
        defaults = [(("", "serviceaccounts"), {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {
                        "name": "default", "namespace": namespace}}),
                    (("", "configmaps"), {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {
                        "name": "kube-root-ca.crt", "namespace": namespace,
                        "annotations": {"kubernetes.io/description": "Contains a CA bundle that can be used to "
                                        "verify the kube-apiserver when using internal endpoints such as the "
                                        "internal service IP or kubernetes.default.svc. No other usage is "
                                        "guaranteed across distributions of Kubernetes clusters."}},
                     "data": {"ca.crt": self.ca_pem}})]
        for key, obj in defaults:
            obj["metadata"].update(uid=str(uuid.uuid4()), creationTimestamp=now(),
                                   resourceVersion=self.store.next_resource_version())
            self.store.put(key, obj)

    def bootstrap(self, types):
        """The namespaces a new cluster has."""
        for name in SYSTEM_NAMESPACES:
            self.create(Call(types.by_key(NAMESPACES), "v1"), {"metadata": {"name": name}})

    # --- read --------------------------------------------------------------------

    def get(self, call):
        return 200, self.out(call, self._existing(call))

    def select(self, call):
        """The objects a list (or deletecollection) names: namespace and selectors."""
        namespace = call.namespace if call.rtype.namespaced else None
        labels = label_selector(call.query.get("labelSelector"))
        fields = field_selector(call.query.get("fieldSelector"), call.key)
        return [obj for obj in self.store.items(call.key, namespace) if labels(obj) and fields(obj)]

    def list(self, call):
        if call.query.get("watch") in ("true", "1"):
            raise ApiError(405, "watch is not supported by the sandbox Kubernetes emulator")
        items, metadata = paging.page(self.select(call), call.query, self.store.resource_version)
        if call.rtype.builtin:
            items = [{k: v for k, v in obj.items() if k not in ("apiVersion", "kind")} for obj in items]
        else:
            items = [self.out(call, obj) for obj in items]
        return 200, {"apiVersion": call.rtype.api_version(call.version), "kind": call.rtype.list_kind,
                     "metadata": metadata, "items": items}

    # --- update ------------------------------------------------------------------

    def replace(self, call, body):
        obj = self._decode(call, body)
        self._check_name_matches(call, obj)
        self._place(call, obj)
        return self._update(call, obj, self._existing(call), require_version=True)

    def patch(self, call, raw, content_type):
        old = self._existing(call)
        media = (content_type or "").split(";")[0].strip()
        if media == STRATEGIC and not call.rtype.builtin or media not in (MERGE, JSON_PATCH, STRATEGIC):
            raise ApiError(415, "the body of the request was in an unknown format - accepted media types "
                                f"include: {PATCH_TYPES}" + (f", {STRATEGIC}" if call.rtype.builtin else ""))
        body = patches.parse_body(raw)
        current = self.out(call, old)
        if media == JSON_PATCH:
            patched = patches.json_patch(current, body)
        elif media == MERGE:
            patched = patches.merge_patch(current, body)
        else:
            patched = patches.strategic_merge_patch(current, body, call.key)
        obj = self._decode(call, patched)
        self._check_name_matches(call, obj)
        self._place(call, obj)
        return self._update(call, obj, old, require_version=False)

    def _allows_unconditional_update(self, call):
        return call.rtype.builtin and call.rtype.group == ""

    def _check_version(self, call, obj, old, require_version):
        version = obj["metadata"].get("resourceVersion")
        if version and version != old["metadata"]["resourceVersion"]:
            raise conflict(call.rtype, call.name)
        if not version and require_version and not self._allows_unconditional_update(call):
            raise invalid(call.rtype, call.name, [("metadata.resourceVersion",
                                                   "Invalid value: 0x0: must be specified for an update")])

    def _merge_server_fields(self, call, obj, old):
        """Server-owned metadata and, where a status subresource exists, the status."""
        meta = obj["metadata"]
        for name in SERVER_FIELDS:
            meta.pop(name, None)
            if name in old["metadata"]:
                meta[name] = old["metadata"][name]
        meta["resourceVersion"] = old["metadata"]["resourceVersion"]
        if call.subresource == "status":
            obj = dict(copy.deepcopy(old), status=obj.get("status"))
        elif call.rtype.status_subresource:
            obj["status"] = copy.deepcopy(old.get("status"))
        if obj.get("status") is None:
            obj.pop("status", None)
        return obj

    def _update(self, call, obj, old, require_version):
        self._check_version(call, obj, old, require_version)
        self._validate(call, obj)
        obj = self._prepare(call, self._merge_server_fields(call, obj, old), old)
        ignore_status = call.rtype.status_subresource
        if _content(obj) == _content(old):
            return 200, self.out(call, old)
        if call.rtype.has_generation and _content(obj, ignore_status)[1] != _content(old, ignore_status)[1]:
            obj["metadata"]["generation"] = old["metadata"].get("generation", 0) + 1
        if obj["metadata"].get("deletionTimestamp") and not obj["metadata"].get("finalizers"):
            if not call.dry_run:
                self._remove(call, obj)
            return 200, self.out(call, obj)
        return 200, self.out(call, self._commit(call, obj))

    # --- delete ------------------------------------------------------------------

    def delete(self, call, raw):
        options = patches.parse_body(raw, "delete options") or {}
        if not isinstance(options, dict):
            raise bad_request("DeleteOptions must be an object")
        old = self._existing(call)
        self._check_preconditions(call, old, options.get("preconditions") or {})
        if "All" in (options.get("dryRun") or []):
            call.query["dryRun"] = "All"
        return self._delete_one(call, old)

    def _check_preconditions(self, call, old, preconditions):
        for name, label in (("uid", "UID"), ("resourceVersion", "ResourceVersion")):
            expected = preconditions.get(name)
            if expected and expected != old["metadata"].get(name):
                raise ApiError(409, f"Precondition failed: {label} in precondition: {expected}, {label} in "
                                    f"object meta: {old['metadata'].get(name)}",
                               details={"name": call.name, "kind": call.rtype.plural})

    def _delete_one(self, call, old):
        if call.key == NAMESPACES and old["metadata"]["name"] in PROTECTED_NAMESPACES:
            raise ApiError(403, f'namespaces "{old["metadata"]["name"]}" is forbidden: this namespace may '
                                "not be deleted", details={"name": old["metadata"]["name"], "kind": "namespaces"})
        obj = copy.deepcopy(old)
        obj["metadata"].setdefault("deletionTimestamp", now())
        if obj["metadata"].get("finalizers"):
            if "deletionGracePeriodSeconds" not in obj["metadata"]:
                obj["metadata"]["deletionGracePeriodSeconds"] = 0
            return 202, self.out(call, self._commit(call, obj) if obj != old else old)
        if call.key == NAMESPACES:
            obj["status"] = {"phase": "Terminating"}
        if not call.dry_run:
            self._remove(call, obj)
        if call.rtype.builtin and call.rtype.group == "" and call.key != NAMESPACES:
            return 200, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                         "details": {"name": obj["metadata"]["name"], "kind": call.rtype.plural,
                                     "uid": obj["metadata"]["uid"]}}
        return 200, self.out(call, obj)

    def _remove(self, call, obj):
        meta = obj["metadata"]
        self.store.remove(call.key, meta.get("namespace"), meta["name"])
        if call.key == NAMESPACES:
            self.store.remove_namespace(meta["name"])
        if call.key == ("apiextensions.k8s.io", "customresourcedefinitions"):
            self.store.remove_type((obj["spec"]["group"], obj["spec"]["names"]["plural"]))
        self.store.next_resource_version()

    def delete_collection(self, call, raw):
        options = patches.parse_body(raw, "delete options") or {}
        if "All" in (options.get("dryRun") or []):
            call.query["dryRun"] = "All"
        deleted = []
        for obj in self.select(call):
            code, _ = self._delete_one(call, obj)
            if code in (200, 202):
                deleted.append(self.out(call, obj))
        return 200, {"apiVersion": call.rtype.api_version(call.version), "kind": call.rtype.list_kind,
                     "metadata": {"resourceVersion": str(self.store.resource_version)}, "items": deleted}
