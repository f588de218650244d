"""Installing Debian packages without letting their maintainer scripts start daemons."""

import contextlib
import os
import subprocess
from pathlib import Path

POLICY_RC_D = Path("/usr/sbin/policy-rc.d")
_APT_ENV = {"DEBIAN_FRONTEND": "noninteractive"}


def missing(packages):
    """The packages of ``packages`` that dpkg does not report as installed."""
    absent = []
    for package in packages:
        result = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package],
                                capture_output=True, text=True, check=False)
        if "install ok installed" not in result.stdout:
            absent.append(package)
    return absent


@contextlib.contextmanager
def no_daemon_starts():
    """A temporary policy-rc.d that forbids invoke-rc.d from starting anything."""
    existed = POLICY_RC_D.exists()
    if not existed:
        POLICY_RC_D.write_text("#!/bin/sh\nexit 101\n")
        POLICY_RC_D.chmod(0o755)
    try:
        yield
    finally:
        if not existed:
            POLICY_RC_D.unlink(missing_ok=True)


def preseed(selections):
    """Feed ``debconf-set-selections`` lines such as ``keystone keystone/configure_db boolean false``."""
    subprocess.run(["debconf-set-selections"], input="\n".join(selections) + "\n",
                   text=True, check=True)


def install(packages, selections=()):
    """Install whichever of ``packages`` are missing (apt-get update once first)."""
    absent = missing(packages)
    if not absent:
        return []
    if selections:
        preseed(selections)
    env = dict(os.environ, **_APT_ENV)
    with no_daemon_starts():
        subprocess.run(["apt-get", "update", "-q"], env=env, check=True)
        subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends", *absent],
                       env=env, check=True)
    return absent
