# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Platform types (ClusterTemplates, AppTemplates, ClusterTypes) in Kubernetes: desired state, plan, apply.

What the module owns on an object is what it last applied, recorded in the annotation
``LAST_APPLIED`` (as ``kubectl apply`` does): the labels and annotations it set and the spec it
sent.  A change is a JSON merge patch that sets what differs and removes only what the module set
before and no longer wants; labels, annotations and spec fields written by others are kept, and
fields the API server defaults are never fought over.

``plan`` is pure (the unit tests call it); ``Reconciler`` lists each kind once, plans, and
unless checking carries the plan out.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
from datetime import datetime, timezone

from ansible_collections.azimuth.ops.plugins.module_utils.kubernetes import _kubernetes as k8s
from ansible_collections.azimuth.ops.plugins.module_utils.common._acl import DENY_ALL, AclError, a_type, check_acl_regexes
from ansible_collections.azimuth.ops.plugins.module_utils.common._module import ModuleError, carry_out
from ansible_collections.azimuth.ops.plugins.module_utils.common._naming import (
    DEFAULT_PORTAL,
    MANAGED_BY,
    MANAGED_BY_LABEL,
    PORTAL_LABEL,
    NamingError,
    check_portal,
)
from ansible_collections.azimuth.ops.plugins.module_utils.common._dicts import strip_none

LAST_APPLIED = "azimuth-ops.azimuth-cloud.io/last-applied"
# Set once, when the module takes over an object it did not make (adopt): when, and what it was.
ADOPTED = "azimuth-ops.azimuth-cloud.io/adopted"
# What ``kubectl apply`` leaves on an object: azimuth-ops' roles apply platform types that way, unlabelled.
KUBECTL_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


class Kind:
    """Where a kind of platform type is served, and which operator installs its CRD."""

    def __init__(self, name, group, plural, operator, version="v1alpha1"):
        self.name, self.group, self.plural, self.operator, self.version = name, group, plural, operator, version

    @property
    def api_version(self):
        return "%s/%s" % (self.group, self.version)

    @property
    def crd(self):
        return "%s.%s" % (self.plural, self.group)


KINDS = dict((kind.name, kind) for kind in (
    Kind("ClusterTemplate", "azimuth.stackhpc.com", "clustertemplates", "azimuth-capi-operator"),
    Kind("AppTemplate", "azimuth.stackhpc.com", "apptemplates", "azimuth-capi-operator"),
    Kind("ClusterType", "caas.azimuth.stackhpc.com", "clustertypes", "azimuth-caas-operator"),
))
CLUSTER_TEMPLATE = "ClusterTemplate"


def describe(kind, name):
    return "%s '%s'" % (kind, name)


# --- desired state ----------------------------------------------------------------------------


def _strings(where, what, values):
    """A copy of ``values`` (labels or annotations), after checking every value is a string."""
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise ModuleError("%s: %s must be a dict, got %s" % (where, what, a_type(values)))
    for key, value in values.items():
        if not isinstance(value, str):
            raise ModuleError("%s: %s %s must be a string, got %s %r (quote it in YAML)"
                              % (where, what[:-1], key, a_type(value), value))
    return dict(values)


def _check_portal(portal):
    try:
        check_portal(portal)
    except NamingError as exc:
        raise ModuleError(str(exc))


def _check_regexes(where, annotations):
    """A regex that backtracks catastrophically would hang Azimuth's listings: refuse it before any write."""
    try:
        check_acl_regexes(where, annotations)
    except AclError as exc:
        raise ModuleError(str(exc))


