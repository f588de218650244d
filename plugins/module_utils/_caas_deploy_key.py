# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The per-cluster deploy key of a CaaS cluster, kept as azimuth-caas-operator keeps it.

An appliance puts ``cluster_deploy_ssh_public_key`` on its machines when it creates them and
logs in with ``cluster_ssh_private_key_file`` when it updates or deletes them, so the key must
be the same on every run.  The operator makes an ed25519 key pair once per cluster and keeps it
in the Secret ``<cluster>-deploy-key`` (keys ``id_ed25519.pub`` and ``id_ed25519``) of the
cluster's namespace; so does this code, labelled as the collection's.  A Secret of that name
that another tool made is refused, naming the tool; with ``adopt`` one made by the CaaS
operator is taken over (relabelled, its key kept, the takeover recorded in an annotation).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64

from ansible_collections.azimuth.ops.plugins.module_utils._module import ModuleError
from ansible_collections.azimuth.ops.plugins.module_utils._naming import ADOPTED_ANNOTATION, MANAGED_BY, MANAGED_BY_LABEL

PUBLIC_KEY, PRIVATE_KEY = "id_ed25519.pub", "id_ed25519"
# The label the CaaS operator puts on the objects it makes for a cluster (it sets no managed-by label).
OPERATOR, OPERATOR_LABEL = "azimuth-caas-operator", "azimuth-caas-cluster"


def secret_name(cluster):
    return "%s-deploy-key" % cluster


def make_key_pair():
    """A new ed25519 key pair as text: (OpenSSH public key, OpenSSH private key without passphrase)."""
    # ansible-core itself needs cryptography, so it is always there.
    from cryptography.hazmat.primitives import serialization  # pylint: disable=import-outside-toplevel
    from cryptography.hazmat.primitives.asymmetric import ed25519  # pylint: disable=import-outside-toplevel
    private = ed25519.Ed25519PrivateKey.generate()
    public_text = private.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    private_text = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                         serialization.NoEncryption()).decode()
    return public_text, private_text


def owner_of(secret):
    """The tool that made ``secret``: its managed-by label, the CaaS operator by its own label, else None."""
    labels = secret["metadata"].get("labels") or {}
    if labels.get(MANAGED_BY_LABEL):
        return labels[MANAGED_BY_LABEL]
    return OPERATOR if OPERATOR_LABEL in labels else None


def secret_strings(private_text):
    """What must never be shown of a private key: the text, its base64 (as a Secret's data holds it), each line of it."""
    found = set([private_text, private_text.strip(), base64.b64encode(private_text.encode()).decode()])
    found.update(line for line in private_text.splitlines() if len(line) >= 8 and "PRIVATE KEY" not in line)
    return found


class DeployKey:
    """The deploy key of one cluster; ``core`` is a ``_kubernetes.CoreCalls``.  Nothing is written in check mode.

    ``read()`` finds the Secret and checks whose it is (raising ModuleError for another tool's);
    ``ensure()`` makes it when missing (or adopts it); ``remove()`` deletes it.  ``sensitive``
    collects the strings of the private key for masking.
    """

    def __init__(self, core, namespace, cluster, check_mode, adopt=False, labels=None):
        """``labels``: the collection's labels for the cluster's objects, beside the managed-by one."""
        self.core = core
        self.extra_labels = dict(labels or {})
        self.namespace = namespace
        self.name = secret_name(cluster)
        self.cluster = cluster
        self.check_mode = check_mode
        self.adopt = adopt
        self.secret = None
        self.sensitive = set()
        self.changed = False

    @property
    def where(self):
        return "the Secret %s/%s" % (self.namespace, self.name)

    def read(self):
        self.secret = self.core.read_secret(self.namespace, self.name)
        if self.secret is None:
            return None
        owner = owner_of(self.secret)
        if owner == MANAGED_BY or (owner == OPERATOR and self.adopt):
            return self.secret
        if owner == OPERATOR:
            raise ModuleError("%s holds the deploy key that %s made for cluster %s (label %s); set adopt: true to take it over "
                              "and keep using that key" % (self.where, OPERATOR, self.cluster, OPERATOR_LABEL))
        if owner:
            raise ModuleError("%s is managed by %s (label %s=%s), not by %s; it is not the collection's deploy key"
                              % (self.where, owner, MANAGED_BY_LABEL, owner, MANAGED_BY))
        raise ModuleError("%s exists without a label %s naming its owner (made by hand or by another tool); it is not the "
                          "collection's deploy key: delete or rename it" % (self.where, MANAGED_BY_LABEL))

    def labels(self):
        return dict(self.extra_labels, **{MANAGED_BY_LABEL: MANAGED_BY})

    def ensure(self):
        """(public key, private key text) of the cluster: the stored pair, or a new one (stored unless in check mode)."""
        if self.secret is None:
            public_text, private_text = self.throwaway()
            self.changed = True
            if not self.check_mode:
                self.secret = self.core.create_secret(self.namespace, dict(
                    metadata=dict(name=self.name, namespace=self.namespace, labels=self.labels()),
                    type="Opaque", stringData={PUBLIC_KEY: public_text, PRIVATE_KEY: private_text}))
            return public_text, private_text
        public_text, private_text = self.stored()
        if owner_of(self.secret) == OPERATOR:
            self.take_over()
        return public_text, private_text

    def throwaway(self):
        """A key pair for one run that stores nothing (a removal when the cluster has no key)."""
        public_text, private_text = make_key_pair()
        self.sensitive |= secret_strings(private_text)
        return public_text, private_text

    def stored(self):
        data = self.secret.get("data") or {}
        try:
            public_text, private_text = (base64.b64decode(data[key]).decode() for key in (PUBLIC_KEY, PRIVATE_KEY))
        except (KeyError, TypeError, ValueError):
            raise ModuleError("%s does not hold the keys %s and %s of an ed25519 key pair" % (self.where, PUBLIC_KEY, PRIVATE_KEY))
        self.sensitive |= secret_strings(private_text) | set([data[PRIVATE_KEY]])
        return public_text.strip(), private_text

    def take_over(self):
        """Relabel the CaaS operator's Secret as the collection's, recording where it came from; the key stays."""
        self.changed = True
        if not self.check_mode:
            self.secret = self.core.patch_secret(self.namespace, self.name, dict(metadata=dict(
                labels=self.labels(), annotations={ADOPTED_ANNOTATION: OPERATOR})))

    def remove(self):
        """Delete the Secret (only the one that was read); whether it was there."""
        if self.secret is None:
            return False
        self.changed = True
        if not self.check_mode:
            self.core.delete_secret(self.namespace, self.name, uid=self.secret["metadata"].get("uid"))
        return True
