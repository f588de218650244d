# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Many tenancies' own clouds in one module call (the batch forms of ``tenancy_network``, ``project_info``
and ``app_credential``): how messages name them, an entry's own options, opening them in a bounded pool, closing them.

Each cloud is its own token, scoped to its tenancy's project; a pool of ``WORKERS`` threads opens and
works on them, a bound that Keystone (password checks are slow by design) and Neutron take well.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import concurrent.futures

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.azimuth.ops.plugins.module_utils.common._module import ModuleError, attempt, leaf_values
from ansible_collections.azimuth.ops.plugins.module_utils.openstack._openstack import CONNECTION_KEYS, connect

# Clouds worked on at the same time (threads; most of a run is waiting for the servers).
WORKERS = 8
# How the batch forms that write begin the message of a cloud that does not open.
CONNECT_FAILURE = "Could not connect to OpenStack with "


def cloud_label(where, cloud):
    """How messages name the cloud at ``where`` (such as ``clouds[3]``): by its name or its project only, never by a secret."""
    if isinstance(cloud, str):
        return "%s (cloud %s)" % (where, cloud)
    auth = cloud.get("auth") if isinstance(cloud, dict) and isinstance(cloud.get("auth"), dict) else {}
    project = auth.get("project_name") or auth.get("project_id")
    return "%s%s" % (where, " (project %s)" % project if isinstance(project, str) else "")


def opener(params, cloud):
    """A function that opens ``cloud`` (a clouds.yaml name or a dict) with the task's connection settings (not its auth) over it."""
    settings = dict((option, params.get(option)) for option in CONNECTION_KEYS if option != "auth_type")
    settings.update(cloud=cloud, token_cache=params.get("token_cache"))
    return lambda: connect(settings)


def open_cloud(label, connect, describe, prefix=CONNECT_FAILURE, worded=(ModuleError,)):
    """``(connect(), None)``, or ``(None, "<prefix><label>: <reason>")`` when it raises (``_module.attempt``)."""
    conn, reason = attempt(connect, describe, worded)
    return conn, None if reason is None else "%s%s: %s" % (prefix, label, reason)


def _without_defaults(spec):
    """An argument spec whose options take no defaults: an entry's own options are only those it gives."""
    plain = {}
    for name, option in spec.items():
        option = dict((key, value) for key, value in option.items() if key not in ("default", "required"))
        if "options" in option:
            option["options"] = _without_defaults(option["options"])
        plain[name] = option
    return plain


def entry_overrides(spec, given, where, names_are="the options are", error=ModuleError):
    """The options an entry gives itself (the dict ``given``, checked as the task's are against the argument spec ``spec``),
    without those it leaves None; the caller puts them over the task's.

    ``error`` (a ``ModuleError``) says what is wrong, beginning with ``where``; an unknown option's message ends
    with ``names_are`` and the options of ``spec``.  Messages name keys, never values.
    """
    unknown = sorted(set(given) - set(spec))
    if unknown:
        raise error("%s: unknown option %s; %s %s" % (where, ", ".join(unknown), names_are, ", ".join(sorted(spec))))
    checked = ArgumentSpecValidator(_without_defaults(spec)).validate(dict(given))
    if checked.error_messages:
        raise error("%s: %s" % (where, "; ".join(checked.error_messages)))
    return dict((key, value) for key, value in checked.validated_parameters.items() if value is not None)


def pool_map(work, items, workers=WORKERS):
    """``[work(item) for item in items]``, ``workers`` at a time, in order."""
    items = list(items)
    if not items:
        return []
    with concurrent.futures.ThreadPoolExecutor(max_workers=min(workers, len(items))) as pool:
        return list(pool.map(work, items))


def close(conn):
    """Close a connection; a failure to close is tidying up, not the run's result."""
    method = getattr(conn, "close", None)
    if method is not None:
        try:
            method()
        except Exception:  # pylint: disable=broad-exception-caught
            pass


class OwnClouds:
    """A module whose option ``own_clouds_option`` lists tenancies' own clouds (put it before ``OpenStackModule``).

    The option is ``no_log`` (it may hold passwords), which would mask every value in it wherever it
    appears (a project name in a message): only the secrets inside stay masked.  When the task's own
    connection is not needed (``needs_task_connection()``), none is opened.
    """

    own_clouds_option = "clouds"

    def __init__(self):
        super(OwnClouds, self).__init__()
        given = self.params.get(self.own_clouds_option)
        if given:
            self.secrets.unmask(leaf_values(given))

    def needs_task_connection(self):
        return self.params.get(self.own_clouds_option) is None

    def connect(self):
        if self.needs_task_connection():
            super(OwnClouds, self).connect()
