# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How the collection's filters report errors: one message naming the filter, never Python's internals."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import inspect

from ansible.errors import AnsibleFilterError


def reporting(name, function, usage, errors):
    """``function`` as the filter ``azimuth.ops.<name>``.

    A call with missing or extra arguments, or one that raises one of ``errors`` (the logic's own
    error type), ends in an AnsibleFilterError that names the filter; ``usage`` shows how to call it.
    """
    signature = inspect.signature(function)

    def wrapper(*args, **kwargs):
        try:
            signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise AnsibleFilterError("azimuth.ops.%s: %s; use it as %s" % (name, exc, usage))
        try:
            return function(*args, **kwargs)
        except errors as exc:
            raise AnsibleFilterError("azimuth.ops.%s: %s" % (name, exc))

    wrapper.__name__ = name
    wrapper.__doc__ = function.__doc__
    return wrapper
