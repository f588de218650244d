"""scripts/footprint.py, the test command's last gate, on roots under tmp_path."""

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "footprint.py"
SPEC = importlib.util.spec_from_file_location("footprint", SCRIPT)
footprint = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(footprint)


@pytest.fixture(name="watched")
def watched_fixture(tmp_path):
    """A root with a directory and a file, a root that does not exist, and their snapshot."""
    root = tmp_path / "home" / ".ansible"
    (root / "collections").mkdir(parents=True)
    (root / "galaxy_token").write_text("token\n")
    snapshot = tmp_path / "footprint.json"
    assert footprint.main(["snapshot", str(snapshot), str(root), str(tmp_path / "molecule")]) == 0
    return tmp_path, snapshot


def test_nothing_changed(watched, capsys):
    tmp_path, snapshot = watched
    (tmp_path / "elsewhere").write_text("not watched\n")
    assert footprint.main(["compare", str(snapshot)]) == 0
    assert "nothing appeared or changed" in capsys.readouterr().out


@pytest.mark.parametrize("change, path, word", [
    (lambda root: (root / "home/.ansible/tmp").write_text("x"), "home/.ansible/tmp", "appeared"),
    (lambda root: (root / "home/.ansible/galaxy_token").write_text("another token\n"),
     "home/.ansible/galaxy_token", "changed"),
    (lambda root: (root / "home/.ansible/collections/ansible_collections").mkdir(),
     "home/.ansible/collections/ansible_collections", "appeared"),
    (lambda root: (root / "molecule").mkdir(), "molecule", "appeared"),
    (lambda root: (root / "home/.ansible/galaxy_token").unlink(), "home/.ansible/galaxy_token", "went away"),
], ids=["added file", "changed file", "new directory", "new root", "removed file"])
def test_a_change_is_named(watched, capsys, change, path, word):
    tmp_path, snapshot = watched
    change(tmp_path)
    assert footprint.main(["compare", str(snapshot)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{word}: {tmp_path / path} (")
