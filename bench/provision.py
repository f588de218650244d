"""The whole provisioning run, ``ansible-playbook azimuth.ops.provision``, against the task loop an operator writes
with the stock modules, at N tenancies.

Run: .venv/bin/python bench/provision.py [--sizes 10 50 200] [--stock-sizes 10] [--connection own operator]
(needs the sandbox up and bench/.venv-stock, the stock ``ansible`` package: ``bash bench/run.sh`` makes it).

Each tenancy is an OpenStack project with a member user of its own and a ``clouds.yaml`` cloud
scoped to it (``--connection own``), as an operator configures tenancies with their own clouds;
with ``--connection operator`` the run is given one operator connection for the networks as
well (only when the collection has it: see ``operator_connection()``).  The configuration is
OIDC mode (a realm per tenancy, the users realm with a group per tenancy, an application
credential and its Secret per tenancy) with a catalog of three platform types with ACLs.

For each side, connection and N the suite's machinery (``bench/suite.py``: ``Sides``, the
recording proxies of ``sandbox.proxies`` in front of Keystone, Neutron, the kube-apiserver and
Keycloak) runs three ``ansible-playbook`` runs on fresh objects: *first*, *no-op* and *check*
(``--check`` on the result).  A callback of the bench's own (``bench/callback_plugins``) times
every task, and each task is counted to its step, so each step's share of the run is known.
Everything made (projects, users, networks, namespaces, realms, platform types) is deleted
after each size.  Figures go to ``bench/provision.json`` and ``bench/RESULTS.md`` (between this
benchmark's markers).
"""

import argparse
import concurrent.futures
import contextlib
import json
import os
import platform
import secrets
import sys
import tempfile
import time
from collections import OrderedDict
from pathlib import Path

import yaml

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))
import suite  # noqa: E402  # pylint: disable=wrong-import-position
from keycloak_realms import stock_tasks as stock_realm_tasks  # noqa: E402  # pylint: disable=wrong-import-position
from suite import PHASES, READING_POSTS, flatten, localhost, proxies, writes  # noqa: E402  # pylint: disable=wrong-import-position

START, END = "<!-- provision:start -->", "<!-- provision:end -->"
RESULTS_JSON = BENCH / "provision.json"
TEST_LABEL = "azimuth-ops.azimuth-cloud.io/test"
EXTERNAL = "sandbox-external"
ISSUER = "http://dex.sandbox.test/"
STEPS = ("checks", "networks", "namespaces and credentials", "realms", "platform types", "other")
# Our side: the step of a task from its role and task file (the provisioning playbook's order).
OUR_STEPS = {
    ("azimuth", None): "checks",
    ("platform_types", "plan.yml"): "checks",
    ("platform_types", "check.yml"): "checks",
    ("tenancies", "check.yml"): "checks",
    ("tenancy_network", None): "networks",
    ("tenancies", None): "namespaces and credentials",
    ("identity", None): "realms",
    ("platform_types", None): "platform types",
}
KUBE_VALUES = {"kubernetesVersion": "1.33.10", "machineImageId": "img-133"}


def operator_connection():
    """The variable that gives the provisioning run one operator connection for the networks, when the collection has it."""
    text = (REPO / "roles" / "azimuth" / "defaults" / "main.yml").read_text()
    for name in ("azimuth_openstack_operator_cloud", "azimuth_operator_cloud", "azimuth_openstack_admin_cloud"):
        if name + ":" in text:
            return name
    return None


