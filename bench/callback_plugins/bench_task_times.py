# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The benches' task timer: each task's wall time, as ansible.posix's profile_tasks measures it
(from one task's start to the next's), one JSON line per task in ``$BENCH_TASK_TIMES``.

Enabled by bench/provision.py with ``ANSIBLE_CALLBACK_PLUGINS=bench/callback_plugins`` and
``ANSIBLE_CALLBACKS_ENABLED=bench_task_times`` (ansible.posix is not part of ansible-core).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: bench_task_times
type: aggregate
short_description: Each task's wall time as JSON lines, for the benches
description:
  - Writes one JSON line per task (role, task file, name, seconds) to the file named by C(BENCH_TASK_TIMES).
requirements:
  - enabled in ANSIBLE_CALLBACKS_ENABLED
"""

import json
import os
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_task_times"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self._path = os.environ.get("BENCH_TASK_TIMES")
        self._current = None

    def _close(self):
        if self._current is None or not self._path:
            return
        row, started = self._current
        row["seconds"] = round(time.perf_counter() - started, 3)
        with open(self._path, "a") as handle:
            handle.write(json.dumps(row) + "\n")
        self._current = None

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._close()
        role = task._role.get_name() if task._role else ""
        path = (task.get_path() or "").rsplit(":", 1)[0]
        self._current = (dict(role=role, file=os.path.basename(path), name=task.get_name()), time.perf_counter())

    def v2_playbook_on_handler_task_start(self, task):
        self.v2_playbook_on_task_start(task, False)

    def v2_playbook_on_stats(self, stats):
        self._close()
