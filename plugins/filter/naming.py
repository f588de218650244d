# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that name tenancy objects in Kubernetes; the rules live in module_utils/common/_naming.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.azimuth.ops.plugins.module_utils.common._naming import NamingError, tenancy_namespace
from ansible_collections.azimuth.ops.plugins.plugin_utils._filter import reporting


def tenancy_namespace_filter(name):
    """The Kubernetes namespace of the tenancy called ``name``."""
    try:
        return tenancy_namespace(name)
    except NamingError as exc:
        raise NamingError("the tenancy name %s" % exc)


class FilterModule:
    """Tenancy naming filters."""

    def filters(self):
        return {"tenancy_namespace": reporting("tenancy_namespace", tenancy_namespace_filter,
                                               "tenancy_name | azimuth.ops.tenancy_namespace", NamingError)}
