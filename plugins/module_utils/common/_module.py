# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shape every azimuth.ops module has: options in, ``run()``, one place that turns errors into ``msg``.

A module subclasses a backend base (``OpenStackModule``, ``KubernetesModule``, ``KeycloakModule``,
with ``_kubernetes.KubernetesConnection`` in front when Kubernetes is its second service), sets
``argument_spec`` (and ``module_kwargs``), and implements ``run()``, which returns the result dict
(``changed``, the module's return values and ``diff``).  ``main()`` is ``MyModule().execute()``.

The job interface: ``run()`` sets ``self.job`` to the object doing the work as soon as it has one.
A job keeps ``warnings`` (a list of strings) and, when it sees any, ``sensitive`` (the secrets it has
seen: values read from servers, generated ones, their encodings).  ``execute()`` turns that into the result, on
success and on failure alike: the secrets join Ansible's no-log values (so no output, diff, warning
or message shows them), the warnings are emitted once, and ``diff`` is kept only in diff mode.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible.module_utils.basic import AnsibleModule

# Keys whose values are secrets, at any depth of a free-form option (an OpenStack ``auth`` or
# ``cloud`` dict, a kubeconfig dict): passwords, application credential and client secrets,
# tokens (bearer, OIDC id and refresh tokens), TOTP passcodes, and kubeconfig client keys.
SECRET_KEY = re.compile(r"password|secret|token|passcode|totp|key-data", re.IGNORECASE)


def _scalar(value):
    return isinstance(value, (str, int, float)) and not isinstance(value, bool) and str(value) != ""


