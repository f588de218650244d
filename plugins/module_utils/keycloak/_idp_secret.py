# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A client secret of its own for each tenancy realm's identity provider, kept where tenants cannot write.

The identity provider ``azimuth`` of a tenancy realm logs in to the tenancy's Dex (whatever answers
its issuer) with a client ID and secret.  Every tenancy member is a realm admin and may point the
provider's token URL at a server of theirs, so a secret shared by all tenancies would open every
other tenancy's Dex.  Each tenancy therefore gets a generated secret (``generate``), kept in the
Secret ``azimuth-idp-client`` of the tenancy's namespace (see ``_realm_binding``), where the
tenancy's Dex reads it and tenants cannot write.  The provider's config keeps only a digest
salted per realm (``digest``): a run notices a changed secret without writing it each time, and a
realm admin learns nothing from it (the secret has 512 random bits).

``IdpSecrets`` reads every tenancy's Secret with one list request and plans each Secret through
the one Secret writer (``_cloud_credential.CredentialSecret``) and its ownership rule.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import hmac
import secrets

from ansible_collections.azimuth.ops.plugins.module_utils.kubernetes import _cloud_credential as cc
from ansible_collections.azimuth.ops.plugins.module_utils.common._module import Secrets
from ansible_collections.azimuth.ops.plugins.module_utils.common._naming import TENANCY_ID_LABEL, tenancy_id_label

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


class IdpSecrets:
    """The tenancies' client-secret Secrets: read with one list request, planned, written.

    ``kube`` is a ``_kubernetes.CoreCalls``; each tenancy's namespace comes from ``_realm_binding``.
    """

    def __init__(self, kube, secrets=None):
        """``secrets``: the run's ``Secrets``, where each secret planned is registered."""
        self.kube = kube
        self.secrets = Secrets() if secrets is None else secrets
        self._found = None

    def read(self):
        self._found = dict((s["metadata"]["namespace"], s) for s in self.kube.list_secrets(SECRET_NAME))

    def plan(self, item, namespace, client, rotate):
        """The secret of the tenancy ``item`` and the plan of its Secret in ``namespace``: a dict with
        ``secret``, ``writer`` (CredentialSecret), ``current`` (as read, or None) and ``changed``.

        ``client`` holds the Secret's public data (client ID, issuer URL, redirect URI); ``rotate``
        asks for a new secret.
        """
        current = self._found.get(namespace)
        kept = cc.decode_data(current).get(CLIENT_SECRET_KEY) if current else None
        secret = generate() if rotate or not kept else kept
        self.secrets.add(secret)
        data = dict(client, **{CLIENT_SECRET_KEY: secret})
        writer = cc.CredentialSecret(namespace, SECRET_NAME, data, labels={TENANCY_ID_LABEL: tenancy_id_label(item["id"])},
                                     provider=None, public_keys=PUBLIC_KEYS)
        return dict(cc.plan_write(writer, current), secret=secret)

    def plan_delete(self, namespace):
        """The Secret in ``namespace`` to delete (after the ownership rule), as a plan like ``plan``'s, or None."""
        current = self._found.get(namespace)
        if current is None:
            return None
        writer = cc.CredentialSecret(namespace, SECRET_NAME, {}, provider=None, public_keys=PUBLIC_KEYS)
        return dict(cc.plan_delete(writer, current), secret=None)

    def write(self, planned):
        """Make the Secret as planned (create, patch, or delete)."""
        cc.carry_out(self.kube, planned)

    @staticmethod
    def view(planned):
        """(before, after) of the Secret for a diff, the secret masked."""
        current, writer = planned["current"], planned["writer"]
        before = cc.secret_view(current["metadata"], cc.decode_data(current), public_keys=PUBLIC_KEYS) if current else None
        if planned.get("delete"):
            return before, None
        return before, writer.view(current, previous=cc.decode_data(current) if current else None)
