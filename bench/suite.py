"""The benchmark suite: each capability of azimuth.ops against the task loop an operator would otherwise write.

Run: bash bench/run.sh [--sizes N ...] [--stock-sizes N ...] [--only tenancies networks]
(it makes bench/.venv-stock with the stock ``ansible`` package, brings the sandbox up and runs
this with the collection's own venv).

For each capability (``CASES``) and each N, each side gets fresh objects and three
ansible-playbook runs: the first run (creates everything), a no-op run (the same again) and a
check-mode run (``--check``, on what the first run made).  Every request goes through a
recording proxy of the suite's own in front of the sandbox's real server (``sandbox.proxies``),
so the counts are exact whatever else uses the server: requests per run, and writes (POST, PUT,
PATCH, DELETE, but not ``READING_POSTS``; kubernetes.core's server-side dry-run patches count
as writes).

- ``ours``: the collection (``.venv``, ``ANSIBLE_COLLECTIONS_PATH=.build/collections``).
- ``stock``: the collections of the ``ansible`` package (``bench/.venv-stock``), in loops.

Other benchmarks join the suite by defining ``suite_case()`` in ``bench/<name>.py`` (see
``EXTERNAL``), returning an object with the interface of ``Case``; a script without it is run
as it is and its output recorded.  The results go to ``bench/RESULTS.md`` (between the suite's
markers), ``bench/suite.json`` and the chart ``bench/suite.png`` (time against N, both sides).
"""

import argparse
import contextlib
import importlib.util
import json
import os
import platform
import secrets
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO))
from sandbox import proxies  # noqa: E402
from sandbox.proxy import writes  # noqa: E402

STOCK_VENV = BENCH / ".venv-stock"
PHASES = ("first", "no-op", "check")
EXTERNAL = (("keycloak", "keycloak_realms.py"), ("opentofu", "opentofu.py"), ("networks-step", "provision_networks.py"))
# POSTs that only read: Keystone's and Keycloak's token requests, Keycloak's partial export.
READING_POSTS = ("/auth/tokens", "/protocol/openid-connect/token", "/partial-export")
START, END = "<!-- suite:start -->", "<!-- suite:end -->"


