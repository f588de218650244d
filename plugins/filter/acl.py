# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that evaluate platform-type ACLs; the rules live in module_utils/common/_acl.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.azimuth.ops.plugins.module_utils.common._acl import AclError, Evaluator, annotations_for
from ansible_collections.azimuth.ops.plugins.plugin_utils._filter import reporting

# One evaluator per process, so each distinct regex is compiled once however many objects,
# tenancies and tasks use it.
_EVALUATOR = Evaluator()
_TENANCY = "{'id': ..., 'name': ...}"


class FilterModule:
    """Platform-type ACL filters."""

    def filters(self):
        return {
            "acl_allowed": reporting("acl_allowed", _EVALUATOR.allowed,
                                     "platform_type | azimuth.ops.acl_allowed(%s)" % _TENANCY, AclError),
            "acl_filter": reporting("acl_filter", _EVALUATOR.filter,
                                    "platform_types | azimuth.ops.acl_filter(%s)" % _TENANCY, AclError),
            "acl_actions": reporting("acl_actions", _EVALUATOR.actions,
                                     "platform_type | azimuth.ops.acl_actions(%s)" % _TENANCY, AclError),
            "acl_annotations": reporting("acl_annotations", annotations_for,
                                         "{'allow_list': [...], 'deny_regex': '...'} | azimuth.ops.acl_annotations", AclError),
        }
