"""Discovery documents: /version, /api, /apis, /apis/{group}, the resource lists, and OpenAPI."""

from sandbox.kube.errors import ApiError

VERSION = {
    "major": "1", "minor": "30", "gitVersion": "v1.30.0", "gitCommit": "0" * 40,
    "gitTreeState": "clean", "buildDate": "2024-04-17T00:00:00Z", "goVersion": "go1.22.2",
    "compiler": "gc", "platform": "linux/amd64",
}
# The smallest valid OpenAPI v2 protobuf document (field 1, swagger = "2.0"): kubectl's
# client-side validation finds no schema in it and skips validation, as for unknown kinds.
OPENAPI_V2_PROTOBUF = b"\x0a\x032.0"
OPENAPI_V2_JSON = {"swagger": "2.0", "info": {"title": "Kubernetes", "version": VERSION["gitVersion"]},
                   "paths": {}, "definitions": {}}


def not_found():
    return ApiError(404, "the server could not find the requested resource", details={})


def api_versions(server_address):
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}]}


def _group(name, versions):
    entries = [{"groupVersion": f"{name}/{v}", "version": v} for v in versions]
    return {"name": name, "versions": entries, "preferredVersion": entries[0]}


def api_group_list(registry):
    groups = registry.group_versions()
    return {"kind": "APIGroupList", "apiVersion": "v1",
            "groups": [_group(name, versions) for name, versions in groups.items()]}


def api_group(registry, name):
    versions = registry.group_versions().get(name)
    if not versions:
        raise not_found()
    return dict(_group(name, versions), kind="APIGroup", apiVersion="v1")


def _resource_entries(rtype):
    entry = {"name": rtype.plural, "singularName": rtype.singular, "namespaced": rtype.namespaced,
             "kind": rtype.kind, "verbs": rtype.verbs()}
    if rtype.short_names:
        entry["shortNames"] = rtype.short_names
    if rtype.categories:
        entry["categories"] = rtype.categories
    entries = [entry]
    if rtype.status_subresource:
        entries.append({"name": f"{rtype.plural}/status", "singularName": "", "namespaced": rtype.namespaced,
                        "kind": rtype.kind, "verbs": ["get", "patch", "update"]})
    return entries


def api_resource_list(registry, group, version):
    types = [t for t in registry.all() if t.group == group and version in t.versions]
    if not types:
        raise not_found()
    group_version = f"{group}/{version}" if group else version
    resources = [entry for rtype in types for entry in _resource_entries(rtype)]
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version,
            "resources": resources}