def sandbox_env():
    out = subprocess.run([sys.executable, "-m", "sandbox", "env"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    return dict(shlex.split(line)[1].split("=", 1) for line in out.splitlines() if line.startswith("export "))


def localhost(tasks, **extra):
    return [dict({"hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": tasks}, **extra)]


class Sides:
    """How to run ansible-playbook for each side."""

    def __init__(self, env, workdir):
        self.workdir = Path(workdir)
        base = dict(os.environ, **env, ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
                    ANSIBLE_NOCOLOR="1")
        empty = self.workdir / "no-collections"
        empty.mkdir(exist_ok=True)
        # Each side its own ANSIBLE_HOME in the work directory: nothing is left in ~/.ansible.
        self.env = {
            "ours": dict(base, ANSIBLE_COLLECTIONS_PATH=str(REPO / ".build" / "collections"), ANSIBLE_HOME=str(self.workdir / "home-ours")),
            # only the ansible package's own collections
            "stock": dict(base, ANSIBLE_COLLECTIONS_PATH=str(empty), ANSIBLE_HOME=str(self.workdir / "home-stock")),
        }
        self.binary = {"ours": Path(sys.executable).parent / "ansible-playbook", "stock": STOCK_VENV / "bin" / "ansible-playbook"}

    def command(self, side, playbook, check):
        return [str(self.binary[side]), str(playbook)] + (["--check"] if check else [])

    def run(self, side, plays, check=False, env=None):
        """Run ``plays``; (seconds, the command as an operator would type it)."""
        playbook = self.workdir / ("%s-%s.yml" % (side, secrets.token_hex(3)))
        playbook.write_text(yaml.safe_dump(plays, sort_keys=False))
        command = self.command(side, playbook, check)
        started = time.perf_counter()
        completed = subprocess.run(command, env=dict(self.env[side], **(env or {})), capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - started
        if completed.returncode:
            raise SystemExit("%s failed:\n%s%s" % (" ".join(command), completed.stdout[-6000:], completed.stderr[-3000:]))
        return seconds


# ---------------------------------------------------------------------------------------------
# Capabilities


class Case:
    """A capability: ``prepare(n, side)`` makes what a run needs (not measured) and returns a state;
    ``plays(state, side)`` the playbook; ``cleanup(state)``; ``server(workdir)`` the recording
    proxy (or proxies) to count with, as a context manager yielding an object with ``measure()``
    and, through ``env``, the variables that send clients through it."""

    name = ""
    ours = ""
    stock = ""
    sizes, stock_sizes = (10, 50), (10,)  # N for each side, unless the command line says


class Tenancies(Case):
    name = "tenancies"
    sizes, stock_sizes = (10, 50, 200), (10, 20)
    ours = "azimuth.ops.tenancy (one call)"
    stock = "kubernetes.core.k8s (a loop: a namespace per tenancy, a Secret for half of them)"

    def __init__(self, env):
        self.kubeconfig = env["KUBECONFIG"]

    @contextlib.contextmanager
    def server(self, workdir):
        with proxies.kube(self.kubeconfig, workdir) as proxy:
            proxy.env = {"KUBECONFIG": proxy.kubeconfig}
            yield proxy

    def prepare(self, n, side):
        prefix = "bench-%s-%s" % (side[0], secrets.token_hex(3))
        items = []
        for index in range(n):
            item = {"id": "%s-%04d" % (prefix, index), "name": "%s-%04d" % (prefix, index)}
            if index % 2:
                item["credential"] = {"auth_url": "http://127.0.0.1:5000/v3", "application_credential_id": "bench-%d" % index,
                                      "application_credential_secret": secrets.token_urlsafe(24)}
            items.append(item)
        return {"prefix": prefix, "items": items}

    def plays(self, state, side):
        items = state["items"]
        if side == "ours":
            return localhost([{"name": "Tenancies", "azimuth.ops.tenancy": {"tenancies": items}, "no_log": True}])
        namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {
            "name": "az-{{ item.name }}",
            "labels": {"tenant.azimuth-cloud.io/id": "{{ item.id }}", "app.kubernetes.io/managed-by": "azimuth-ops"},
            "annotations": {"tenant.azimuth-cloud.io/name": "{{ item.name }}"}}}
        clouds = ("{{ {'clouds': {'openstack': {'auth_type': 'v3applicationcredential', 'auth': item.credential}}}"
                  " | to_nice_yaml }}")
        secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {
            "name": "default-openstack-credential", "namespace": "az-{{ item.name }}"}, "stringData": {"clouds.yaml": clouds}}
        return localhost([
            {"name": "Namespaces", "kubernetes.core.k8s": {"state": "present", "definition": namespace},
             "loop": "{{ tenancies }}", "loop_control": {"label": "{{ item.name }}"}},
            {"name": "Credential Secrets", "kubernetes.core.k8s": {"state": "present", "definition": secret},
             "loop": "{{ tenancies | selectattr('credential', 'defined') }}", "no_log": True},
        ], vars={"tenancies": items})

    def cleanup(self, state):
        from kubernetes import client, config  # pylint: disable=import-outside-toplevel
        configuration = client.Configuration()
        config.load_kube_config(config_file=self.kubeconfig, client_configuration=configuration)
        with client.ApiClient(configuration) as api:
            core = client.CoreV1Api(api)
            for namespace in core.list_namespace().items:
                if namespace.metadata.name.startswith("az-" + state["prefix"]):
                    core.delete_namespace(namespace.metadata.name)


class Networks(Case):
    name = "networks"
    # Each project of the stock loop costs four module runs of several seconds each (about half a
    # minute each on a loaded 2-core machine): its sizes are small.
    sizes, stock_sizes = (3, 20, 100), (3,)
    ours = "azimuth.ops.tenancy_network, batch form (projects), as admin"
    stock = "openstack.cloud (a loop per project: networks_info by tag, network, subnet, router)"
    OPTIONS = {"external_net_template": "sandbox-external"}

    def __init__(self, env):
        import openstack.config  # pylint: disable=import-outside-toplevel
        import openstack.connection  # pylint: disable=import-outside-toplevel
        self.clouds_yaml = env["OS_CLIENT_CONFIG_FILE"]
        config = openstack.config.OpenStackConfig(config_files=[self.clouds_yaml], load_envvars=False)
        self.admin = openstack.connection.Connection(config=config.get_one(cloud="sandbox-admin"))

    @contextlib.contextmanager
    def server(self, workdir):
        with proxies.OpenStack(self.clouds_yaml, workdir) as pair:
            pair.env = {"OS_CLIENT_CONFIG_FILE": pair.clouds_yaml}
            yield pair

    def prepare(self, n, side):
        prefix = "bench-%s-%s" % (side[0], secrets.token_hex(3))
        projects = [self.admin.identity.create_project(name="%s-%04d" % (prefix, i), domain_id="default") for i in range(n)]
        return {"prefix": prefix, "projects": [{"id": p.id, "name": p.name} for p in projects]}

    def plays(self, state, side):
        projects = state["projects"]
        if side == "ours":
            return localhost([{"name": "Networks of every project", "azimuth.ops.tenancy_network": dict(
                self.OPTIONS, cloud="sandbox-admin", projects=[p["id"] for p in projects])}])
        # Objects named as ours are, found by name within each project (openstack.cloud.network and
        # .router have no check mode: in --check they are skipped).
        each = {"loop": "{{ projects }}", "loop_control": {"label": "{{ item.name }}"}}
        return localhost([
            dict(each, name="Internal network by tag", register="tagged", **{"openstack.cloud.networks_info": {
                "cloud": "sandbox-admin", "filters": {"tags": "portal-internal", "project_id": "{{ item.id }}"}}}),
            dict(each, name="Internal network", **{"openstack.cloud.network": {
                "cloud": "sandbox-admin", "name": "portal-internal", "project": "{{ item.id }}"}}),
            dict(each, name="Subnet", **{"openstack.cloud.subnet": {
                "cloud": "sandbox-admin", "name": "portal-internal", "project": "{{ item.id }}",
                "network": "portal-internal", "cidr": "192.168.3.0/24"}}),
            dict(each, name="Router", **{"openstack.cloud.router": {
                "cloud": "sandbox-admin", "name": "portal-router", "project": "{{ item.id }}", "network": "sandbox-external",
                "interfaces": ["portal-internal"]}}),
        ], vars={"projects": projects})

    def cleanup(self, state):
        remove_projects(self.admin, [project["id"] for project in state["projects"]])


def remove_projects(admin, project_ids):
    """Delete the projects, with their routers (interfaces first) and networks, as ``admin``."""
    net = admin.network
    for project_id in project_ids:
        for router in net.routers(project_id=project_id):
            for port in net.ports(device_id=router.id, device_owner="network:router_interface"):
                net.remove_interface_from_router(router, port_id=port.id)
            net.delete_router(router)
        for network in net.networks(project_id=project_id):
            net.delete_network(network)
        admin.identity.delete_project(project_id)


def external_cases(env):
    """The other benchmarks' cases (``suite_case(env)``), and the scripts without one."""
    cases, scripts = [], []
    for name, filename in EXTERNAL:
        path = BENCH / filename
        if not path.exists():
            continue
        spec = importlib.util.spec_from_file_location("bench_" + name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        if hasattr(module, "suite_case"):
            found = module.suite_case(env)  # a case, or a list of them
            cases.extend(found if isinstance(found, list) else [found])
        else:
            scripts.append((name, path))
    return cases, scripts


# ---------------------------------------------------------------------------------------------
# Measuring


def measure(case, sides, side, n, workdir):
    """First, no-op and check-mode runs of one side at size ``n``: {phase: {seconds, requests, writes}}."""
    state = case.prepare(n, side)
    rows = {}
    try:
        with case.server(workdir) as server:
            plays = case.plays(state, side)
            for phase in PHASES:
                with server.measure() as served:
                    seconds = sides.run(side, plays, check=phase == "check", env=server.env)
                counts = flatten(served)
                rows[phase] = {"seconds": round(seconds, 2), "requests": sum(counts.values()),
                               "writes": sum(n for route, n in writes(counts).items() if not route.endswith(READING_POSTS))}
                print("  %-5s N=%-4d %-6s %7.1f s %6d requests %6d writes" % (side, n, phase, seconds, rows[phase]["requests"],
                                                                               rows[phase]["writes"]), flush=True)
            rows["command"] = " ".join(sides.command(side, "<playbook>", False)).replace(str(REPO) + "/", "")
    finally:
        case.cleanup(state)
    return rows


def flatten(served):
    """``{"METHOD /path": n}`` from one proxy's counts, or from a dict of them (OpenStack's pair: ``METHOD service:/path``)."""
    if served and all(isinstance(v, dict) for v in served.values()):
        return dict(("%s %s:%s" % (route.split(" ", 1)[0], service, route.split(" ", 1)[1]), count)
                    for service, routes in served.items() for route, count in routes.items())
    return served


# ---------------------------------------------------------------------------------------------
# Reporting


def ratio(stock, ours):
    return "%.1fx" % (stock / ours) if ours else "-"


def report(results, scripts_output, args):
    lines = [START, "", "## The suite: azimuth.ops against the stock modules, `bench/suite.py`", "",
             "Command: `%s` (%s, %d cores, Python %s, %s). Each side at each N starts from nothing: "
             "*first* creates everything, *no-op* runs the same again, *check* is `--check` on the result. Requests and "
             "writes were counted by recording proxies in front of the sandbox's real servers; times are whole "
             "`ansible-playbook` runs. Chart: [suite.png](suite.png)."
             % (" ".join(["bash bench/run.sh"] + list(args)), platform.machine(), os.cpu_count(), platform.python_version(), time.strftime("%Y-%m-%d")), ""]
    for name, case in results.items():
        lines += ["### %s" % name, "", "- ours: %s" % case["labels"]["ours"], "- stock: %s" % case["labels"]["stock"], "",
                  "| side | N | first s | no-op s | check s | requests first / no-op / check | writes first / no-op / check |",
                  "|---|---:|---:|---:|---:|---:|---:|"]
        for side in ("ours", "stock"):
            for n, rows in sorted(case[side].items(), key=lambda item: int(item[0])):
                lines.append("| %s | %s | %s | %s | %s | %s | %s |" % (
                    side, n, *("%.1f" % rows[p]["seconds"] for p in PHASES),
                    " / ".join(str(rows[p]["requests"]) for p in PHASES), " / ".join(str(rows[p]["writes"]) for p in PHASES)))
        equal = sorted(set(case["ours"]) & set(case["stock"]), key=int)
        if equal:
            lines += ["", "At equal N, stock / ours:", "",
                      "| N | first time | no-op time | check time | no-op requests |", "|---:|---:|---:|---:|---:|"]
            for n in equal:
                ours, stock = case["ours"][n], case["stock"][n]
                lines.append("| %s | %s | %s | %s | %s |" % (
                    n, *(ratio(stock[p]["seconds"], ours[p]["seconds"]) for p in PHASES),
                    ratio(stock["no-op"]["requests"], ours["no-op"]["requests"])))
        commands = ["`%s` (%s)" % (next(iter(case[side].values()))["command"], side) for side in ("ours", "stock") if case[side]]
        lines += ["", "Commands: %s." % ", ".join(commands), ""]
    for name, output in scripts_output.items():
        lines += ["### %s" % name, "", "```", output.rstrip(), "```", ""]
    lines.append(END)
    return "\n".join(lines)


def record(section, start=START, end=END):
    """Put ``section`` in bench/RESULTS.md between the markers ``start`` and ``end`` (at the end when they are missing)."""
    path = BENCH / "RESULTS.md"
    text = path.read_text()
    if start in text and end in text:
        text = text[:text.index(start)] + section + text[text.index(end) + len(end):]
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    path.write_text(text)


def chart(results):
    data = BENCH / "suite.json"
    subprocess.run([str(STOCK_VENV / "bin" / "python"), str(BENCH / "chart.py"), str(data), str(BENCH / "suite.png")], check=True)
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", type=int, nargs="+", help="N for our side (default: each capability's own)")
    parser.add_argument("--stock-sizes", type=int, nargs="+", help="N for the stock side (default: each capability's own)")
    parser.add_argument("--only", nargs="+", help="capabilities to run (default: all)")
    parser.add_argument("--report-only", action="store_true", help="write the report and chart from bench/suite.json")
    args = parser.parse_args()
    if args.report_only:
        finish(json.loads((BENCH / "suite.json").read_text()), {}, [])  # reported as the default run
        return
    env = sandbox_env()
    cases = [Tenancies(env), Networks(env)]
    more, scripts = external_cases(env)
    cases += more
    # With --only, the other capabilities (and the other sizes) keep their last figures.
    results = json.loads((BENCH / "suite.json").read_text()) if args.only and (BENCH / "suite.json").exists() else {}
    scripts_output = {}
    with tempfile.TemporaryDirectory(prefix="bench-suite-") as workdir:
        sides = Sides(env, workdir)
        for case in cases:
            if args.only and case.name not in args.only:
                continue
            print("%s: %s against %s" % (case.name, case.ours, case.stock), flush=True)
            results.setdefault(case.name, {})["labels"] = {"ours": case.ours, "stock": case.stock}
            for side, sizes in (("ours", args.sizes or getattr(case, "sizes", Case.sizes)),
                                ("stock", args.stock_sizes or getattr(case, "stock_sizes", Case.stock_sizes))):
                results[case.name].setdefault(side, {})
                for n in sizes:
                    results[case.name][side][str(n)] = measure(case, sides, side, n, workdir)
                    (BENCH / "suite.json").write_text(json.dumps(results, indent=1))  # kept if a later run fails
        for name, path in scripts:
            if args.only and name not in args.only:
                continue
            print("%s: %s" % (name, path.name), flush=True)
            completed = subprocess.run([sys.executable, str(path)], cwd=REPO, capture_output=True, text=True, check=False)
            scripts_output[name] = "$ .venv/bin/python bench/%s\n%s%s" % (path.name, completed.stdout, completed.stderr[-2000:])
    (BENCH / "suite.json").write_text(json.dumps(results, indent=1))
    finish(results, scripts_output, sys.argv[1:])


def finish(results, scripts_output, args):
    chart(results)
    section = report(results, scripts_output, args)
    record(section)
    print(section)


if __name__ == "__main__":
    main()
