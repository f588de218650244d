# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How tenancies are named in Kubernetes."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

NAMESPACE_PREFIX = "az-"
# Namespace names and label values are DNS-1123 labels: at most 63 characters.
MAX_LABEL_LENGTH = 63
_OUTSIDE_ALPHABET = re.compile(r"[^a-z0-9]+")

# The labels and annotations the collection puts on a tenancy's objects.
TENANCY_ID_LABEL = "tenant.azimuth-cloud.io/id"
TENANCY_NAME_ANNOTATION = "tenant.azimuth-cloud.io/name"
OIDC_GROUP_ANNOTATION = "tenant.azimuth-cloud.io/oidc-group"
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY = "azimuth-ops"
# The portal an object belongs to (a label on Kubernetes objects, a realm attribute in Keycloak):
# pruning and deprecation touch only the objects of the portal a run names, unless told otherwise.
PORTAL_LABEL = "azimuth-ops.azimuth-cloud.io/portal"
# Records, on an object the collection took over from an upstream tool, which tool made it (and when).
ADOPTED_ANNOTATION = "azimuth-ops.azimuth-cloud.io/adopted-from"
DEFAULT_PORTAL = "azimuth"


class NamingError(ValueError):
    """A name that cannot be turned into a Kubernetes name."""


def sanitise(value, max_length=MAX_LABEL_LENGTH):
    """Lower-case ``value``, turn each run of characters outside [a-z0-9] into one '-', trim '-'.

    The result is cut to ``max_length`` characters (without a trailing '-').
    """
    if not isinstance(value, str):
        raise NamingError("expected a string, got %s" % type(value).__name__)
    result = _OUTSIDE_ALPHABET.sub("-", value.lower()).strip("-")
    result = result[:max_length].rstrip("-")
    if not result:
        if not value:
            raise NamingError("'' is empty, and a Kubernetes name needs ASCII letters or digits")
        beyond_ascii = " (letters outside ASCII, such as %r, too)" % next(c for c in value if ord(c) > 127) if not value.isascii() else ""
        raise NamingError("%r has no ASCII letters or digits, which a Kubernetes name needs: every other character "
                          "is dropped%s, which leaves nothing" % (value, beyond_ascii))
    return result


def describe_tenancy(tenancy):
    """How messages name a tenancy (a dict with ``name`` and ``id``)."""
    return "tenancy %s (%s)" % (tenancy.get("name"), tenancy.get("id"))


def tenancy_namespace(name):
    """The namespace of the tenancy called ``name``: ``az-`` and the sanitised name."""
    return NAMESPACE_PREFIX + sanitise(name, MAX_LABEL_LENGTH - len(NAMESPACE_PREFIX))


def tenancy_id_label(tenancy_id):
    """The value of the ``tenant.azimuth-cloud.io/id`` label: the ID sanitised by the same rule."""
    return sanitise(tenancy_id)


# Kubernetes' own rules for names, label keys and values (apimachinery's validation).
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_NAME_PART = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
MAX_SUBDOMAIN_LENGTH = 253


def check_dns_label(value, what):
    """Raise NamingError unless ``value`` is a DNS-1123 label (a namespace name)."""
    if not isinstance(value, str) or len(value) > MAX_LABEL_LENGTH or not _DNS_LABEL.match(value):
        raise NamingError("%s %r is not a valid name: at most %d characters of a-z, 0-9 and '-', "
                          "starting and ending with a letter or digit" % (what, value, MAX_LABEL_LENGTH))


def check_dns_subdomain(value, what):
    """Raise NamingError unless ``value`` is a DNS-1123 subdomain (the name of most objects)."""
    if not isinstance(value, str) or len(value) > MAX_SUBDOMAIN_LENGTH or not _DNS_SUBDOMAIN.match(value):
        raise NamingError("%s %r is not a valid name: at most %d characters of a-z, 0-9, '-' and '.', "
                          "starting and ending with a letter or digit" % (what, value, MAX_SUBDOMAIN_LENGTH))


def check_qualified_name(key, what):
    """Raise NamingError unless ``key`` is a valid label or annotation key (``[prefix/]name``)."""
    prefix, _slash, name = key.rpartition("/") if isinstance(key, str) else ("", "", key)
    valid = isinstance(name, str) and len(name) <= MAX_LABEL_LENGTH and _NAME_PART.match(name)
    if prefix or _slash:
        valid = valid and len(prefix) <= MAX_SUBDOMAIN_LENGTH and _DNS_SUBDOMAIN.match(prefix)
    if not valid:
        raise NamingError("%s key %r is not valid: an optional DNS subdomain prefix and '/', then at most %d characters "
                          "of letters, digits, '-', '_' and '.', starting and ending with a letter or digit"
                          % (what, key, MAX_LABEL_LENGTH))


def check_label_value(key, value):
    """Raise NamingError unless ``value`` may be the value of the label ``key``."""
    if value != "" and (len(value) > MAX_LABEL_LENGTH or not _NAME_PART.match(value)):
        raise NamingError("label %s: the value %r is not valid: at most %d characters of letters, digits, '-', '_' "
                          "and '.', starting and ending with a letter or digit" % (key, value, MAX_LABEL_LENGTH))


def check_portal(portal):
    """Raise NamingError unless ``portal`` can name a portal: a non-empty value of the label PORTAL_LABEL."""
    if not portal:
        raise NamingError("portal must not be empty: it names the portal on every object the collection writes")
    try:
        check_label_value(PORTAL_LABEL, portal)
    except NamingError as exc:
        raise NamingError("portal: %s" % exc)
