"""Ports, names and the fixed test passwords of the OpenStack sandbox (a loopback lab)."""

HOST = "127.0.0.1"
MARIADB_PORT = 3307
KEYSTONE_PORT = 5000
NEUTRON_PORT = 9696
KEYSTONE_URL = f"http://{HOST}:{KEYSTONE_PORT}/v3"
NEUTRON_URL = f"http://{HOST}:{NEUTRON_PORT}"
REGION = "RegionOne"

DB_USER = "openstack"
DB_PASSWORD = "sandbox-db-pass"
DATABASES = ("keystone", "neutron")

ADMIN_USER = "admin"
ADMIN_PASSWORD = "sandbox-admin-pass"
SERVICE_PROJECT = "service"
NEUTRON_USER = "neutron"
NEUTRON_PASSWORD = "sandbox-neutron-pass"
DEMO_PROJECT = "demo"
DEMO_USER = "sandbox-demo"
DEMO_PASSWORD = "sandbox-demo-pass"

EXTERNAL_NETWORK = "sandbox-external"
EXTERNAL_SUBNET = "sandbox-external-subnet"
EXTERNAL_CIDR = "172.24.4.0/24"
EXTERNAL_GATEWAY = "172.24.4.1"
PHYSNET = "physnet1"

PACKAGES = ("keystone", "neutron-server", "uwsgi-plugin-python3", "python3-pymysql", "mariadb-server")

_DEBCONF_FALSE = ("configure_db", "dbconfig-install", "create-admin-tenant", "register-endpoint",
                  "configure_rabbit", "configure_ksat", "configure_nova", "configure_api-endpoint")
DEBCONF = tuple(f"{pkg} {pkg}/{key} boolean false"
                for pkg in ("keystone", "neutron") for key in _DEBCONF_FALSE)
