"""Keystone (Debian's Zed package) configured under the state dir and served by uwsgi."""

import textwrap

from sandbox.openstack import settings
from sandbox.run import run_logged
from sandbox.service import Process

WSGI_SCRIPT = "/usr/bin/keystone-wsgi-public"


class Keystone:
    """Configuration, database and key setup, and the uwsgi process."""

    def __init__(self, state_dir, database_url):
        self.dir = state_dir
        self.database_url = database_url
        self.config = state_dir / "keystone.conf"
        self.fernet_keys = state_dir / "fernet-keys"
        self.credential_keys = state_dir / "credential-keys"
        self.process = Process("keystone", state_dir, self._uwsgi_argv())

    def _uwsgi_argv(self):
        return [
            "uwsgi", "--plugin", "python3", "--master", "--die-on-term", "--lazy-apps",
            "--http-socket", f"{settings.HOST}:{settings.KEYSTONE_PORT}",
            "--wsgi-file", WSGI_SCRIPT, "--processes", "4", "--threads", "1",
            "--buffer-size", "65535", "--add-header", "Connection: close",
            "--env", f"OS_KEYSTONE_CONFIG_FILES={self.config}",
            "--disable-logging",
        ]

    def write_config(self):
        self.config.write_text(textwrap.dedent(f"""\
            [DEFAULT]
            log_file = {self.dir / "keystone-app.log"}

            [database]
            connection = {self.database_url}

            [token]
            provider = fernet

            [fernet_tokens]
            key_repository = {self.fernet_keys}

            [credential]
            key_repository = {self.credential_keys}

            [identity]
            password_hash_rounds = 4

            [cache]
            enabled = false
            """))

    def manage(self, *args):
        """Run ``keystone-manage`` with our configuration."""
        run_logged(["keystone-manage", "--config-file", str(self.config), *args],
                   self.dir / "keystone-manage.log")

    def _once(self, marker, *args):
        done = self.dir / f".{marker}.done"
        if not done.exists():
            self.manage(*args)
            done.touch()

    def setup(self):
        """Database schema, key repositories and the bootstrap admin (each only once)."""
        owner = ("--keystone-user", "root", "--keystone-group", "root")
        self._once("keystone-db-sync", "db_sync")
        self._once("keystone-fernet", "fernet_setup", *owner)
        self._once("keystone-credential", "credential_setup", *owner)
        self._once("keystone-bootstrap", "bootstrap",
                   "--bootstrap-password", settings.ADMIN_PASSWORD,
                   "--bootstrap-username", settings.ADMIN_USER,
                   "--bootstrap-project-name", "admin",
                   "--bootstrap-region-id", settings.REGION,
                   "--bootstrap-admin-url", settings.KEYSTONE_URL,
                   "--bootstrap-internal-url", settings.KEYSTONE_URL,
                   "--bootstrap-public-url", settings.KEYSTONE_URL)
