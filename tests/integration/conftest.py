"""Run real ansible-playbook processes against this checkout of azimuth.ops."""

import contextlib
import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

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


# --- The Kubernetes emulator's request counters -----------------------------------------------

KUBE_LOCK = REPO / ".build" / "kube-requests.lock"
KUBE_ALONE_LOCK = REPO / ".build" / "kube-alone.lock"
KUBE_TURNSTILE = REPO / ".build" / "kube-requests.turnstile"
KUBE_ALONE_TURNSTILE = REPO / ".build" / "kube-alone.turnstile"
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


class KubeRequests:
    """Counts of the requests the Kubernetes emulator serves, and a way to measure one run exactly.

    The counters are global and tests run in parallel, so tests that use the emulator hold two
    shared locks for their whole duration (the ``kube_requests`` fixture takes them):
    - ``measure()`` makes the first exclusive, so no other such test sends a request while a
      measured run does;
    - the second is taken exclusively by a test that acts on objects it did not create (prune
      deletes every managed namespace; the ``kube_alone`` fixture), which so runs alone.
    Each lock has a turnstile, taken briefly by whoever takes the lock, and held by whoever waits
    to take it exclusively, so that new tests cannot starve that one.  (One turnstile per lock:
    a test holds the second lock while it waits for the first one's turnstile.)  Tests that
    inject faults not scoped to their own objects use ``measure()`` too.
    """

    def __init__(self, env, lock, turnstile):
        kubeconfig = yaml.safe_load(Path(env["KUBECONFIG"]).read_text())
        cluster = kubeconfig["clusters"][0]["cluster"]
        self.url = cluster["server"]
        self.ca_file = cluster.get("certificate-authority")
        self.lock = lock
        self.turnstile = turnstile

    def counts(self):
        from sandbox.control import request_counts  # pylint: disable=import-outside-toplevel
        return request_counts(self.url, ca_file=self.ca_file)["by_route"]

    def inject_fault(self, **fault):
        from sandbox.control import inject_fault  # pylint: disable=import-outside-toplevel
        inject_fault(self.url, ca_file=self.ca_file, **fault)

    def clear_faults(self):
        from sandbox.control import clear_faults  # pylint: disable=import-outside-toplevel
        clear_faults(self.url, ca_file=self.ca_file)

    @contextlib.contextmanager
    def measure(self):
        """Yield a dict that, on exit, holds the requests served meanwhile by route."""
        if self.lock is not None:
            fcntl.flock(self.lock, fcntl.LOCK_UN)
            with _holding(self.turnstile):
                fcntl.flock(self.lock, fcntl.LOCK_EX)
        served = {}
        try:
            before = self.counts()
            yield served
            after = self.counts()
            served.update((route, after[route] - before.get(route, 0)) for route in after if after[route] != before.get(route, 0))
        finally:
            if self.lock is not None:
                fcntl.flock(self.lock, fcntl.LOCK_SH)

    def measure_repeatable(self, action, expected, attempts=3):
        """(outcome, served) of ``action`` run under ``measure()``, for a repeatable action (a no-op run).

        Requests from outside this lock protocol (say, the emulator's contract tests run by hand at
        the same time) can only add counts, so a measurement other than ``expected`` is taken again.
        """
        for _attempt in range(attempts):
            with self.measure() as served:
                outcome = action()
            if served == expected:
                break
        return outcome, served

    @staticmethod
    def writes(served):
        return dict((route, count) for route, count in served.items() if route.split(" ", 1)[0] in WRITE_METHODS)


def _lock_file(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    return open(path, "a+")


@contextlib.contextmanager
def _holding(handle):
    fcntl.flock(handle, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture
def kube_requests(sandbox_env):
    """A KubeRequests; holds both shared locks for the whole test (see its docstring)."""
    with _lock_file(KUBE_ALONE_TURNSTILE) as alone_turnstile, _lock_file(KUBE_ALONE_LOCK) as alone, \
            _lock_file(KUBE_TURNSTILE) as turnstile, _lock_file(KUBE_LOCK) as lock:
        with _holding(alone_turnstile):
            fcntl.flock(alone, fcntl.LOCK_SH)
        with _holding(turnstile):
            fcntl.flock(lock, fcntl.LOCK_SH)
        try:
            yield KubeRequests(sandbox_env, lock, turnstile)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
            fcntl.flock(alone, fcntl.LOCK_UN)


@pytest.fixture
def kube_alone(sandbox_env):
    """A KubeRequests for a test that must run while no other emulator test is under way."""
    with _lock_file(KUBE_ALONE_TURNSTILE) as alone_turnstile, _lock_file(KUBE_ALONE_LOCK) as alone:
        with _holding(alone_turnstile):
            fcntl.flock(alone, fcntl.LOCK_EX)
        try:
            yield KubeRequests(sandbox_env, None, None)
        finally:
            fcntl.flock(alone, fcntl.LOCK_UN)


@pytest.fixture
def kube_core(sandbox_env):
    """A kubernetes CoreV1Api client for the sandbox (for setting up and checking state)."""
    from kubernetes import client, config  # pylint: disable=import-outside-toplevel
    configuration = client.Configuration()
    config.load_kube_config(config_file=sandbox_env["KUBECONFIG"], client_configuration=configuration)
    with client.ApiClient(configuration) as api:
        yield client.CoreV1Api(api)