def catalog(prefix, first_id):
    """Three platform types with ACLs: (our variables, the objects the stock side applies)."""
    cluster = {"label": "Kubernetes", "description": "Kubernetes", "values": KUBE_VALUES}
    app = {"chart": {"repo": "https://charts.example.org", "name": "notebooks"},
           "label": "Notebooks", "description": "Notebooks"}
    caas = {"gitUrl": "https://git.example.org/a.git", "gitVersion": "1", "playbook": "a.yml", "uiMetaUrl": "https://git.example.org/ui.yml"}
    ours = {
        "azimuth_capi_operator_cluster_templates": {prefix + "-kube": {"spec": cluster}},
        "azimuth_capi_operator_app_templates": {prefix + "-notebooks": {"spec": {"chart": app["chart"]}}},
        "azimuth_caas_cluster_templates": {prefix + "-desktop": {"spec": caas}},
        "azimuth_capi_operator_cluster_template_tenancy_allow_list": [first_id],
        "platforms_tenancy_deny_regex": "-test$",
        "azimuth_max_platform_lifetime_hours": 48,
        "platform_types_labels": {TEST_LABEL: prefix},
        "platform_types_deprecate_selector": "%s=%s" % (TEST_LABEL, prefix),
    }
    labels = {TEST_LABEL: prefix, "app.kubernetes.io/managed-by": "azimuth-ops"}
    acl = {"acl.azimuth.stackhpc.com/deny-regex": "-test$", "scheduling.azimuth.stackhpc.com/max-lifetime-hours": "48"}
    stock = [
        {"apiVersion": "azimuth.stackhpc.com/v1alpha1", "kind": "ClusterTemplate",
         "metadata": {"name": prefix + "-kube", "labels": labels,
                      "annotations": dict(acl, **{"acl.azimuth.stackhpc.com/allow-list": first_id})}, "spec": cluster},
        {"apiVersion": "azimuth.stackhpc.com/v1alpha1", "kind": "AppTemplate",
         "metadata": {"name": prefix + "-notebooks", "labels": labels, "annotations": acl}, "spec": {"chart": app["chart"]}},
        {"apiVersion": "caas.azimuth.stackhpc.com/v1alpha1", "kind": "ClusterType",
         "metadata": {"name": prefix + "-desktop", "labels": labels, "annotations": acl}, "spec": caas},
    ]
    return ours, stock


