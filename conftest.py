"""Make this checkout importable as ``ansible_collections.azimuth.ops`` for every test.

The collection's code imports itself by that name, so the repository is linked into
``.build/collections/ansible_collections/azimuth/ops`` (scripts/setup.sh makes the same link).

Ansible keeps its state (local and remote temp dirs, Galaxy cache) in ``.build/ansible-home``, as
under scripts/test.sh, rather than ``~/.ansible``: the tests and their ansible-playbook runs inherit it.
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
COLLECTIONS_PATH = ROOT / ".build" / "collections"
LINK = COLLECTIONS_PATH / "ansible_collections" / "azimuth" / "ops"

if not LINK.exists():
    LINK.parent.mkdir(parents=True, exist_ok=True)
    LINK.symlink_to(Path("..", "..", "..", ".."), target_is_directory=True)
sys.path.insert(0, str(COLLECTIONS_PATH))
os.environ.setdefault("ANSIBLE_HOME", str(ROOT / ".build" / "ansible-home"))
os.environ.setdefault("ANSIBLE_REMOTE_TEMP", os.path.join(os.environ["ANSIBLE_HOME"], "tmp"))
