# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The portal's ``Cluster`` objects answered as the CaaS operator answers them (the rulebook azimuth.ops.caas).

What a ``Cluster`` asks for now (``work_due``): a removal once it is being deleted and still held by the
collection's finalizer; a run while its status does not show its spec (a new cluster, changed extra
variables or cluster type version, a run that was stopped before it ended); else nothing, as the
operator starts no job for a Ready or Failed cluster whose variables and type did not change.

Which cluster type a run uses (``type_in_force``): the operator's rule, the copy of the type's spec
cached in the status while the spec's ``clusterTypeVersion`` is the cached version, else the
``ClusterType`` as it is now.

One run at a time per cluster (``Claim``): a claim file per cluster names the ``ansible-playbook`` that
holds it, so a claim whose holder died (a rulebook stopped mid-run) is free again.  While a run holds
it, one more run may wait for it (it reads the object afresh once it has the claim, so it sees every
change made meanwhile); any further one ends at once, as the waiting one will see its change.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import fcntl
import os
import time

from ansible_collections.azimuth.ops.plugins.module_utils.kubernetes import _cloud_credential as cc
from ansible_collections.azimuth.ops.plugins.module_utils.common._module import ModuleError, Secrets, secret_values

FINALIZER = "azimuth-ops.azimuth-cloud.io/caas"
# The portal's name in the label app.kubernetes.io/managed-by of what it makes (the credential Secret is one).
PORTAL = "azimuth"
SETTLED = ("Ready", "Failed")
PLAYBOOK_COMMAND = b"ansible-playbook"


def finalizers(obj):
    return list((obj.get("metadata") or {}).get("finalizers") or [])


def being_deleted(obj):
    return bool((obj.get("metadata") or {}).get("deletionTimestamp"))


def masked_extravars(extravars):
    """The cluster's extra variables as the status records them: values under secret-looking keys masked."""
    secrets = Secrets()
    secrets.add(*secret_values(extravars), short=True)
    return secrets.mask(extravars)


def work_due(cluster):
    """``absent``, ``present`` or None (nothing to do) for ``cluster`` (None when there is no such object)."""
    if cluster is None:
        return None
    if being_deleted(cluster):
        return "absent" if FINALIZER in finalizers(cluster) else None
    spec, status = cluster.get("spec") or {}, cluster.get("status") or {}
    if spec.get("paused"):
        return None
    if (status.get("phase") in SETTLED and status.get("clusterTypeVersion") == spec.get("clusterTypeVersion")
            and status.get("appliedExtraVars") == masked_extravars(spec.get("extraVars") or {})):
        return None
    return "present"


def type_in_force(cluster, read_type):
    """(version, spec) of the cluster type a run of ``cluster`` uses; (None, None) when there is no such type.

    ``read_type(name)`` gives the ClusterType object, or None.
    """
    spec, status = cluster.get("spec") or {}, cluster.get("status") or {}
    cached = status.get("clusterTypeVersion")
    if cached and status.get("clusterTypeSpec") and cached == spec.get("clusterTypeVersion"):
        return cached, status["clusterTypeSpec"]
    found = read_type(spec.get("clusterTypeName"))
    if found is None:
        return None, None
    return found["metadata"]["resourceVersion"], found.get("spec") or {}


# --- one run at a time per cluster ------------------------------------------------------------

