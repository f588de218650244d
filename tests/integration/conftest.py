"""Run real ansible-playbook processes against this checkout of azimuth.ops."""

import contextlib
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from sandbox import proxies

REPO = Path(__file__).resolve().parents[2]
COLLECTIONS_PATH = REPO / ".build" / "collections"
ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
# The tests' own action (save_results), which hands data back without running a module.
TEST_PLUGINS = {"ANSIBLE_ACTION_PLUGINS": str(Path(__file__).parent / "action_plugins")}


class PlaybookRun:
    """The outcome of one ansible-playbook process, with what the playbook saved as ``results``."""

    def __init__(self, completed, results_file):
        self.returncode = completed.returncode
        self.stdout = completed.stdout
        self.stderr = completed.stderr
        self.output = completed.stdout + completed.stderr
        self.results = json.loads(results_file.read_text()) if results_file.exists() else None

    @property
    def ok(self):
        return self.returncode == 0


@pytest.fixture
def run_playbook(tmp_path):
    """Write ``plays`` (a list of plays) to a playbook and run it; the playbook can save results.

    Each run gets the variable ``results_file``; a task such as ``save_results("x")`` hands data
    back to the test as ``run.results``.
    """
    counter = iter(range(1000))

    def run(plays, *args, env=None, collections_path=COLLECTIONS_PATH, cwd=None):
        number = next(counter)
        playbook = tmp_path / ("playbook-%d.yml" % number)
        results_file = tmp_path / ("results-%d.json" % number)
        playbook.write_text(yaml.safe_dump(plays, sort_keys=False))
        environment = dict(os.environ, **(env or {}))
        environment.update(
            ANSIBLE_COLLECTIONS_PATH=str(collections_path),
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_LOCALHOST_WARNING="false",
            ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
            **TEST_PLUGINS,
        )
        completed = subprocess.run(
            [str(ANSIBLE_PLAYBOOK), str(playbook), "-e", "results_file=%s" % results_file, *args],
            capture_output=True, text=True, env=environment, cwd=cwd or tmp_path, timeout=600, check=False,
        )
        return PlaybookRun(completed, results_file)

    return run


def localhost_play(tasks, **extra):
    """A play on localhost without facts."""
    play = {"name": "test", "hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": tasks}
    play.update(extra)
    return play


def save_results(expression):
    """A task that hands ``expression`` (a Jinja expression) back to the test."""
    return {"name": "Save results", "save_results": {"content": "{{ %s | to_json }}" % expression, "dest": "{{ results_file }}"}}


# --- A recording proxy per test in front of the shared servers ---------------------------------
#
# Tests share one kube-apiserver: each keeps to namespaces named after its ``unique_name`` (and
# labels carrying it), and the ``kube_requests`` fixture deletes those namespaces afterwards.


def _kube_client(kubeconfig):
    from kubernetes import client, config  # pylint: disable=import-outside-toplevel
    configuration = client.Configuration()
    config.load_kube_config(config_file=kubeconfig, client_configuration=configuration)
    return client.ApiClient(configuration)


def _delete_namespaces(kubeconfig, prefix):
    """Delete the namespaces whose names start with ``prefix`` (the server finishes the job)."""
    from kubernetes import client  # pylint: disable=import-outside-toplevel
    with _kube_client(kubeconfig) as api:
        core = client.CoreV1Api(api)
        for namespace in core.list_namespace().items:
            if namespace.metadata.name.startswith(prefix) and not namespace.metadata.deletion_timestamp:
                core.delete_namespace(namespace.metadata.name)


@pytest.fixture
def kube_requests(tmp_path, sandbox_env, unique_name):
    """A recording proxy (sandbox.proxy) of this test's own in front of the sandbox's kube-apiserver.

    ``counts()``/``measure()`` see this test's requests only; ``inject_fault()`` affects them only.
    Afterwards the namespaces named ``az-<unique_name>...`` are deleted.
    """
    with proxies.kube(sandbox_env["KUBECONFIG"], tmp_path) as proxy:
        yield proxy
    _delete_namespaces(sandbox_env["KUBECONFIG"], "az-" + unique_name)


@pytest.fixture
def kube_env(sandbox_env, kube_requests):
    """The sandbox's environment, with KUBECONFIG naming this test's proxy."""
    return dict(sandbox_env, KUBECONFIG=kube_requests.kubeconfig)


