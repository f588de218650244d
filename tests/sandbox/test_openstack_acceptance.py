"""Acceptance test of the OpenStack sandbox: what a tenancy needs works as a project member."""

import contextlib

import openstack
import openstack.exceptions
import pytest

TAG = "portal-internal"
EXTERNAL_NETWORK = "sandbox-external"


def _app_credential_connection(conn, credential):
    """A new connection that authenticates with an application credential."""
    return openstack.connect(
        auth_type="v3applicationcredential",
        auth={"auth_url": conn.config.get_auth_args()["auth_url"],
              "application_credential_id": credential.id,
              "application_credential_secret": credential.secret},
        region_name=conn.config.get_region_name(), interface="public",
        identity_api_version="3", load_yaml_config=False, load_envvars=False)


def _build_tenancy(conn, name, cleanup):
    """A tagged network and subnet, and a router from the external network to the subnet."""
    external = conn.network.find_network(EXTERNAL_NETWORK, ignore_missing=False)
    network = conn.network.create_network(name=name)
    cleanup.callback(conn.network.delete_network, network, ignore_missing=True)
    conn.network.set_tags(network, [TAG])
    subnet = conn.network.create_subnet(name=name, network_id=network.id, ip_version=4,
                                        cidr="10.42.0.0/24")
    cleanup.callback(conn.network.delete_subnet, subnet, ignore_missing=True)
    conn.network.set_tags(subnet, [TAG])
    router = conn.network.create_router(name=name, external_gateway_info={"network_id": external.id})
    cleanup.callback(conn.network.delete_router, router, ignore_missing=True)
    conn.network.add_interface_to_router(router, subnet=subnet.id)
    cleanup.callback(_remove_interface, conn, router, subnet)
    return external, network, subnet, router


def _remove_interface(conn, router, subnet):
    with contextlib.suppress(openstack.exceptions.NotFoundException):
        conn.network.remove_interface_from_router(router, subnet=subnet.id)


def _check_tenancy(conn, name, external, network, subnet, router):
    tagged = [n.id for n in conn.network.networks(tags=TAG, name=name)]
    assert tagged == [network.id]
    assert [s.id for s in conn.network.subnets(tags=TAG, name=name)] == [subnet.id]
    router = conn.network.get_router(router)
    assert router.external_gateway_info["network_id"] == external.id
    interfaces = conn.network.ports(device_id=router.id, device_owner="network:router_interface")
    assert [ip["subnet_id"] for port in interfaces for ip in port.fixed_ips] == [subnet.id]


def _app_credential(conn, name, cleanup, unrestricted):
    user = conn.current_user_id
    credential = conn.identity.create_application_credential(
        user, name, unrestricted=unrestricted, roles=[{"name": "member"}])
    cleanup.callback(conn.identity.delete_application_credential, user, credential)
    return credential


def test_member_builds_tenancy_and_uses_app_credentials(openstack_demo, unique_name):
    conn = openstack_demo
    with contextlib.ExitStack() as cleanup:
        tenancy = _build_tenancy(conn, unique_name, cleanup)
        _check_tenancy(conn, unique_name, *tenancy)
        restricted = _app_credential(conn, f"{unique_name}-r", cleanup, unrestricted=False)
        unrestricted = _app_credential(conn, f"{unique_name}-u", cleanup, unrestricted=True)
        for credential in (restricted, unrestricted):
            with _app_credential_connection(conn, credential) as app_conn:
                assert [n.id for n in app_conn.network.networks(name=unique_name)] == [tenancy[1].id]
                assert app_conn.current_project_id == conn.current_project_id
        # Only an unrestricted credential may create further application credentials.
        with _app_credential_connection(conn, restricted) as app_conn:
            with pytest.raises(openstack.exceptions.ForbiddenException):
                app_conn.identity.create_application_credential(app_conn.current_user_id, f"{unique_name}-x")
        with _app_credential_connection(conn, unrestricted) as app_conn:
            nested = app_conn.identity.create_application_credential(app_conn.current_user_id,
                                                                     f"{unique_name}-n")
            cleanup.callback(conn.identity.delete_application_credential, conn.current_user_id, nested)
