# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tenancy namespaces and their credential Secrets: desired state, ownership, plan, apply.

The pure part (``desired_tenancies``, ``names_to_read``, ``plan``) works on plain dicts and is
what the unit tests call; ``Reconciler`` reads the cluster (one list request per kind), plans,
and carries the plan out.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.azimuth.ops.plugins.module_utils.kubernetes import _cloud_credential as cc
from ansible_collections.azimuth.ops.plugins.module_utils.kubernetes._kubernetes import AlreadyExists, retry_on_conflict
from ansible_collections.azimuth.ops.plugins.module_utils.common._module import ModuleError, carry_out
from ansible_collections.azimuth.ops.plugins.module_utils.common._naming import (
    DEFAULT_PORTAL,
    MANAGED_BY,
    MANAGED_BY_LABEL,
    OIDC_GROUP_ANNOTATION,
    PORTAL_LABEL,
    TENANCY_ID_LABEL,
    TENANCY_NAME_ANNOTATION,
    NamingError,
    check_portal,
    describe_tenancy,
    tenancy_id_label,
    tenancy_namespace,
)

RESERVED_LABELS = (TENANCY_ID_LABEL, MANAGED_BY_LABEL, PORTAL_LABEL)
RESERVED_ANNOTATIONS = (TENANCY_NAME_ANNOTATION, OIDC_GROUP_ANNOTATION)


def _string_values(mapping, what, tenancy, reserved):
    for key in mapping or {}:
        if key in reserved:
            raise ModuleError("%s: %s %s is set by the module and cannot be given" % (describe_tenancy(tenancy), what, key))
    return cc.string_values(mapping)


def _credential(tenancy, credential):
    if not credential:
        return None
    missing = [key for key in ("application_credential_id", "application_credential_secret", "auth_url") if not credential.get(key)]
    if missing:
        raise ModuleError("%s: credential needs %s" % (describe_tenancy(tenancy), ", ".join(missing)))
    return cc.cloud_config(
        credential["auth_url"], credential["application_credential_id"], credential["application_credential_secret"],
        region_name=credential.get("region_name"), interface=credential.get("interface"), verify=credential.get("verify"),
    )


def _check_portal(portal):
    try:
        check_portal(portal)
    except NamingError as exc:
        raise ModuleError(str(exc))


def desired_tenancies(tenancies, portal=DEFAULT_PORTAL):
    """Validate the input and return, per tenancy, what its namespace (and Secret) should carry.

    Raises ModuleError before anything is read or written for a name or ID that sanitises to
    nothing, reserved, or invalid labels or annotations, and two tenancies that share a namespace or an ID.
    """
    _check_portal(portal)
    desired = []
    by_namespace = {}
    by_id = {}
    for tenancy in tenancies or []:
        try:
            namespace = tenancy_namespace(tenancy["name"])
        except NamingError as exc:
            raise ModuleError("%s: the name cannot name a namespace: %s" % (describe_tenancy(tenancy), exc))
        try:
            id_label = tenancy_id_label(tenancy["id"])
        except NamingError as exc:
            raise ModuleError("%s: the ID cannot be a label value: %s" % (describe_tenancy(tenancy), exc))
        labels = _string_values(tenancy.get("labels"), "label", tenancy, RESERVED_LABELS)
        labels[TENANCY_ID_LABEL] = id_label
        labels[MANAGED_BY_LABEL] = MANAGED_BY
        labels[PORTAL_LABEL] = portal
        annotations = _string_values(tenancy.get("annotations"), "annotation", tenancy, RESERVED_ANNOTATIONS)
        annotations[TENANCY_NAME_ANNOTATION] = tenancy["name"]
        annotations[OIDC_GROUP_ANNOTATION] = tenancy.get("oidc_group") or None
        cc.check_metadata(labels, annotations, "%s, namespace %s" % (describe_tenancy(tenancy), namespace))
        item = dict(
            id=tenancy["id"], name=tenancy["name"], namespace=namespace, id_label=id_label,
            labels=labels, annotations=annotations, cloud=_credential(tenancy, tenancy.get("credential")),
        )
        for index, key, value in ((by_namespace, "namespace", namespace), (by_id, "ID label", id_label)):
            if value in index:
                raise ModuleError("%s and %s both map to %s %s; tenancies need distinct names and IDs"
                                  % (describe_tenancy(index[value]), describe_tenancy(tenancy), key, value))
            index[value] = tenancy
        desired.append(item)
    return desired


