# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tenancy realms in one call: reads, whose realm is whose, a plan per tenancy, writes in order.

Reads: the tenancies' namespaces (one list, ``_realm_binding``), their client-secret Secrets (one
list, ``_idp_secret``, when each tenancy has its own), the realms (one list), and one export per
existing realm.  Whose realm is whose comes from the bindings on the namespaces, never from realm
attributes (which realm admins may edit); a realm made before bindings existed is bound on its
first run by its attribute, if no other tenancy holds it.  Each tenancy is planned and written on
its own: one that fails (a bad name, a foreign realm, a realm bound to another tenancy, no
namespace, a server's refusal) is reported in ``errors`` while the others converge; a write that
meets a 409 (another run made the object meanwhile) reads again and plans again, settling on what
the other run made.  With ``realm_objects``, each tenancy's ``Realm`` object (``_answered_object``)
is read in one more list and answered with the realm's status, as the identity operator does; a
realm the operator made is the operator's unless ``adopt``; with ``finalizer``, an object being
deleted means its realm goes, whatever ``state`` says.  A tenancy's writes go in this order:
binding, Secret, realm, Realm object (and, deleting: realm, Secret, binding, Realm object).

Tenancies are worked on by a small pool of threads (``WORKERS``), each tenancy by one thread from
its plan to its last write.  The run's first new realm is made part by part and read back as the
template of the others, which are then made with one realm representation each
(``_tenancy_realm.one_request``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.azimuth.ops.plugins.module_utils.keycloak import _keycloak_realm as kr
from ansible_collections.azimuth.ops.plugins.module_utils.kubernetes import _kubernetes as kube
from ansible_collections.azimuth.ops.plugins.module_utils.kubernetes import _answered_object as ao
from ansible_collections.azimuth.ops.plugins.module_utils.keycloak import _tenancy_realm as tr
from ansible_collections.azimuth.ops.plugins.module_utils.keycloak._idp_secret import IdpSecrets
from ansible_collections.azimuth.ops.plugins.module_utils.keycloak._keycloak import describe_error, realm_path
from ansible_collections.azimuth.ops.plugins.module_utils.common._module import ModuleError, Secrets
from ansible_collections.azimuth.ops.plugins.module_utils.common._naming import describe_tenancy, tenancy_namespace
from ansible_collections.azimuth.ops.plugins.module_utils.keycloak._realm_binding import Bindings, bound_realm_id

# Plans of one tenancy, after a 409, before its failure is reported (a concurrent run can meet one
# per part of a new realm), and the seconds to wait before the n-th plan (n times this).
ATTEMPTS, SETTLE_SECONDS = 6, 1
# After a failed create or delete (a timed-out request Keycloak goes on with, or another run's create of
# the same realm), how often and how long to look for the realm (or its absence) before reporting the failure.
CREATE_POLLS, CREATE_POLL_SECONDS = 6, 5
# Tenancies worked on at once.  Creating a realm keeps Keycloak busy (its database, its caches): on the
# 2-core machine of bench/RESULTS.md two at once made 50 new realms in 98 s against 144 s one at a time, and
# four took longer (177 s: realm creates queued in Keycloak past the connection timeout, then settled).
WORKERS = 2


def _steps(plan):
    return [action["what"] for action in plan.actions] if plan else []


def _result(item):
    return dict(id=item["id"], name=item["name"], realm=item["realm"], idp_secret=None, realm_object=None, changed=False, created=False,
                deleted=False)


class _Settle(Exception):
    """A write met another run's work: read again and plan again.  ``failure``: the error to report
    if the new plan is the same (nobody else made progress, so the error is the server's word)."""

    def __init__(self, failure=None):
        super(_Settle, self).__init__()
        self.failure = failure


class TenancyRealms:
    """The tenancies' realms, bindings and client secrets: read, planned per tenancy, made so (unless checking).

    ``calls`` is a ``_keycloak.KeycloakCalls``; ``kube_calls()`` gives the ``_kubernetes.CoreCalls`` of
    the cluster where the tenancies' namespaces are, ``realm_calls()`` its ``_kubernetes.CustomCalls``
    of the Realm kind; ``public_url`` is Keycloak as users' browsers reach it (for the redirect URI
    the tenancy's Dex needs, and the issuer and admin URLs of the Realm objects).
    """

    def __init__(self, calls, kube_calls, public_url, realm_calls=None, secrets=None):
        """``secrets``: the run's ``Secrets``, where each client secret is registered as soon as it is known."""
        self.calls = calls
        self.secrets = Secrets() if secrets is None else secrets
        self.kube_calls, self.realm_calls = kube_calls, realm_calls
        self.public_url = public_url.rstrip("/")
        self.own_warnings = []
        self.wrote = False
        self.bindings = self.client_secrets = self.objects = None
        self.by_id = self.by_name = self.by_tenancy = None
        self.diff = dict(before=dict(realms={}), after=dict(realms={}))
        # The template of new realms (``_tenancy_realm.read_template``), read once per run by whichever
        # thread creates a realm first, under the lock; ``_lock`` guards the reads and results threads share.
        self.template = None
        self._template_lock, self._lock = threading.Lock(), threading.RLock()

    # --- reading ----------------------------------------------------------------------------------

    def read_all(self, params, check_mode):
        """The namespaces, Secrets and realms of every tenancy (three list requests at most)."""
        with self._lock:
            self._read_all(params, check_mode)

    def _read_all(self, params, check_mode):
        if self.bindings is None:
            kube_calls = self.kube_calls()
            self.bindings = Bindings(kube_calls, check_mode)
            if self.shared_secret(params) is None:
                self.client_secrets = IdpSecrets(kube_calls, self.secrets)
                self.diff["before"]["secrets"], self.diff["after"]["secrets"] = {}, {}
            if params["realm_objects"]:
                self.objects = ao.AnsweredObjects(self.realm_calls(), "Realm", "realm_objects: false", params.get("finalizer"))
                self.diff["before"]["realm_objects"], self.diff["after"]["realm_objects"] = {}, {}
        self.bindings.read()
        if self.client_secrets:
            self.client_secrets.read()
        if self.objects:
            self.objects.read_all()
        realms = self.calls.get("admin/realms") or []
        # A realm the account may not view in full (one being created, say) is listed with its name only.
        self.by_id = dict((realm["id"], realm) for realm in realms if realm.get("id"))
        self.by_name = dict((realm["realm"], realm) for realm in realms)
        self.by_tenancy = {}
        for realm in realms:
            if kr.is_managed(realm) and tr.tenancy_of(realm):
                self.by_tenancy.setdefault(tr.tenancy_of(realm), []).append(realm)

    def export(self, realm):
        """The export and user profile of an existing realm (the profile read apart only while it is Keycloak's default)."""
        export = kr.read_export(self.calls, realm)
        profile = tr.user_profile_of(export)
        if profile is None:
            profile = self.calls.get(realm_path(realm, "users", "profile"))
        return export, profile

    @staticmethod
    def shared_secret(params):
        """The one secret of every tenancy with ``client_secret_scope=shared``, else None."""
        idp = params.get("azimuth_idp") or {}
        return idp.get("client_secret") if idp.get("client_secret_scope") == tr.SHARED_SCOPE else None

    # --- whose realm is whose ---------------------------------------------------------------------

    def owned_realm(self, item, namespace, adopt=False):
        """(the tenancy's realm or None, its Keycloak ID or the ID to create it with)."""
        bound = bound_realm_id(namespace)
        if bound:
            realm = self.by_id.get(bound)
            if realm is not None:
                self._note_tampering(item, realm)
                return realm, bound
            return self._free_name(item, bound, namespace, adopt)
        marked = [realm for realm in self.by_tenancy.get(item["id"], []) if not self.bindings.owner(realm["id"])]
        if len(marked) > 1:
            raise ModuleError("%s: realms %s all carry the attribute %s=%s and none is bound to it; remove it from all but one"
                              % (describe_tenancy(item), " and ".join(sorted(r["realm"] for r in marked)), kr.TENANCY_ID_ATTRIBUTE, item["id"]))
        if marked:
            return marked[0], marked[0]["id"]
        return self._free_name(item, str(uuid.uuid4()), namespace, adopt)

    def _free_name(self, item, realm_id, namespace, adopt):
        """(None, ``realm_id``) when the tenancy's realm name is free to create, (the realm, its ID) when
        ``adopt`` takes over the identity operator's realm; otherwise why not."""
        existing = self.by_name.get(item["realm"])
        if existing is None:
            return None, realm_id
        owner = self.bindings.owner(existing.get("id"))
        if owner:
            raise ModuleError("%s: realm %s is the realm of the tenancy of namespace %s (bound there); it is left alone"
                              % (describe_tenancy(item), item["realm"], owner))
        if not kr.is_managed(existing):
            realm = item["realm"]
            if namespace and namespace["metadata"]["name"] == realm and self.objects and self.objects.operator_made(realm, realm):
                # The operator names a tenancy's realm after its namespace; the Realm object's check says
                # whether ``adopt`` allows the takeover.
                ao.check_answerable("Realm", self.objects.current(realm, realm), adopt)
                return existing, existing["id"]
            raise kr.foreign_realm(item["realm"], item["id"])
        other = tr.tenancy_of(existing)
        raise ModuleError("%s: realm %s is managed by azimuth.ops for %s" % (
            describe_tenancy(item), item["realm"], "tenancy %s" % other if other else "something other than a tenancy"))

    def _note_tampering(self, item, realm):
        attributes = realm.get("attributes") or {}
        if not kr.is_managed(realm) or tr.tenancy_of(realm) != item["id"]:
            self.own_warnings.append("realm %s of %s had its attributes changed (%s=%s, %s=%s), not by this module; they are "
                                     "restored (whose realm it is comes from its namespace, not from them)"
                                     % (realm["realm"], describe_tenancy(item), kr.MANAGED_BY_ATTRIBUTE, attributes.get(kr.MANAGED_BY_ATTRIBUTE),
                                        kr.TENANCY_ID_ATTRIBUTE, attributes.get(kr.TENANCY_ID_ATTRIBUTE)))

    # --- planning one tenancy ---------------------------------------------------------------------

    def plan_present(self, params, item, result):
        """(binding, secret, realm plan, Realm object) of one tenancy; each None when nothing changes."""
        namespace = self.bindings.namespace(item)
        realm, realm_id = self.owned_realm(item, namespace, params["adopt"])
        name = realm["realm"] if realm else item["realm"]
        result["realm"] = name
        binding = (namespace, Bindings.patch(namespace, name, realm_id))
        secret, client_secret = None, self.shared_secret(params)
        where = namespace["metadata"]["name"] if namespace else tenancy_namespace(item["name"])
        if self.client_secrets:
            client = {"client-id": item["idp"]["client_id"], "issuer-url": tr.idp_issuer(item["idp"], item["id"]),
                      "redirect-uri": "%s/realms/%s/broker/%s/endpoint" % (self.public_url, name, tr.IDP)}
            secret = self.client_secrets.plan(item, where, client, params["rotate_client_secrets"])
            result["idp_secret"], client_secret = secret["writer"].key, secret["secret"]
        export, profile = self.export(name) if realm else (None, None)
        plan = tr.plan_tenancy_realm(item, name, export, profile, params["ssl_required"], client_secret, realm_id)
        obj = None
        if self.objects:
            obj = self.objects.plan(where, where, ao.realm_status(self.public_url, name), params["adopt"], create=dict(tenancyId=item["id"]))
            result["realm_object"] = "%s/%s" % (where, where)
        return binding, secret, plan, obj

    def plan_absent(self, item, result):
        """(binding removal, Secret deletion, realm deletion, Realm object deletion) of one tenancy; each None when nothing changes."""
        namespace = self.bindings.namespace(item, required=False)
        bound = bound_realm_id(namespace)
        realm = self.by_id.get(bound) if bound else None
        if not bound:
            marked = [r for r in self.by_tenancy.get(item["id"], []) if not self.bindings.owner(r["id"])]
            realm = marked[0] if len(marked) == 1 else None
        existing = self.by_name.get(item["realm"])
        if realm is None and existing is not None:
            self.own_warnings.append("realm %s is not the realm of %s; left alone" % (item["realm"], describe_tenancy(item)))
        plan = None
        if realm is not None:
            result["realm"] = realm["realm"]
            plan = kr.RealmPlan(realm["realm"], realm)
            plan.delete()
        where = namespace["metadata"]["name"] if namespace else None
        secret = self.client_secrets.plan_delete(where) if self.client_secrets and where else None
        binding = (namespace, Bindings.unbind_patch(namespace))
        obj = self.objects.plan_release(where, where) if self.objects and where else None
        return binding, secret, plan, obj

    # --- writing ----------------------------------------------------------------------------------

    def _kube_write(self, write, what):
        """Call ``write()``, one Kubernetes write of ``what`` (for the message): a 409 settles, a refusal is reported."""
        try:
            write()
        except kube.Conflict:
            raise _Settle()
        except Exception as exc:  # pylint: disable=broad-exception-caught
            reason = kube.describe_error(exc)
            if reason is None:
                raise
            raise ModuleError("Could not %s: %s" % (what, reason))
        self.wrote = True

    def _write_binding(self, binding):
        namespace, patch = binding
        self._kube_write(lambda: self.bindings.write(namespace, patch),
                         "record the realm binding on namespace %s" % namespace["metadata"]["name"])

    def _write_secret(self, secret):
        verb = "delete" if secret.get("delete") else "write"
        self._kube_write(lambda: self.client_secrets.write(secret), "%s the Secret %s" % (verb, secret["writer"].key))

    def _write_object(self, planned):
        verb = "release" if "delete" in planned else "write"
        self._kube_write(lambda: self.objects.write(planned), "%s the Realm %s/%s" % (verb, planned["namespace"], planned["name"]))

    def _run_realm_plan(self, executor, plan):
        """Send ``plan``; a new realm in one request once the run has a template, else part by part,
        the first reading the template on the way."""
        if not plan.creating:
            return executor.run(plan)
        if self.template is None:
            with self._template_lock:
                if self.template is None:
                    try:
                        return executor.run(tr.with_template_read(plan))
                    finally:
                        self.template = executor.template
        return executor.run(tr.one_request(plan, self.template) or plan)

    def _write_realm(self, plan):
        executor = tr.Executor(self.calls)
        try:
            self._run_realm_plan(executor, plan)
        except kr.Conflict:
            raise _Settle()
        except ModuleError as exc:
            deleting = plan.after is None
            if (plan.creating or deleting) and not executor.wrote and self._done_meanwhile(plan.realm, exists=not deleting):
                raise _Settle()
            if plan.creating:
                raise
            raise _Settle(exc)  # Keycloak answers some races with 400 (a mapper added twice, say)
        finally:
            self.wrote = self.wrote or executor.wrote

    def _done_meanwhile(self, realm, exists):
        """Whether ``realm`` exists (``exists``) or is gone after all, after its create or delete failed
        (a request that timed out goes on in Keycloak)."""
        for _poll in range(CREATE_POLLS):
            try:
                if (self.calls.get(realm_path(realm), missing_ok=True) is not None) == exists:
                    return True
            except Exception as exc:  # pylint: disable=broad-exception-caught
                if describe_error(exc) is None:
                    raise
            time.sleep(CREATE_POLL_SECONDS)
        return False

    def apply(self, binding, secret, plan, obj, deleting):
        """One tenancy's writes, in order (see the module docstring); the Realm object's last either way, so that
        it is let go only once its realm is."""
        writes = [(self._write_binding, binding if binding[1] else None), (self._write_secret, secret), (self._write_realm, plan)]
        for write, what in (list(reversed(writes)) if deleting else writes) + [(self._write_object, obj)]:
            if what is not None:
                write(what)

    def deleting(self, params, item):
        """Whether the tenancy's realm goes: ``state=absent``, or (with ``finalizer``) its Realm object is being deleted."""
        if params["state"] == "absent":
            return True
        if not (self.objects and params.get("finalizer")):
            return False
        namespace = self.bindings.namespace(item, required=False)
        where = namespace["metadata"]["name"] if namespace else None
        return bool(((self.objects.current(where, where) or {}).get("metadata") or {}).get("deletionTimestamp"))

    # --- one tenancy, the batch ---------------------------------------------------------------------

    def converge(self, params, item, check_mode):
        """Plan (and unless checking, make) one tenancy's realm; its result."""
        failure = failed_plan = None
        for attempt in range(ATTEMPTS):
            result = _result(item)
            deleting = self.deleting(params, item)
            if deleting:
                binding, secret, plan, obj = self.plan_absent(item, result)
            else:
                binding, secret, plan, obj = self.plan_present(params, item, result)
            secret = secret if secret is not None and secret["changed"] else None
            obj = obj if obj is not None and obj["changed"] else None
            plan = plan if plan is not None and plan.changed else None
            if failure is not None and _steps(plan) == failed_plan:
                raise ModuleError(str(failure), **dict(failure.details, changed=self.wrote))
            try:
                if not check_mode:
                    self.apply(binding, secret, plan, obj, deleting)
            except _Settle as settle:
                failure, failed_plan = settle.failure, _steps(plan)
                if attempt + 1 == ATTEMPTS:
                    raise ModuleError("%s: another run kept changing its realm or namespace; run again" % describe_tenancy(item),
                                      changed=self.wrote)
                time.sleep(SETTLE_SECONDS * (attempt + 1))
                self.read_all(params, check_mode)
                continue
            self._record(result, binding[1], secret, plan, obj)
            return result
        return None

    def _record(self, result, binding, secret, plan, obj=None):
        with self._lock:
            self._record_views(result, binding, secret, plan, obj)

    def _record_views(self, result, binding, secret, plan, obj):
        if plan:
            self.diff["before"]["realms"][plan.realm], self.diff["after"]["realms"][plan.realm] = plan.diff()
            result.update(created=plan.creating, deleted=plan.after is None)
        if secret:
            key = secret["writer"].key
            self.diff["before"]["secrets"][key], self.diff["after"]["secrets"][key] = self.client_secrets.view(secret)
        if obj:
            key = "%s/%s" % (obj["namespace"], obj["name"])
            self.diff["before"]["realm_objects"][key], self.diff["after"]["realm_objects"][key] = self.objects.view(obj)
        result["changed"] = bool(plan or secret or binding or obj)

    def prune(self, params, listed, check_mode):
        """Delete the managed realms of this portal's tenancies that are not listed (see the module's docs)."""
        wanted = set(item["id"] for item in listed) if params["state"] == "present" else set()
        held = set(self.bindings.bound_ids(wanted))
        selector = dict((str(k), str(v)) for k, v in (params.get("prune_selector") or {}).items())
        if not params["prune_all_portals"]:
            selector[kr.PORTAL_ATTRIBUTE] = params["portal"]
        pruned = []
        for realm in sorted(self.by_id.values(), key=lambda r: r["realm"]):
            attributes = realm.get("attributes") or {}
            if (not kr.is_managed(realm) or not tr.tenancy_of(realm) or tr.tenancy_of(realm) in wanted or realm["id"] in held
                    or any(attributes.get(k) != v for k, v in selector.items())):
                continue
            plan = kr.RealmPlan(realm["realm"], realm)
            plan.delete()
            if not check_mode:
                self._write_realm(plan)
            self._record({}, None, None, plan)
            pruned.append(dict(realm=realm["realm"], id=tr.tenancy_of(realm)))
        return pruned

    def run(self, params, check_mode):
        idp = params.get("azimuth_idp")
        if params["state"] == "present" and params["tenancies"] and not idp:
            raise ModuleError("azimuth_idp is required to create or repair the tenancies' realms")
        if idp and params["state"] == "present":
            tr.check_idp(idp, params["rotate_client_secrets"])
        desired, errors = tr.desired_realms(params["tenancies"], idp, params.get("realm_attributes"), params["portal"])
        self.read_all(params, check_mode)
        done = {}
        with ThreadPoolExecutor(max_workers=max(1, min(WORKERS, len(desired)))) as pool:
            futures = [(item, pool.submit(self.converge, params, item, check_mode)) for item in desired]
        for item, future in futures:
            try:
                done[item["id"]] = future.result()
            except ModuleError as exc:
                message = str(exc)
                errors[item["id"]] = message if message.startswith(describe_tenancy(item)) else "%s: %s" % (describe_tenancy(item), message)
                self.wrote = self.wrote or bool(exc.details.get("changed"))
        pruned = self.prune(params, desired, check_mode) if params["prune"] else []
        self._sort_diff()
        failed = dict(realm=None, idp_secret=None, realm_object=None, changed=False, created=False, deleted=False, failed=True)
        realms = [done.get(t["id"]) or dict(failed, id=t["id"], name=t["name"]) for t in params["tenancies"]]
        return self.outcome(params, realms, pruned, errors)

    def _sort_diff(self):
        """The diff's realms, Secrets and Realm objects by name, whatever order the threads finished in."""
        for side in self.diff.values():
            for kind, views in side.items():
                side[kind] = dict(sorted(views.items()))

    def outcome(self, params, realms, pruned, errors):
        """The module's result; with errors, a ModuleError that carries it."""
        totals = dict(
            tenancies=len(params["tenancies"]),
            created=sum(1 for r in realms if r["created"]),
            updated=sum(1 for r in realms if r["changed"] and not r["created"] and not r["deleted"]),
            deleted=sum(1 for r in realms if r["deleted"]),
            unchanged=sum(1 for r in realms if not r["changed"] and not r.get("failed")),
            pruned=len(pruned),
            failed=len(errors),
        )
        changed = self.wrote or any(r["changed"] for r in realms) or bool(pruned)
        outcome = dict(changed=changed, realms=realms, pruned=pruned, totals=totals)
        if errors:
            raise ModuleError("Could not settle the realms of %d of %d tenancies: %s"
                              % (len(errors), len(params["tenancies"]), " ".join(errors[key] for key in sorted(errors))),
                              errors=errors, **outcome)
        return outcome

    @property
    def warnings(self):
        return self.own_warnings + (self.bindings.warnings if self.bindings else [])
