# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The portal's identity objects that the collection answers as Azimuth's identity operator does:
``Realm`` and ``Platform`` (identity.azimuth.stackhpc.com/v1alpha1).

The Azimuth portal makes a ``Realm`` in a tenancy's namespace, named after the namespace, and a
``Platform`` per CaaS cluster or app with Zenith services; it reads the realm's issuer, admin URL
and platform-users group, and the platform's groups, from their status, which the identity operator
writes.  The collection answers them the same way: it writes the status through the status
subresource (and makes a tenancy's ``Realm`` when the portal has not, labelled managed-by
``azimuth-ops``).  Asked to (``finalizer``), it holds each object with its own finalizer until it has
cleaned up after it, as an event-driven run that answers deletions must.

Whose object is whose: one the portal made (managed-by ``azimuth``) or the collection made is
answered; one another tool manages is refused; one the identity operator handles (its finalizer or
its annotations) is the operator's, refused unless ``adopt``, which takes the operator's marks off
and records the takeover in an annotation.  All of it is decided while planning, before any write.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

from ansible_collections.azimuth.ops.plugins.module_utils.kubernetes import _kubernetes as kube
from ansible_collections.azimuth.ops.plugins.module_utils.common._module import ModuleError
from ansible_collections.azimuth.ops.plugins.module_utils.common._naming import ADOPTED_ANNOTATION, MANAGED_BY, MANAGED_BY_LABEL

GROUP, VERSION = "identity.azimuth.stackhpc.com", "v1alpha1"
REALM_KIND = (GROUP, VERSION, "realms")
PLATFORM_KIND = (GROUP, VERSION, "platforms")
# Who else makes or handles these objects: the portal makes them, the identity operator answers them
# (kopf keeps its finalizer and its progress annotations under the API group).
PORTAL = "azimuth"
OPERATOR = "azimuth-identity-operator"
OPERATOR_FINALIZER = GROUP + "/finalizer"
OPERATOR_ANNOTATIONS = GROUP + "/"
FINALIZER = "azimuth-ops.azimuth-cloud.io/identity"
PLATFORM_USERS_GROUP = "/platform-users"


def realm_status(public_url, realm):
    """The status the identity operator gives a tenancy's ready realm."""
    base = public_url.rstrip("/")
    return dict(phase="Ready", oidcIssuerUrl="%s/realms/%s" % (base, realm), adminUrl="%s/admin/%s/console" % (base, realm),
                platformUsersGroup=PLATFORM_USERS_GROUP)


def platform_status(platform, services):
    """The status the identity operator gives a ready platform: its group, and each service's subgroup."""
    return dict(phase="Ready", rootGroup="/" + platform, zenithServiceSubgroups=dict((s, "/%s/%s" % (platform, s)) for s in services))


def _where(kind, obj):
    return "the %s %s/%s" % (kind, obj["metadata"]["namespace"], obj["metadata"]["name"])


def _manager(obj):
    return (obj["metadata"].get("labels") or {}).get(MANAGED_BY_LABEL)


def _finalizers(obj):
    return list(obj["metadata"].get("finalizers") or [])


def operator_marks(obj):
    """The identity operator's finalizer and annotations on ``obj`` (empty when it never handled it)."""
    marks = [f for f in _finalizers(obj) if f == OPERATOR_FINALIZER]
    return marks + sorted(k for k in obj["metadata"].get("annotations") or {} if k.startswith(OPERATOR_ANNOTATIONS))


def check_answerable(kind, obj, adopt):
    """Refuse ``obj`` (a ``kind`` object, or None) unless the collection may answer it (see the module docstring)."""
    if obj is None:
        return
    manager = _manager(obj)
    if manager not in (None, PORTAL, MANAGED_BY):
        raise ModuleError("%s is managed by %s (label %s=%s), not by %s or the portal; it is not the collection's to answer"
                          % (_where(kind, obj), manager, MANAGED_BY_LABEL, manager, MANAGED_BY))
    if obj["metadata"].get("deletionTimestamp"):
        raise ModuleError("%s is being deleted; run with state absent to clean up after it" % _where(kind, obj))
    if operator_marks(obj) and not adopt:
        raise ModuleError("%s is handled by the %s (it carries %s); set adopt: true to take it over (stop the operator first)"
                          % (_where(kind, obj), OPERATOR, ", ".join(operator_marks(obj))))


