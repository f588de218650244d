# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cloud-credential Secret: its ``clouds.yaml``, how it is compared, shown masked, and written.

Shared by ``azimuth.ops.tenancy`` (credentials the operator created) and
``azimuth.ops.app_credential`` (credentials the module creates): ``CredentialSecret`` is the one
writer of the Secret, and holds the rule of which Secrets the collection may change.  Secret data
are compared by meaning (YAML keys parsed), so a different but equivalent rendering is not a change.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import copy

from ansible_collections.azimuth.ops.plugins.module_utils.kubernetes._kubernetes import retry_on_conflict
from ansible_collections.azimuth.ops.plugins.module_utils.common._module import ModuleError
from ansible_collections.azimuth.ops.plugins.module_utils.common._naming import (
    ADOPTED_ANNOTATION,
    MANAGED_BY,
    MANAGED_BY_LABEL,
    NamingError,
    check_dns_label,
    check_dns_subdomain,
    check_label_value,
    check_qualified_name,
)

try:
    import yaml
except ImportError:  # pragma: no cover - PyYAML comes with ansible-core and kubernetes
    yaml = None

SECRET_NAME = "default-openstack-credential"
PROVIDER_LABEL = "credential.azimuth-cloud.io/provider"
PROVIDER = "openstack"
CLOUD_NAME = "openstack"
CLOUDS_KEY = "clouds.yaml"
MASK = "********"
# Keys whose value is YAML: compared parsed, shown parsed (masked) in diffs.
YAML_KEYS = (CLOUDS_KEY, "user_info.yaml")
# Keys shown in diffs as they are (public data).
PLAIN_KEYS = ("cacert",)
SECRET_FIELDS = ("application_credential_secret", "password", "token", "secret")
# Upstream tools whose Secrets the collection takes over when asked (managed-by value -> the option that asks).
ADOPTABLE = {"azimuth-identity-operator": "adopt: true", "azimuth-caas-operator": "adopt: true"}
# The CaaS operator sets no managed-by label on what it makes for a cluster, only this one.
CAAS_OPERATOR, CAAS_OPERATOR_LABEL = "azimuth-caas-operator", "azimuth-caas-cluster"


def cloud_config(auth_url, credential_id, credential_secret, region_name=None, interface=None, verify=None):
    """The ``clouds.yaml`` content (a dict) for an application credential."""
    cloud = {
        "auth_type": "v3applicationcredential",
        "auth": {
            "auth_url": auth_url,
            "application_credential_id": credential_id,
            "application_credential_secret": credential_secret,
        },
    }
    if region_name:
        cloud["region_name"] = region_name
    cloud["interface"] = interface or "public"
    cloud["identity_api_version"] = 3
    if verify is not None:
        cloud["verify"] = verify
    return {"clouds": {CLOUD_NAME: cloud}}


def dump_yaml(data):
    return yaml.safe_dump(data, default_flow_style=False, sort_keys=False)


def load_yaml(text):
    """Parsed YAML, or None when ``text`` is not YAML."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return None


def stored_credential(clouds_text):
    """(application_credential_id, application_credential_secret) from a ``clouds.yaml`` text."""
    parsed = load_yaml(clouds_text) if clouds_text else None
    try:
        auth = parsed["clouds"][CLOUD_NAME]["auth"]
        return auth.get("application_credential_id"), auth.get("application_credential_secret")
    except (KeyError, TypeError, AttributeError):
        return None, None


def decode_data(secret):
    """A Secret's data as text (undecodable values as None)."""
    decoded = {}
    for key, value in ((secret or {}).get("data") or {}).items():
        try:
            decoded[key] = base64.b64decode(value).decode("utf-8")
        except (ValueError, TypeError, UnicodeDecodeError):
            decoded[key] = None
    return decoded


def encode(text):
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def same_value(key, current, desired):
    """Whether a Secret value (text) matches the desired one (YAML keys by meaning)."""
    if current is None:
        return False
    if key in YAML_KEYS:
        parsed = load_yaml(current)
        return parsed is not None and parsed == load_yaml(desired)
    return current == desired


