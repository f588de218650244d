"""The Keycloak distribution in the state directory: fetched with Maven, unpacked, built once."""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from sandbox.keycloak import settings


def java_home():
    """The first JDK of ``settings.JAVA_HOMES`` that is installed."""
    for home in settings.JAVA_HOMES:
        if (Path(home) / "bin" / "java").exists():
            return home
    raise RuntimeError(f"no JDK for Keycloak: install one of {', '.join(settings.JAVA_HOMES)}")


def _run(argv, what, log_file, env=None):
    """Run ``argv`` with its output in ``log_file``; RuntimeError naming the log if it fails."""
    with open(log_file, "ab") as log:
        result = subprocess.run(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=dict(os.environ, **(env or {})), check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{what} failed (exit {result.returncode}); see {log_file}")


class Distribution:
    """``keycloak-<version>/`` under ``state_dir``; its dev-file database lives in ``data/``."""

    def __init__(self, state_dir):
        self.state_dir = state_dir
        self.home = state_dir / f"keycloak-{settings.VERSION}"
        self.kc_sh = self.home / "bin" / "kc.sh"
        self.data = self.home / "data"
        self.log_file = state_dir / "install.log"
        self._stamp = self.home / ".sandbox-build"

    def unpack(self):
        """Fetch the tarball with Maven and unpack it, unless already there."""
        if self.kc_sh.exists():
            return
        if not shutil.which("mvn"):
            raise RuntimeError("Maven (mvn) is needed to fetch Keycloak: apt-get install maven")
        with tempfile.TemporaryDirectory(dir=self.state_dir) as scratch:
            _run(["mvn", "-q", "-B", "dependency:copy", f"-Dartifact={settings.ARTIFACT}",
                  f"-DoutputDirectory={scratch}"], f"mvn dependency:copy {settings.ARTIFACT}", self.log_file)
            tarball = next(Path(scratch).glob("*.tar.gz"))
            _run(["tar", "-xzf", tarball, "-C", scratch], f"unpacking {tarball.name}", self.log_file)
            # Into place in one rename, so an interrupted unpack leaves nothing half-done behind.
            (Path(scratch) / self.home.name).rename(self.home)

    def is_built(self):
        return self._stamp.exists() and self._stamp.read_text() == " ".join(settings.BUILD_OPTIONS)

    def build(self):
        """``kc.sh build`` with ``settings.BUILD_OPTIONS``, then a stamp naming them."""
        _run([self.kc_sh, "build", *settings.BUILD_OPTIONS], "kc.sh build", self.log_file,
             env={"JAVA_HOME": java_home()})
        self._stamp.write_text(" ".join(settings.BUILD_OPTIONS))
