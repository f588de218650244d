"""Where the sandbox keeps things.

- ``STATE_DIR``: ``<repo>/.sandbox`` unless ``AZIMUTH_OPS_SANDBOX_DIR`` says otherwise: the
  services' configuration, data, logs and pid files, one folder per service.
- ``CACHE_DIR``: ``~/.cache/azimuth-ops-sandbox`` unless ``AZIMUTH_OPS_SANDBOX_CACHE`` says
  otherwise: what is slow to build or fetch and the same for every clone on this machine
  (binaries built from Go modules, downloaded distributions), so a fresh clone reuses it.
"""

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
STATE_DIR = Path(os.environ.get("AZIMUTH_OPS_SANDBOX_DIR", REPO_ROOT / ".sandbox"))
CACHE_DIR = Path(os.environ.get("AZIMUTH_OPS_SANDBOX_CACHE", Path.home() / ".cache" / "azimuth-ops-sandbox"))


def service_dir(name):
    """The state directory of one service, created on demand."""
    path = STATE_DIR / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir(name):
    """A folder of the machine-wide cache, created on demand."""
    path = CACHE_DIR / name
    path.mkdir(parents=True, exist_ok=True)
    return path