def data_patch(current_data, desired_data):
    """The merge-patch ``data`` (base64 values, None to remove a key) that turns one into the other."""
    patch = {}
    for key, value in desired_data.items():
        if not same_value(key, current_data.get(key), value):
            patch[key] = encode(value)
    for key in current_data:
        if key not in desired_data:
            patch[key] = None
    return patch


def metadata_patch(current, labels=None, annotations=None):
    """The merge-patch ``metadata`` for labels/annotations: set those that differ, remove those given as None.

    Keys not named are left alone, so labels other tools set survive.
    """
    patch = {}
    for field, wanted in (("labels", labels), ("annotations", annotations)):
        have = (current or {}).get(field) or {}
        changes = {}
        for key, value in (wanted or {}).items():
            if value is None:
                if key in have:
                    changes[key] = None
            elif have.get(key) != value:
                changes[key] = value
        if changes:
            patch[field] = changes
    return patch


def apply_metadata(current, patch):
    """``current`` metadata labels/annotations after ``metadata_patch`` (for diffs and predictions)."""
    result = {}
    for field in ("labels", "annotations"):
        values = dict((current or {}).get(field) or {})
        for key, value in (patch.get(field) or {}).items():
            if value is None:
                values.pop(key, None)
            else:
                values[key] = value
        result[field] = values
    return result


def secret_labels(extra=None, provider=PROVIDER):
    """The collection's labels over ``extra``; ``provider`` None for a Secret that holds no cloud credential."""
    labels = dict(extra or {})
    if provider:
        labels[PROVIDER_LABEL] = provider
    labels[MANAGED_BY_LABEL] = MANAGED_BY
    return labels


def _mask_fields(value, previous=None):
    """``value`` with every secret field replaced by the mask (marked when it differs from ``previous``)."""
    if isinstance(value, dict):
        masked = {}
        for key, item in value.items():
            before = previous.get(key) if isinstance(previous, dict) else None
            if key in SECRET_FIELDS and item is not None:
                changed = previous is not None and before != item
                masked[key] = MASK + " (changed)" if changed else MASK
            else:
                masked[key] = _mask_fields(item, before)
        return masked
    if isinstance(value, list):
        return [_mask_fields(item) for item in value]
    return copy.deepcopy(value)


def masked_data(data, previous=None, public_keys=PLAIN_KEYS):
    """Secret data (text values) for a diff or a result: YAML parsed with secrets masked, ``public_keys``
    as they are, the rest masked.

    With ``previous`` (the data before), a secret that changes shows as ``******** (changed)``.
    """
    masked = {}
    for key, text in (data or {}).items():
        if key in YAML_KEYS and text is not None:
            parsed = load_yaml(text)
            if isinstance(parsed, (dict, list)):
                before = load_yaml((previous or {}).get(key) or "") if previous is not None else None
                masked[key] = _mask_fields(parsed, before if isinstance(before, dict) else ({} if previous is not None else None))
                continue
        if key in public_keys and text is not None:
            masked[key] = text
            continue
        changed = previous is not None and previous.get(key) != text
        masked[key] = MASK + " (changed)" if changed else MASK
    return masked


def secret_view(secret_meta, data, previous=None, public_keys=PLAIN_KEYS):
    """How a Secret shows in a diff: labels, annotations, masked data."""
    return {
        "labels": dict((secret_meta or {}).get("labels") or {}),
        "annotations": dict((secret_meta or {}).get("annotations") or {}),
        "data": masked_data(data, previous, public_keys),
    }


def string_values(mapping):
    """Labels or annotations as strings (None kept: it removes the key)."""
    return dict((key, None if value is None else str(value)) for key, value in (mapping or {}).items())