def _by_id_label(namespaces):
    owners = {}
    for namespace in namespaces:
        value = ((namespace["metadata"].get("labels") or {}).get(TENANCY_ID_LABEL))
        if value:
            owners.setdefault(value, []).append(namespace)
    return owners


def names_to_read(desired, labelled):
    """Namespace names the plan needs read one by one: tenancies whose ID labels no namespace.

    Their ``az-<name>`` namespace may exist without labels (it is then adopted); reading it before
    writing lets check mode predict exactly.  A no-op run has none.
    """
    owners = _by_id_label(labelled)
    names = set(namespace["metadata"]["name"] for namespace in labelled)
    return [item["namespace"] for item in desired if item["id_label"] not in owners and item["namespace"] not in names]


def _is_managed(namespace):
    return (namespace["metadata"].get("labels") or {}).get(MANAGED_BY_LABEL) == MANAGED_BY


def _portal_of(obj):
    return (obj["metadata"].get("labels") or {}).get(PORTAL_LABEL)


def _other_portal(item, namespace):
    """The portal a managed namespace belongs to when it is not the one ``item`` is for, else None."""
    portal = _portal_of(namespace)
    if _is_managed(namespace) and portal and portal != item["labels"][PORTAL_LABEL]:
        return portal
    return None


def _is_terminating(obj):
    return bool(obj["metadata"].get("deletionTimestamp"))


def owned_namespace(item, owners, by_name):
    """The namespace of the tenancy ``item`` (None when it has none yet), after the ownership rules."""
    owned = owners.get(item["id_label"], [])
    if len(owned) > 1:
        raise ModuleError("tenancy %s (%s): namespaces %s are all labelled %s=%s; remove the label from all but one"
                          % (item["name"], item["id"], " and ".join(sorted(n["metadata"]["name"] for n in owned)),
                             TENANCY_ID_LABEL, item["id_label"]))
    if owned:
        return owned[0]
    existing = by_name.get(item["namespace"])
    if existing is not None:
        other = (existing["metadata"].get("labels") or {}).get(TENANCY_ID_LABEL)
        if other:
            raise ModuleError("tenancy %s (%s): namespace %s belongs to another tenancy (%s=%s)"
                              % (item["name"], item["id"], item["namespace"], TENANCY_ID_LABEL, other))
    return existing


def _namespace_body(item):
    labels = dict((k, v) for k, v in item["labels"].items() if v is not None)
    annotations = dict((k, v) for k, v in item["annotations"].items() if v is not None)
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": item["namespace"], "labels": labels, "annotations": annotations}}


def namespace_patch(item, namespace):
    """The merge patch for the tenancy's namespace, after checking the collection may manage it."""
    manager = (namespace["metadata"].get("labels") or {}).get(MANAGED_BY_LABEL)
    if manager and manager != MANAGED_BY:
        raise ModuleError("tenancy %s (%s): namespace %s is managed by %s (label %s); it is not the collection's to change"
                          % (item["name"], item["id"], namespace["metadata"]["name"], manager, MANAGED_BY_LABEL))
    other = _other_portal(item, namespace)
    if other:
        raise ModuleError("tenancy %s (%s): namespace %s belongs to the portal %s (label %s=%s), not to %s; it is not this "
                          "run's to change" % (item["name"], item["id"], namespace["metadata"]["name"], other, PORTAL_LABEL,
                                               other, item["labels"][PORTAL_LABEL]))
    if _is_terminating(namespace):
        raise ModuleError("tenancy %s (%s): namespace %s is being deleted; run again once it is gone"
                          % (item["name"], item["id"], namespace["metadata"]["name"]))
    return cc.metadata_patch(namespace["metadata"], item["labels"], item["annotations"])


