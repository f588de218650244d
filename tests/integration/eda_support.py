"""What the tests of the rulebooks and the bench of azimuth.ops.caas share: ansible-rulebook started and stopped by the
caller, and for azimuth.ops.caas a tenancy as the portal leaves it (a project, a member user, a namespace, an
application credential per cluster in the Secret the Cluster names) and a local git repository of the example
appliance."""

import base64
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
COLLECTIONS_PATH = REPO / ".build" / "collections"
APPLIANCE = REPO / "examples" / "appliances" / "sandbox-project"
GROUP, VERSION = "caas.azimuth.stackhpc.com", "v1alpha1"
AUTH_URL = "http://127.0.0.1:5000/v3"

# Around the example appliance: a line in <run_log_dir>/<cluster> when a run starts and when it ends, and a pause of
# run_sleep seconds in between (so that a test can stop the rulebook mid-run).
WRAPPER = [
    {"name": "Note the start", "hosts": "openstack", "gather_facts": False, "tasks": [
        {"name": "Note the start", "ansible.builtin.shell": "echo start {{ cluster_state }} >> {{ run_log_dir }}/{{ cluster_name }}",
         "when": "run_log_dir is defined"},
        {"name": "Take a while", "ansible.builtin.pause": {"seconds": "{{ run_sleep | int }}"}, "when": "run_sleep | default(0) | int > 0"}]},
    {"import_playbook": "appliance.yml"},
    {"name": "Note the end", "hosts": "openstack", "gather_facts": False, "tasks": [
        {"name": "Note the end", "ansible.builtin.shell":
         "echo end {{ cluster_state }} {{ greeting | default('hello') }} >> {{ run_log_dir }}/{{ cluster_name }}",
         "when": "run_log_dir is defined"}]},
]


def git_repository(directory):
    """A git repository of the example appliance (with the wrapper above as site.yml): its file:// URL."""
    directory = Path(directory)
    shutil.copytree(APPLIANCE, directory)
    (directory / "site.yml").rename(directory / "appliance.yml")
    (directory / "site.yml").write_text(yaml.safe_dump(WRAPPER, sort_keys=False))
    env = dict(os.environ, GIT_AUTHOR_NAME="test", GIT_AUTHOR_EMAIL="test@example.org", GIT_COMMITTER_NAME="test",
               GIT_COMMITTER_EMAIL="test@example.org")
    for command in (["init", "-q", "-b", "main"], ["add", "."], ["commit", "-q", "-m", "appliance"]):
        subprocess.run(["git"] + command, cwd=directory, env=env, check=True)
    return "file://%s" % directory


def cluster_type(name, git_url, ui_meta_url, run_log_dir):
    return {"apiVersion": "%s/%s" % (GROUP, VERSION), "kind": "ClusterType", "metadata": {"name": name},
            "spec": {"uiMetaUrl": ui_meta_url, "gitUrl": git_url, "gitVersion": "main", "playbook": "site.yml", "jobTimeout": 600,
                     "extraVars": {"run_log_dir": str(run_log_dir)}, "envVars": {"ANSIBLE_NOCOLOR": "1"}}}


