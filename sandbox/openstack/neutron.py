"""neutron-server (Debian's Zed package) with ML2, the router plugin and no agents."""

import textwrap

from sandbox.openstack import settings
from sandbox.run import run_logged
from sandbox.service import Process


class Neutron:
    """Configuration, database migration and the neutron-server process."""

    def __init__(self, state_dir, database_url):
        self.dir = state_dir
        self.database_url = database_url
        self.config = state_dir / "neutron.conf"
        self.ml2_config = state_dir / "ml2_conf.ini"
        self.process = Process("neutron", state_dir, ["neutron-server", *self._config_args()])

    def _config_args(self):
        return ["--config-file", str(self.config), "--config-file", str(self.ml2_config)]

    def write_config(self):
        state = self.dir / "neutron-state"
        state.mkdir(exist_ok=True)
        self.config.write_text(textwrap.dedent(f"""\
            [DEFAULT]
            bind_host = {settings.HOST}
            bind_port = {settings.NEUTRON_PORT}
            core_plugin = ml2
            service_plugins = router
            auth_strategy = keystone
            transport_url = fake://
            api_workers = 0
            rpc_workers = 0
            rpc_state_report_workers = 0
            notify_nova_on_port_status_changes = false
            notify_nova_on_port_data_changes = false
            dhcp_agent_notification = false
            state_path = {state}
            api_paste_config = /etc/neutron/api-paste.ini

            [database]
            connection = {self.database_url}

            [keystone_authtoken]
            www_authenticate_uri = http://{settings.HOST}:{settings.KEYSTONE_PORT}
            auth_url = http://{settings.HOST}:{settings.KEYSTONE_PORT}
            auth_type = password
            project_domain_name = Default
            user_domain_name = Default
            project_name = {settings.SERVICE_PROJECT}
            username = {settings.NEUTRON_USER}
            password = {settings.NEUTRON_PASSWORD}
            region_name = {settings.REGION}

            [oslo_concurrency]
            lock_path = {state / "lock"}
            """))
        self.ml2_config.write_text(textwrap.dedent(f"""\
            [ml2]
            type_drivers = flat,vxlan
            tenant_network_types = vxlan
            mechanism_drivers = openvswitch
            extension_drivers = port_security

            [ml2_type_flat]
            flat_networks = *

            [ml2_type_vxlan]
            vni_ranges = 1:1000
            """))

    def setup(self):
        """Migrate the database to head, once."""
        done = self.dir / ".neutron-db.done"
        if not done.exists():
            run_logged(["neutron-db-manage", *self._config_args(), "upgrade", "head"],
                       self.dir / "neutron-db-manage.log")
            done.touch()