def desired_objects(items, state="present", portal=DEFAULT_PORTAL):
    """The objects the module should make (or remove), checked; raises ModuleError on bad input."""
    _check_portal(portal)
    desired, seen = [], set()
    for item in items:
        kind, name = item["kind"], item["name"]
        where = describe(kind, name)
        if (kind, name) in seen:
            raise ModuleError("%s is listed twice" % where)
        seen.add((kind, name))
        labels = _strings(where, "labels", item.get("labels"))
        annotations = _strings(where, "annotations", item.get("annotations"))
        if MANAGED_BY_LABEL in labels:
            raise ModuleError("%s: the label %s is set by the module" % (where, MANAGED_BY_LABEL))
        if labels.get(PORTAL_LABEL, portal) != portal:
            raise ModuleError("%s: the label %s is set by the module from portal (%s), not %s"
                              % (where, PORTAL_LABEL, portal, labels[PORTAL_LABEL]))
        if LAST_APPLIED in annotations:
            raise ModuleError("%s: the annotation %s is set by the module" % (where, LAST_APPLIED))
        spec = item.get("spec")
        if state == "present" and not isinstance(spec, dict):
            raise ModuleError("%s has no spec (a dict is required with state=present)" % where)
        spec = strip_none(copy.deepcopy(spec or {}))
        if kind == CLUSTER_TEMPLATE:
            spec.setdefault("deprecated", False)  # listed again: no longer deprecated
        if state == "present":
            _check_regexes(where, annotations)
        labels[MANAGED_BY_LABEL] = MANAGED_BY
        labels[PORTAL_LABEL] = portal
        desired.append({"kind": kind, "name": name, "labels": labels, "annotations": annotations, "spec": spec})
    return desired


def last_applied_record(item):
    """The LAST_APPLIED annotation's value for ``item``: canonical JSON, so equal input gives equal text."""
    record = {"labels": sorted(item["labels"]), "annotations": sorted(item["annotations"]), "spec": item["spec"]}
    return json.dumps(record, sort_keys=True, separators=(",", ":"))


def read_last_applied(obj):
    """What the module applied last time (labels and annotations as key lists, the spec), or empty."""
    text = ((obj.get("metadata") or {}).get("annotations") or {}).get(LAST_APPLIED)
    try:
        record = json.loads(text) if text else {}
    except ValueError:
        record = {}
    if not isinstance(record, dict):
        record = {}
    return {
        "labels": dict.fromkeys(record.get("labels") or []),
        "annotations": dict.fromkeys(record.get("annotations") or []),
        "spec": record.get("spec") if isinstance(record.get("spec"), dict) else {},
    }


# --- merge patches ----------------------------------------------------------------------------


def three_way(current, desired, last):
    """The JSON merge patch that gives ``current`` the ``desired`` fields and drops those only ``last`` had.

    Dicts are merged key by key; any other value (lists included) is replaced whole.
    """
    patch = {}
    current = current if isinstance(current, dict) else {}
    last = last if isinstance(last, dict) else {}
    for key, value in desired.items():
        have = current.get(key)
        if isinstance(value, dict) and isinstance(have, dict):
            sub = three_way(have, value, last.get(key))
            if sub:
                patch[key] = sub
        elif key not in current or have != value:
            patch[key] = value
    for key in last:
        if key not in desired and key in current:
            patch[key] = None
    return patch


