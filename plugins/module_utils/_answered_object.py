# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Each tenancy's ``Realm`` object (identity.azimuth.stackhpc.com), as the portal reads it.

The Azimuth portal makes a ``Realm`` in the tenancy's namespace, named after the namespace, and its
identity view reads the realm's issuer, admin URL and platform-users group from the object's
status, which the identity operator writes.  When the collection keeps a tenancy's realm, it answers
that object the same way: it makes the object when the portal has not (label managed-by
``azimuth-ops``), and writes the status through the status subresource.

Whose object is whose: one the portal made (managed-by ``azimuth``) or the collection made is
answered; one another tool manages is refused; one the identity operator handles (its finalizer or
its annotations) is the operator's, refused unless ``adopt``, which takes the operator's marks off
and records the takeover in an annotation.  All of it is decided while planning, before any write.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

from ansible_collections.azimuth.ops.plugins.module_utils import _kubernetes as kube
from ansible_collections.azimuth.ops.plugins.module_utils._module import ModuleError
from ansible_collections.azimuth.ops.plugins.module_utils._naming import ADOPTED_ANNOTATION, MANAGED_BY, MANAGED_BY_LABEL

GROUP, VERSION, PLURAL = "identity.azimuth.stackhpc.com", "v1alpha1", "realms"
KIND = (GROUP, VERSION, PLURAL)
# Who else makes or handles Realm objects: the portal makes them, the identity operator answers them
# (kopf keeps its finalizer and its progress annotations under the API group).
PORTAL = "azimuth"
OPERATOR = "azimuth-identity-operator"
OPERATOR_FINALIZER = GROUP + "/finalizer"
OPERATOR_ANNOTATIONS = GROUP + "/"
PLATFORM_USERS_GROUP = "/platform-users"


def realm_status(public_url, realm):
    """The status the identity operator gives a tenancy's ready realm."""
    base = public_url.rstrip("/")
    return dict(phase="Ready", oidcIssuerUrl="%s/realms/%s" % (base, realm), adminUrl="%s/admin/%s/console" % (base, realm),
                platformUsersGroup=PLATFORM_USERS_GROUP)


def _where(obj):
    return "the Realm %s/%s" % (obj["metadata"]["namespace"], obj["metadata"]["name"])


def operator_marks(obj):
    """The identity operator's finalizer and annotations on ``obj`` (empty when it never handled it)."""
    metadata = obj["metadata"]
    marks = [f for f in metadata.get("finalizers") or [] if f == OPERATOR_FINALIZER]
    return marks + sorted(k for k in metadata.get("annotations") or {} if k.startswith(OPERATOR_ANNOTATIONS))


def check_realm_object(obj, adopt):
    """Refuse ``obj`` unless the collection may answer it (see the module docstring)."""
    if obj is None:
        return
    metadata = obj["metadata"]
    manager = (metadata.get("labels") or {}).get(MANAGED_BY_LABEL)
    if manager not in (None, PORTAL, MANAGED_BY):
        raise ModuleError("%s is managed by %s (label %s=%s), not by %s or the portal; it is not the collection's to answer"
                          % (_where(obj), manager, MANAGED_BY_LABEL, manager, MANAGED_BY))
    if metadata.get("deletionTimestamp") and manager != MANAGED_BY:
        raise ModuleError("%s is being deleted; run again once it is gone" % _where(obj))
    if operator_marks(obj) and not adopt:
        raise ModuleError("%s is handled by the %s (it carries %s); set adopt: true to take it and its realm over "
                          "(stop the operator first)" % (_where(obj), OPERATOR, ", ".join(operator_marks(obj))))