class Provision:
    """The suite's interface (``server``, ``prepare``, ``plays``, ``cleanup``) for the provisioning run."""

    name = "provision"

    def __init__(self, env, workdir, connection="own"):
        import openstack.config  # pylint: disable=import-outside-toplevel
        import openstack.connection  # pylint: disable=import-outside-toplevel
        self.env = env
        self.workdir = Path(workdir)
        self.connection = connection
        self.clouds_yaml = env["OS_CLIENT_CONFIG_FILE"]
        config = openstack.config.OpenStackConfig(config_files=[self.clouds_yaml], load_envvars=False)
        self.admin = openstack.connection.Connection(config=config.get_one(cloud="sandbox-admin"))
        self.sandbox_clouds = yaml.safe_load(Path(self.clouds_yaml).read_text())
        self.auth_url = self.sandbox_clouds["clouds"]["sandbox-demo"]["auth"]["auth_url"]
        self.current = None  # the clouds.yaml of the prepared state, for server()

    # --- objects --------------------------------------------------------------------------------

    def _tenancy(self, prefix, index):
        identity = self.admin.identity
        name = "%s-%04d" % (prefix, index)
        project = identity.create_project(name=name, domain_id="default")
        user = identity.create_user(name=name, password=name + "-pass", domain_id="default", default_project_id=project.id)
        identity.assign_project_role_to_user(project, user, identity.find_role("member"))
        cloud = {"auth": {"auth_url": self.auth_url, "username": name, "password": name + "-pass", "project_name": name,
                          "user_domain_name": "Default", "project_domain_name": "Default"},
                 "region_name": "RegionOne", "identity_api_version": "3"}
        return {"id": project.id, "name": name, "cloud": name, "user_id": user.id}, cloud

    def prepare(self, n, side):
        prefix = "bp%s%s" % (side[0], secrets.token_hex(3))
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            made = list(pool.map(lambda index: self._tenancy(prefix, index), range(n)))
        clouds = dict(self.sandbox_clouds["clouds"])
        clouds.update((item["cloud"], cloud) for item, cloud in made)
        path = self.workdir / ("clouds-%s.yaml" % prefix)
        path.write_text(yaml.safe_dump({"clouds": clouds}))
        self.current = path
        tenancies = [item for item, _cloud in made]
        return {"prefix": prefix, "tenancies": tenancies, "clouds_yaml": str(path)}

    @contextlib.contextmanager
    def server(self, workdir):
        """The recording proxies in front of Keystone and Neutron (with the tenancies' clouds.yaml), the kube-apiserver and Keycloak."""
        with proxies.OpenStack(self.current, workdir) as openstack, proxies.kube(self.env["KUBECONFIG"], workdir) as kube, \
                proxies.keycloak(self.env["KEYCLOAK_URL"]) as keycloak:
            both = Servers({"openstack": openstack, "kube": kube, "keycloak": keycloak})
            both.env = {"OS_CLIENT_CONFIG_FILE": str(openstack.clouds_yaml), "KUBECONFIG": str(kube.kubeconfig), "KEYCLOAK_URL": keycloak.url}
            yield both

    # --- playbooks ------------------------------------------------------------------------------

    def variables(self, state):
        tenancies = [{"id": t["id"], "name": t["name"], "cloud": t["cloud"]} for t in state["tenancies"]]
        ours, _stock = catalog(state["prefix"], tenancies[0]["id"])
        variables = dict(ours, **{
            "azimuth_authentication_type": "oidc",
            "azimuth_release_namespace": state["prefix"],
            "azimuth_tenancies": tenancies,
            "azimuth_openstack_external_net_template": EXTERNAL,
            "keycloak_url": "{{ lookup('ansible.builtin.env', 'KEYCLOAK_URL') }}",
            "keycloak_admin_username": "{{ lookup('ansible.builtin.env', 'KEYCLOAK_ADMIN_USER') }}",
            "keycloak_admin_password": "{{ lookup('ansible.builtin.env', 'KEYCLOAK_ADMIN_PASSWORD') }}",
            "ingress_azimuth_portal_host": "portal.sandbox.test",
            "ingress_tls_enabled": False,
            "identity_azimuth_idp": {"issuer": ISSUER + "{tenancy_id}", "client_id": "azimuth-tenancies"},
        })
        if self.connection == "operator":
            variables[operator_connection()] = "sandbox-admin"
        return variables

    def command(self, state, side, sides):
        """The ansible-playbook command of a run (without --check): ours as an operator types it, with the variables file."""
        if side == "ours":
            path = self.workdir / ("portal-%s.yml" % state["prefix"])
            path.write_text(yaml.safe_dump(self.variables(state), sort_keys=False))
            return [str(sides.binary[side]), "azimuth.ops.provision", "-e", "@" + str(path)]
        path = self.workdir / ("stock-%s.yml" % state["prefix"])
        path.write_text(yaml.safe_dump(self.stock_plays(state), sort_keys=False))
        return [str(sides.binary[side]), str(path)]

    def stock_plays(self, state):
        """The loop an operator writes with the ansible package's modules, step by step (task names start with the step)."""
        tenancies = [{"id": t["id"], "name": t["name"], "cloud": t["cloud"]} for t in state["tenancies"]]
        _ours, objects = catalog(state["prefix"], tenancies[0]["id"])
        each = {"loop": "{{ tenancies }}", "loop_control": {"label": "{{ item.name }}"}}
        cloud = "{{ item.cloud }}"
        networks = [
            dict(each, name="networks: internal network by tag", register="tagged",
                 **{"openstack.cloud.networks_info": {"cloud": cloud, "filters": {"tags": "portal-internal"}}}),
            dict(each, name="networks: internal network", **{"openstack.cloud.network": {"cloud": cloud, "name": "portal-internal"}}),
            dict(each, name="networks: subnet", **{"openstack.cloud.subnet": {
                "cloud": cloud, "name": "portal-internal", "network": "portal-internal", "cidr": "192.168.3.0/24"}}),
            dict(each, name="networks: router", **{"openstack.cloud.router": {
                "cloud": cloud, "name": "portal-router", "network": EXTERNAL, "interfaces": ["portal-internal"]}}),
        ]
        clouds = ("{{ {'clouds': {'openstack': {'auth_type': 'v3applicationcredential', 'region_name': 'RegionOne', "
                  "'auth': {'auth_url': item.item.cloud, 'application_credential_id': item.application_credential.id, "
                  "'application_credential_secret': item.application_credential.secret}}}} | to_nice_yaml }}")
        namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {
            "name": "az-{{ item.name }}",
            "labels": {"tenant.azimuth-cloud.io/id": "{{ item.id }}", "app.kubernetes.io/managed-by": "azimuth-ops"},
            "annotations": {"tenant.azimuth-cloud.io/name": "{{ item.name }}", "tenant.azimuth-cloud.io/oidc-group": "/{{ item.name }}"}}}
        secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {
            "name": "openstack-credential", "namespace": "az-{{ item.item.name }}"}, "stringData": {"clouds.yaml": clouds}}
        credentials = [
            dict(each, name="namespaces and credentials: namespace", **{"kubernetes.core.k8s": {"state": "present", "definition": namespace}}),
            dict(each, name="namespaces and credentials: application credential", register="appcreds", no_log=True,
                 **{"openstack.cloud.application_credential": {"cloud": cloud, "name": "azimuth-portal", "roles": [{"name": "member"}]}}),
            # The secret is known only when the credential was made: the Secret is written then.
            {"name": "namespaces and credentials: credential Secret", "kubernetes.core.k8s": {"state": "present", "definition": secret},
             "loop": "{{ appcreds.results | selectattr('changed') | list }}", "no_log": True},
        ]
        realms = [dict(task, name="realms: " + task["name"]) for task in stock_realm_tasks()]
        users = state["prefix"] + "-users"
        realms += [
            {"name": "realms: users realm", "community.general.keycloak_realm": {"realm": users, "id": users, "enabled": True}},
            {"name": "realms: portal client", "community.general.keycloak_client": {
                "realm": users, "client_id": "azimuth-portal", "redirect_uris": ["http://portal.sandbox.test/*"], "public_client": False},
             "no_log": True},
            dict(each, name="realms: a group per tenancy in the users realm",
                 **{"community.general.keycloak_group": {"realm": users, "name": "{{ item.name }}"}}),
        ]
        types = [{"name": "platform types: apply", "kubernetes.core.k8s": {"state": "present", "definition": "{{ item }}"},
                  "loop": objects, "loop_control": {"label": "{{ item.kind }}/{{ item.metadata.name }}"}}]
        connection = {"auth_keycloak_url": "{{ lookup('env', 'KEYCLOAK_URL') }}", "auth_realm": "master",
                      "auth_username": "{{ lookup('env', 'KEYCLOAK_ADMIN_USER') }}",
                      "auth_password": "{{ lookup('env', 'KEYCLOAK_ADMIN_PASSWORD') }}"}
        return localhost(networks + credentials + realms + types, vars={"tenancies": tenancies},
                         module_defaults={"group/community.general.keycloak": connection})

    # --- cleanup --------------------------------------------------------------------------------

    def cleanup(self, state):
        from kubernetes import client, config  # pylint: disable=import-outside-toplevel
        from keycloak import KeycloakOpenIDConnection  # pylint: disable=import-outside-toplevel
        prefix = state["prefix"]
        conn = KeycloakOpenIDConnection(server_url=self.env["KEYCLOAK_URL"] + "/", username=self.env["KEYCLOAK_ADMIN_USER"],
                                        password=self.env["KEYCLOAK_ADMIN_PASSWORD"], realm_name="master")
        for realm in conn.raw_get("admin/realms", briefRepresentation="true").json():
            if realm["realm"].startswith(("az-" + prefix, prefix)):
                conn.raw_delete("admin/realms/" + realm["realm"])
        api = config.new_client_from_config(config_file=self.env["KUBECONFIG"])
        core = client.CoreV1Api(api)
        for namespace in core.list_namespace().items:
            if namespace.metadata.name.startswith(("az-" + prefix, prefix)):
                core.delete_namespace(namespace.metadata.name)
        custom = client.CustomObjectsApi(api)
        for group, plural in (("azimuth.stackhpc.com", "clustertemplates"), ("azimuth.stackhpc.com", "apptemplates"),
                              ("caas.azimuth.stackhpc.com", "clustertypes")):
            for item in custom.list_cluster_custom_object(group, "v1alpha1", plural)["items"]:
                if item["metadata"]["name"].startswith(prefix):
                    custom.delete_cluster_custom_object(group, "v1alpha1", plural, item["metadata"]["name"])
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            list(pool.map(self._delete_tenancy, state["tenancies"]))

    def _delete_tenancy(self, tenancy):
        net = self.admin.network
        for router in net.routers(project_id=tenancy["id"]):
            for port in net.ports(device_id=router.id, device_owner="network:router_interface"):
                net.remove_interface_from_router(router, port_id=port.id)
            net.delete_router(router)
        for network in net.networks(project_id=tenancy["id"]):
            net.delete_network(network)
        if tenancy.get("user_id"):
            self.admin.identity.delete_user(tenancy["user_id"], ignore_missing=True)
        self.admin.identity.delete_project(tenancy["id"], ignore_missing=True)


