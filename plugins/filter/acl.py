# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that evaluate platform-type ACLs; the rules live in module_utils/_acl.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.azimuth.ops.plugins.module_utils._acl import AclError, Evaluator, annotations_for

# One evaluator per process, so each distinct regex is compiled once however many objects,
# tenancies and tasks use it.
_EVALUATOR = Evaluator()


def _reporting(name, function):
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except AclError as exc:
            raise AnsibleFilterError("azimuth.ops.%s: %s" % (name, exc))

    wrapper.__name__ = name
    wrapper.__doc__ = function.__doc__
    return wrapper


class FilterModule:
    """Platform-type ACL filters."""

    def filters(self):
        return {
            "acl_allowed": _reporting("acl_allowed", _EVALUATOR.allowed),
            "acl_filter": _reporting("acl_filter", _EVALUATOR.filter),
            "acl_actions": _reporting("acl_actions", _EVALUATOR.actions),
            "acl_annotations": _reporting("acl_annotations", annotations_for),
        }