def check_metadata(labels, annotations, where):
    """Raise ModuleError for a label or annotation Kubernetes would refuse, before anything is written."""
    try:
        for key, value in (labels or {}).items():
            check_qualified_name(key, "label")
            if value is not None:
                check_label_value(key, value)
        for key in annotations or {}:
            check_qualified_name(key, "annotation")
    except NamingError as exc:
        raise ModuleError("%s: %s" % (where, exc))


def _manager_and_mark(secret):
    """(the tool that manages ``secret``, the label that says so), (None, None) when no label says."""
    labels = secret["metadata"].get("labels") or {}
    if labels.get(MANAGED_BY_LABEL):
        return labels[MANAGED_BY_LABEL], "%s=%s" % (MANAGED_BY_LABEL, labels[MANAGED_BY_LABEL])
    if CAAS_OPERATOR_LABEL in labels:
        return CAAS_OPERATOR, CAAS_OPERATOR_LABEL
    return None, None


def manager_of(secret):
    """The tool that manages ``secret``: its managed-by label, the CaaS operator by its own label, else None."""
    return _manager_and_mark(secret)[0]


def check_ownership(secret, adopt_from=None, take_unlabelled=True):
    """Raise ModuleError unless the collection may change (or delete) ``secret``.

    It may when it is an Opaque Secret that no other tool manages (``manager_of``: none, ``azimuth-ops``,
    or ``adopt_from``, a tool of ``ADOPTABLE`` the caller may take over from), and not being deleted.
    ``take_unlabelled`` False: a Secret that no label says is the collection's is refused too (one whose
    content the collection must have made itself, such as a key pair).
    """
    metadata = secret["metadata"]
    where = "the Secret %s/%s" % (metadata.get("namespace"), metadata.get("name"))
    manager, mark = _manager_and_mark(secret)
    if manager and manager not in (MANAGED_BY, adopt_from):
        how = "; set %s to take it over from %s" % (ADOPTABLE[manager], manager) if manager in ADOPTABLE else ""
        raise ModuleError("%s is managed by %s (label %s), not by %s; it is not the collection's to change%s"
                          % (where, manager, mark, MANAGED_BY, how))
    if manager is None and not take_unlabelled:
        raise ModuleError("%s exists without a label %s naming its owner (made by hand or by another tool); it is not "
                          "the collection's to change: delete or rename it" % (where, MANAGED_BY_LABEL))
    if secret.get("type", "Opaque") != "Opaque":
        raise ModuleError("%s has type %s, not Opaque; delete it to let the collection write it" % (where, secret.get("type")))
    if metadata.get("deletionTimestamp"):
        raise ModuleError("%s is being deleted; run again once it is gone" % where)


