# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A client secret of its own for each tenancy realm's identity provider, kept where tenants cannot write.

The identity provider ``azimuth`` of a tenancy realm logs in to the tenancy's Dex (whatever answers
its issuer) with a client ID and secret.  Every tenancy member is a realm admin and may point the
provider's token URL at a server of theirs, so a secret shared by all tenancies would open every
other tenancy's Dex.  Each tenancy therefore gets a generated secret (``generate``), kept in the
Secret ``azimuth-idp-client`` of the tenancy's namespace, the namespace labelled with its ID (which
only the operator writes), where the tenancy's Dex reads it.  The provider's config keeps only a
digest salted per realm (``digest``): a run notices a changed secret without writing it each time,
and a realm admin learns nothing from it (the secret has 512 random bits).

``IdpSecrets`` reads every tenancy's namespace and Secret with two list requests and plans each
Secret through the one Secret writer (``_cloud_credential.CredentialSecret``) and its ownership rule.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import hmac
import secrets

from ansible_collections.azimuth.ops.plugins.module_utils import _cloud_credential as cc
from ansible_collections.azimuth.ops.plugins.module_utils._module import ModuleError
from ansible_collections.azimuth.ops.plugins.module_utils._naming import TENANCY_ID_LABEL, tenancy_id_label, tenancy_namespace

SECRET_NAME = "azimuth-idp-client"
CLIENT_SECRET_KEY = "client-secret"
# The Secret's other keys: what a Dex static client needs besides the secret; shown in diffs.
PUBLIC_KEYS = ("client-id", "issuer-url", "redirect-uri")
DIGEST_SCHEME = "hmac-sha256"


def generate():
    """A new client secret: 64 random bytes, URL-safe (as upstream's identity operator makes them)."""
    return secrets.token_urlsafe(64)


def digest(secret, salt=None):
    """``hmac-sha256:<salt>:<mac>`` of ``secret``, with a new random salt unless one is given."""
    salt = salt or secrets.token_hex(16)
    mac = hmac.new(salt.encode("ascii"), secret.encode("utf-8"), hashlib.sha256).hexdigest()
    return "%s:%s:%s" % (DIGEST_SCHEME, salt, mac)


def digest_matches(stored, secret):
    """Whether the digest ``stored`` (from a provider's config) was made from ``secret``."""
    parts = stored.split(":") if isinstance(stored, str) else ()
    if len(parts) != 3 or parts[0] != DIGEST_SCHEME or not parts[1]:
        return False
    return hmac.compare_digest(digest(secret, parts[1]), stored)


def _describe(item):
    return "tenancy %s (%s)" % (item["name"], item["id"])


def _namespaces_by_tenancy(namespaces):
    found = {}
    for namespace in namespaces:
        value = (namespace["metadata"].get("labels") or {}).get(TENANCY_ID_LABEL)
        if value:
            found.setdefault(value, []).append(namespace)
    return found


class IdpSecrets:
    """The tenancies' client-secret Secrets: read with two list requests, planned, written.

    ``kube`` is a ``_kubernetes.CoreCalls``.  A tenancy's namespace is the one labelled with its ID
    (``azimuth.ops.tenancy`` makes it); without one a run fails before writing, and check mode
    predicts the Secret in the namespace that module would create, with a warning.
    """

    def __init__(self, kube, check_mode=False):
        self.kube = kube
        self.check_mode = check_mode
        self.warnings = []
        self.secrets = []
        self._namespaces = self._found = None

    def read(self):
        self._namespaces = _namespaces_by_tenancy(self.kube.list_namespaces(TENANCY_ID_LABEL))
        self._found = dict((s["metadata"]["namespace"], s) for s in self.kube.list_secrets(SECRET_NAME))

    def namespace(self, item):
        """The name of the tenancy's namespace (after the ownership rules), or None in check mode when it has none."""
        owned = self._namespaces.get(tenancy_id_label(item["id"]), [])
        if len(owned) > 1:
            raise ModuleError("%s: namespaces %s are all labelled %s=%s; remove the label from all but one"
                              % (_describe(item), " and ".join(sorted(n["metadata"]["name"] for n in owned)),
                                 TENANCY_ID_LABEL, tenancy_id_label(item["id"])))
        if owned and owned[0]["metadata"].get("deletionTimestamp"):
            raise ModuleError("%s: namespace %s, where its identity provider's secret is kept, is being deleted"
                              % (_describe(item), owned[0]["metadata"]["name"]))
        if owned:
            return owned[0]["metadata"]["name"]
        return None

    def plan(self, item, client, rotate):
        """The secret of the tenancy ``item`` and the plan of its Secret: a dict with ``secret``,
        ``writer`` (CredentialSecret), ``current`` (as read, or None) and ``changed``.

        ``client`` holds the Secret's public data (client ID, issuer URL, redirect URI); ``rotate``
        asks for a new secret.
        """
        namespace = self.namespace(item)
        if namespace is None:
            expected = tenancy_namespace(item["name"])
            message = ("%s: no namespace is labelled %s=%s, and its identity provider's secret is kept there; "
                       "create it first with azimuth.ops.tenancy (the tenancies role)"
                       % (_describe(item), TENANCY_ID_LABEL, tenancy_id_label(item["id"])))
            if not self.check_mode:
                raise ModuleError(message)
            self.warnings.append("%s (check mode assumes %s)" % (message, expected))
            namespace = expected
        current = self._found.get(namespace)
        kept = cc.decode_data(current).get(CLIENT_SECRET_KEY) if current else None
        secret = generate() if rotate or not kept else kept
        self.secrets.append(secret)
        data = dict(client, **{CLIENT_SECRET_KEY: secret})
        writer = cc.CredentialSecret(namespace, SECRET_NAME, data, labels={TENANCY_ID_LABEL: tenancy_id_label(item["id"])},
                                     provider=None, public_keys=PUBLIC_KEYS)
        changed = current is None or writer.patch(current) is not None
        return dict(secret=secret, writer=writer, current=current, changed=changed)

    def plan_delete(self, item):
        """The tenancy's Secret to delete (after the ownership rule), as a plan like ``plan``'s, or None."""
        namespace = self.namespace(item)
        current = self._found.get(namespace) if namespace else None
        if current is None:
            return None
        cc.check_ownership(current)
        writer = cc.CredentialSecret(namespace, SECRET_NAME, {}, provider=None, public_keys=PUBLIC_KEYS)
        return dict(secret=None, writer=writer, current=current, changed=True, delete=True)

    def write(self, planned):
        """Make the Secret as planned (create, patch, or delete)."""
        if planned.get("delete"):
            planned["writer"].delete(self.kube, planned["current"])
        elif planned["changed"]:
            planned["writer"].write(self.kube, planned["current"])

    @staticmethod
    def view(planned):
        """(before, after) of the Secret for a diff, the secret masked."""
        current, writer = planned["current"], planned["writer"]
        before = cc.secret_view(current["metadata"], cc.decode_data(current), public_keys=PUBLIC_KEYS) if current else None
        if planned.get("delete"):
            return before, None
        return before, writer.view(current, previous=cc.decode_data(current) if current else None)

    def sensitive(self):
        """Every secret planned, and the base64 of each (as the Secret holds it)."""
        return [value for secret in self.secrets for value in (secret, cc.encode(secret))]
