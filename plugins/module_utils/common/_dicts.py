# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plain-data helpers shared by the services' code: a recursive merge, and nulls left out."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy


def overlay(current, desired):
    """``current`` with ``desired`` written over it, dicts merged recursively (Ansible's ``combine(recursive=True)``):
    what an update sends, or a variable over its default."""
    result = copy.deepcopy(current) if isinstance(current, dict) else {}
    for key, value in desired.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = overlay(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def strip_none(value):
    """``value`` without null dict values, recursively: a JSON merge patch cannot store a null."""
    if isinstance(value, dict):
        return dict((k, strip_none(v)) for k, v in value.items() if v is not None)
    if isinstance(value, list):
        return [strip_none(item) for item in value]
    return value
