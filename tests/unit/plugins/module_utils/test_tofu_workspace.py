"""One run of azimuth.ops.opentofu: the plan's arguments, with a fake engine that records them."""

import pytest

from ansible_collections.azimuth.ops.plugins.module_utils.tofu._tofu_workspace import Workspace

# Records its arguments; a plan writes nothing, the plan's JSON is empty.
FAKE = """#!/bin/sh
echo "$@" >> "%s"
if [ "$1" = show ]; then echo '{}'; fi
"""


def params(**more):
    base = dict(project_path=".", state="present", workspace="default", lock=True, lock_timeout=0, state_file=None,
                variables={}, variables_files=[], parallelism=None, targets=[], refresh=True, reveal_sensitive_outputs=False)
    base.update(more)
    return base


@pytest.mark.parametrize("refresh, check_mode", [(True, False), (False, False), (False, True)])
def test_refresh_false_plans_without_refreshing_in_check_mode_too(tmp_path, refresh, check_mode):
    log = tmp_path / "args"
    engine = tmp_path / "tofu"
    engine.write_text(FAKE % log)
    engine.chmod(0o755)
    job = Workspace(str(engine), params(project_path=str(tmp_path), refresh=refresh), check_mode, environ={"PATH": "/bin:/usr/bin"})
    _plan_file, plan = job.plan(str(tmp_path))
    plan_args, show_args = [line.split() for line in log.read_text().splitlines()]
    assert plan == {} and show_args[:2] == ["show", "-json"] and job.commands == ["plan", "show"]
    assert ("-refresh=false" in plan_args) is (not refresh)
