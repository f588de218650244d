# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kubernetes Secrets that hand an OIDC client's credentials to its user (Zenith, the portal).

Keys ``issuer-url``, ``client-id``, ``client-secret`` (and ``allowed-groups`` for Zenith's
discovery Secrets).  ``plan_secrets`` plans each Secret through the one Secret writer
(``_cloud_credential.CredentialSecret``) and its ownership rule, so a Secret another tool manages
stops the module while it plans, before anything is written (in check mode too); writes touch only
the module's labels and keys, deletes only the exact object read.  ``write_secrets`` carries the plan
out; a failure names the Secret.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.azimuth.ops.plugins.module_utils.kubernetes import _cloud_credential as cc
from ansible_collections.azimuth.ops.plugins.module_utils.kubernetes import _kubernetes as kube
from ansible_collections.azimuth.ops.plugins.module_utils.common._module import carry_out

SECRET_KEY = "client-secret"
# Shown in diffs as they are; the client secret (and any other key) shows masked.
PUBLIC_KEYS = ("issuer-url", "client-id", "allowed-groups")


def _key(namespace, name):
    return "%s/%s" % (namespace, name)


def writer(wanted, adopt_from=None):
    """The writer of one Secret (``wanted``: a dict of namespace, name, labels, data as text); other keys are left alone.
    ``adopt_from``: the upstream tool whose Secret of that name may be taken over."""
    return cc.CredentialSecret(wanted["namespace"], wanted["name"], wanted["data"], labels=wanted["labels"], provider=None,
                               public_keys=PUBLIC_KEYS, keep_other_keys=True, adopt_from=adopt_from)


def _views(planned):
    """(before, after) of a planned Secret for the diff: the module's keys only, secrets masked."""
    current, secret = planned["current"], planned["writer"]
    if current is None:
        return None, secret.view(None)
    data = cc.decode_data(current)
    if planned.get("delete"):
        return cc.secret_view(current["metadata"], data, public_keys=PUBLIC_KEYS), None
    own = dict((key, value) for key, value in data.items() if key in secret.data)
    return cc.secret_view(current["metadata"], own, public_keys=PUBLIC_KEYS), secret.view(current, previous=data)


def plan_secrets(wanted, found, unwanted=(), adopt_from=None):
    """The writes that make the Secrets ``found`` (Kubernetes dicts, as read) what ``wanted`` says.

    ``wanted``: dicts of namespace, name, labels, data (text); ``unwanted``: found Secrets to delete;
    ``adopt_from``: the upstream tool whose Secrets may be taken over.
    Returns (planned writes that change something, before, after), the views keyed by ``namespace/name``.
    """
    by_key = dict((_key(s["metadata"]["namespace"], s["metadata"]["name"]), s) for s in found)
    planned = [cc.plan_write(writer(secret, adopt_from), by_key.get(_key(secret["namespace"], secret["name"]))) for secret in wanted]
    for current in unwanted:
        meta = current["metadata"]
        planned.append(cc.plan_delete(writer(dict(namespace=meta["namespace"], name=meta["name"], labels={}, data={})), current))
    planned = [item for item in planned if item["changed"]]
    before, after = {}, {}
    for item in planned:
        before[item["writer"].key], after[item["writer"].key] = _views(item)
    return planned, before, after


def write_secrets(calls, planned, wrote=False):
    """Carry out ``planned`` (from ``plan_secrets``) with ``calls`` (``_kubernetes.CoreCalls``).

    ``wrote`` says whether something was changed before (reported on failure as ``changed``).
    """
    carry_out(planned, lambda item: cc.carry_out(calls, item),
              lambda item: "%s the Secret %s" % (cc.planned_verb(item), item["writer"].key), kube.describe_error, wrote)
