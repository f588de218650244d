"""The cluster_infra scenario: the appliance's network, subnet, router and port, read back from Neutron, and its
OpenTofu state Secret from the kube-apiserver. ``verify.py state`` prints whether the state Secret exists."""

import sys
from pathlib import Path

from kubernetes import client

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "shared"))
import servers  # noqa: E402  pylint: disable=wrong-import-position


def state_secrets(settings):
    core = client.CoreV1Api(servers.kube())
    selector = f"caas.azimuth.stackhpc.com/cluster-name={settings['cluster_name']}"
    return core, core.list_namespaced_secret(settings["cluster_infra_kubernetes_namespace"], label_selector=selector).items


def verify(settings, check):
    name = settings["cluster_name"]
    with servers.cloud(settings["cluster_cloud"]) as conn:
        networks = [n for n in conn.network.networks(name=name) if n.project_id == conn.current_project_id]
        check.expect(len(networks) == 1, f"{len(networks)} networks {name}, not 1")
        if networks:
            check.expect(f"cluster-{name}" in networks[0].tags, f"network {name}: tags {networks[0].tags}")
            subnets = list(conn.network.subnets(network_id=networks[0].id))
            check.expect([s.cidr for s in subnets] == [settings["sandbox_network_cidr"]], f"subnets {[s.cidr for s in subnets]}")
            ports = [p.name for p in conn.network.ports(network_id=networks[0].id)]
            check.expect(f"{name}-gateway" in ports, f"no port {name}-gateway on {name}: {ports}")
        check.expect(len(list(conn.network.routers(name=name, project_id=conn.current_project_id))) == 1, f"router {name}")
    check.expect(len(state_secrets(settings)[1]) == 1, "no OpenTofu state Secret")


def clean(settings):
    core, secrets = state_secrets(settings)
    for secret in secrets:
        core.delete_namespaced_secret(secret.metadata.name, secret.metadata.namespace)
    return [f"Secret {secret.metadata.name}" for secret in secrets]


if __name__ == "__main__":
    if sys.argv[1:] == ["state"]:
        print("present" if state_secrets(servers.scenario_settings())[1] else "absent")
        sys.exit(0)
    sys.exit(servers.run(verify, clean))
