# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stopping a tree of processes as an engine expects it: ask, wait a bounded time, then kill.

A CaaS appliance run is a tree: ``ansible-playbook``, its workers (each in a session of its own),
the modules they run, and the engines those start (``tofu``, in a session of its own too).
Killing the top of the tree orphans the rest, which runs on: ``tofu apply`` keeps its state lock.
So the process that starts the run becomes the reaper of its orphaned descendants (Linux's
"child subreaper"), which keeps the whole tree below it; to stop the run it asks its children to
stop (SIGTERM, which Ansible passes on to its workers' sessions, and the opentofu module on to the
engine as one SIGINT), waits up to a grace period for the tree to end, and kills what is left.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ctypes
import errno
import os
import signal
import time

PR_SET_CHILD_SUBREAPER = 36
# Seconds to wait for killed processes to be gone.
KILL_WAIT = 5


def become_subreaper():
    """Make this process the parent of its orphaned descendants (Linux); whether that worked."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _stat(pid):
    """(state, parent pid) of a process from ``/proc/<pid>/stat``, or None when it is gone."""
    try:
        with open("/proc/%s/stat" % pid) as handle:
            text = handle.read()
    except (IOError, OSError):
        return None
    fields = text[text.rindex(")") + 2:].split()
    return fields[0], int(fields[1])


def live_parents(proc="/proc"):
    """{pid: parent pid} of every live process (zombies left out)."""
    found = {}
    for name in os.listdir(proc):
        stat = _stat(name) if name.isdigit() else None
        if stat and stat[0] != "Z":
            found[int(name)] = stat[1]
    return found


def descendants(pid, parents):
    """The pids below ``pid`` in ``parents`` ({pid: parent pid}), nearest first."""
    children = {}
    for child, parent in parents.items():
        children.setdefault(parent, []).append(child)
    found, todo = [], [pid]
    while todo:
        for child in sorted(children.get(todo.pop(0), [])):
            found.append(child)
            todo.append(child)
    return found


def send(pids, signum):
    for pid in pids:
        try:
            os.kill(pid, signum)
        except OSError as exc:
            if exc.errno != errno.ESRCH:
                raise


def reap():
    """Collect the exit status of every child that has ended (orphans handed to this process)."""
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


class ProcessTree:
    """The descendants of this process, stopped on request: SIGTERM to the children, a grace period, SIGKILL."""

    def __init__(self, grace, clock=time.monotonic, parents=live_parents, sleep=time.sleep):
        self.grace = grace
        self.clock = clock
        self.parents = parents
        self.sleep = sleep
        self.asked_at = None

    def members(self):
        return descendants(os.getpid(), self.parents())

    def ask(self):
        """Ask the children to stop, once; they pass it on to theirs."""
        if self.asked_at is None:
            self.asked_at = self.clock()
            parents = self.parents()
            send([pid for pid, parent in parents.items() if parent == os.getpid()], signal.SIGTERM)

    def grace_over(self):
        return self.asked_at is not None and self.clock() - self.asked_at >= self.grace

    def kill(self):
        """Kill every descendant still alive (those that would not stop)."""
        send(self.members(), signal.SIGKILL)

    def wait(self):
        """Once asked: wait for the tree to end, up to the grace period; kill what is left; reap."""
        if self.asked_at is not None:
            self._wait_while(lambda: not self.grace_over())
            self.kill()
            killed_at = self.clock()
            self._wait_while(lambda: self.clock() - killed_at < KILL_WAIT)
        reap()

    def _wait_while(self, going_on):
        while self.members() and going_on():
            reap()
            self.sleep(0.2)
