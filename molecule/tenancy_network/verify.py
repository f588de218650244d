"""The tenancy_network scenario: the demo project's tagged network, its subnet and router, read back from Neutron."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "shared"))
import servers  # noqa: E402  pylint: disable=wrong-import-position


def verify(settings, check):
    options = settings["tenancy_network_options"]
    with servers.cloud(settings["tenancy_network_tenancies"][0]["cloud"]) as conn:
        project = conn.current_project_id
        networks = [n for n in conn.network.networks(tags=options["internal_net_tag"]) if n.project_id == project]
        check.expect(len(networks) == 1, f"{len(networks)} networks tagged {options['internal_net_tag']}, not 1")
        if not networks:
            return
        subnets = list(conn.network.subnets(network_id=networks[0].id))
        check.expect([s.cidr for s in subnets] == [options["internal_net_cidr"]], f"subnets {[s.cidr for s in subnets]}")
        external = conn.network.find_network(options["external_net_template"])
        routers = [r for r in conn.network.routers(name=options["router_name"]) if r.project_id == project]
        check.expect(len(routers) == 1, f"{len(routers)} routers {options['router_name']}, not 1")
        if routers and external:
            gateway = routers[0].external_gateway_info or {}
            check.expect(gateway.get("network_id") == external.id, "the router's gateway is not on the external network")
            ports = list(conn.network.ports(device_id=routers[0].id, network_id=networks[0].id))
            check.expect(len(ports) == 1, "the router has no interface on the subnet")


def clean(settings):
    options = settings["tenancy_network_options"]
    removed = []
    with servers.cloud(settings["tenancy_network_tenancies"][0]["cloud"]) as conn:
        project = conn.current_project_id
        networks = [n for n in conn.network.networks(tags=options["internal_net_tag"]) if n.project_id == project]
        for router in conn.network.routers(name=options["router_name"], project_id=project):
            for network in networks:
                for subnet in conn.network.subnets(network_id=network.id):
                    if list(conn.network.ports(device_id=router.id, network_id=network.id)):
                        conn.network.remove_interface_from_router(router, subnet_id=subnet.id)
            conn.network.delete_router(router)
            removed.append(f"router {router.name}")
        for network in networks:
            conn.network.delete_network(network)
            removed.append(f"network {network.name} and its subnet")
    return removed


if __name__ == "__main__":
    sys.exit(servers.run(verify, clean))
