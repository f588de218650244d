"""Stopping a run's process tree: who is in it, asking, the grace period, killing."""

import os
import subprocess
import sys
import time

from ansible_collections.azimuth.ops.plugins.module_utils.common import _process_tree as process_tree


def test_descendants_nearest_first():
    parents = {2: 1, 3: 2, 4: 2, 5: 3, 9: 8}
    assert process_tree.descendants(1, parents) == [2, 3, 4, 5]
    assert process_tree.descendants(8, parents) == [9]
    assert process_tree.descendants(5, parents) == []


def test_live_parents_sees_a_child_of_this_process():
    child = subprocess.Popen(["sleep", "30"])
    try:
        assert process_tree.live_parents()[child.pid] == os.getpid()
    finally:
        child.kill()
        child.wait()


def test_a_tree_that_ignores_the_request_is_killed_after_the_grace_period():
    # A child that ignores SIGTERM, with a grandchild: both are gone after wait().
    code = "import signal, subprocess, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); subprocess.Popen(['sleep', '60']); time.sleep(60)"
    child = subprocess.Popen([sys.executable, "-c", code])
    time.sleep(0.5)
    tree = process_tree.ProcessTree(grace=1)
    members = tree.members()
    assert child.pid in members and len(members) == 2
    started = time.monotonic()
    tree.ask()
    tree.wait()
    assert 1 <= time.monotonic() - started < 10
    assert tree.members() == [] and child.pid not in process_tree.live_parents()


def test_a_tree_that_stops_when_asked_is_not_waited_for():
    child = subprocess.Popen(["sleep", "60"])
    tree = process_tree.ProcessTree(grace=30)
    started = time.monotonic()
    tree.ask()
    tree.wait()
    assert time.monotonic() - started < 5 and tree.members() == [] and child.pid not in process_tree.live_parents()


def test_without_a_request_wait_only_reaps():
    tree = process_tree.ProcessTree(grace=30)
    child = subprocess.Popen(["true"])
    child.wait()
    tree.wait()
    assert tree.asked_at is None
