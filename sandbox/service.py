"""The shape every sandbox service has, and background processes tracked by pid file.

A service is installed (apt/pip, once), prepared (configuration, keys, databases), started
as one or more background processes, waited for, and seeded.  ``up`` calls these in order;
each step must be idempotent so a second ``up`` is quick.
"""

import os
import signal
import subprocess
import sys
import time

from sandbox.paths import service_dir


class Service:
    """One sandbox service.  Subclasses override what they need."""

    name = "service"

    @property
    def state_dir(self):
        return service_dir(self.name)

    def address(self):
        """The URL (or host:port) clients use, for ``status``."""
        raise NotImplementedError

    def install(self):
        """Install missing system packages or tools.  Quick when nothing is missing."""

    def prepare(self, fresh=False):
        """Write configuration and initial state; with ``fresh``, wipe state first."""

    def start(self):
        """Start the background process(es) unless already running."""

    def wait_ready(self, timeout=120):
        """Block until the service answers, or raise RuntimeError."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.is_up():
                return
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not answer within {timeout}s; see its logs in {self.state_dir}")

    def seed(self):
        """Create the objects every run expects (idempotent)."""

    def is_up(self):
        """True when the service answers requests."""
        raise NotImplementedError

    def stop(self):
        """Stop what ``start`` started (by pid file), nothing else."""

    def env(self):
        """Environment variables clients need, as a dict."""
        return {}


class Process:
    """A background process with a pid file and a log file in a state directory."""

    def __init__(self, name, state_dir, argv, env=None, cwd=None):
        self.name = name
        self.argv = argv
        self.env = env
        self.cwd = cwd
        self.pid_file = state_dir / f"{name}.pid"
        self.log_file = state_dir / f"{name}.log"

    def pid(self):
        """The pid of the running process, or None."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        try:
            # Reap it first if it is our own child that has exited, or it lingers as a zombie.
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return None
        except ChildProcessError:
            pass
        try:
            os.kill(pid, 0)
        except OSError:
            return None
        return pid

    def start(self):
        if self.pid():
            return
        env = dict(os.environ, **(self.env or {}))
        with open(self.log_file, "ab") as log:
            proc = subprocess.Popen(  # pylint: disable=consider-using-with
                self.argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env=env, cwd=self.cwd, start_new_session=True,
            )
        self.pid_file.write_text(str(proc.pid))

    def stop(self, timeout=15):
        pid = self.pid()
        if pid:
            try:
                os.killpg(pid, signal.SIGTERM)
            except OSError:
                pass
            deadline = time.monotonic() + timeout
            while self.pid() and time.monotonic() < deadline:
                time.sleep(0.1)
            if self.pid():
                os.killpg(pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)


def python_module(module, *args):
    """argv that runs ``python -m module args`` with this interpreter."""
    return [sys.executable, "-m", module, *map(str, args)]
