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
        raise NamingError("%r has no letters or digits, so it cannot name a Kubernetes object" % value)
    return result


def tenancy_namespace(name):
    """The namespace of the tenancy called ``name``: ``az-`` and the sanitised name."""
    return NAMESPACE_PREFIX + sanitise(name, MAX_LABEL_LENGTH - len(NAMESPACE_PREFIX))


def tenancy_id_label(tenancy_id):
    """The value of the ``tenant.azimuth-cloud.io/id`` label: the ID sanitised by the same rule."""
    return sanitise(tenancy_id)
