"""Where the sandbox keeps its state: ``<repo>/.sandbox`` unless ``AZIMUTH_OPS_SANDBOX_DIR`` says otherwise."""

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
STATE_DIR = Path(os.environ.get("AZIMUTH_OPS_SANDBOX_DIR", REPO_ROOT / ".sandbox"))


def service_dir(name):
    """The state directory of one service, created on demand."""
    path = STATE_DIR / name
    path.mkdir(parents=True, exist_ok=True)
    return path