def credential_secret(item, namespace):
    """The tenancy's credential Secret as it should be, in ``namespace``."""
    return cc.CredentialSecret(namespace, cc.SECRET_NAME, {cc.CLOUDS_KEY: cc.dump_yaml(item["cloud"])},
                               labels={PORTAL_LABEL: item["labels"][PORTAL_LABEL]})


def _ns_view(metadata):
    return {"labels": dict(metadata.get("labels") or {}), "annotations": dict(metadata.get("annotations") or {})}


class _Plan:
    """What ``plan()`` decides, gathered as it goes."""

    def __init__(self):
        self.actions, self.results, self.pruned, self.warnings = [], [], [], []
        self.before = {"namespaces": {}, "secrets": {}}
        self.after = {"namespaces": {}, "secrets": {}}

    def add(self, kind, section, key, before, after, **action):
        """An action of ``kind``, and its diff under ``section``/``key``."""
        self.actions.append(dict(kind=kind, **action))
        self.before[section][key] = before
        self.after[section][key] = after

    def as_dict(self):
        results = self.results
        totals = dict(
            tenancies=len(results),
            created=sum(1 for r in results if r["created"]),
            updated=sum(1 for r in results if r["changed"] and not r["created"] and not r["deleted"]),
            deleted=sum(1 for r in results if r["deleted"]),
            unchanged=sum(1 for r in results if not r["changed"]),
            pruned=len(self.pruned),
        )
        return dict(actions=self.actions, results=results, pruned=self.pruned, totals=totals,
                    diff=dict(before=self.before, after=self.after), warnings=self.warnings)


def _plan_absent(todo, item, owners, result):
    """Delete the tenancy's namespace; only one labelled with its ID is its namespace (az-<name> alone is not)."""
    existing = owned_namespace(item, owners, {})
    if existing is None:
        return
    name = existing["metadata"]["name"]
    result["namespace"] = name
    if not _is_managed(existing):
        todo.warnings.append("namespace %s carries the ID of tenancy %s but is not managed by %s; left alone"
                             % (name, item["name"], MANAGED_BY))
    elif _other_portal(item, existing):
        todo.warnings.append("namespace %s of tenancy %s belongs to the portal %s (label %s); left alone"
                             % (name, item["name"], _other_portal(item, existing), PORTAL_LABEL))
    elif not _is_terminating(existing):
        todo.add("delete_namespace", "namespaces", name, _ns_view(existing["metadata"]), None,
                 name=name, uid=existing["metadata"].get("uid"), tenancy=item, result=result)
        result.update(changed=True, deleted=True)


def _plan_namespace(todo, item, existing, result):
    """Create the tenancy's namespace, or patch what differs; returns its name."""
    if existing is None:
        body = _namespace_body(item)
        todo.add("create_namespace", "namespaces", item["namespace"], None, _ns_view(body["metadata"]),
                 name=item["namespace"], body=body, tenancy=item, result=result)
        result.update(changed=True, created=True)
        return item["namespace"]
    name = existing["metadata"]["name"]
    result["namespace"] = name
    patch = namespace_patch(item, existing)
    if patch:
        todo.add("patch_namespace", "namespaces", name, _ns_view(existing["metadata"]),
                 cc.apply_metadata(existing["metadata"], patch), name=name, current=existing, tenancy=item, result=result)
        result["changed"] = True
    return name


def _plan_secret(todo, item, namespace_name, secret, result):
    """Create the tenancy's credential Secret, or patch what differs."""
    spec = credential_secret(item, namespace_name)
    before = cc.secret_view(secret["metadata"], cc.decode_data(secret)) if secret is not None else None
    if secret is None or spec.patch(secret):
        previous = cc.decode_data(secret) if secret is not None else None
        todo.add("write_secret", "secrets", spec.key, before, spec.view(secret, previous=previous),
                 spec=spec, current=secret, tenancy=item, result=result)
        result["changed"] = True


def _prunable(namespace, portal):
    """Whether ``prune`` may delete ``namespace``: managed, and this portal's (any portal's when ``portal`` is None)."""
    return _is_managed(namespace) and not _is_terminating(namespace) and (portal is None or _portal_of(namespace) == portal)