class Servers:
    """Several recording proxies measured together: ``measure()`` yields {"service:...": counts}."""

    def __init__(self, parts):
        self.parts = parts
        self.env = {}

    @contextlib.contextmanager
    def measure(self):
        served = {}
        with contextlib.ExitStack() as stack:
            measured = dict((name, stack.enter_context(part.measure())) for name, part in self.parts.items())
            yield served
        for name, counts in measured.items():
            for route, count in flatten(counts).items():
                method, path = route.split(" ", 1)
                served["%s %s:%s" % (method, name, path)] = count


# ---------------------------------------------------------------------------------------------
# Measuring


def step_of(side, row, included_by):
    """The step a timed task belongs to; ``included_by`` is the name of the last task outside any role (an include_role)."""
    if side == "stock":
        head = row["name"].split(":", 1)[0]
        return head if head in STEPS else "other"
    role = row["role"].split(".")[-1]
    if role == "identity" and "conflicts" in included_by:
        return "checks"  # step 1 includes the identity role in check mode to find conflicts
    return OUR_STEPS.get((role, row["file"])) or OUR_STEPS.get((role, None)) or "other"


def run(sides, side, command, env, check, times):
    """One ansible-playbook run; (seconds, {step: seconds})."""
    if times.exists():
        times.unlink()
    environment = dict(sides.env[side], **env, ANSIBLE_CALLBACK_PLUGINS=str(BENCH / "callback_plugins"),
                       ANSIBLE_CALLBACKS_ENABLED="bench_task_times", BENCH_TASK_TIMES=str(times))
    full = command + (["--check"] if check else [])
    started = time.perf_counter()
    completed = suite.subprocess.run(full, env=environment, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if completed.returncode:
        # stderr first (warnings), then the end of stdout, where the failed task's message is
        raise RuntimeError("%s failed:\n%s\n%s" % (" ".join(full), completed.stderr[-2000:], completed.stdout[-6000:]))
    steps = OrderedDict((step, 0.0) for step in STEPS)
    included_by = ""
    for line in times.read_text().splitlines() if times.exists() else []:
        row = json.loads(line)
        if not row["role"]:
            included_by = row["name"]
        steps[step_of(side, row, included_by)] += row["seconds"]
    steps["startup"] = max(seconds - sum(steps.values()), 0.0)  # ansible-playbook's start, parsing, the last stats
    return seconds, dict((step, round(value, 2)) for step, value in steps.items())


def measure(case, sides, side, n, workdir):
    """First, no-op and check runs at size ``n``: {phase: {seconds, requests, writes, steps}}."""
    state = case.prepare(n, side)
    rows = {}
    try:
        with case.server(workdir) as server:
            command = case.command(state, side, sides)
            for phase in PHASES:
                with server.measure() as served:
                    seconds, steps = run(sides, side, command, server.env, phase == "check", Path(workdir) / "times.jsonl")
                rows[phase] = {"seconds": round(seconds, 2), "requests": sum(served.values()),
                               "writes": sum(count for route, count in writes(served).items() if not route.endswith(READING_POSTS)),
                               "steps": steps, "load": round(os.getloadavg()[0], 1)}
                print("  %-5s %-8s N=%-4d %-6s %7.1f s %6d requests %6d writes  load %.1f  %s" % (
                    side, case.connection, n, phase, seconds, rows[phase]["requests"], rows[phase]["writes"], os.getloadavg()[0],
                    " ".join("%s=%.1f" % (step, value) for step, value in steps.items() if value)), flush=True)
            rows["command"] = " ".join(command).replace(str(REPO) + "/", "").replace(str(workdir), "<tmp>")
    finally:
        case.cleanup(state)
    return rows


# ---------------------------------------------------------------------------------------------
# Reporting


def shares(steps, seconds):
    return ", ".join("%s %d%%" % (step, round(100 * value / seconds)) for step, value in steps.items() if value >= 0.005 * seconds)


def report(results):
    lines = [START, "", "## The provisioning run: `bench/provision.py`", ""]
    commands = "; ".join("`%s`%s (%s, %s)" % (
        meta["command"], ", collection at %s" % meta["collection"] if meta.get("collection") else "", key, meta["date"])
        for key, meta in sorted(results.get("meta", {}).items()))
    lines += ["Commands: %s; %s, %d cores, Python %s; the load average (1 min) at the end of each run is in the table. "
              "Each tenancy is a project with a member user and a clouds.yaml cloud of its own (*own*; with *operator* the "
              "networks go through one operator connection, `azimuth_openstack_operator_cloud: sandbox-admin`); OIDC mode (a realm per "
              "tenancy, the users realm with a group per tenancy, an application credential and its Secret per tenancy), "
              "three platform types with ACLs. *first* creates everything, *no-op* runs the same again, *check* is "
              "`--check` on the result. Requests and writes were counted by recording proxies in front of Keystone, "
              "Neutron, the kube-apiserver and Keycloak; each step's share comes from a task timer of the bench's own "
              "(`bench/callback_plugins/bench_task_times.py`, profile_tasks' measure); *startup* is the rest of the run "
              "(ansible-playbook's start and parsing)." % (commands, platform.machine(), os.cpu_count(), platform.python_version()), ""]
    lines += ["| side | connection | N | first s | no-op s | check s | requests first / no-op / check | writes first / no-op / check | load |",
              "|---|---|---:|---:|---:|---:|---:|---:|---|"]
    for key, rows_by_n in sorted(results.get("runs", {}).items()):
        side, connection = key.split("/")
        for n, rows in sorted(rows_by_n.items(), key=lambda item: int(item[0])):
            lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                side, connection, n, *("%.1f" % rows[p]["seconds"] if p in rows else "-" for p in PHASES),
                " / ".join(str(rows[p]["requests"]) for p in PHASES if p in rows),
                " / ".join(str(rows[p]["writes"]) for p in PHASES if p in rows),
                " / ".join(str(rows[p]["load"]) for p in PHASES if p in rows)))
    lines += ["", "Each step's share of the time:", "", "| side | connection | N | run | shares |", "|---|---|---:|---|---|"]
    for key, rows_by_n in sorted(results.get("runs", {}).items()):
        side, connection = key.split("/")
        for n, rows in sorted(rows_by_n.items(), key=lambda item: int(item[0])):
            for phase in PHASES:
                if phase in rows:
                    lines.append("| %s | %s | %s | %s | %s |" % (side, connection, n, phase, shares(rows[phase]["steps"], rows[phase]["seconds"])))
    equal = []
    for key, rows_by_n in sorted(results.get("runs", {}).items()):
        side, connection = key.split("/")
        if side != "ours":
            continue
        stock = results["runs"].get("stock/own", {})
        for n in sorted(set(rows_by_n) & set(stock), key=int):
            equal.append("| %s | %s | %s |" % (connection, n, " | ".join(
                "%.1fx" % (stock[n][p]["seconds"] / rows_by_n[n][p]["seconds"]) if p in stock[n] and p in rows_by_n[n] else "-"
                for p in PHASES)))
    if equal:
        lines += ["", "At equal N, stock / ours (time):", "", "| ours' connection | N | first | no-op | check |", "|---|---:|---:|---:|---:|"] + equal
    commands = results.get("commands", {})
    if commands:
        lines += ["", "Commands run: %s." % "; ".join("`%s` (%s)" % (command, key) for key, command in sorted(commands.items()))]
    reading = results.get("reading")
    if reading:
        lines += ["", reading]
    lines += ["", END]
    return "\n".join(lines)


