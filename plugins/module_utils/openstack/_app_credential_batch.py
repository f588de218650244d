# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The application credentials of many tenancies in one call: ``app_credential``'s ``credentials``.

Each entry is one tenancy's cloud (its own user, scoped to its project) with the credential's options
over the task's.  Each entry's run is the one-credential code (``_app_credential.AppCredential``) over
that cloud; the clouds are opened and worked on in a bounded pool (``_clouds``).  An entry that cannot
be used (a bad option, a cloud that does not authenticate, no namespace for its project, a Secret
another entry writes too) fails alone, before anything is written for it; the others go on, and the
task fails at the end naming each failure (``changed`` when anything was written).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.azimuth.ops.plugins.module_utils.common._module import ModuleError
from ansible_collections.azimuth.ops.plugins.module_utils.openstack._clouds import close, cloud_label, entry_overrides, open_cloud, pool_map


def entry_params(base, entry, spec, where):
    """(cloud, params) of one entry: the task's ``base`` values with the entry's own options over them.

    ``spec`` is the module's argument spec of the per-credential options; the entry is checked as the task's
    options are (types, unknown names).  ``secret`` is merged key by key.  Messages name keys, never values.
    """
    if not isinstance(entry, dict) or not entry.get("cloud") or not isinstance(entry["cloud"], (str, dict)):
        raise ModuleError("%s must be a dict with cloud (a cloud name or a dict of connection settings) and the "
                          "credential's options" % where)
    given = dict((key, value) for key, value in entry.items() if key != "cloud")
    own = entry_overrides(spec, given, where, "an entry may give cloud and")
    params = dict(base)
    secret = dict(base.get("secret") or {})
    secret.update((key, value) for key, value in (own.pop("secret", None) or {}).items() if value is not None)
    params.update(own, secret=secret)
    if not params.get("name"):
        raise ModuleError("%s: no name; give it in the entry or as the task's name" % where)
    return entry["cloud"], params


class BatchCredentials:
    """The entries of ``credentials``, each ``(label, open, params)``: ``open()`` returns the entry's connection.

    ``namespaces`` (project ID -> namespace) places the Secret of an entry whose ``secret`` names no namespace.
    ``job(conn, params)`` makes the one-credential job.
    """

    def __init__(self, entries, namespaces, job, describe):
        self.entries = entries
        self.namespaces = namespaces or {}
        self.job = job
        self.describe = describe
        self.warnings = []

    def run(self, diff=False):
        opened = pool_map(self._open, self.entries)
        try:
            self._refuse_shared_secrets(opened)
            outcomes = pool_map(self._run_one, opened)
        finally:
            for _label, conn, _params, _problem in opened:
                if conn is not None:
                    close(conn)
        return self._result(outcomes, diff)

    def _open(self, entry):
        """(label, connection, params with the Secret's namespace, problem): the entry opened, or why it cannot be used."""
        label, connect, params = entry
        conn, problem = open_cloud(label, connect, self.describe)
        if problem is not None:
            return label, None, params, problem
        project_id = conn.session.auth.get_access(conn.session).project_id
        namespace = params["secret"].get("namespace") or self.namespaces.get(project_id)
        if not project_id:
            return label, conn, params, "%s is not scoped to a project; set project_name or project_id in its auth" % label
        if not namespace:
            return label, conn, params, ("%s: no namespace for the Secret: give secret.namespace, or the namespace of project %s "
                                         "in namespaces" % (label, project_id))
        return label, conn, dict(params, secret=dict(params["secret"], namespace=namespace)), None

    @staticmethod
    def _refuse_shared_secrets(opened):
        """Two entries that would write one Secret both fail: each would undo the other's credential."""
        writers = {}
        for label, _conn, params, problem in opened:
            if problem is None:
                writers.setdefault((params["secret"]["namespace"], params["secret"]["name"]), []).append(label)
        for index, (label, conn, params, problem) in enumerate(opened):
            key = (params["secret"].get("namespace"), params["secret"].get("name"))
            if problem is None and len(writers[key]) > 1:
                opened[index] = (label, conn, params, "%s: the Secret %s/%s is also written by %s; give each project one entry"
                                 % (label, key[0], key[1], ", ".join(other for other in writers[key] if other != label)))

    def _run_one(self, opened):
        """(label, result or None, problem or None, changed, warnings) of one entry."""
        label, conn, params, problem = opened
        if problem is not None:
            return label, None, problem, False, []
        job = None
        try:
            job = self.job(conn, params)
            return label, job.run(), None, False, list(getattr(job, "warnings", ()))
        except ModuleError as exc:
            reason = str(exc)
            changed = bool(exc.details.get("changed"))
        except Exception as exc:  # pylint: disable=broad-exception-caught
            reason = self.describe(exc)
            if reason is None:
                raise
            changed = False
        return label, None, "%s: %s" % (label, reason), changed, list(getattr(job, "warnings", ()) or ())

    def _result(self, outcomes, diff):
        results, failures, changed = [], [], False
        for label, result, problem, wrote, warnings in outcomes:
            self.warnings.extend("%s: %s" % (label, warning) for warning in warnings)
            if problem is not None:
                failures.append(problem)
                changed = changed or wrote
                results.append(None)
                continue
            changed = changed or result["changed"]
            results.append(dict((key, value) for key, value in result.items() if key != "diff"))
        if failures:
            raise ModuleError("Could not ensure %d of %d application credentials: %s" % (len(failures), len(outcomes), "; ".join(failures)),
                              changed=changed, credentials=results)
        batch = dict(changed=changed, credentials=results)
        if diff:
            batch["diff"] = dict((side, [result["diff"][side] for _label, result, _p, _c, _w in outcomes]) for side in ("before", "after"))
        return batch


def make_entries(raw, base, spec, open_cloud):
    """``credentials`` as ``[(label, open, params)]``; every entry is checked before any is used."""
    entries, problems = [], []
    for index, entry in enumerate(raw):
        where = "credentials[%d]" % index
        label = cloud_label(where, entry.get("cloud") if isinstance(entry, dict) else None)
        try:
            cloud, params = entry_params(base, entry, spec, label)
        except ModuleError as exc:
            problems.append(str(exc))
            continue
        entries.append((label, open_cloud(cloud), params))
    if problems:
        raise ModuleError("Bad credentials entries: %s" % "; ".join(problems))
    return entries
