# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shape every azimuth.ops module has: options in, ``run()``, one place that turns errors into ``msg``.

A module subclasses a backend base (``OpenStackModule``, ``KubernetesModule``, ``KeycloakModule``,
with ``_kubernetes.KubernetesConnection`` in front when Kubernetes is its second service), sets
``argument_spec`` (and ``module_kwargs``), and implements ``run()``, which returns the result dict
(``changed``, the module's return values and ``diff``).  ``main()`` is ``MyModule().execute()``.

Secrets have one entry point, ``self.secrets`` (``Secrets``): each is registered the moment it is
known, with its encodings, and joins Ansible's no-log values at once, so no later output (invocation,
result, diff, warning, deprecation, message) shows it; ``secrets.mask(value)`` hides them in what is
written to a server people read (a ``Cluster`` status).  The secrets inside free-form options
(``secret_carriers``) are registered as the parameters are read; a module registers those its options
derive at the start of ``run()`` (or in ``__init__``, before hidden options are unmasked).  An option
that is ``no_log`` only to stay out of the invocation (``auth``, ``_hidden_options``) is unmasked with
``secrets.unmask()``, which keeps every registered secret masked.

The job interface: ``run()`` builds the object doing the work with ``secrets=self.secrets`` (it
registers the secrets it sees: values read from servers, generated ones) and sets ``self.job`` to it
as soon as it has one.  A job keeps ``warnings`` (a list of strings).  ``execute()`` turns it into the
result, on success and on failure alike: the warnings are emitted once, and ``diff`` is kept only in
diff mode.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import functools
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


MASK = "********"


class Secrets:
    """The secrets of one run, and the one place they are registered.

    ``add()`` registers values with the encodings that would reveal them; once ``bind()`` has given
    it the module's no-log values, every registration joins them at once.  ``mask()`` hides every
    secret known (registered, or a no-log value) in a value written where people read it.
    """

    # Shorter values are not registered: masking every ``1`` or ``yes`` would garble the output.
    MIN_LENGTH = 4

    def __init__(self):
        self.values = set()
        self.no_log_values = set()

    def bind(self, no_log_values):
        """From now on register into ``no_log_values`` (a module's) too; the values registered so far join it."""
        no_log_values.update(self.values)
        self.no_log_values = no_log_values

    def add(self, *values, **kwargs):
        """Register ``values`` and the base64 of each.

        ``held_in``: texts that hold them (the values of a Secret's data): the base64 of each is registered too,
        not the text itself.  ``short``: register values shorter than MIN_LENGTH as well (secrets given in an
        option, masked whatever their length as Ansible masks a ``no_log`` option).
        """
        least = 1 if kwargs.get("short") else self.MIN_LENGTH
        found = set()
        for value in values:
            value = "" if value is None else str(value)
            if len(value) >= least:
                found.update([value, _encode(value)])
        found.update(_encode(text) for text in kwargs.get("held_in") or () if text)
        self.values |= found
        self.no_log_values.update(found)

    def unmask(self, values):
        """Take ``values`` (an option's, masked by ``no_log``) out of the no-log values, except those registered."""
        self.no_log_values.difference_update(set(values) - self.values)

    def mask(self, value):
        """``value`` with every secret known (longest first) replaced by ``********``, in nested dicts and lists too."""
        known = sorted((secret for secret in self.values | self.no_log_values if secret), key=len, reverse=True)
        return _masked(value, known)


def _encode(text):
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def _masked(value, secrets):
    if isinstance(value, dict):
        return dict((key, _masked(item, secrets)) for key, item in value.items())
    if isinstance(value, list):
        return [_masked(item, secrets) for item in value]
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, MASK)
        return value
    return MASK if not isinstance(value, bool) and str(value) in secrets else value


class ModuleError(Exception):
    """A failure to report as ``msg``; ``details`` are returned beside it (``changed`` after a partial write)."""

    def __init__(self, msg="", **details):
        super(ModuleError, self).__init__(msg)
        self.details = details


class Conflict(ModuleError):
    """The one family of write conflicts (HTTP 409 from Kubernetes or Keycloak): the object changed since it was
    read, or one of its name was made meanwhile.  The caller re-reads and plans again, or reports it."""


def attempt(call, describe, worded=(ModuleError,)):
    """``(call(), None)``, or ``(None, why it failed)``: the message of a ``worded`` exception, or ``describe(exc)``
    of another (a backend's); when that is None, the exception propagates (a bug)."""
    try:
        return call(), None
    except worded as exc:
        return None, str(exc)
    except Exception as exc:  # pylint: disable=broad-exception-caught
        reason = describe(exc)
        if reason is None:
            raise
        return None, reason


def carry_out(actions, do, what, describe=lambda exc: None, wrote=False, dry_run=False):
    """The one place that writes a plan: ``do(action)`` for each action in order.

    On a failure, a ModuleError that names the action (``what(action)``, such as ``create namespace x``),
    why (a ModuleError's message, or ``describe(exc)`` for a backend exception; any other exception is a
    bug and propagates) and what was written before it, with the detail ``changed`` (``wrote``: something
    was written before these actions) and the attribute ``done``, the actions carried out (kept out of
    the details, which become the module's result).  Returns the actions done.

    ``dry_run``: check mode's run of the plan, ``do`` going through calls that ask the server to judge
    each write and keep none (``dryRun=All``); a refusal says that nothing was written, ``changed`` False.
    """
    done = []
    for action in actions:
        reason = attempt(functools.partial(do, action), describe)[1]
        if reason is None:
            done.append(action)
            continue
        if dry_run:
            raise ModuleError("Could not %s: %s. Nothing was written (check mode asked the API server with a dry run)"
                              % (what(action), reason), changed=False)
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
    kubeconfig or an OpenStack ``cloud``; they are registered with ``secrets`` (bound to this
    module's no-log values) as soon as the raw parameters are read, so every output from then on
    shows ``********`` instead.
    """

    def __init__(self, secrets, find_secrets, **kwargs):
        self._secrets = secrets
        self._find_secrets = find_secrets
        super(_AnsibleModule, self).__init__(**kwargs)

    def _load_params(self):
        super(_AnsibleModule, self)._load_params()
        self._secrets.bind(self.no_log_values)
        self._secrets.add(*self._find_secrets(self.params), short=True)


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
        # The run's secrets (see the module docstring), bound to the module's no-log values as it reads its parameters.
        self.secrets = Secrets()
        self.module = _AnsibleModule(self.secrets, self.secrets_in, argument_spec=spec, supports_check_mode=True, **self.module_kwargs)
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

    def _report(self):
        """Emit the job's warnings, once, before the module exits either way."""
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
