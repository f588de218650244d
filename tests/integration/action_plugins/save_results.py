# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The integration tests' way of handing data back from a playbook: write ``content`` to ``dest``.

It runs in the controller, as an action with no module: ``ansible.builtin.copy`` runs two modules
(stat, then copy) for the same write, about two seconds of CPU per playbook run on a 2-core CI
machine, and the suite runs over a thousand playbooks.  Check mode writes nothing, as copy's does.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("content", "dest"))

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        content, dest = self._task.args.get("content"), self._task.args.get("dest")
        if not dest:
            return dict(result, failed=True, msg="save_results needs dest")
        if self._play_context.check_mode:
            return dict(result, changed=True, msg="check mode: %s not written" % dest)
        text = content if isinstance(content, str) else json.dumps(content)
        with os.fdopen(os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as stream:
            stream.write(text)
        return dict(result, changed=True, dest=dest)