class RealmObjects:
    """The tenancies' ``Realm`` objects: read in one list, planned per tenancy, written unless checking.

    ``calls`` is a ``_kubernetes.CustomCalls`` of the Realm kind.
    """

    def __init__(self, calls):
        self.calls = calls
        self._by_namespace = {}

    def read(self):
        try:
            found = self.calls.list_all()
        except kube.NotInstalled as exc:
            raise ModuleError("Cannot keep the tenancies' Realm objects: %s. Install the identity operator's CRDs "
                              "(the portal needs them), or set realm_objects: false" % exc)
        # The portal's object for a tenancy is the one named after its namespace.
        self._by_namespace = dict((o["metadata"]["namespace"], o) for o in found if o["metadata"]["name"] == o["metadata"]["namespace"])

    def current(self, namespace):
        return self._by_namespace.get(namespace)

    def operator_made(self, namespace):
        """Whether the identity operator handles the tenancy's Realm object in ``namespace``."""
        obj = self.current(namespace)
        return bool(obj and operator_marks(obj))

    def plan(self, namespace, tenancy_id, status, adopt):
        """The writes that make the tenancy's object say ``status`` (a dict; ``changed`` False when none)."""
        current = self.current(namespace)
        check_realm_object(current, adopt)
        planned = dict(namespace=namespace, current=current, create=None, patch=None, status=None)
        if current is None:
            planned["create"] = dict(
                apiVersion="%s/%s" % (GROUP, VERSION), kind="Realm",
                metadata=dict(name=namespace, namespace=namespace, labels={MANAGED_BY_LABEL: MANAGED_BY}),
                spec=dict(tenancyId=tenancy_id))
        else:
            planned["patch"] = self._patch(current, tenancy_id)
        now = (current.get("status") or {}) if current else {}
        if any(now.get(key) != value for key, value in status.items()):
            planned["status"] = status
        planned["changed"] = bool(planned["create"] or planned["patch"] or planned["status"])
        return planned

    @staticmethod
    def _patch(current, tenancy_id):
        """The merge patch of the object's spec and (adopting) metadata; None when nothing changes."""
        patch = {}
        if (current.get("spec") or {}).get("tenancyId") != tenancy_id:
            patch["spec"] = dict(tenancyId=tenancy_id)
        marks = operator_marks(current)
        if marks:
            metadata = current["metadata"]
            annotations = dict((key, None) for key in marks if key != OPERATOR_FINALIZER)
            annotations[ADOPTED_ANNOTATION] = "%s at %s" % (OPERATOR, datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
            patch["metadata"] = dict(annotations=annotations, resourceVersion=metadata.get("resourceVersion"),
                                     finalizers=[f for f in metadata.get("finalizers") or [] if f != OPERATOR_FINALIZER])
        return patch or None

    def plan_delete(self, namespace):
        """The deletion of the tenancy's object, when the collection made it (one the portal made is the portal's)."""
        current = self.current(namespace)
        if current is None or (current["metadata"].get("labels") or {}).get(MANAGED_BY_LABEL) != MANAGED_BY:
            return None
        return dict(namespace=namespace, current=current, delete=True, changed=True)

    def write(self, planned):
        """Carry out a plan of ``plan`` or ``plan_delete``."""
        namespace = planned["namespace"]
        if planned.get("delete"):
            self.calls.delete(namespace, namespace, uid=planned["current"]["metadata"].get("uid"))
            return
        if planned["create"]:
            self.calls.create(namespace, planned["create"])
        elif planned["patch"]:
            self.calls.patch(namespace, namespace, planned["patch"])
        if planned["status"]:
            self.calls.patch_status(namespace, namespace, planned["status"])

    @staticmethod
    def view(planned):
        """(before, after) of a planned write, for the diff."""
        current = planned["current"]
        before = dict(spec=current.get("spec") or {}, status=current.get("status") or {}) if current else None
        if planned.get("delete"):
            return before, None
        after = dict(spec=dict((before or {}).get("spec") or {}, **((planned["create"] or planned["patch"] or {}).get("spec") or {})),
                     status=dict((before or {}).get("status") or {}, **(planned["status"] or {})))
        return before, after