@pytest.fixture
def kube_core(sandbox_env):
    """A kubernetes CoreV1Api client straight to the kube-apiserver (set-up and checks, not counted)."""
    from kubernetes import client  # pylint: disable=import-outside-toplevel
    with _kube_client(sandbox_env["KUBECONFIG"]) as api:
        yield client.CoreV1Api(api)


@pytest.fixture
def openstack_requests(tmp_path, sandbox_env):
    """Recording proxies of this test's own in front of Keystone and Neutron (``.keystone``, ``.neutron``)."""
    with proxies.OpenStack(sandbox_env["OS_CLIENT_CONFIG_FILE"], tmp_path) as pair:
        yield pair


@pytest.fixture
def openstack_env(sandbox_env, openstack_requests):
    """The sandbox's environment, with a clouds.yaml whose clouds go through ``openstack_requests``."""
    return dict(sandbox_env, OS_CLIENT_CONFIG_FILE=openstack_requests.clouds_yaml)


# --- A tenancy of a test's own: an OpenStack project with a member user, and a namespace ------

AUTH_URL = "http://127.0.0.1:5000/v3"


def purge_project(admin, project_id):
    """Delete what a test's runs left in its project (ports, routers, networks, security groups)."""
    net = admin.network
    for router in net.routers(project_id=project_id):
        for port in net.ports(device_id=router.id):
            for fixed_ip in port.fixed_ips:
                net.remove_interface_from_router(router, subnet_id=fixed_ip["subnet_id"])
        net.delete_router(router)
    for port in net.ports(project_id=project_id):
        net.delete_port(port)
    for network in net.networks(project_id=project_id):
        net.delete_network(network)
    for group in net.security_groups(project_id=project_id):
        if group.name != "default":
            net.delete_security_group(group)


@contextlib.contextmanager
def made_tenant(admin, kube_core, name, tmp_path):
    """A project, a member user with a password, a namespace ``az-<name>``, and the user's cloud both as a dict
    (``cloud``) and as the cloud ``tenant`` of a clouds.yaml (``env``); all deleted afterwards, with what runs left."""
    from kubernetes.client.rest import ApiException  # pylint: disable=import-outside-toplevel
    project = admin.identity.create_project(name=name, domain_id="default")
    password = secrets.token_urlsafe(16)
    user = admin.identity.create_user(name=name, password=password, domain_id="default", default_project_id=project.id)
    admin.identity.assign_project_role_to_user(project, user, admin.identity.find_role("member"))
    namespace = "az-" + name
    kube_core.create_namespace({"metadata": {"name": namespace}})
    cloud = {"auth": {"auth_url": AUTH_URL, "username": name, "password": password, "project_name": name,
                      "user_domain_name": "Default", "project_domain_name": "Default"}, "region_name": "RegionOne"}
    clouds = tmp_path / ("%s-clouds.yaml" % name)
    clouds.write_text(yaml.safe_dump({"clouds": {"tenant": cloud}}))
    clouds.chmod(0o600)
    try:
        yield {"name": name, "cloud": cloud, "password": password, "namespace": namespace, "user": user, "project": project,
               "env": dict(OS_CLOUD="tenant", OS_CLIENT_CONFIG_FILE=str(clouds))}
    finally:
        try:
            kube_core.delete_namespace(namespace)
        except ApiException as exc:
            if exc.status != 404:
                raise
        purge_project(admin, project.id)
        for credential in admin.identity.application_credentials(user.id):
            admin.identity.delete_application_credential(user.id, credential.id)
        admin.identity.delete_user(user)
        admin.identity.delete_project(project)


@pytest.fixture
def tenant(kube_requests, openstack_admin, unique_name, kube_core, tmp_path):
    """One tenancy of ``made_tenant``, named ``unique_name``."""
    with made_tenant(openstack_admin, kube_core, unique_name, tmp_path) as made:
        yield made


@pytest.fixture
def tenants(kube_requests, openstack_admin, unique_name, kube_core, tmp_path):
    """Three tenancies of ``made_tenant``, named ``<unique_name>-<0..2>``."""
    with contextlib.ExitStack() as stack:
        yield [stack.enter_context(made_tenant(openstack_admin, kube_core, "%s-%d" % (unique_name, index), tmp_path)) for index in range(3)]