def secret_values(value):
    """The values under secret-looking keys of ``value``, nested dicts and lists searched.

    An ``{name: ..., value: ...}`` entry whose name looks secret (a kubeconfig exec plugin's
    ``env``) counts too.
    """
    found = set()
    if isinstance(value, dict):
        if SECRET_KEY.search(str(value.get("name", ""))) and _scalar(value.get("value")):
            found.add(str(value["value"]))
        for key, item in value.items():
            if SECRET_KEY.search(str(key)) and _scalar(item):
                found.add(str(item))
            else:
                found |= secret_values(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            found |= secret_values(item)
    return found


def leaf_values(value):
    """Every scalar in ``value`` as Ansible's ``no_log`` collects them (booleans and empty strings left out)."""
    if isinstance(value, dict):
        return set().union(*(leaf_values(item) for item in value.values())) if value else set()
    if isinstance(value, (list, tuple)):
        return set().union(*(leaf_values(item) for item in value)) if value else set()
    return set([str(value)]) if _scalar(value) else set()


def option_value(params, path):
    """The value at ``path`` (a tuple of option names) in ``params``, or None."""
    value = params
    for name in path:
        if not isinstance(value, dict):
            return None
        value = value.get(name)
    return value


class ModuleError(Exception):
    """A failure to report as ``msg``; ``details`` are returned beside it (``changed`` after a partial write)."""

    def __init__(self, msg="", **details):
        super(ModuleError, self).__init__(msg)
        self.details = details


class Conflict(ModuleError):
    """The one family of write conflicts (HTTP 409 from Kubernetes or Keycloak): the object changed since it was
    read, or one of its name was made meanwhile.  The caller re-reads and plans again, or reports it."""


def carry_out(actions, do, what, describe=lambda exc: None, wrote=False):
    """The one place that writes a plan: ``do(action)`` for each action in order.

    On a failure, a ModuleError that names the action (``what(action)``, such as ``create namespace x``),
    why (a ModuleError's message, or ``describe(exc)`` for a backend exception; any other exception is a
    bug and propagates) and what was written before it, with the detail ``changed`` (``wrote``: something
    was written before these actions) and the attribute ``done``, the actions carried out (kept out of
    the details, which become the module's result).  Returns the actions done.
    """
    done = []
    for action in actions:
        try:
            do(action)
        except ModuleError as exc:
            reason = str(exc)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            reason = describe(exc)
            if reason is None:
                raise
        else:
            done.append(action)
            continue
        before = "; ".join(what(item) for item in done) or "nothing"
        error = ModuleError("Could not %s: %s. Written before this failure: %s" % (what(action), reason, before),
                            changed=wrote or bool(done))
        error.done = done
        raise error
    return done


class _AnsibleModule(AnsibleModule):
    """An AnsibleModule that hides the secrets inside free-form options from the moment it reads them.

    Ansible logs a module's invocation (to the journal or syslog) and may fail on a bad option
    while it is still being built, both before the module's own code runs; ``no_log`` covers
    only whole options.  ``find_secrets(params)`` names the secrets inside dicts such as a
    kubeconfig or an OpenStack ``cloud``, and they join the no-log values as soon as the raw
    parameters are read, so every output from then on shows ``********`` instead.
    """

    def __init__(self, find_secrets, **kwargs):
        self._find_secrets = find_secrets
        super(_AnsibleModule, self).__init__(**kwargs)

    def _load_params(self):
        super(_AnsibleModule, self)._load_params()
        self.no_log_values.update(self._find_secrets(self.params))


class BaseModule:
    """Builds the AnsibleModule from the backend's options and the module's own, connects (``connect()``), runs, exits;
    one path (``guarded``) turns the failures of both into ``msg``."""

    base_argument_spec = {}
    # The options of a second service (``_kubernetes.KubernetesConnection``), beside the backend's.
    service_argument_spec = {}
    argument_spec = {}
    module_kwargs = {}
    # Options (paths of names) that may hold secrets at any key: a cloud or kubeconfig given as a dict.
    # Each class in the hierarchy names its own; all of them count.
    secret_carriers = ()
    # The run's job (see the module docstring); None until run() has one, also when __init__ fails.
    job = None

    def __init__(self):
        spec = dict(self.base_argument_spec)
        spec.update(self.service_argument_spec)
        spec.update(self.argument_spec)
        self._reported = False
        self.module = _AnsibleModule(self.secrets_in, argument_spec=spec, supports_check_mode=True, **self.module_kwargs)
        self.params = self.module.params

    @classmethod
    def secrets_in(cls, params):
        """The secrets inside the free-form options of ``params`` (``secret_carriers`` of every class in the hierarchy)."""
        found = set()
        for klass in cls.__mro__:
            for path in vars(klass).get("secret_carriers", ()):
                found |= secret_values(option_value(params, path))
        return found

    @property
    def check_mode(self):
        return self.module.check_mode

    @property
    def diff_mode(self):
        return self.module._diff  # pylint: disable=protected-access

    def run(self):
        """Do the work; return the result dict."""
        raise NotImplementedError

    def connect(self):
        """Open the backend's connection before ``run()`` (a backend base sets ``self.conn`` or its like); nothing here."""

    def translate(self, exc):
        """A message for a backend exception, or None to let it propagate (a bug)."""
        return None

    def translate_connect(self, exc):
        """A message for a backend exception raised by ``connect()`` (Could not connect...), or None to let it propagate."""
        return None

    def describe(self, exc):
        """One line for a backend exception without the module-level prefix (a job's own messages), or None."""
        return None

    def sensitive_values(self):
        """Strings that must not appear in the module's output (beyond the ``no_log`` option values).

        By default the secrets the job has seen (``job.sensitive``); a module whose options derive
        secrets (the base64 of a Secret's data) adds them.  They join Ansible's no-log values, so
        every output shows ``********`` instead.
        """
        return set(getattr(self.job, "sensitive", None) or ())

    def _report(self):
        """Hide the secrets and emit the job's warnings, once, before the module exits either way."""
        self.module.no_log_values.update(value for value in self.sensitive_values() if value and len(value) >= 4)
        if self._reported:
            return
        self._reported = True
        for warning in getattr(self.job, "warnings", None) or ():
            self.module.warn(warning)

    def fail(self, msg, **details):
        self._report()
        self.module.fail_json(msg=msg, **details)

    def guarded(self, call, *args, translate=None):
        """``call(*args)``; a ModuleError or a backend exception (``translate``, default ``self.translate``) ends the
        module with its message."""
        translate = translate or self.translate
        try:
            return call(*args)
        except ModuleError as exc:
            self.fail(str(exc), **exc.details)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            message = translate(exc)
            if message is None:
                raise
            self.fail(message)
        return None  # not reached: fail() exits

    def execute(self):
        self.guarded(self.connect, translate=self.translate_connect)
        result = self.guarded(self.run)
        if not self.diff_mode:
            result.pop("diff", None)
        self._report()
        self.module.exit_json(**result)
