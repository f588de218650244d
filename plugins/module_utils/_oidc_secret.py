# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kubernetes Secrets that hand an OIDC client's credentials to its user (Zenith, the portal).

Keys ``issuer-url``, ``client-id``, ``client-secret`` (and ``allowed-groups`` for Zenith's
discovery Secrets).  ``plan_secrets`` compares the wanted Secrets with those found and returns
the writes (creates, JSON merge patches that touch only the module's labels and keys, deletes of
the exact object read) and the diff views, with the client secret masked; ``SecretWriter`` sends
them through the Kubernetes base.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.azimuth.ops.plugins.module_utils import _cloud_credential as cc
from ansible_collections.azimuth.ops.plugins.module_utils import _kubernetes as kube
from ansible_collections.azimuth.ops.plugins.module_utils._module import ModuleError

SECRET_KEY = "client-secret"


def view(secret_meta, data, previous=None):
    """A Secret as diffs show it: labels and data, the client secret masked (marked when it changes)."""
    shown = dict((key, value) for key, value in (data or {}).items() if key != SECRET_KEY)
    if SECRET_KEY in (data or {}):
        changed = previous is not None and previous.get(SECRET_KEY) != data[SECRET_KEY]
        shown[SECRET_KEY] = cc.MASK + " (changed)" if changed else cc.MASK
    return {"labels": dict((secret_meta or {}).get("labels") or {}), "data": shown}


def body(secret):
    return {
        "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
        "metadata": {"name": secret["name"], "namespace": secret["namespace"], "labels": dict(secret["labels"])},
        "data": dict((key, cc.encode(value)) for key, value in secret["data"].items()),
    }


def _key(namespace, name):
    return "%s/%s" % (namespace, name)


def plan_secrets(wanted, found, unwanted=()):
    """The writes that make the Secrets ``found`` (Kubernetes dicts) what ``wanted`` says.

    ``wanted``: dicts of namespace, name, labels, data (text); ``unwanted``: found Secrets to delete.
    Returns (actions, before, after), the views keyed by ``namespace/name``.
    """
    by_key = dict((_key(s["metadata"]["namespace"], s["metadata"]["name"]), s) for s in found)
    actions, before, after = [], {}, {}
    for secret in wanted:
        key = _key(secret["namespace"], secret["name"])
        current = by_key.get(key)
        if current is None:
            actions.append(dict(kind="create", key=key, body=body(secret)))
            before[key], after[key] = None, view(secret, secret["data"])
            continue
        if current.get("type", "Opaque") != "Opaque":
            raise ModuleError("Secret %s has type %s, not Opaque; delete it to let the module write it" % (key, current["type"]))
        current_data = cc.decode_data(current)
        patch = {}
        metadata = cc.metadata_patch(current["metadata"], secret["labels"])
        if metadata:
            patch["metadata"] = metadata
        data = cc.data_patch(dict((k, v) for k, v in current_data.items() if k in secret["data"]), secret["data"])
        if data:
            patch["data"] = data
        if patch:
            actions.append(dict(kind="patch", key=key, namespace=secret["namespace"], name=secret["name"], patch=patch))
            labels = cc.apply_metadata(current["metadata"], metadata)
            before[key] = view(current["metadata"], dict((k, v) for k, v in current_data.items() if k in secret["data"]))
            after[key] = view(labels, secret["data"], previous=current_data)
    for current in unwanted:
        meta = current["metadata"]
        key = _key(meta["namespace"], meta["name"])
        actions.append(dict(kind="delete", key=key, namespace=meta["namespace"], name=meta["name"], uid=meta.get("uid")))
        before[key], after[key] = view(meta, cc.decode_data(current)), None
    return actions, before, after


class SecretCalls(kube.CoreCalls):
    """The Kubernetes base's Secret calls, plus listing one namespace's Secrets by label."""

    def list_namespaced_secrets(self, namespace, label_selector):
        return kube.request_json(self.core.list_namespaced_secret, namespace, label_selector=label_selector)["items"]


class SecretWriter:
    """Sends the writes of ``plan_secrets``; a failure names the Secret."""

    def __init__(self, calls):
        self.calls = calls

    def run(self, actions, wrote=False):
        """Send ``actions``; ``wrote`` says whether something was changed before (reported on failure)."""
        for action in actions:
            try:
                if action["kind"] == "create":
                    meta = action["body"]["metadata"]
                    self.calls.create_secret(meta["namespace"], action["body"])
                elif action["kind"] == "patch":
                    self.calls.patch_secret(action["namespace"], action["name"], action["patch"])
                else:
                    self.calls.delete_secret(action["namespace"], action["name"], uid=action["uid"])
            except Exception as exc:  # pylint: disable=broad-exception-caught
                if not kube.translate_error(exc):
                    raise
                raise ModuleError("Could not %s the Secret %s: %s" % (action["kind"], action["key"], kube.describe_api_error(exc)),
                                  changed=wrote)
            wrote = True


def sensitive_strings(secrets):
    """The client secrets of ``secrets`` (wanted dicts) and the base64 of each value that holds one."""
    found = []
    for secret in secrets:
        value = secret["data"].get(SECRET_KEY)
        if value:
            found.extend([value, cc.encode(value)])
    return found
