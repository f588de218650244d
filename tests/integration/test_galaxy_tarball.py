"""Build the Galaxy tarball, install it, and use the collection from the installed copy only."""

import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from .conftest import REPO, localhost_play, save_results

ANSIBLE_GALAXY = Path(sys.executable).parent / "ansible-galaxy"


@pytest.fixture(scope="module")
def tarball(tmp_path_factory):
    output = tmp_path_factory.mktemp("dist")
    subprocess.run([str(ANSIBLE_GALAXY), "collection", "build", "--output-path", str(output), str(REPO)],
                   check=True, capture_output=True)
    (path,) = output.glob("azimuth-ops-*.tar.gz")
    return path


def test_tarball_holds_the_collection_and_nothing_else(tarball):
    with tarfile.open(tarball) as archive:
        names = archive.getnames()
    top_level = {name.split("/")[0] for name in names}
    assert {"plugins", "roles", "playbooks", "meta", "README.md"} <= top_level
    assert "plugins/filter/acl.py" in names
    assert "plugins/module_utils/common/_acl.py" in names
    for unwanted in ("sandbox", "tests", "bench", ".venv", ".build", ".sandbox", "scripts", ".ci", "conftest.py"):
        assert unwanted not in top_level, unwanted
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]


def test_installed_tarball_serves_the_filters(tarball, tmp_path, run_playbook):
    collections = tmp_path / "collections"
    # Only the target path is configured, so a copy found elsewhere cannot stand in for the install.
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(collections))
    subprocess.run([str(ANSIBLE_GALAXY), "collection", "install", "-p", str(collections), str(tarball)],
                   check=True, capture_output=True, env=env)
    installed = collections / "ansible_collections" / "azimuth" / "ops"
    assert (installed / "MANIFEST.json").exists()
    play = localhost_play([save_results("""{
        'allowed': {'acl.azimuth.stackhpc.com/allow-list': 'abc'} | azimuth.ops.acl_allowed({'id': 'abc', 'name': 'n'}),
        'namespace': 'Some Tenancy' | azimuth.ops.tenancy_namespace,
        'annotations': {'deny_list': ['x', 'y']} | azimuth.ops.acl_annotations,
    }""")])
    run = run_playbook([play], collections_path=collections, cwd=tmp_path)
    assert run.ok, run.output
    assert run.results["allowed"] is True
    assert run.results["namespace"] == "az-some-tenancy"
    assert run.results["annotations"]["acl.azimuth.stackhpc.com/deny-list"] == "x,y"


def test_execution_environment_dependencies_are_found_in_the_installed_copy(tarball, tmp_path):
    collections = tmp_path / "collections"
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(collections))
    subprocess.run([str(ANSIBLE_GALAXY), "collection", "install", "-p", str(collections), str(tarball)],
                   check=True, capture_output=True, env=env)
    introspect = subprocess.run([str(Path(sys.executable).parent / "ansible-builder"), "introspect", str(collections)],
                                check=True, capture_output=True, text=True)
    requirements = (Path(__file__).resolve().parents[2] / "requirements.txt").read_text().splitlines()
    for requirement in (line for line in requirements if line and not line.startswith("#")):
        assert "%s  # from collection azimuth.ops" % requirement in introspect.stdout