def _parent(pid):
    """The parent of process ``pid`` (from /proc), or None."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as handle:
            stat = handle.read()
    except OSError:
        return None
    # the command name (in parentheses) may hold spaces: the fields after its closing one
    fields = stat[stat.rfind(b")") + 2:].split()
    return int(fields[1]) if len(fields) > 1 else None


def _command(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as handle:
            return handle.read()
    except OSError:
        return None


def _is_playbook(pid):
    command = _command(pid) if pid and pid > 1 else None
    return command is not None and PLAYBOOK_COMMAND in command


def playbook_pid(start=None):
    """The ``ansible-playbook`` process that runs this module: the nearest ancestor whose command names it, and above
    it the process it was forked from (a task runs in a worker forked from the main process, under the same command)."""
    pid = start or os.getppid()
    while pid and pid > 1 and not _is_playbook(pid):
        pid = _parent(pid)
    if not _is_playbook(pid):
        raise ModuleError("could not find the ansible-playbook process that runs this task (the claims need Linux's /proc)")
    while _is_playbook(_parent(pid)):
        pid = _parent(pid)
    return pid


def alive(pid):
    """Whether ``pid`` is a running ansible-playbook (a dead holder's claim is free)."""
    try:
        os.kill(pid, 0)
    except OSError as exc:
        if exc.errno != errno.EPERM:
            return False
    command = _command(pid)
    return command is None or PLAYBOOK_COMMAND in command


class Claim:
    """The claim on one cluster's runs, in ``directory``; ``holder`` is this run's ansible-playbook pid."""

    def __init__(self, directory, namespace, name, holder, clock=time.monotonic, sleep=time.sleep):
        if not os.path.isdir(directory):
            os.makedirs(directory, mode=0o700)
        self.directory, self.holder, self.clock, self.sleep = directory, holder, clock, sleep
        key = "%s.%s" % (namespace, name)
        self.run_path = os.path.join(directory, key + ".run")
        self.next_path = os.path.join(directory, key + ".next")
        self.guard_path = os.path.join(directory, ".guard")

    def _read(self, path):
        try:
            with open(path) as handle:
                return int(handle.read().strip() or 0) or None
        except (OSError, ValueError):
            return None

    def _free(self, path):
        """Whether the claim file ``path`` is free for this holder (no holder, a dead one, or this one)."""
        pid = self._read(path)
        return pid is None or pid == self.holder or not alive(pid)

    def _write(self, path):
        with open(path, "w") as handle:
            handle.write(str(self.holder))

    def _remove(self, path):
        if self._read(path) == self.holder:
            os.remove(path)

    def _guarded(self, step):
        with open(self.guard_path, "a") as guard:
            fcntl.flock(guard, fcntl.LOCK_EX)
            try:
                return step()
            finally:
                fcntl.flock(guard, fcntl.LOCK_UN)

    def take(self):
        """``claimed`` (this run holds the claim), ``waiting`` (this run is next) or ``busy`` (another run is next)."""
        def step():
            if self._free(self.run_path):
                self._write(self.run_path)
                self._remove(self.next_path)
                return "claimed"
            if self._free(self.next_path):
                self._write(self.next_path)
                return "waiting"
            return "busy"
        return self._guarded(step)

    def wait(self, timeout, poll=1.0):
        """Wait (as the next run) until the claim is free and take it; False when ``timeout`` seconds passed first."""
        deadline = self.clock() + timeout
        while True:
            if self.take() == "claimed":
                return True
            if self.clock() >= deadline:
                self._guarded(lambda: self._remove(self.next_path))
                return False
            self.sleep(poll)

    def release(self):
        """Let the claim go (when this run holds it)."""
        self._guarded(lambda: self._remove(self.run_path))


# --- a run of caas_cluster that answers a Cluster ----------------------------------------------

def answered_options(cluster, type_version, type_spec):
    """The options of azimuth.ops.caas_cluster that the portal's ``cluster`` gives, as the operator takes them."""
    metadata, spec, status = cluster["metadata"], cluster.get("spec") or {}, cluster.get("status") or {}
    where = "the Cluster %s/%s" % (metadata.get("namespace"), metadata["name"])
    if type_spec is None:
        raise ModuleError("%s names the ClusterType %s, which does not exist (and its status caches no copy of it)"
                          % (where, spec.get("clusterTypeName")))
    if not spec.get("cloudCredentialsSecretName"):
        raise ModuleError("%s has no spec.cloudCredentialsSecretName: the portal names the Secret of its credential there" % where)
    return dict(
        id=status.get("clusterID") or metadata["uid"], type=spec.get("clusterTypeName"), playbook=type_spec.get("playbook"),
        type_extravars=type_spec.get("extraVars") or {}, envvars=type_spec.get("envVars") or {},
        cluster_extravars=spec.get("extraVars") or {}, extravar_overrides=spec.get("extraVarOverrides") or {},
        cloud_credentials_secret=spec["cloudCredentialsSecretName"], timeout=int(type_spec.get("jobTimeout") or 1200),
        state="absent" if being_deleted(cluster) else "present", type_version=type_version, type_spec=type_spec)


def credential_cloud(secret, where):
    """(the cloud ``openstack`` of the credential Secret as openstack.connect() takes it, its clouds.yaml text, cacert text)."""
    if secret is None:
        raise ModuleError("the Secret %s, which the Cluster names as its cloud credential, does not exist" % where)
    data = cc.decode_data(secret)
    try:
        cloud = ((cc.load_yaml(data.get(cc.CLOUDS_KEY) or "") or {}).get("clouds") or {}).get(cc.CLOUD_NAME)
    except Exception:  # pylint: disable=broad-exception-caught  # a YAML error of any kind
        cloud = None
    if not isinstance(cloud, dict):
        raise ModuleError("the Secret %s holds no %s with a cloud %s, as the portal writes it" % (where, cc.CLOUDS_KEY, cc.CLOUD_NAME))
    return cloud, data[cc.CLOUDS_KEY], data.get("cacert")