class AnsweredObjects:
    """The objects of one kind (``Realm`` or ``Platform``) that a run answers: read, planned, written unless checking.

    ``calls`` is a ``_kubernetes.CustomCalls`` of the kind; ``option`` the module option that turns
    answering them off (named when the cluster does not serve the kind).
    """

    def __init__(self, calls, kind, option, finalizer=False):
        self.calls, self.kind, self.option, self.finalizer = calls, kind, option, finalizer
        self._found, self._listed = {}, False

    def read_all(self):
        """Read every object of the kind in one list (otherwise each is read when first asked for)."""
        try:
            found = self.calls.list_all()
        except kube.NotInstalled as exc:
            raise ModuleError("Cannot answer the %s objects: %s. Install the identity operator's CRDs (the portal needs "
                              "them), or set %s" % (self.kind, exc, self.option))
        self._found = dict(((o["metadata"]["namespace"], o["metadata"]["name"]), o) for o in found)
        self._listed = True

    def current(self, namespace, name):
        key = (namespace, name)
        if key not in self._found and not self._listed:
            self._found[key] = self.calls.read(namespace, name)
        return self._found.get(key)

    def operator_made(self, namespace, name):
        """Whether the identity operator handles the object."""
        obj = self.current(namespace, name)
        return bool(obj and operator_marks(obj))

    def plan(self, namespace, name, status, adopt, create=None):
        """The writes that make the object say ``status`` (a dict; ``changed`` False when none).

        ``create``: the spec of the object to make when there is none; None: there must be one.
        """
        current = self.current(namespace, name)
        if current is None and create is None:
            raise ModuleError("there is no %s %s/%s to answer" % (self.kind, namespace, name))
        check_answerable(self.kind, current, adopt)
        planned = dict(namespace=namespace, name=name, current=current, create=None, patch=None, status=None)
        if current is None:
            metadata = dict(name=name, namespace=namespace, labels={MANAGED_BY_LABEL: MANAGED_BY})
            if self.finalizer:
                metadata["finalizers"] = [FINALIZER]
            planned["create"] = dict(apiVersion="%s/%s" % (GROUP, VERSION), kind=self.kind, metadata=metadata, spec=create)
        else:
            planned["patch"] = self._patch(current, create)
        now = (current.get("status") or {}) if current else {}
        if any(now.get(key) != value for key, value in status.items()):
            planned["status"] = status
        planned["changed"] = bool(planned["create"] or planned["patch"] or planned["status"])
        return planned

    def _patch(self, current, spec):
        """The merge patch of the object's spec (to ``spec``'s values) and metadata (the finalizer, an adoption)."""
        patch, metadata = {}, current["metadata"]
        if spec and any((current.get("spec") or {}).get(key) != value for key, value in spec.items()):
            patch["spec"] = spec
        finalizers = [f for f in _finalizers(current) if f != OPERATOR_FINALIZER]
        if self.finalizer and FINALIZER not in finalizers:
            finalizers.append(FINALIZER)
        changes = {}
        if finalizers != _finalizers(current):
            changes["finalizers"] = finalizers
        marks = operator_marks(current)
        if marks:
            annotations = dict((key, None) for key in marks if key != OPERATOR_FINALIZER)
            annotations[ADOPTED_ANNOTATION] = "%s at %s" % (OPERATOR, datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
            changes["annotations"] = annotations
        if changes:
            patch["metadata"] = dict(changes, resourceVersion=metadata.get("resourceVersion"))
        return patch or None

    def plan_release(self, namespace, name):
        """What cleaning up after the object asks: the collection's own object deleted, and the collection's
        finalizer taken off (one the portal made is the portal's to delete); None when nothing."""
        current = self.current(namespace, name)
        if current is None:
            return None
        release = dict(namespace=namespace, name=name, current=current, changed=True,
                       delete=_manager(current) == MANAGED_BY and not current["metadata"].get("deletionTimestamp"),
                       finalizers=[f for f in _finalizers(current) if f != FINALIZER] if FINALIZER in _finalizers(current) else None)
        return release if release["delete"] or release["finalizers"] is not None else None

    def write(self, planned):
        """Carry out a plan of ``plan`` or ``plan_release``."""
        namespace, name, current = planned["namespace"], planned["name"], planned["current"]
        if "delete" in planned:
            if planned["finalizers"] is not None:
                self.calls.patch(namespace, name, {"metadata": {"finalizers": planned["finalizers"],
                                                                "resourceVersion": current["metadata"].get("resourceVersion")}})
            if planned["delete"]:
                self.calls.delete(namespace, name, uid=current["metadata"].get("uid"))
            return
        if planned["create"]:
            self.calls.create(namespace, planned["create"])
        elif planned["patch"]:
            self.calls.patch(namespace, name, planned["patch"])
        if planned["status"]:
            self.calls.patch_status(namespace, name, planned["status"])

    @staticmethod
    def view(planned):
        """(before, after) of a planned write, for the diff: the object's spec and status (None where there is none)."""
        current = planned["current"]
        before = dict(spec=current.get("spec") or {}, status=current.get("status") or {}) if current else None
        if "delete" in planned:
            return before, None if planned["delete"] else before
        spec = (planned["create"] or planned["patch"] or {}).get("spec") or {}
        after = dict(spec=dict((before or {}).get("spec") or {}, **spec), status=dict((before or {}).get("status") or {}, **(planned["status"] or {})))
        return before, after
