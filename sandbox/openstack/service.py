"""OpenStackService: MariaDB, Keystone under uwsgi and neutron-server, on 127.0.0.1."""

import shutil
import time

from sandbox import apt
from sandbox.openstack import clouds, seed, settings
from sandbox.openstack.keystone import Keystone
from sandbox.openstack.mariadb import MariaDB
from sandbox.openstack.neutron import Neutron
from sandbox.probe import answers
from sandbox.service import Service


class OpenStackService(Service):
    """Real Keystone and Neutron from Debian 12's packages (OpenStack Zed)."""

    name = "openstack"

    def __init__(self):
        state = self.state_dir
        self.mariadb = MariaDB(state)
        self.keystone = Keystone(state, self.mariadb.url("keystone"))
        self.neutron = Neutron(state, self.mariadb.url("neutron"))
        self.clouds_yaml = state / "clouds.yaml"

    def address(self):
        return f"{settings.KEYSTONE_URL} (neutron {settings.NEUTRON_URL})"

    def install(self):
        apt.install(settings.PACKAGES, settings.DEBCONF)

    def prepare(self, fresh=False):
        if fresh:
            self.stop()
            shutil.rmtree(self.state_dir)
            self.state_dir.mkdir(parents=True, exist_ok=True)
        self.mariadb.write_config()
        self.keystone.write_config()
        self.neutron.write_config()
        self.mariadb.initialise()
        self._start_database()
        self.keystone.setup()
        self.neutron.setup()
        clouds.write(self.clouds_yaml)

    def _start_database(self):
        self.mariadb.process.start()
        self._wait(self.mariadb.is_up, "mariadb", 60)
        self.mariadb.create_databases()

    def _wait(self, check, what, timeout):
        deadline = time.monotonic() + timeout
        while not check():
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not start within {timeout}s; see {self.state_dir}")
            time.sleep(0.2)

    def start(self):
        self._start_database()
        self.keystone.process.start()
        self.neutron.process.start()

    def keystone_up(self):
        return self.keystone.process.pid() is not None and answers(settings.KEYSTONE_URL)

    def neutron_up(self):
        return self.neutron.process.pid() is not None and answers(settings.NEUTRON_URL + "/")

    def is_up(self):
        return self.keystone_up() and self.neutron_up()

    def seed(self):
        # Keystone answers in ~0.3 s per request without a cache: seed identity once per database.
        done = self.state_dir / ".identity-seed.done"
        if not done.exists():
            seed.identity(clouds.connect(clouds.ADMIN_CLOUD, self.clouds_yaml))
            done.touch()
        # A new connection: its token's catalog now lists the network endpoints.
        seed.external_network(clouds.connect(clouds.ADMIN_CLOUD, self.clouds_yaml))

    def stop(self):
        self.neutron.process.stop()
        self.keystone.process.stop()
        self.mariadb.process.stop()

    def env(self):
        return {"OS_CLIENT_CONFIG_FILE": str(self.clouds_yaml)}