def cleanup_prefix(prefix):
    """What a stopped run made, found by its prefix: its projects and users (named ``<prefix>-NNNN``), realms, namespaces, types."""
    if not prefix.startswith("bp") or len(prefix) < 9:
        raise SystemExit("--cleanup takes a run's prefix, bp<side><hex>, as its project names begin")
    with tempfile.TemporaryDirectory(prefix="bench-provision-") as workdir:
        case = Provision(suite.sandbox_env(), workdir)
        identity = case.admin.identity
        users = dict((user.name, user.id) for user in identity.users() if user.name.startswith(prefix + "-"))
        tenancies = [{"id": project.id, "name": project.name, "user_id": users.get(project.name)}
                     for project in identity.projects() if project.name.startswith(prefix + "-")]
        case.cleanup({"prefix": prefix, "tenancies": tenancies})
        for name, user_id in users.items():
            identity.delete_user(user_id, ignore_missing=True)
        print("deleted %d projects, %d users and the realms, namespaces and platform types of %s" % (len(tenancies), len(users), prefix))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[10, 50, 200], help="N for our side")
    parser.add_argument("--stock-sizes", type=int, nargs="*", default=[10], help="N for the stock side")
    parser.add_argument("--connection", nargs="+", default=["own"], choices=["own", "operator"],
                        help="our side's connections: own clouds only, or one operator connection for the networks too")
    parser.add_argument("--stock-limit", type=float, default=3600, help="seconds after which larger stock sizes are not tried")
    parser.add_argument("--ref", default="HEAD", help="the commit of the collection our side runs (a git archive of it; "
                        "'worktree' for the checkout as it is, with whatever is being edited)")
    parser.add_argument("--report-only", action="store_true", help="write the report from bench/provision.json")
    parser.add_argument("--cleanup", metavar="PREFIX", help="delete what a stopped run with this prefix made (bp<side><hex>), then stop")
    args = parser.parse_args()
    if args.cleanup:
        cleanup_prefix(args.cleanup)
        return
    results = json.loads(RESULTS_JSON.read_text()) if RESULTS_JSON.exists() else {}
    if args.report_only:
        suite.record(report(results), START, END)
        return
    if "operator" in args.connection and not operator_connection():
        raise SystemExit("--connection operator: the collection has no operator connection for the networks yet")
    if not suite.STOCK_VENV.joinpath("bin", "ansible-playbook").exists():
        raise SystemExit("bench/.venv-stock is missing: bash bench/run.sh makes it")
    env = suite.sandbox_env()
    results.setdefault("runs", {})
    results.setdefault("commands", {})
    this = {"command": " ".join([".venv/bin/python bench/provision.py"] + sys.argv[1:]), "date": time.strftime("%Y-%m-%d")}
    with tempfile.TemporaryDirectory(prefix="bench-provision-") as workdir:
        sides = suite.Sides(env, workdir)
        if args.ref != "worktree":
            # The collection as committed: a shared checkout may hold other engineers' half-made changes.
            collection = Path(workdir) / "collections" / "ansible_collections" / "azimuth" / "ops"
            collection.mkdir(parents=True)
            archive = suite.subprocess.run(["git", "archive", args.ref], cwd=REPO, capture_output=True, check=True).stdout
            suite.subprocess.run(["tar", "-x", "-C", str(collection)], input=archive, check=True)
            sides.env["ours"]["ANSIBLE_COLLECTIONS_PATH"] = str(Path(workdir) / "collections")
            revision = suite.subprocess.run(["git", "rev-parse", "--short", args.ref], cwd=REPO, capture_output=True, text=True,
                                            check=True).stdout.strip()
            this["collection"] = revision
        plan = [("ours", connection, n) for connection in args.connection for n in args.sizes]
        plan += [("stock", "own", n) for n in args.stock_sizes]
        for side, connection, n in plan:
            case = Provision(env, workdir, connection)
            key = "%s/%s" % (side, connection)
            print("%s, %s, N=%d" % (side, connection, n), flush=True)
            started = time.perf_counter()
            try:
                rows = measure(case, sides, side, n, workdir)
            except RuntimeError as exc:
                print(str(exc)[-8000:], flush=True)
                continue
            # Read again before writing: another bench process (the stock side, say) may have saved meanwhile.
            saved = json.loads(RESULTS_JSON.read_text()) if RESULTS_JSON.exists() else {}
            saved.setdefault("runs", {}).setdefault(key, {})[str(n)] = rows
            saved.setdefault("commands", {})[key] = rows.pop("command")
            saved.setdefault("meta", {})[key] = this
            RESULTS_JSON.write_text(json.dumps(saved, indent=1))
            results = saved
            if side == "stock" and time.perf_counter() - started > args.stock_limit:
                print("stock took over %d s at N=%d: no larger size" % (args.stock_limit, n), flush=True)
                break
    suite.record(report(results), START, END)
    print(report(results))


if __name__ == "__main__":
    main()
