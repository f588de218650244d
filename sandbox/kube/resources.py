"""Resource types: the built-in kinds this emulator serves and those CRDs define."""

import re
from dataclasses import dataclass, field

VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update"]
NAMESPACE_VERBS = ["create", "delete", "get", "list", "patch", "update"]
STATUS_VERBS = ["get", "patch", "update"]
CRD_GROUP = "apiextensions.k8s.io"


@dataclass
class ResourceType:
    """One REST resource: where it is served and what its objects are."""

    group: str
    versions: list
    plural: str
    singular: str
    kind: str
    namespaced: bool
    short_names: list = field(default_factory=list)
    categories: list = field(default_factory=list)
    builtin: bool = True
    has_generation: bool = False
    status_subresource: bool = False
    printer_columns: dict = field(default_factory=dict)  # version -> additionalPrinterColumns
    schemas: dict = field(default_factory=dict)  # version -> openAPIV3Schema
    storage_version: str = ""

    @property
    def key(self):
        return (self.group, self.plural)

    @property
    def storage(self):
        return self.storage_version or self.versions[0]

    @property
    def list_kind(self):
        return self.kind + "List"

    @property
    def resource_ref(self):
        """How error messages name the resource: ``secrets`` or ``widgets.example.com``."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def api_version(self, version):
        return f"{self.group}/{version}" if self.group else version

    def verbs(self):
        return NAMESPACE_VERBS if self.key == ("", "namespaces") else VERBS


BUILTINS = [
    ResourceType("", ["v1"], "namespaces", "namespace", "Namespace", False, ["ns"], status_subresource=True),
    ResourceType("", ["v1"], "secrets", "secret", "Secret", True),
    ResourceType("", ["v1"], "configmaps", "configmap", "ConfigMap", True, ["cm"]),
    ResourceType("", ["v1"], "serviceaccounts", "serviceaccount", "ServiceAccount", True, ["sa"]),
    ResourceType(CRD_GROUP, ["v1"], "customresourcedefinitions", "customresourcedefinition",
                 "CustomResourceDefinition", False, ["crd", "crds"], ["api-extensions"],
                 has_generation=True, status_subresource=True),
]


def type_from_crd(crd):
    """The resource type a CustomResourceDefinition serves."""
    spec = crd["spec"]
    names = spec["names"]
    served = [v for v in spec["versions"] if v.get("served")]
    return ResourceType(
        group=spec["group"],
        versions=[v["name"] for v in served],
        plural=names["plural"],
        singular=names.get("singular") or names["kind"].lower(),
        kind=names["kind"],
        namespaced=spec["scope"] == "Namespaced",
        short_names=list(names.get("shortNames") or []),
        categories=list(names.get("categories") or []),
        builtin=False,
        has_generation=True,
        status_subresource=any("status" in (v.get("subresources") or {}) for v in served),
        printer_columns={v["name"]: v.get("additionalPrinterColumns") or [] for v in served},
        schemas={v["name"]: (v.get("schema") or {}).get("openAPIV3Schema") or {} for v in served},
        storage_version=next((v["name"] for v in spec["versions"] if v.get("storage")), ""),
    )


class Registry:
    """Every served resource type, the built-ins first, then one per CRD."""

    def __init__(self):
        self._crd_types = {}

    def set_crds(self, crds):
        self._crd_types = {crd["metadata"]["name"]: type_from_crd(crd) for crd in crds}

    def all(self):
        return BUILTINS + sorted(self._crd_types.values(), key=lambda t: (t.group, t.plural))

    def lookup(self, group, version, plural):
        for rtype in self.all():
            if rtype.group == group and rtype.plural == plural and version in rtype.versions:
                return rtype
        return None

    def by_key(self, key):
        return next((t for t in self.all() if t.key == key), None)

    def group_versions(self):
        """``{group: [versions]}`` in serving order (first is preferred), core group excluded."""
        groups = {}
        for rtype in self.all():
            if rtype.group:
                known = groups.setdefault(rtype.group, [])
                known.extend(v for v in rtype.versions if v not in known)
        return {group: sorted(versions, key=version_priority) for group, versions in groups.items()}


def version_priority(version):
    """Kubernetes version ordering: GA before beta before alpha, higher numbers first."""
    match = re.fullmatch(r"v(\d+)(?:(alpha|beta)(\d+))?", version)
    if not match:
        return (3, 0, 0, version)
    major, stage, minor = match.groups()
    rank = {None: 0, "beta": 1, "alpha": 2}[stage]
    return (rank, -int(major), -int(minor or 0), version)