def _plan_prune(todo, desired, namespaces, portal):
    """Delete the managed namespaces of ``portal`` whose tenancy is not listed."""
    wanted = set(item["id_label"] for item in desired)
    for namespace in namespaces:
        id_label = (namespace["metadata"].get("labels") or {}).get(TENANCY_ID_LABEL)
        name = namespace["metadata"]["name"]
        if (not id_label or id_label in wanted or not _prunable(namespace, portal)
                or any(action.get("name") == name for action in todo.actions)):
            continue
        pruned = dict(namespace=name, id=id_label)
        todo.add("delete_namespace", "namespaces", name, _ns_view(namespace["metadata"]), None,
                 name=name, uid=namespace["metadata"].get("uid"), tenancy=None, pruned=pruned)
        todo.pruned.append(pruned)


def plan(desired, namespaces, secrets, state="present", prune=False, prunable=None, prune_portal=DEFAULT_PORTAL):
    """What to do, as a dict: ``actions`` (in order), ``results`` per tenancy, ``pruned``, ``diff``.

    ``namespaces`` are those labelled with a tenancy ID plus any ``az-<name>`` read by name;
    ``secrets`` the credential Secrets (any namespace); ``prunable`` the namespaces ``prune`` may
    delete (default: all of ``namespaces``), of which only the managed ones labelled with
    ``prune_portal`` are (None: of any portal).  Raises ModuleError on an ownership conflict,
    before anything is written.
    """
    owners = _by_id_label(namespaces)
    by_name = dict((n["metadata"]["name"], n) for n in namespaces)
    secret_by_ns = dict((s["metadata"]["namespace"], s) for s in secrets if s["metadata"].get("name") == cc.SECRET_NAME)
    todo = _Plan()
    for item in desired:
        result = dict(id=item["id"], name=item["name"], namespace=item["namespace"], changed=False, created=False, deleted=False)
        todo.results.append(result)
        if state == "absent":
            _plan_absent(todo, item, owners, result)
            continue
        existing = owned_namespace(item, owners, by_name)
        namespace_name = _plan_namespace(todo, item, existing, result)
        if item["cloud"] is not None:
            secret = secret_by_ns.get(namespace_name) if existing is not None else None
            _plan_secret(todo, item, namespace_name, secret, result)
    if prune:
        _plan_prune(todo, desired, namespaces if prunable is None else prunable, prune_portal)
    return todo.as_dict()


def _what(action):
    """What an action writes, for a person: ``create namespace az-x of tenancy x (id)``."""
    if action.get("pruned"):
        return "prune namespace %s (tenancy ID %s, not listed)" % (action["name"], action["pruned"]["id"])
    target = "Secret %s" % action["spec"].key if action["kind"] == "write_secret" else "namespace %s" % action["name"]
    return "%s %s of %s" % (action["kind"].split("_")[0], target, describe_tenancy(action["tenancy"]))


def judgeable(actions):
    """The actions a dry run can judge: not the Secrets in a namespace the same plan creates (the server has no
    such namespace yet, and would answer 404); those stay predictions."""
    created = set(action["name"] for action in actions if action["kind"] == "create_namespace")
    return [action for action in actions if not (action["kind"] == "write_secret" and action["spec"].namespace in created)]


def written(outcome, done):
    """The module's ``tenancies`` and ``pruned`` as far as the actions ``done`` went (a run that failed part way)."""
    results = [dict(r, changed=False, created=False, deleted=False) for r in outcome["results"]]
    by_result = dict((id(original), fresh) for original, fresh in zip(outcome["results"], results))
    pruned = []
    for action in done:
        if action.get("pruned"):
            pruned.append(action["pruned"])
            continue
        entry = by_result[id(action["result"])]
        entry["changed"] = True
        entry["created"] = entry["created"] or action["kind"] == "create_namespace"
        entry["deleted"] = entry["deleted"] or action["kind"] == "delete_namespace"
    return dict(changed=bool(done), tenancies=results, pruned=pruned)