def apply_patch(current, patch):
    """``current`` with the merge patch applied (RFC 7386), without changing either."""
    result = copy.deepcopy(current) if isinstance(current, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict):
            result[key] = apply_patch(result.get(key), value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def object_patch(item, current):
    """The merge patch that makes the existing object ``current`` match ``item`` (None when it does)."""
    metadata = current.get("metadata") or {}
    last = read_last_applied(current)
    annotations = dict(item["annotations"])
    annotations[LAST_APPLIED] = last_applied_record(item)
    last["annotations"][LAST_APPLIED] = None
    meta_patch = {}
    for field, desired in (("labels", item["labels"]), ("annotations", annotations)):
        sub = three_way(metadata.get(field) or {}, desired, last[field])
        if sub:
            meta_patch[field] = sub
    patch = {"metadata": meta_patch} if meta_patch else {}
    spec = three_way(current.get("spec") or {}, item["spec"], last["spec"])
    if spec:
        patch["spec"] = spec
    return patch or None


def create_body(item):
    kind = KINDS[item["kind"]]
    annotations = dict(item["annotations"])
    annotations[LAST_APPLIED] = last_applied_record(item)
    return {
        "apiVersion": kind.api_version, "kind": kind.name,
        "metadata": {"name": item["name"], "labels": dict(item["labels"]), "annotations": annotations},
        "spec": copy.deepcopy(item["spec"]),
    }


def deprecation_patch(current, annotations):
    """The merge patch that takes an object out of the catalog (None when done).

    A ClusterTemplate is deprecated (``spec.deprecated``, which its CRD has) with the current ACL
    ``annotations``; an AppTemplate or ClusterType, whose CRDs have no such field, gets the ACL that
    denies every tenancy.  The annotations join what the object records as applied, so that listing
    it again removes those the new entry does not set.
    """
    kind = current.get("kind") or CLUSTER_TEMPLATE
    annotations = annotations if kind == CLUSTER_TEMPLATE else DENY_ALL
    have = (current.get("metadata") or {}).get("annotations") or {}
    changed = dict((key, value) for key, value in annotations.items() if have.get(key) != value)
    last = read_last_applied(current)
    if have.get(LAST_APPLIED) and not set(annotations) <= set(last["annotations"]):
        record = {"labels": last["labels"], "annotations": dict(last["annotations"], **annotations), "spec": last["spec"]}
        changed[LAST_APPLIED] = last_applied_record(record)
    patch = {"metadata": {"annotations": changed}} if changed else {}
    if kind == CLUSTER_TEMPLATE and (current.get("spec") or {}).get("deprecated") is not True:
        patch["spec"] = {"deprecated": True}
    return patch or None


# --- the plan ---------------------------------------------------------------------------------


def is_managed(obj):
    return ((obj.get("metadata") or {}).get("labels") or {}).get(MANAGED_BY_LABEL) == MANAGED_BY


def owner_of(obj):
    return ((obj.get("metadata") or {}).get("labels") or {}).get(MANAGED_BY_LABEL)


def portal_of(obj):
    return ((obj.get("metadata") or {}).get("labels") or {}).get(PORTAL_LABEL)


def in_scope(obj, portal):
    """Whether deprecation may touch ``obj``: managed by the collection, and this portal's unless ``portal`` is None."""
    return is_managed(obj) and (portal is None or portal_of(obj) == portal) and not obj["metadata"].get("deletionTimestamp")


def held(obj, listed):
    """What the summary needs of an object as the cluster holds it: kind, name, annotations, whether it is offered."""
    offered = listed and (obj.get("spec") or {}).get("deprecated") is not True
    view_ = view(obj)
    return {"kind": obj.get("kind"), "name": obj["metadata"]["name"], "annotations": view_["annotations"], "offered": offered}


def view(obj):
    """What the diff shows of an object: its labels, annotations (without LAST_APPLIED) and spec."""
    if obj is None:
        return None
    metadata = obj.get("metadata") or {}
    annotations = dict((k, v) for k, v in (metadata.get("annotations") or {}).items() if k != LAST_APPLIED)
    return {"labels": dict(metadata.get("labels") or {}), "annotations": annotations, "spec": copy.deepcopy(obj.get("spec") or {})}


def is_unlabelled(obj):
    """No managed-by label at all: made by azimuth-ops (kubectl apply), by hand, or by an unknown tool."""
    return not owner_of(obj)


def maker_of(obj):
    """Who most likely made an unlabelled object, for messages and the adoption record."""
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    return "azimuth-ops" if KUBECTL_LAST_APPLIED in annotations else "unknown"


def made_by(obj):
    """``maker_of`` in words, for messages."""
    return "an unknown tool" if maker_of(obj) == "unknown" else maker_of(obj)


def adoption_record(obj, now):
    """The ADOPTED annotation's value: when, what made the object, and the ACL and deprecation it had."""
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    before = dict((key, value) for key, value in annotations.items() if key.startswith("acl.azimuth.stackhpc.com/"))
    record = {"at": now, "from": maker_of(obj), "acl": before, "resourceVersion": (obj.get("metadata") or {}).get("resourceVersion")}
    if "deprecated" in (obj.get("spec") or {}):
        record["deprecated"] = obj["spec"]["deprecated"]
    return json.dumps(record, sort_keys=True, separators=(",", ":"))


def utc_now():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def with_adoption(patch, obj, record, labels):
    """``patch`` that also takes ``obj`` over when it is unlabelled: ``labels`` and the ADOPTED record."""
    if record is None or not is_unlabelled(obj):
        return patch
    patch = copy.deepcopy(patch or {})
    metadata = patch.setdefault("metadata", {})
    metadata.setdefault("labels", {}).update(labels)
    metadata.setdefault("annotations", {})[ADOPTED] = record
    return patch


class Plan:
    """The actions, per-item results and diff that ``plan`` decides.

    ``adopt``: take over unlabelled objects (else a listed one is refused and an unlisted one reported);
    ``now``: the time the adoption record gives.
    """

    def __init__(self, adopt=False, now=None, labels=None):
        self.actions, self.results, self.deprecated, self.retired, self.warnings = [], [], [], [], []
        self.adopted, self.unmanaged, self.refused = [], [], []
        self.adopt, self.now, self.labels = adopt, now or utc_now(), labels or {}
        self.before, self.after = {}, {}
        self.held = {}  # (kind, name) -> the object as the cluster holds it after the run

    def add(self, action, kind, name, before, after, **details):
        self.actions.append(dict(action=action, kind=kind, name=name, **details))
        key = "%s/%s" % (kind, name)
        self.before[key], self.after[key] = view(before), view(after)

    def count(self, action):
        return sum(1 for result in self.results if result["action"] == action)

    def as_dict(self):
        count = self.count
        totals = dict(platform_types=len(self.results), created=count("created"), updated=count("updated"),
                      deleted=count("deleted"), unchanged=sum(1 for r in self.results if not r["changed"]),
                      deprecated=len(self.deprecated), retired=len(self.retired), adopted=len(self.adopted),
                      unmanaged=len(self.unmanaged))
        objects = [held(obj, listed) for obj, listed in self.held.values()]
        return dict(actions=self.actions, results=self.results, deprecated=self.deprecated, retired=self.retired,
                    adopted=self.adopted, unmanaged=self.unmanaged, totals=totals, objects=objects,
                    diff=dict(before=self.before, after=self.after), warnings=self.warnings)

    def refuse_unlabelled(self):
        """Raise ModuleError, before any write, naming each listed object that is unlabelled (without adopt)."""
        if self.refused:
            raise ModuleError(
                "%s exist%s without the label %s (made by azimuth-ops, or by an unknown tool); the module takes over "
                "objects it did not make only with adopt=true (role variable platform_types_adopt), which labels them "
                "and records the takeover in the annotation %s; nothing was written"
                % ("; ".join(self.refused), "s" if len(self.refused) == 1 else "", MANAGED_BY_LABEL, ADOPTED))


def check_owner(item, existing):
    """Raise ModuleError unless the module may change ``existing``: not another tool's, nor another portal's."""
    where = describe(item["kind"], item["name"])
    owner = owner_of(existing)
    if owner and owner != MANAGED_BY:
        raise ModuleError("%s is managed by %s (label %s); it is not the collection's to change"
                          % (where, owner, MANAGED_BY_LABEL))
    portal, wanted = portal_of(existing), item["labels"][PORTAL_LABEL]
    if owner and portal and portal != wanted:
        raise ModuleError("%s belongs to the portal %s (label %s=%s), not to %s; it is not this run's to change"
                          % (where, portal, PORTAL_LABEL, portal, wanted))
    if (existing.get("metadata") or {}).get("deletionTimestamp"):
        raise ModuleError("%s is being deleted; run again once it is gone" % where)


def _plan_present(todo, item, existing):
    key = (item["kind"], item["name"])
    if existing is None:
        body = create_body(item)
        todo.add("create", item["kind"], item["name"], None, body, body=body, item=item)
        todo.held[key] = (body, True)
        return "created"
    check_owner(item, existing)
    record = None
    if is_unlabelled(existing):
        if not todo.adopt:
            todo.refused.append("%s (made by %s)" % (describe(item["kind"], item["name"]), made_by(existing)))
            todo.held[key] = (existing, True)
            return "refused"
        record = adoption_record(existing, todo.now)
        todo.adopted.append("%s/%s" % key)
    patch = with_adoption(object_patch(item, existing), existing, record, {})
    todo.held[key] = (apply_patch(existing, patch or {}), True)
    if not patch:
        return "unchanged"
    todo.add("patch", item["kind"], item["name"], existing, todo.held[key][0], patch=patch, current=existing, item=item,
             record=record)
    return "updated"


def _plan_absent(todo, item, existing):
    if existing is None or (existing.get("metadata") or {}).get("deletionTimestamp"):
        return "absent"
    if not is_managed(existing):
        todo.warnings.append("%s is not managed by %s (label %s); left alone"
                             % (describe(item["kind"], item["name"]), MANAGED_BY, MANAGED_BY_LABEL))
        return "absent"
    if portal_of(existing) not in (None, item["labels"][PORTAL_LABEL]):
        todo.warnings.append("%s belongs to the portal %s (label %s); left alone"
                             % (describe(item["kind"], item["name"]), portal_of(existing), PORTAL_LABEL))
        return "absent"
    todo.add("delete", item["kind"], item["name"], existing, None, uid=(existing.get("metadata") or {}).get("uid"))
    return "deleted"


def _plan_deprecations(todo, desired, candidates, annotations):
    """Take the objects among ``candidates`` (kind -> objects in scope: managed ones, and unlabelled ones) that are
    not listed out of the catalog; an unlabelled one only with adopt (else it is reported, still selectable)."""
    listed = set((item["kind"], item["name"]) for item in desired)
    for kind in sorted(candidates):
        for obj in sorted(candidates[kind], key=lambda o: o["metadata"]["name"]):
            name = obj["metadata"]["name"]
            if (kind, name) in listed or obj["metadata"].get("deletionTimestamp"):
                continue
            obj = dict(obj, kind=kind)
            record = None
            if is_unlabelled(obj):
                if not todo.adopt:
                    _report_unmanaged(todo, obj)
                    continue
                record = adoption_record(obj, todo.now)
                todo.adopted.append("%s/%s" % (kind, name))
            elif not is_managed(obj):
                continue
            patch = with_adoption(deprecation_patch(obj, annotations), obj, record, todo.labels)
            todo.held[(kind, name)] = (apply_patch(obj, patch or {}), False)
            if patch:
                todo.add("deprecate", kind, name, obj, todo.held[(kind, name)][0], patch=patch, current=obj, record=record)
                if kind == CLUSTER_TEMPLATE:
                    todo.deprecated.append(name)
                else:
                    todo.retired.append("%s/%s" % (kind, name))


def _report_unmanaged(todo, obj):
    """An unlabelled object out of the catalog, left as it is: say so, it may still be offered."""
    kind, name = obj["kind"], obj["metadata"]["name"]
    if kind == CLUSTER_TEMPLATE and (obj.get("spec") or {}).get("deprecated") is True:
        return  # already out of the catalog
    todo.unmanaged.append("%s/%s" % (kind, name))
    todo.warnings.append(
        "%s is not in the catalog but was made by %s (no label %s): it is left as it is, still selectable by the "
        "tenancies its ACL allows; run with adopt=true (role variable platform_types_adopt) to take it over and %s it"
        % (describe(kind, name), made_by(obj), MANAGED_BY_LABEL, "deprecate" if kind == CLUSTER_TEMPLATE else "retire"))


def plan(desired, existing, state="present", deprecation_candidates=None, deprecated_annotations=None, adopt=False, now=None,
         portal=DEFAULT_PORTAL):
    """What to do, as a dict: ``actions``, ``results`` (one per item, in order), ``deprecated`` (ClusterTemplates),
    ``retired`` (AppTemplates and ClusterTypes given the ACL that denies all), ``adopted`` and ``unmanaged``
    (``kind/name``), ``totals``, ``objects``, ``diff``.

    ``existing`` maps (kind, name) to the object read from the cluster; ``deprecation_candidates``
    maps each kind that may be deprecated to its objects in scope (None: deprecate nothing).  Without
    ``adopt``, a listed object without the managed-by label is refused (ModuleError, before any write).
    """
    todo = Plan(adopt, now, {MANAGED_BY_LABEL: MANAGED_BY, PORTAL_LABEL: portal})
    for item in desired:
        current = existing.get((item["kind"], item["name"]))
        if state == "present":
            action = _plan_present(todo, item, current)
        else:
            action = _plan_absent(todo, item, current)
        todo.results.append(dict(kind=item["kind"], name=item["name"], action=action,
                                 changed=action in ("created", "updated", "deleted")))
    todo.refuse_unlabelled()
    if state == "present" and deprecation_candidates is not None:
        _plan_deprecations(todo, desired, deprecation_candidates, deprecated_annotations or {})
    return todo.as_dict()


# --- the cluster ------------------------------------------------------------------------------


def with_resource_version(patch, current):
    """``patch`` guarded by the resourceVersion it was planned on, so a concurrent change is a Conflict."""
    body = copy.deepcopy(patch)
    body.setdefault("metadata", {})["resourceVersion"] = (current.get("metadata") or {}).get("resourceVersion")
    return body


class Scope:
    """Which objects deprecation may touch: managed ones of ``kinds``, of ``portal`` (None: every portal's),
    that ``selector`` (a label selector, or None) matches."""

    def __init__(self, kinds, portal=DEFAULT_PORTAL, selector=None):
        self.kinds = [kind for kind in KINDS if kind in kinds]
        self.portal, self.selector = portal, selector or None

    def label_selector(self):
        """The list's selector: only the operator's, so that one list finds this portal's objects and unlabelled ones."""
        return self.selector

    def holds(self, obj):
        """Whether deprecation may touch ``obj``: this portal's managed object, or an unlabelled one (adopt decides)."""
        return in_scope(obj, self.portal) or (is_unlabelled(obj) and not obj["metadata"].get("deletionTimestamp"))


class Reconciler:
    """Lists each kind once, plans, and writes what differs; in check mode, when ``kube.dry_run``, it sends
    the same writes as dry runs, so that the API server refuses what it would refuse in a real run.

    ``kube`` is a ``CustomObjects`` (or a fake with the same methods): ``list(kind, selector)``,
    ``get(kind, name)``, ``create(kind, body)``, ``patch(kind, name, body)``, ``delete(kind, name, uid)``;
    writes raise ``Conflict`` or ``AlreadyExists``, any other failure ModuleError naming the object.
    """

    def __init__(self, kube, attempts=5, adopt=False):
        self.kube = kube
        self.attempts = attempts
        self.adopt = adopt
        self.warnings = []

    def read(self, desired, scope):
        """(existing objects by (kind, name), kind -> the objects in ``scope`` that may be deprecated, or None)."""
        existing = {}
        kinds = [kind for kind in KINDS if any(item["kind"] == kind for item in desired)]
        for kind in kinds:
            for obj in self.kube.list(kind):
                existing[(kind, obj["metadata"]["name"])] = obj
        if scope is None:
            return existing, None
        candidates = {}
        for kind in scope.kinds:
            if kind in kinds and not scope.selector:
                listed = [obj for (of_kind, _name), obj in existing.items() if of_kind == kind]
            else:
                listed = self.kube.list(kind, scope.label_selector())
            candidates[kind] = [obj for obj in listed if scope.holds(obj)]
        return existing, candidates

    def run(self, items, state, scope, deprecated_annotations, check_mode, portal=DEFAULT_PORTAL):
        """``scope``: a ``Scope`` (what may be deprecated), None to deprecate nothing."""
        desired = desired_objects(items, state, portal)
        deprecated_annotations = _strings("deprecated_annotations", "annotations", deprecated_annotations)
        _check_regexes("deprecated_annotations", deprecated_annotations)
        existing, candidates = self.read(desired, scope if state == "present" else None)
        result = plan(desired, existing, state, candidates, deprecated_annotations, self.adopt, portal=portal)
        self.warnings = result["warnings"]
        if not check_mode:
            self.apply(result["actions"])
        elif self.kube.dry_run:
            carry_out(result["actions"], self._carry, self._what, dry_run=True)
        return result

    def _carry(self, action):
        getattr(self, "_" + action["action"])(action)

    @staticmethod
    def _what(action):
        return "%s %s" % (action["action"], describe(action["kind"], action["name"]))

    def apply(self, actions):
        """Carry out ``actions`` in order; a failure says what was already written (and is ``changed``)."""
        try:
            carry_out(actions, self._carry, self._what)
        except ModuleError as exc:
            done = exc.done
            raise ModuleError(str(exc), changed=bool(done),
                              written=[dict(action=a["action"], kind=a["kind"], name=a["name"]) for a in done])

    def _create(self, action):
        item = action["item"]
        try:
            self.kube.create(item["kind"], action["body"])
        except k8s.AlreadyExists:
            current = self._reread(item["kind"], item["name"])
            again = Plan(self.adopt)
            _plan_present(again, item, current)  # the ownership checks, again
            again.refuse_unlabelled()
            record = adoption_record(current, again.now) if is_unlabelled(current) else None
            self._patch_until_done(item["kind"], item["name"], current,
                                   lambda obj: with_adoption(object_patch(item, obj), obj, record, {}))

    def _patch(self, action):
        item, record = action["item"], action.get("record")
        self._patch_until_done(item["kind"], item["name"], action["current"],
                               lambda obj: with_adoption(object_patch(item, obj), obj, record, {}))

    def _deprecate(self, action):
        metadata = action["patch"].get("metadata") or {}
        annotations = dict(metadata.get("annotations") or {})
        for key in (LAST_APPLIED, ADOPTED):
            annotations.pop(key, None)
        kind, record, labels = action["kind"], action.get("record"), metadata.get("labels") or {}
        self._patch_until_done(kind, action["name"], action["current"],
                               lambda obj: with_adoption(deprecation_patch(dict(obj, kind=kind), annotations), obj, record, labels))

    def _delete(self, action):
        self.kube.delete(action["kind"], action["name"], action["uid"])

    def _patch_until_done(self, kind, name, current, make_patch):
        """Patch from ``current``; on a Conflict re-read and re-plan, up to ``attempts`` times."""
        for attempt in range(self.attempts):
            patch = make_patch(current)
            if not patch:
                return
            try:
                self.kube.patch(kind, name, with_resource_version(patch, current))
                return
            except k8s.Conflict:
                if attempt == self.attempts - 1:
                    raise ModuleError("it kept changing under the module (%d conflicts); run again" % self.attempts)
                current = self._reread(kind, name)

    def _reread(self, kind, name):
        current = self.kube.get(kind, name)
        if current is None:
            raise ModuleError("%s disappeared while being updated; run again" % describe(kind, name))
        return current


# --- the Kubernetes calls ---------------------------------------------------------------------


def missing_crd(kind):
    spec = KINDS[kind]
    return ("The %s CRD (%s, %s) is not installed in this cluster: install %s, which provides it, then run again"
            % (kind, spec.crd, spec.api_version, spec.operator))


def rejected(exc):
    """What the API server objected to: its causes as ``field: message``, else its message."""
    try:
        body = json.loads(exc.body) if exc.body else {}
    except (TypeError, ValueError):
        body = {}
    causes = ((body.get("details") or {}).get("causes") or []) if isinstance(body, dict) else []
    parts = []
    for cause in causes:
        field, message = cause.get("field"), cause.get("message") or cause.get("reason") or ""
        parts.append("%s: %s" % (field, message) if field and field not in message else message)
    return "; ".join(parts) or k8s.status_of(exc)[2]


class CustomObjects:
    """Cluster-scoped platform-type objects as plain dicts, through the Kubernetes layer's ``CustomCalls``
    (one per kind), every failure but a write conflict as a ModuleError naming the object.

    Writes ask the API server for strict field validation, so a misspelt spec field is an error
    rather than silently dropped.  ``dry_run``: writes are server-side dry runs (check mode).
    """

    def __init__(self, api, dry_run=False):
        self.dry_run = dry_run
        self.calls = dict((kind, k8s.CustomCalls(api, spec.group, spec.version, spec.plural, strict=True, dry_run=dry_run))
                          for kind, spec in KINDS.items())

    @staticmethod
    def _do(verb, kind, name, call, *args, **kwargs):
        try:
            return call(*args, **kwargs)
        except k8s.NotInstalled:
            raise ModuleError(missing_crd(kind))
        except k8s.ApiException as exc:
            if k8s.status_of(exc)[0] in (400, 422) and verb in ("create", "patch"):
                reason = "the API server rejected it: %s" % rejected(exc)
            else:
                reason = k8s.describe_api_error(exc)
            if verb in ("create", "patch", "delete"):
                raise ModuleError(reason)  # the plan's writer (carry_out) names the object and what was written before
            raise ModuleError("Could not %s %s: %s" % (verb, "%ss" % kind if name is None else describe(kind, name), reason))

    def list(self, kind, selector=None):
        return self._do("list", kind, None, self.calls[kind].list_all, selector)

    def get(self, kind, name):
        """The object, or None when it does not exist."""
        return self._do("read", kind, name, self.calls[kind].read, None, name)

    def create(self, kind, body):
        """Create; a name taken meanwhile raises ``_kubernetes.AlreadyExists``."""
        self._do("create", kind, body["metadata"]["name"], self.calls[kind].create, None, body)

    def patch(self, kind, name, body):
        """Patch; a change meanwhile (the body's resourceVersion is stale) raises ``_kubernetes.Conflict``."""
        self._do("patch", kind, name, self.calls[kind].patch, None, name, body)

    def delete(self, kind, name, uid=None):
        """Delete (only the object with ``uid`` when given); an object already gone is fine."""
        self._do("delete", kind, name, self.calls[kind].delete, None, name, uid)