class CredentialSecret:
    """A credential Secret as it should be, and the one writer that makes it so.

    ``data`` are text values (keys not in it are removed), ``labels`` and ``annotations`` are set
    (a None value removes one; other keys are left alone), and the collection's own labels are
    always set (``provider`` None: no provider label, for a Secret that holds no cloud credential).
    ``public_keys`` are data keys that diffs show as they are; ``keep_other_keys`` leaves the data keys
    not in ``data`` alone (what other tools add to the Secret survives).  ``adopt_from``: a tool of
    ``ADOPTABLE`` whose Secret may be taken over (relabelled, the takeover recorded in
    ``ADOPTED_ANNOTATION``).  Every write goes through ``write()`` or ``delete()``, after ``check_ownership``.
    """

    def __init__(self, namespace, name, data, labels=None, annotations=None, provider=PROVIDER, public_keys=PLAIN_KEYS,
                 keep_other_keys=False, adopt_from=None, take_unlabelled=True):
        for check, value, what in ((check_dns_label, namespace, "namespace"), (check_dns_subdomain, name, "Secret name")):
            try:
                check(value, what)
            except NamingError as exc:
                raise ModuleError(str(exc))
        self.namespace, self.name = namespace, name
        self.data = data
        self.labels = secret_labels(string_values(labels), provider)
        self.public_keys = public_keys
        self.keep_other_keys = keep_other_keys
        self.adopt_from = adopt_from
        self.take_unlabelled = take_unlabelled
        self.annotations = string_values(annotations)
        check_metadata(self.labels, self.annotations, "the Secret %s" % self.key)

    @property
    def key(self):
        return "%s/%s" % (self.namespace, self.name)

    def body(self):
        """The Secret to create."""
        return {
            "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": self.name, "namespace": self.namespace,
                         "labels": dict((k, v) for k, v in self.labels.items() if v is not None),
                         "annotations": dict((k, v) for k, v in self.annotations.items() if v is not None)},
            "data": dict((key, encode(value)) for key, value in self.data.items()),
        }

    def check(self, current):
        """The ownership rule for this Secret (ModuleError when ``current`` is not the collection's to change)."""
        check_ownership(current, self.adopt_from, self.take_unlabelled)

    def patch(self, current):
        """The merge patch that makes ``current`` match (None when it does), after the ownership rule."""
        self.check(current)
        annotations = self.annotations
        if self.adopt_from and manager_of(current) == self.adopt_from:
            annotations = dict(annotations, **{ADOPTED_ANNOTATION: self.adopt_from})
        body = {}
        metadata = metadata_patch(current["metadata"], self.labels, annotations)
        if metadata:
            body["metadata"] = metadata
        data = data_patch(decode_data(current), self.data)
        if self.keep_other_keys:
            data = dict((key, value) for key, value in data.items() if key in self.data)
        if data:
            body["data"] = data
        return body or None

    def view(self, current, previous=None):
        """How the Secret shows in a diff after the write (``current``: as read, or None)."""
        if current is None:
            return secret_view(self.body()["metadata"], self.data, previous, self.public_keys)
        metadata = apply_metadata(current["metadata"], (self.patch(current) or {}).get("metadata") or {})
        return secret_view(metadata, self.data, previous, self.public_keys)

    def write(self, kube, current, retry=retry_on_conflict):
        """Create the Secret or patch what differs; ``current`` is the Secret as read (None: absent).

        A 409 (it changed, or another run created it meanwhile) means: read it again and patch that
        (``retry`` calls the attempt again on ``_kubernetes.Conflict``).
        """
        reads = [current]

        def attempt():
            secret = reads.pop() if reads else kube.read_secret(self.namespace, self.name)
            if secret is None:
                kube.create_secret(self.namespace, self.body())
                return
            patch = self.patch(secret)
            if patch:
                patch.setdefault("metadata", {})["resourceVersion"] = secret["metadata"].get("resourceVersion")
                kube.patch_secret(self.namespace, self.name, patch)

        retry(attempt)

    def delete(self, kube, current):
        """Delete ``current`` (this Secret as read), only that object; False when it was already gone."""
        self.check(current)
        return kube.delete_secret(self.namespace, self.name, uid=current["metadata"].get("uid"))


# --- a planned Secret write: planned first (ownership checked, in check mode too), carried out later ---


def plan_write(writer, current):
    """The write that makes ``current`` (as read, or None) what ``writer`` says, after the ownership rule.

    A dict with ``writer``, ``current`` and ``changed`` (False: nothing to write).
    """
    return dict(writer=writer, current=current, changed=current is None or writer.patch(current) is not None)


def plan_delete(writer, current):
    """The deletion of ``current`` (``writer``'s Secret as read), after the ownership rule; a dict as ``plan_write``'s."""
    writer.check(current)
    return dict(writer=writer, current=current, changed=True, delete=True)


def planned_verb(planned):
    """What a planned write does: create, patch or delete."""
    if planned.get("delete"):
        return "delete"
    return "create" if planned["current"] is None else "patch"


def carry_out(kube, planned, retry=retry_on_conflict):
    """Send a planned write (nothing when it changes nothing)."""
    if planned.get("delete"):
        planned["writer"].delete(kube, planned["current"])
    elif planned["changed"]:
        planned["writer"].write(kube, planned["current"], retry)