class Tenancy:
    """A project with a member user and a namespace, as the portal's tenancy; ``credential(cluster)`` makes the
    cluster's application credential ``az-caas-<cluster>`` and its Secret ``<cluster>-caas-credential``, as the portal does."""

    def __init__(self, admin, kube_core, name):
        import openstack  # pylint: disable=import-outside-toplevel
        import secrets  # pylint: disable=import-outside-toplevel
        self.admin, self.kube_core, self.name = admin, kube_core, name
        self.namespace = "az-" + name
        self.project = admin.identity.create_project(name=name, domain_id="default")
        password = secrets.token_urlsafe(16)
        self.user = admin.identity.create_user(name=name, password=password, domain_id="default", default_project_id=self.project.id)
        admin.identity.assign_project_role_to_user(self.project, self.user, admin.identity.find_role("member"))
        self.conn = openstack.connect(auth_url=AUTH_URL, username=name, password=password, project_name=name, user_domain_name="Default",
                                      project_domain_name="Default", region_name="RegionOne")
        kube_core.create_namespace({"metadata": {"name": self.namespace}})

    def credential(self, cluster):
        created = self.conn.identity.create_application_credential(self.user.id, "az-caas-" + cluster, unrestricted=True)
        clouds = {"clouds": {"openstack": {"auth_type": "v3applicationcredential", "region_name": "RegionOne", "interface": "public",
                                           "identity_api_version": 3, "auth": {"auth_url": AUTH_URL, "application_credential_id": created.id,
                                                                               "application_credential_secret": created.secret}}}}
        name = cluster + "-caas-credential"
        self.kube_core.create_namespaced_secret(self.namespace, {"metadata": {"name": name, "labels": {"app.kubernetes.io/managed-by": "azimuth"}},
                                                                 "data": {"clouds.yaml": base64.b64encode(yaml.safe_dump(clouds).encode()).decode()}})
        return name, created

    def credentials(self):
        return [c.name for c in self.admin.identity.application_credentials(self.user.id)]

    def remove(self):
        self.kube_core.delete_namespace(self.namespace)
        for credential in self.admin.identity.application_credentials(self.user.id):
            self.admin.identity.delete_application_credential(self.user.id, credential.id)
        self.conn.close()
        self.admin.identity.delete_user(self.user)
        self.admin.identity.delete_project(self.project)


def cluster(name, type_name, secret, labels, extravars):
    return {"apiVersion": "%s/%s" % (GROUP, VERSION), "kind": "Cluster", "metadata": {"name": name, "labels": labels},
            "spec": {"clusterTypeName": type_name, "clusterTypeVersion": "1", "cloudCredentialsSecretName": secret, "extraVars": extravars}}


class Rulebook:
    """ansible-rulebook with one of the collection's rulebooks (``name``) and its ``--vars`` (``variables``), started and
    stopped by the caller; ``concurrency`` is its --max-concurrent-actions."""

    def __init__(self, env, directory, name, variables, concurrency=None):
        self.env, self.directory, self.name, self.concurrency = env, Path(directory), name, concurrency
        (self.directory / "inventory.yml").write_text(yaml.safe_dump({"all": {"hosts": {"localhost": {"ansible_connection": "local"}}}}))
        (self.directory / "vars.yml").write_text(yaml.safe_dump(variables))
        self.process, self.runs = None, 0

    def start(self):
        self.runs += 1
        log = open(self.directory / ("rulebook-%d.log" % self.runs), "wb")  # pylint: disable=consider-using-with
        self.process = subprocess.Popen(  # pylint: disable=consider-using-with
            [str(Path(sys.executable).parent / "ansible-rulebook"), "-r", self.name, "-i", "inventory.yml", "--vars", "vars.yml"]
            + (["--max-concurrent-actions", str(self.concurrency)] if self.concurrency else []),
            cwd=self.directory, env=self.env, stdout=log, stderr=subprocess.STDOUT)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode if self.process else None

    def log(self):
        return "\n".join((self.directory / ("rulebook-%d.log" % n)).read_text(errors="replace") for n in range(1, self.runs + 1))


def rulebook_env(sandbox_env):
    """The environment of the rulebook: the sandbox's, with no OpenStack credential of the caller's (the runs use the portal's)."""
    env = dict((key, value) for key, value in os.environ.items() if not key.startswith("OS_"))
    env.update((key, value) for key, value in sandbox_env.items() if not key.startswith("OS_"))
    env.update(ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS_PATH), ANSIBLE_NOCOLOR="1", ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    return env


def wait_for(what, check, rulebook, seconds=120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError("%s did not happen within %d s; the rulebook's log:\n%s" % (what, seconds, rulebook.log()[-8000:]))
