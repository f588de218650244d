#!/usr/bin/env python3
"""What the test gates leave in the user's default Ansible paths.

    footprint.py snapshot FILE [ROOT ...]   list every file and directory under the roots into FILE
    footprint.py compare FILE               list them again; name each entry that appeared, changed
                                            or went away, and exit 1 if there is one

The default roots are ~/.ansible, ~/.cache/ansible-compat, ~/.cache/molecule, /etc/ansible,
/usr/share/ansible and the Ansible home, collection and role paths of Ansible's configuration as
this environment sets it (take the snapshot before setting ANSIBLE_HOME for the gates).
"""

import json
import os
import stat
import sys
import tempfile
from pathlib import Path


def default_roots():
    """The fixed roots and those Ansible's configuration names, without writing any of them."""
    home = Path.home()
    roots = [home / ".ansible", home / ".cache" / "ansible-compat", home / ".cache" / "molecule",
             Path("/etc/ansible"), Path("/usr/share/ansible")]
    with tempfile.TemporaryDirectory() as scratch:
        # Loading Ansible's constants creates the local temp dir (~/.ansible/tmp): put it here.
        os.environ["ANSIBLE_LOCAL_TEMP"] = scratch
        from ansible import constants  # pylint: disable=import-outside-toplevel
        roots += [Path(constants.ANSIBLE_HOME), *map(Path, constants.COLLECTIONS_PATHS),
                  *map(Path, constants.DEFAULT_ROLES_PATH)]
    return list(dict.fromkeys(str(root.expanduser()) for root in roots))


def describe(path):
    """What is at ``path``, such that any change to it changes the description."""
    info = os.lstat(path)
    mode = oct(stat.S_IMODE(info.st_mode))
    if stat.S_ISDIR(info.st_mode):
        return f"directory {mode}"
    if stat.S_ISLNK(info.st_mode):
        return f"link to {os.readlink(path)}"
    return f"file {mode}, {info.st_size} bytes, modified {info.st_mtime_ns}"


def listing(roots):
    """{path: description} of each root that exists and everything under it."""
    entries = {}
    for root in roots:
        paths = [root] if os.path.lexists(root) else []
        for top, dirs, files in os.walk(root):
            paths += [os.path.join(top, name) for name in dirs + files]
        for path in paths:
            try:
                entries[path] = describe(path)
            except FileNotFoundError:  # gone since the walk listed it
                pass
    return entries


def differences(before, after):
    """One line for each path that appeared, changed or went away."""
    lines = []
    for path in sorted(before.keys() | after.keys()):
        if path not in before:
            lines.append(f"appeared: {path} ({after[path]})")
        elif path not in after:
            lines.append(f"went away: {path} (was {before[path]})")
        elif before[path] != after[path]:
            lines.append(f"changed: {path} ({before[path]} -> {after[path]})")
    return lines


def main(argv):
    """Run ``snapshot`` or ``compare``; the exit status."""
    if len(argv) >= 2 and argv[0] == "snapshot":
        roots = argv[2:] or default_roots()
        Path(argv[1]).write_text(json.dumps({"roots": roots, "entries": listing(roots)}, indent=1))
        return 0
    if len(argv) == 2 and argv[0] == "compare":
        saved = json.loads(Path(argv[1]).read_text())
        lines = differences(saved["entries"], listing(saved["roots"]))
        print("\n".join(lines) or "nothing appeared or changed under " + " ".join(saved["roots"]))
        return 1 if lines else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
