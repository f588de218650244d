# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which realm is whose: each tenancy's binding to its realm, kept on the tenancy's namespace.

Every tenancy member is a realm admin of their realm and may change its attributes and its
name, so which realm belongs to which tenancy is decided where only the operator writes: the
annotations of the tenancy's namespace (the namespace labelled with the tenancy's ID, made by
``azimuth.ops.tenancy``) hold the realm's name and its Keycloak ID, which a rename does not
change.  ``Bindings`` reads every tenancy namespace with one list request, finds each tenancy's
namespace (after the ownership rules), tells which tenancy a realm ID is bound to, and records a
binding with a merge patch guarded by the namespace's resourceVersion.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.azimuth.ops.plugins.module_utils.kubernetes import _cloud_credential as cc
from ansible_collections.azimuth.ops.plugins.module_utils.common._module import ModuleError
from ansible_collections.azimuth.ops.plugins.module_utils.common._naming import (
    MANAGED_BY,
    MANAGED_BY_LABEL,
    TENANCY_ID_LABEL,
    describe_tenancy,
    tenancy_id_label,
    tenancy_namespace,
)

REALM_ANNOTATION = "tenant.azimuth-cloud.io/realm"
REALM_ID_ANNOTATION = "tenant.azimuth-cloud.io/realm-id"


def _annotations(namespace):
    return (namespace or {}).get("metadata", {}).get("annotations") or {}


def bound_realm_id(namespace):
    """The Keycloak ID of the realm bound to the tenancy of ``namespace`` (None when unbound)."""
    return _annotations(namespace).get(REALM_ID_ANNOTATION) or None


class Bindings:
    """The tenancies' namespaces and the realms bound to them.  ``kube`` is a ``_kubernetes.CoreCalls``."""

    def __init__(self, kube, check_mode=False):
        self.kube = kube
        self.check_mode = check_mode
        self.warnings = []
        self._by_tenancy = self._by_realm_id = None

    def read(self):
        self._by_tenancy, self._by_realm_id = {}, {}
        for namespace in self.kube.list_namespaces(TENANCY_ID_LABEL):
            labels = namespace["metadata"].get("labels") or {}
            self._by_tenancy.setdefault(labels[TENANCY_ID_LABEL], []).append(namespace)
            if bound_realm_id(namespace):
                self._by_realm_id[bound_realm_id(namespace)] = namespace

    def namespace(self, item, required=True):
        """The tenancy's namespace (a Kubernetes dict), after the ownership rules.  When it has none:
        None if not ``required``, in check mode None with a warning, else an error."""
        owned = self._by_tenancy.get(tenancy_id_label(item["id"]), [])
        if len(owned) > 1:
            raise ModuleError("%s: namespaces %s are all labelled %s=%s; remove the label from all but one"
                              % (describe_tenancy(item), " and ".join(sorted(n["metadata"]["name"] for n in owned)),
                                 TENANCY_ID_LABEL, tenancy_id_label(item["id"])))
        if not owned and not required:
            return None
        if not owned:
            message = ("%s: no namespace is labelled %s=%s, and the tenancy's realm binding and identity provider "
                       "secret are kept there; create it first with azimuth.ops.tenancy (the tenancies role)"
                       % (describe_tenancy(item), TENANCY_ID_LABEL, tenancy_id_label(item["id"])))
            if not self.check_mode:
                raise ModuleError(message)
            self.warnings.append("%s (check mode assumes %s)" % (message, tenancy_namespace(item["name"])))
            return None
        namespace = owned[0]
        metadata = namespace["metadata"]
        manager = (metadata.get("labels") or {}).get(MANAGED_BY_LABEL)
        if manager and manager != MANAGED_BY:
            raise ModuleError("%s: namespace %s is managed by %s (label %s), not by %s; it is not the collection's to annotate"
                              % (describe_tenancy(item), metadata["name"], manager, MANAGED_BY_LABEL, MANAGED_BY))
        if metadata.get("deletionTimestamp"):
            raise ModuleError("%s: namespace %s is being deleted; run again once it is gone" % (describe_tenancy(item), metadata["name"]))
        return namespace

    def owner(self, realm_id):
        """The name of the namespace whose tenancy the realm ``realm_id`` is bound to, or None."""
        namespace = self._by_realm_id.get(realm_id)
        return namespace["metadata"]["name"] if namespace else None

    def bound_ids(self, tenancy_ids):
        """The IDs of the realms bound to the tenancies ``tenancy_ids``."""
        namespaces = [n for tenancy_id in tenancy_ids for n in self._by_tenancy.get(tenancy_id_label(tenancy_id), [])]
        return [bound_realm_id(n) for n in namespaces if bound_realm_id(n)]

    @staticmethod
    def patch(namespace, realm_name, realm_id):
        """The merge patch that binds the realm to the namespace's tenancy (None when it is bound so already)."""
        if namespace is None:
            return None
        return cc.metadata_patch(namespace["metadata"], annotations={REALM_ANNOTATION: realm_name, REALM_ID_ANNOTATION: realm_id}) or None

    @staticmethod
    def unbind_patch(namespace):
        """The merge patch that removes the namespace's binding (None when it has none)."""
        if namespace is None:
            return None
        return cc.metadata_patch(namespace["metadata"], annotations={REALM_ANNOTATION: None, REALM_ID_ANNOTATION: None}) or None

    def write(self, namespace, patch):
        """Record the binding (``patch`` from ``patch()``); ``_kubernetes.Conflict`` when the namespace changed since it was read."""
        metadata = dict(patch, resourceVersion=namespace["metadata"].get("resourceVersion"))
        self.kube.patch_namespace(namespace["metadata"]["name"], {"metadata": metadata})
