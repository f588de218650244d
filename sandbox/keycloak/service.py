"""``KeycloakService``: real Keycloak (``kc.sh start --optimized``) as a sandbox service."""

import shutil
import time

from sandbox.keycloak import settings
from sandbox.keycloak.distribution import Distribution, java_home
from sandbox.probe import ready
from sandbox.service import Process, Service


class KeycloakService(Service):
    """Keycloak on ``settings.URL`` with the dev-file database, one JVM, no cluster."""

    name = "keycloak"

    def __init__(self):
        self.distribution = Distribution(self.state_dir)

    def address(self):
        return settings.URL

    def process(self, env=None):
        argv = [str(self.distribution.kc_sh), "start", "--optimized", *settings.START_OPTIONS]
        return Process("keycloak", self.state_dir, argv, env=env, cwd=self.distribution.home)

    def prepare(self, fresh=False):
        """Unpack and build when needed; with ``fresh``, stop and wipe the database first."""
        if fresh:
            self.stop()
            shutil.rmtree(self.distribution.data, ignore_errors=True)
        self.distribution.unpack()
        if not self.distribution.is_built():
            self.stop()  # a build rewrites the jars a running server uses
            self.distribution.build()

    def start(self):
        # The bootstrap admin is created on the first start only, with the master realm.
        self.process({
            "JAVA_HOME": java_home(),
            "JAVA_OPTS_KC_HEAP": settings.HEAP,
            "KC_BOOTSTRAP_ADMIN_USERNAME": settings.ADMIN_USER,
            "KC_BOOTSTRAP_ADMIN_PASSWORD": settings.ADMIN_PASSWORD,
        }).start()

    def wait_ready(self, timeout=300):
        """A first start creates the database and the master realm: allow for it, but stop
        waiting as soon as the JVM has exited."""
        deadline = time.monotonic() + timeout
        while not self.is_up():
            if self.process().pid() is None:
                raise RuntimeError(f"keycloak exited; see {self.process().log_file}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"keycloak not ready within {timeout}s; see {self.process().log_file}")
            time.sleep(0.5)

    def is_up(self):
        return self.process().pid() is not None and ready(settings.READY_URL)

    def stop(self):
        self.process().stop()

    def env(self):
        return {
            "KEYCLOAK_URL": settings.URL,
            "KEYCLOAK_ADMIN_USER": settings.ADMIN_USER,
            "KEYCLOAK_ADMIN_PASSWORD": settings.ADMIN_PASSWORD,
        }
