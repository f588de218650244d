"""Sandbox fixtures.  Only tests that request ``sandbox_env`` (directly or through another
fixture) bring the sandbox up; unit tests never do.

``sandbox_env`` runs ``python -m sandbox up`` once per pytest process (an flock in the CLI
serialises pytest-xdist workers) and returns the variables of ``python -m sandbox env``:
pass ``dict(os.environ, **sandbox_env)`` to subprocesses such as ansible-playbook.
"""

import os
import secrets
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


def _sandbox(*args):
    return subprocess.run([sys.executable, "-m", "sandbox", *args], cwd=REPO_ROOT,
                          capture_output=True, text=True, check=False)


def parse_exports(text):
    """``export NAME=value`` lines (shell-quoted) as a dict."""
    env = {}
    for line in text.splitlines():
        words = shlex.split(line)
        if len(words) == 2 and words[0] == "export" and "=" in words[1]:
            name, value = words[1].split("=", 1)
            env[name] = value
    return env


@pytest.fixture(scope="session")
def sandbox_env():
    """The sandbox's environment variables, after bringing it up."""
    up = _sandbox("up")
    if up.returncode != 0:
        pytest.fail(f"python -m sandbox up failed:\n{up.stdout}\n{up.stderr}", pytrace=False)
    exports = _sandbox("env")
    if exports.returncode != 0:
        pytest.fail(f"python -m sandbox env failed:\n{exports.stderr}", pytrace=False)
    return parse_exports(exports.stdout)


@pytest.fixture
def unique_name():
    """A short name unique to this test run and xdist worker, e.g. ``t-3fa9c2-gw1``.

    The worker comes last so that the name never ends in ``-<digits>``, which some consumers
    refuse (the kubernetes state backend's ``secret_suffix``, for one)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return f"t-{secrets.token_hex(3)}-{worker}"


def _connect(sandbox_env, cloud):
    import openstack.config  # pylint: disable=import-outside-toplevel  (slow import)
    import openstack.connection  # pylint: disable=import-outside-toplevel

    config = openstack.config.OpenStackConfig(
        config_files=[sandbox_env["OS_CLIENT_CONFIG_FILE"]], load_envvars=False)
    return openstack.connection.Connection(config=config.get_one(cloud=cloud))


@pytest.fixture(scope="session")
def openstack_admin(sandbox_env):
    """openstacksdk connection as the cloud admin (cloud ``sandbox-admin``)."""
    with _connect(sandbox_env, "sandbox-admin") as conn:
        yield conn


@pytest.fixture(scope="session")
def openstack_demo(sandbox_env):
    """openstacksdk connection as ``sandbox-demo``, a member of project ``demo``."""
    with _connect(sandbox_env, "sandbox-demo") as conn:
        yield conn