class Reconciler:
    """Reads the cluster once per kind, plans, and writes what differs; in check mode, when ``kube.dry_run``,
    it sends as dry runs the writes the server can judge (``judgeable``).

    ``kube`` is a small adapter (``_kubernetes.CoreCalls``) with ``list_namespaces``,
    ``read_namespace``, ``list_secrets``, ``create_namespace``, ``patch_namespace``,
    ``delete_namespace``, ``create_secret``, ``patch_secret``, ``read_secret``; reads return plain
    dicts (None when not found), a 409 raises ``_kubernetes.Conflict``.  ``describe(exc)`` is one
    line for a backend exception (None for any other, which propagates).
    """

    def __init__(self, kube, describe):
        self.kube = kube
        self.describe = describe
        self.warnings = []

    def read(self, desired, state, with_secrets):
        namespaces = self.kube.list_namespaces(TENANCY_ID_LABEL)
        for name in names_to_read(desired, namespaces) if state == "present" else ():
            found = self.kube.read_namespace(name)
            if found is not None:
                namespaces.append(found)
        secrets = self.kube.list_secrets(cc.SECRET_NAME) if with_secrets else []
        return namespaces, secrets

    def run(self, tenancies, state, prune, check_mode, prune_selector=None, portal=DEFAULT_PORTAL, prune_all_portals=False):
        desired = desired_tenancies(tenancies, portal)
        with_secrets = state == "present" and any(item["cloud"] is not None for item in desired)
        namespaces, secrets = self.read(desired, state, with_secrets)
        prunable = None
        if prune and prune_selector:
            prunable = self.kube.list_namespaces("%s,%s" % (TENANCY_ID_LABEL, prune_selector))
        result = plan(desired, namespaces, secrets, state, prune, prunable, None if prune_all_portals else portal)
        self.warnings = result["warnings"]
        if not check_mode:
            self.apply(result)
        elif self.kube.dry_run:
            carry_out(judgeable(result["actions"]), self._carry, _what, self.describe, dry_run=True)
        return result

    def _carry(self, action):
        getattr(self, "_" + action["kind"])(action)

    def apply(self, outcome):
        """Carry out the plan's actions in order; a failure says which write failed and what was written before it."""
        try:
            carry_out(outcome["actions"], self._carry, _what, self.describe)
        except ModuleError as exc:
            raise ModuleError(str(exc), **written(outcome, exc.done))

    def _create_namespace(self, action):
        try:
            self.kube.create_namespace(action["body"])
        except AlreadyExists:
            # Another run created it since it was read: settle on that one, as on a namespace that was there.
            self._patch_namespace(dict(action, current=None))

    def _delete_namespace(self, action):
        self.kube.delete_namespace(action["name"], action["uid"])

    def _write_secret(self, action):
        action["spec"].write(self.kube, action["current"])

    def _patch_namespace(self, action):
        item, name = action["tenancy"], action["name"]
        reads = [action["current"]] if action["current"] is not None else []

        def attempt():
            current = reads.pop() if reads else self.kube.read_namespace(name)
            if current is None:
                raise ModuleError("namespace %s disappeared while being written; run again" % name)
            owner = (current["metadata"].get("labels") or {}).get(TENANCY_ID_LABEL)
            if owner and owner != item["id_label"]:
                raise ModuleError("namespace %s is now labelled %s=%s, another tenancy's ID" % (name, TENANCY_ID_LABEL, owner))
            patch = namespace_patch(item, current)
            if patch:
                patch["resourceVersion"] = current["metadata"].get("resourceVersion")
                self.kube.patch_namespace(name, {"metadata": patch})

        retry_on_conflict(attempt)


def register_secrets(secrets, tenancies):
    """Register with ``secrets`` (a ``Secrets``) the credential secrets of ``tenancies``, and the Secret data
    (``clouds.yaml``) that would hold them."""
    for tenancy in tenancies or []:
        credential = tenancy.get("credential") or {}
        secret = credential.get("application_credential_secret")
        if not secret:
            continue
        try:
            held_in = [cc.dump_yaml(_credential(tenancy, credential))]
        except ModuleError:
            held_in = []
        secrets.add(secret, held_in=held_in)
