# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options kept out of the logs without masking every value in them wherever it appears.

An option such as OpenTofu ``variables`` or an appliance's extra variables may carry secrets, so
it must not reach the invocation log nor the returned ``invocation``: it is ``no_log`` in the
argument spec.  But Ansible then also masks each of its values anywhere in the output, so every
name and every ``1`` in it would become ``********`` in the module's results.  A module that
lists such options in ``hidden_options`` keeps them out of the invocation (returned as
``VALUE_SPECIFIED_IN_NO_LOG_PARAMETER``) and masks only the secrets among their values, which it
registers with ``self.secrets`` before ``unmask_hidden_options()`` (``secret_carriers``, or its own ``add()``).

A hidden option whose value is of the wrong type would fail while Ansible builds the module, with
every value in it masked in the message (a value ``a`` turns ``argument`` into ``********rgument``).
So the types of the hidden options are checked first, with Ansible's own checks: a value that
does not fit is taken as it is, and the module then fails with Ansible's readable message once
only the secrets among the values are masked.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils import basic
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.azimuth.ops.plugins.module_utils.common._module import leaf_values

HIDDEN = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"


def values_under_keys(value, pattern):
    """The scalars under keys matching ``pattern`` (a compiled regex), nested dicts and lists searched."""
    found = set()
    if isinstance(value, dict):
        for key, item in value.items():
            found |= leaf_values(item) if pattern.search(str(key)) else values_under_keys(item, pattern)
    elif isinstance(value, (list, tuple)):
        for item in value:
            found |= values_under_keys(item, pattern)
    return found


def no_log_leaves(spec, params):
    """The values of the ``no_log`` options (suboptions included) in ``params``."""
    found = set()
    for name, option in spec.items():
        value = (params or {}).get(name)
        if option.get("no_log"):
            found |= leaf_values(value)
        elif option.get("options") and isinstance(value, dict):
            found |= no_log_leaves(option["options"], value)
        elif option.get("options") and isinstance(value, list):
            for item in value:
                found |= no_log_leaves(option["options"], item if isinstance(item, dict) else {})
    return found


def type_errors(spec, params, names):
    """Ansible's messages for the options ``names`` of ``params`` whose values do not fit their type in ``spec``."""
    checked = dict((name, dict(spec[name], no_log=False)) for name in names if (params or {}).get(name) is not None)
    result = ArgumentSpecValidator(checked).validate(dict((name, params[name]) for name in checked))
    return [str(error) for error in result.errors]


def taken_as_given(spec, names):
    """``spec`` with the options ``names`` of any type (``raw``), so that building the module cannot fail on them."""
    return dict((name, dict(option, type="raw") if name in names else option) for name, option in spec.items())


class HiddenOptions:
    """Mixin for a BaseModule subclass; call ``unmask_hidden_options()`` at the end of ``__init__``.

    It must come before the backend base in the class's bases, so that it checks the hidden options' types first.
    """

    hidden_options = ()

    def __init__(self):
        # The arguments AnsibleModule is about to read (read once, then kept by Ansible).
        self.hidden_option_errors = type_errors(self.argument_spec, basic._load_params(), self.hidden_options)
        if self.hidden_option_errors:
            self.argument_spec = taken_as_given(self.argument_spec, self.hidden_options)
        super(HiddenOptions, self).__init__()

    def unmask_hidden_options(self):
        spec = self.module.argument_spec
        others = dict((name, option) for name, option in spec.items() if name not in self.hidden_options)
        hidden = set().union(*(leaf_values(self.params.get(name)) for name in self.hidden_options))
        self.secrets.unmask(hidden - no_log_leaves(others, self.params))
        if self.hidden_option_errors:
            self.fail("; ".join(self.hidden_option_errors))

    def invocation(self):
        """The ``invocation`` to return: the module's arguments with the hidden options hidden."""
        args = dict(self.params)
        for name in self.hidden_options:
            if args.get(name) not in (None, {}, []):
                args[name] = HIDDEN
        return dict(invocation=dict(module_args=args))

    def fail(self, msg, **details):
        details.update(self.invocation())
        super(HiddenOptions, self).fail(msg, **details)
