"""``KeycloakService``: the Keycloak Admin REST emulator as a sandbox service."""

import shutil
import urllib.error
import urllib.request

from sandbox.keycloak import settings
from sandbox.paths import REPO_ROOT
from sandbox.service import Process, Service, python_module


class KeycloakService(Service):
    name = "keycloak"

    def __init__(self, host=settings.DEFAULT_HOST, port=settings.DEFAULT_PORT):
        self.host = host
        self.port = port

    def address(self):
        return f"http://{self.host}:{self.port}"

    @property
    def data_dir(self):
        return self.state_dir / "data"

    def process(self):
        argv = python_module("sandbox.keycloak", "--host", self.host, "--port", self.port,
                             "--state-dir", self.data_dir)
        return Process("keycloak", self.state_dir, argv, cwd=REPO_ROOT)

    def prepare(self, fresh=False):
        """With ``fresh``, stop the server and wipe its snapshot; a server without one seeds master."""
        if fresh:
            self.stop()
            shutil.rmtree(self.data_dir, ignore_errors=True)
        self.data_dir.mkdir(parents=True, exist_ok=True)

    def start(self):
        self.process().start()

    def is_up(self):
        url = f"{self.address()}/_sandbox/requests"  # a control endpoint: not counted
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def stop(self):
        self.process().stop()

    def env(self):
        return {
            "KEYCLOAK_URL": self.address(),
            "KEYCLOAK_ADMIN_USER": settings.ADMIN_USER,
            "KEYCLOAK_ADMIN_PASSWORD": settings.ADMIN_PASSWORD,
        }
