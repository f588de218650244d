# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shape every azimuth.ops module has: options in, ``run()``, one place that turns errors into ``msg``.

A module subclasses a backend base (``OpenStackModule``, ``KubernetesModule``), sets
``argument_spec`` (and ``module_kwargs``), and implements ``run()``, which returns the result
dict (``changed`` and the module's return values, plus ``diff`` when asked).  ``main()`` is
``MyModule().execute()``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.basic import AnsibleModule


class ModuleError(Exception):
    """A failure to report as ``msg``; ``details`` are returned beside it."""

    def __init__(self, msg, **details):
        super(ModuleError, self).__init__(msg)
        self.details = details


class BaseModule:
    """Builds the AnsibleModule from the backend's options and the module's own, runs, exits."""

    base_argument_spec = {}
    argument_spec = {}
    module_kwargs = {}

    def __init__(self):
        spec = dict(self.base_argument_spec)
        spec.update(self.argument_spec)
        self.module = AnsibleModule(argument_spec=spec, supports_check_mode=True, **self.module_kwargs)
        self.params = self.module.params

    @property
    def check_mode(self):
        return self.module.check_mode

    @property
    def diff_mode(self):
        return self.module._diff  # pylint: disable=protected-access

    def run(self):
        """Do the work; return the result dict."""
        raise NotImplementedError

    def translate(self, exc):
        """A message for a backend exception, or None to let it propagate (a bug)."""
        return None

    def sensitive_values(self):
        """Strings that must not appear in the module's output (beyond the ``no_log`` option values).

        A module that derives secrets (for example the base64 of a Secret's data) returns them here;
        they join Ansible's no-log values, so every output shows ``********`` instead.
        """
        return ()

    def _hide_sensitive_values(self):
        self.module.no_log_values.update(value for value in self.sensitive_values() if value and len(value) >= 4)

    def fail(self, msg, **details):
        self._hide_sensitive_values()
        self.module.fail_json(msg=msg, **details)

    def execute(self):
        try:
            result = self.run()
        except ModuleError as exc:
            self.fail(str(exc), **exc.details)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            message = self.translate(exc)
            if message is None:
                raise
            self.fail(message)
        self._hide_sensitive_values()
        self.module.exit_json(**result)
