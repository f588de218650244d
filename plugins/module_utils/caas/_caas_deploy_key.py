# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The per-cluster deploy key of a CaaS cluster, kept as azimuth-caas-operator keeps it.

An appliance puts ``cluster_deploy_ssh_public_key`` on its machines when it creates them and
logs in with ``cluster_ssh_private_key_file`` when it updates or deletes them, so the key must
be the same on every run.  The operator makes an ed25519 key pair once per cluster and keeps it
in the Secret ``<cluster>-deploy-key`` (keys ``id_ed25519.pub`` and ``id_ed25519``) of the
cluster's namespace; so does this code, labelled as the collection's.  A Secret of that name
that another tool made (or that no label says is the collection's) is refused, naming the tool;
with ``adopt`` one made by the CaaS operator is taken over (relabelled, its key kept, the takeover
recorded in an annotation).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64

from ansible_collections.azimuth.ops.plugins.module_utils.kubernetes._cloud_credential import CAAS_OPERATOR, CredentialSecret
from ansible_collections.azimuth.ops.plugins.module_utils.common._module import ModuleError, Secrets

PUBLIC_KEY, PRIVATE_KEY = "id_ed25519.pub", "id_ed25519"


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


def secret_strings(private_text):
    """What must never be shown of a private key: the text and each line of it (``Secrets.add`` adds their base64,
    as a Secret's data holds it)."""
    found = set([private_text, private_text.strip()])
    found.update(line for line in private_text.splitlines() if len(line) >= 8 and "PRIVATE KEY" not in line)
    return found


class DeployKey:
    """The deploy key of one cluster; ``core`` is a ``_kubernetes.CoreCalls``.  Nothing is written in check mode.

    ``read()`` finds the Secret and checks whose it is (raising ModuleError for another tool's);
    ``ensure()`` makes it when missing (or adopts it); ``remove()`` deletes it.  The strings
    of the private key are registered with ``secrets`` (the run's ``Secrets``) as soon as it is known.  Every write goes through the collection's
    one Secret writer (``CredentialSecret``), whose ownership rule refuses here also a Secret that no
    label says is the collection's: a key pair must be one the collection made or took over.
    """

    def __init__(self, core, namespace, cluster, check_mode, adopt=False, labels=None, secrets=None):
        """``labels``: the collection's labels for the cluster's objects, beside the managed-by one."""
        self.core = core
        self.labels = dict(labels or {})
        self.namespace = namespace
        self.name = secret_name(cluster)
        self.check_mode = check_mode
        self.adopt = adopt
        self.secret = None
        self.secrets = Secrets() if secrets is None else secrets
        self.changed = False

    def writer(self, data):
        return CredentialSecret(self.namespace, self.name, data, labels=self.labels, provider=None, public_keys=(PUBLIC_KEY,),
                                adopt_from=CAAS_OPERATOR if self.adopt else None, take_unlabelled=False)

    def read(self):
        self.secret = self.core.read_secret(self.namespace, self.name)
        if self.secret is not None:
            self.writer({}).check(self.secret)
        return self.secret

    def ensure(self):
        """(public key, private key text) of the cluster: the stored pair, or a new one (stored unless in check mode)."""
        if self.secret is None:
            public_text, private_text = self.throwaway()
            self.changed = True
            if not self.check_mode:
                writer = self.writer({PUBLIC_KEY: public_text, PRIVATE_KEY: private_text})
                # No retry: a key made meanwhile by another run is that cluster's key, never overwritten.
                writer.write(self.core, None, retry=lambda attempt: attempt())
                self.secret = writer.body()
            return public_text, private_text
        data = self.stored()
        writer = self.writer(data)
        if writer.patch(self.secret) is not None:  # the CaaS operator's Secret, taken over (adopt): relabelled, the key kept
            self.changed = True
            if not self.check_mode:
                writer.write(self.core, self.secret)
        return data[PUBLIC_KEY].strip(), data[PRIVATE_KEY]

    def throwaway(self):
        """A key pair for one run that stores nothing (a removal when the cluster has no key)."""
        public_text, private_text = make_key_pair()
        self.secrets.add(*secret_strings(private_text))
        return public_text, private_text

    def stored(self):
        """The stored pair as text, by data key."""
        data = self.secret.get("data") or {}
        try:
            pair = dict((key, base64.b64decode(data[key]).decode()) for key in (PUBLIC_KEY, PRIVATE_KEY))
        except (KeyError, TypeError, ValueError):
            raise ModuleError("the Secret %s/%s does not hold the keys %s and %s of an ed25519 key pair"
                              % (self.namespace, self.name, PUBLIC_KEY, PRIVATE_KEY))
        self.secrets.add(*secret_strings(pair[PRIVATE_KEY]))
        return pair

    def remove(self):
        """Delete the Secret (only the one that was read); whether it was there."""
        if self.secret is None:
            return False
        self.changed = True
        if not self.check_mode:
            self.writer({}).delete(self.core, self.secret)
        return True
