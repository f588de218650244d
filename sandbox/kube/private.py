"""A private Kubernetes API emulator: its own process, port and state, for one test or benchmark.

The sandbox's shared emulator serves every test at once, so its request counters mix their
traffic and a test that prunes would delete other tests' namespaces.  A private emulator has
exact counters and objects of its own.  It starts in well under a second.
"""

import contextlib
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from sandbox import control, probe
from sandbox.paths import REPO_ROOT

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateEmulator:
    """A running ``python -m sandbox.kube`` in ``state_dir``; use as a context manager or start/stop."""

    def __init__(self, state_dir, port=None):
        self.state_dir = Path(state_dir)
        self.port = port or free_port()
        self.url = f"https://127.0.0.1:{self.port}"
        self.kubeconfig = str(self.state_dir / "kubeconfig")
        self.ca_file = str(self.state_dir / "ca.crt")
        self.proc = None

    def start(self, timeout=20):
        argv = [sys.executable, "-m", "sandbox.kube", "--state-dir", str(self.state_dir),
                "--port", str(self.port), "--quiet"]
        self.state_dir.mkdir(parents=True, exist_ok=True)
        with open(self.state_dir / "emulator.log", "ab") as log:
            self.proc = subprocess.Popen(argv, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT)  # pylint: disable=consider-using-with
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if probe.ready(self.url + "/readyz", ca_file=self.ca_file, timeout=1):
                return self
            if self.proc.poll() is not None:
                raise RuntimeError(f"the emulator exited with {self.proc.returncode}; see {self.state_dir}/emulator.log")
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"the emulator did not answer within {timeout}s")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(10)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    def counts(self):
        """Requests served so far, by route."""
        return control.request_counts(self.url, ca_file=self.ca_file)["by_route"]

    def reset_counts(self):
        control.reset_counts(self.url, ca_file=self.ca_file)

    def inject_fault(self, **fault):
        control.inject_fault(self.url, ca_file=self.ca_file, **fault)

    def clear_faults(self):
        control.clear_faults(self.url, ca_file=self.ca_file)

    @contextlib.contextmanager
    def measure(self):
        """Yield a dict that, on exit, holds the requests served meanwhile, by route."""
        served = {}
        before = self.counts()
        yield served
        after = self.counts()
        served.update((route, count - before.get(route, 0)) for route, count in after.items() if count != before.get(route, 0))


def writes(counts):
    """The write requests among ``counts`` (route -> number)."""
    return {route: count for route, count in counts.items() if route.split(" ", 1)[0] in WRITE_METHODS}
