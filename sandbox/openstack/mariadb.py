"""A private MariaDB on 127.0.0.1:3307 with its datadir and socket under the sandbox state dir."""

import subprocess
import textwrap

from sandbox.openstack import settings
from sandbox.service import Process


class MariaDB:
    """The database server Keystone and Neutron share."""

    def __init__(self, state_dir):
        self.dir = state_dir
        self.datadir = state_dir / "mysql"
        self.socket = state_dir / "mysql.sock"
        self.config = state_dir / "my.cnf"
        self.process = Process("mariadb", state_dir,
                               ["/usr/sbin/mariadbd", f"--defaults-file={self.config}", "--user=root"])

    def url(self, database):
        """The SQLAlchemy URL of one database."""
        return (f"mysql+pymysql://{settings.DB_USER}:{settings.DB_PASSWORD}"
                f"@{settings.HOST}:{settings.MARIADB_PORT}/{database}?charset=utf8mb4")

    def write_config(self):
        self.config.write_text(textwrap.dedent(f"""\
            [mysqld]
            datadir = {self.datadir}
            socket = {self.socket}
            pid-file = {self.dir / "mariadbd.pid"}
            bind-address = {settings.HOST}
            port = {settings.MARIADB_PORT}
            skip-name-resolve
            skip-log-bin
            sync_binlog = 0
            innodb_flush_log_at_trx_commit = 0
            innodb_buffer_pool_size = 128M
            max_connections = 1000
            character-set-server = utf8mb4
            collation-server = utf8mb4_general_ci
            """))

    def initialise(self):
        """Create the datadir once (``mariadb-install-db``)."""
        if (self.datadir / "mysql").is_dir():
            return
        self.datadir.mkdir(parents=True, exist_ok=True)
        subprocess.run(["mariadb-install-db", f"--defaults-file={self.config}", "--user=root",
                        "--skip-test-db", "--auth-root-authentication-method=socket"],
                       check=True, capture_output=True)

    def is_up(self):
        result = subprocess.run(["mariadb-admin", f"--socket={self.socket}", "-uroot", "ping"],
                                capture_output=True, check=False)
        return self.process.pid() is not None and result.returncode == 0

    def sql(self, statements):
        """Run SQL statements as root over the socket."""
        subprocess.run(["mariadb", f"--socket={self.socket}", "-uroot"], input=statements,
                       text=True, check=True, capture_output=True)

    def create_databases(self):
        """Create the service databases and the user that owns them (idempotent)."""
        user = f"'{settings.DB_USER}'@'{settings.HOST}'"
        lines = [f"CREATE USER IF NOT EXISTS {user} IDENTIFIED BY '{settings.DB_PASSWORD}';"]
        for name in settings.DATABASES:
            lines.append(f"CREATE DATABASE IF NOT EXISTS {name};")
            lines.append(f"GRANT ALL PRIVILEGES ON {name}.* TO {user};")
        self.sql("\n".join(lines) + "\n")
