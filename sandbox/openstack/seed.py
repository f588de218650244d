"""The objects every run expects: service user and endpoints, demo project and user, external network."""

from sandbox.openstack import settings


def _role(conn, name):
    return conn.identity.find_role(name) or conn.identity.create_role(name=name)


def _project(conn, name):
    return (conn.identity.find_project(name, domain_id="default")
            or conn.identity.create_project(name=name, domain_id="default"))


def _user(conn, name, password, project, role):
    """A user with ``role`` on ``project``."""
    user = (conn.identity.find_user(name, domain_id="default")
            or conn.identity.create_user(name=name, password=password, domain_id="default",
                                         default_project_id=project.id))
    if not conn.identity.validate_user_has_project_role(project, user, role):
        conn.identity.assign_project_role_to_user(project, user, role)
    return user


def _network_service(conn):
    """The ``network`` service with its endpoints in the catalog."""
    service = (conn.identity.find_service("neutron")
               or conn.identity.create_service(name="neutron", type="network"))
    present = {ep.interface for ep in conn.identity.endpoints(service_id=service.id)}
    for interface in {"public", "internal", "admin"} - present:
        conn.identity.create_endpoint(service_id=service.id, interface=interface,
                                      url=settings.NEUTRON_URL, region_id=settings.REGION)


def identity(conn):
    """Roles, projects, users and the network endpoints (as admin)."""
    admin = _role(conn, "admin")
    member = _role(conn, "member")
    _role(conn, "reader")
    _user(conn, settings.NEUTRON_USER, settings.NEUTRON_PASSWORD,
          _project(conn, settings.SERVICE_PROJECT), admin)
    _user(conn, settings.DEMO_USER, settings.DEMO_PASSWORD,
          _project(conn, settings.DEMO_PROJECT), member)
    _network_service(conn)


def external_network(conn):
    """The flat external network and its subnet, untagged (as admin)."""
    network = conn.network.find_network(settings.EXTERNAL_NETWORK)
    if network is None:
        network = conn.network.create_network(
            name=settings.EXTERNAL_NETWORK, is_router_external=True, is_shared=False,
            provider_network_type="flat", provider_physical_network=settings.PHYSNET)
    if conn.network.find_subnet(settings.EXTERNAL_SUBNET, network_id=network.id) is None:
        conn.network.create_subnet(
            name=settings.EXTERNAL_SUBNET, network_id=network.id, ip_version=4,
            cidr=settings.EXTERNAL_CIDR, gateway_ip=settings.EXTERNAL_GATEWAY, is_dhcp_enabled=False)
