"""API requests of an azimuth.ops.tenancy_network run that changes nothing, and whether they grow with the cloud.

For a fresh project (with a member user) in the sandbox, the module runs once through
ansible-playbook to create the internal network, subnet and router; then a no-op run is
measured: every request it sends to Keystone and to Neutron, counted by a pair of recording
proxies of the bench's own (``sandbox.proxies.OpenStack``: the module authenticates at the
Keystone proxy, whose catalog sends it to the Neutron proxy).

The external network is named by ``external_net_template`` so that the figures do not depend on
other runs adding router:external networks meanwhile; discovery by ``router:external`` costs the
same one request.

The same no-op is measured again after adding ``--networks`` more networks to the cloud (owned
by the measured project, untagged, without router:external).

Run: .venv/bin/python bench/tenancy_network_requests.py [--networks 200]
(needs the sandbox: .venv/bin/python -m sandbox up)
"""

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from sandbox import proxies  # noqa: E402

EXTERNAL = "sandbox-external"


def sandbox_env():
    out = subprocess.run([sys.executable, "-m", "sandbox", "env"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    env = {}
    for line in out.splitlines():
        if line.startswith("export "):
            name, value = line[len("export "):].split("=", 1)
            env[name] = value.strip("'\"")
    return env


def connect(config_file, cloud):
    import openstack.config  # pylint: disable=import-outside-toplevel
    import openstack.connection  # pylint: disable=import-outside-toplevel

    config = openstack.config.OpenStackConfig(config_files=[config_file], load_envvars=False)
    return openstack.connection.Connection(config=config.get_one(cloud=cloud))


class Bench:
    def __init__(self, env, extra_networks):
        self.env = dict(os.environ, **env, ANSIBLE_COLLECTIONS_PATH=str(REPO / ".build" / "collections"),
                        ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false")
        self.config_file = env["OS_CLIENT_CONFIG_FILE"]
        self.admin = connect(self.config_file, "sandbox-admin")
        self.name = "bench-" + secrets.token_hex(3)
        self.extra_networks = extra_networks
        self.noise = []
        self.tmp = Path(tempfile.mkdtemp(prefix="tenancy-network-bench-"))
        self.proxies = proxies.OpenStack(self.config_file, self.tmp)

    def setup(self):
        identity = self.admin.identity
        self.project = identity.create_project(name=self.name, domain_id="default")
        self.user = identity.create_user(name=self.name, password=self.name + "-pass", domain_id="default",
                                         default_project_id=self.project.id)
        identity.assign_project_role_to_user(self.project, self.user, identity.find_role("member"))
        self.auth = dict(auth_url=self.proxies.keystone.url + "/v3", username=self.name, password=self.name + "-pass",
                         project_name=self.name, user_domain_name="Default", project_domain_name="Default")

    def playbook(self, check=False):
        options = {"cloud": {"auth": self.auth, "region_name": "RegionOne", "identity_api_version": "3"},
                   "external_net_template": EXTERNAL}
        play = [{"hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": [
            {"azimuth.ops.tenancy_network": options, "register": "result"},
            {"ansible.builtin.copy": {"content": "{{ result | to_json }}", "dest": str(self.tmp / "result.json"),
                                      "mode": "0600"}, "check_mode": False},
        ]}]
        path = self.tmp / "playbook.yml"
        path.write_text(yaml.safe_dump(play))
        args = [str(Path(sys.executable).parent / "ansible-playbook"), str(path)] + (["--check"] if check else [])
        completed = subprocess.run(args, env=self.env, check=False, capture_output=True, text=True)
        if completed.returncode:
            sys.exit("ansible-playbook failed:\n%s%s" % (completed.stdout, completed.stderr))
        return json.loads((self.tmp / "result.json").read_text())

    def count(self):
        """Requests of one no-op ansible-playbook run, per service: (total, by method)."""
        with self.proxies.measure() as served:
            result = self.playbook()
        assert not result["changed"], result
        counts = {}
        for service, routes in served.items():
            methods = Counter()
            for route, number in routes.items():
                methods[route.split(" ", 1)[0]] += number
            counts[service] = (sum(methods.values()), dict(sorted(methods.items())))
        return counts

    def add_noise(self):
        """Untagged networks owned by the measured project itself (its quota lifted for this)."""
        self.admin.network.update_quota(self.project.id, networks=-1)
        for number in range(self.extra_networks):
            self.noise.append(self.admin.network.create_network(
                name="%s-noise-%d" % (self.name, number), project_id=self.project.id))

    def cleanup(self):
        net = self.admin.network
        for router in net.routers(project_id=self.project.id):
            for port in net.ports(device_id=router.id, device_owner="network:router_interface"):
                net.remove_interface_from_router(router, port_id=port.id)
            net.delete_router(router)
        for network in list(net.networks(project_id=self.project.id)) + self.noise:
            net.delete_network(network, ignore_missing=True)
        self.admin.identity.delete_user(self.user)
        self.admin.identity.delete_project(self.project)

    def run(self):
        with self.proxies:
            self.setup()
            try:
                started = time.time()
                created = self.playbook()
                print("first run: created %s in %.1f s" % (", ".join(c["type"] for c in created["created"]), time.time() - started))
                rows = [("%d networks in the cloud" % len(list(self.admin.network.networks())), self.count())]
                self.add_noise()
                rows.append(("%d networks in the cloud" % len(list(self.admin.network.networks())), self.count()))
            finally:
                self.cleanup()
        print("no-op run of azimuth.ops.tenancy_network (defaults, external_net_template: %s)" % EXTERNAL)
        print("%-28s %-24s %s" % ("cloud", "keystone requests", "neutron requests"))
        for label, counts in rows:
            print("%-28s %-24s %s" % (label, "%d %s" % counts["keystone"], "%d %s" % counts["neutron"]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--networks", type=int, default=200, help="networks to add before the second measurement")
    args = parser.parse_args()
    Bench(sandbox_env(), args.networks).run()


if __name__ == "__main__":
    main()
