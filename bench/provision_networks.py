"""The provisioning run's networks step (issue 18): N tenancies, each with its own cloud, or all through the operator's.

Cases of ``bench/suite.py`` (``suite_case``), run with
``bash bench/run.sh --only networks-step-clouds networks-step-operator --sizes 10 50``:

- ``networks-step-clouds``: N tenancies ``{id, name, cloud}``, each cloud a dict with a member user's password,
  scoped to the tenancy's project (the module's ``clouds``: each its own token, a few at a time);
- ``networks-step-operator``: N tenancies ``{id, name}`` and ``azimuth_openstack_operator_cloud: sandbox-admin``
  (the module's ``projects``, one read of each kind of object for all of them).

The playbook is the provisioning run's own first task (role ``azimuth.ops.azimuth``: the variables
checked, each step's input worked out) and its networks step, both read from the collection's
``playbooks/provision.yml``, so what is measured is what ``ansible-playbook azimuth.ops.provision``
runs; the other steps (namespaces, realms, platform types) are left out.  Requests are counted by
the suite's recording proxies in front of the sandbox's Keystone and Neutron.

``.venv/bin/python bench/provision_networks.py [--operator] [--before <commit>] --sizes 10`` runs one
case by itself and prints the figures without recording them; with ``--before``, against the
collection as it was at ``<commit>`` (a ``git archive`` of it): the clouds case at a commit before
issue 18 measures the step as it was (one module call per tenancy).
"""

import argparse
import contextlib
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path[:0] = [str(REPO), str(BENCH)]  # the sandbox package; suite.py
from sandbox import proxies  # noqa: E402  # pylint: disable=wrong-import-position

EXTERNAL = "sandbox-external"
NETWORKS_STEP = "Find or create each tenancy's networks"


def provision_tasks(collection):
    """The provisioning run's first task and its networks step, from ``collection``'s playbooks/provision.yml."""
    tasks = yaml.safe_load((Path(collection) / "playbooks" / "provision.yml").read_text())[0]["tasks"]
    step = [task for task in tasks if task.get("name") == NETWORKS_STEP]
    assert len(step) == 1, "no task %r in provision.yml" % NETWORKS_STEP
    return [tasks[0]] + step


class NetworksStep:
    """The networks step at N tenancies; ``operator``: through one connection, else each tenancy's own cloud."""

    sizes, stock_sizes = (10, 50), ()

    def __init__(self, env, operator, collection=REPO):
        import openstack.config  # pylint: disable=import-outside-toplevel
        import openstack.connection  # pylint: disable=import-outside-toplevel
        self.operator = operator
        self.collection = Path(collection)
        self.name = "networks-step-" + ("operator" if operator else "clouds")
        self.ours = ("the provisioning run's networks step: azimuth_openstack_operator_cloud, one azimuth.ops.tenancy_network "
                     "call (projects, as admin)" if operator else
                     "the provisioning run's networks step: a cloud per tenancy, one azimuth.ops.tenancy_network call (clouds)")
        self.stock = "-"
        self.clouds_yaml = env["OS_CLIENT_CONFIG_FILE"]
        config = openstack.config.OpenStackConfig(config_files=[self.clouds_yaml], load_envvars=False)
        self.admin = openstack.connection.Connection(config=config.get_one(cloud="sandbox-admin"))
        self.auth_url = yaml.safe_load(Path(self.clouds_yaml).read_text())["clouds"]["sandbox-admin"]["auth"]["auth_url"]
        self.proxy = None

    @contextlib.contextmanager
    def server(self, workdir):
        with proxies.OpenStack(self.clouds_yaml, workdir) as pair:
            pair.env = {"OS_CLIENT_CONFIG_FILE": pair.clouds_yaml}
            self.proxy = pair
            try:
                yield pair
            finally:
                self.proxy = None

    def prepare(self, n, side):
        prefix = "bench-n%s-%s" % ("o" if self.operator else "c", secrets.token_hex(3))
        identity = self.admin.identity
        member = identity.find_role("member")
        state = {"prefix": prefix, "projects": [], "users": []}
        for index in range(n):
            project = identity.create_project(name="%s-%04d" % (prefix, index), domain_id="default")
            state["projects"].append({"id": project.id, "name": project.name})
            if not self.operator:
                password = secrets.token_urlsafe(18)
                user = identity.create_user(name=project.name, password=password, domain_id="default", default_project_id=project.id)
                identity.assign_project_role_to_user(project, user, member)
                state["users"].append({"id": user.id, "name": user.name, "password": password})
        return state

    def tenancies(self, state):
        if self.operator:
            return [{"id": p["id"], "name": p["name"]} for p in state["projects"]]
        auth_url = self.proxy.keystone.rewrite(self.auth_url.encode()).decode() if self.proxy else self.auth_url
        return [{"id": p["id"], "name": p["name"], "cloud": {
            "auth": {"auth_url": auth_url, "username": u["name"], "password": u["password"], "project_id": p["id"],
                     "user_domain_name": "Default"},
            "region_name": "RegionOne", "identity_api_version": 3, "interface": "public"}}
            for p, u in zip(state["projects"], state["users"])]

    def plays(self, state, side):
        variables = {"azimuth_tenancies": self.tenancies(state), "azimuth_openstack_external_net_template": EXTERNAL}
        if self.operator:
            variables["azimuth_openstack_operator_cloud"] = "sandbox-admin"
        return [{"name": "The provisioning run's networks step", "hosts": "localhost", "connection": "local", "gather_facts": False,
                 "vars": variables, "tasks": provision_tasks(self.collection)}]

    def cleanup(self, state):
        from suite import remove_projects  # pylint: disable=import-outside-toplevel
        remove_projects(self.admin, [project["id"] for project in state["projects"]])
        for user in state["users"]:
            self.admin.identity.delete_user(user["id"], ignore_missing=True)


def suite_case(env):
    return [NetworksStep(env, operator=False), NetworksStep(env, operator=True)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--before", help="a commit of the collection to measure against (default: the checkout, as the suite does)")
    parser.add_argument("--operator", action="store_true", help="the operator's connection case (default: the clouds case)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10])
    args = parser.parse_args()
    import suite  # pylint: disable=import-outside-toplevel
    env = suite.sandbox_env()
    with tempfile.TemporaryDirectory(prefix="bench-networks-step-") as workdir:
        sides = suite.Sides(env, workdir)
        collection = REPO
        if args.before:
            collection = Path(workdir) / "collections" / "ansible_collections" / "azimuth" / "ops"
            collection.mkdir(parents=True)
            archive = subprocess.run(["git", "archive", args.before], cwd=REPO, capture_output=True, check=True).stdout
            subprocess.run(["tar", "-x", "-C", str(collection)], input=archive, check=True)
            sides.env["ours"]["ANSIBLE_COLLECTIONS_PATH"] = str(Path(workdir) / "collections")
        case = NetworksStep(env, operator=args.operator, collection=collection)
        print("%s at %s: %s" % (case.name, args.before or "the checkout", case.ours), flush=True)
        for n in args.sizes:
            suite.measure(case, sides, "ours", n, workdir)


if __name__ == "__main__":
    main()
