"""Run real ansible-playbook processes against this checkout of azimuth.ops."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from sandbox.kube.private import PrivateEmulator

REPO = Path(__file__).resolve().parents[2]
COLLECTIONS_PATH = REPO / ".build" / "collections"
ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"


class PlaybookRun:
    """The outcome of one ansible-playbook process, with what the playbook saved as ``results``."""

    def __init__(self, completed, results_file):
        self.returncode = completed.returncode
        self.stdout = completed.stdout
        self.stderr = completed.stderr
        self.output = completed.stdout + completed.stderr
        self.results = json.loads(results_file.read_text()) if results_file.exists() else None

    @property
    def ok(self):
        return self.returncode == 0


@pytest.fixture
def run_playbook(tmp_path):
    """Write ``plays`` (a list of plays) to a playbook and run it; the playbook can save results.

    Each run gets the variable ``results_file``; a task such as
    ``ansible.builtin.copy: {content: "{{ x | to_json }}", dest: "{{ results_file }}"}`` hands data
    back to the test as ``run.results``.
    """
    counter = iter(range(1000))

    def run(plays, *args, env=None, collections_path=COLLECTIONS_PATH, cwd=None):
        number = next(counter)
        playbook = tmp_path / ("playbook-%d.yml" % number)
        results_file = tmp_path / ("results-%d.json" % number)
        playbook.write_text(yaml.safe_dump(plays, sort_keys=False))
        environment = dict(os.environ, **(env or {}))
        environment.update(
            ANSIBLE_COLLECTIONS_PATH=str(collections_path),
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_LOCALHOST_WARNING="false",
            ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
        )
        completed = subprocess.run(
            [str(ANSIBLE_PLAYBOOK), str(playbook), "-e", "results_file=%s" % results_file, *args],
            capture_output=True, text=True, env=environment, cwd=cwd or tmp_path, timeout=600, check=False,
        )
        return PlaybookRun(completed, results_file)

    return run


def localhost_play(tasks, **extra):
    """A play on localhost without facts."""
    play = {"name": "test", "hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": tasks}
    play.update(extra)
    return play


def save_results(expression):
    """A task that hands ``expression`` (a Jinja expression) back to the test."""
    return {"name": "Save results", "ansible.builtin.copy": {"content": "{{ %s | to_json }}" % expression, "dest": "{{ results_file }}", "mode": "0600"}}


# --- A private Kubernetes emulator per test ----------------------------------------------------


@pytest.fixture
def kube_requests(tmp_path):
    """This test's own Kubernetes emulator (sandbox.kube.private): exact request counts, its own objects."""
    with PrivateEmulator(tmp_path / "kube") as cluster:
        yield cluster


@pytest.fixture
def kube_env(sandbox_env, kube_requests):
    """The sandbox's environment, with KUBECONFIG pointing at this test's own emulator."""
    return dict(sandbox_env, KUBECONFIG=kube_requests.kubeconfig)


@pytest.fixture
def kube_core(kube_env):
    """A kubernetes CoreV1Api client for this test's emulator (for setting up and checking state)."""
    from kubernetes import client, config  # pylint: disable=import-outside-toplevel
    configuration = client.Configuration()
    config.load_kube_config(config_file=kube_env["KUBECONFIG"], client_configuration=configuration)
    with client.ApiClient(configuration) as api:
        yield client.CoreV1Api(api)
