"""The secrets audit: every module and role, given secrets everywhere a secret can be given, run at
``-vvv --diff``, and neither what the modules log nor what ansible-playbook prints holds any of them
or their base64.

Where modules log: ``AnsibleModule`` logs its invocation to the systemd journal when python-systemd
is there and the host runs systemd, else to syslog (``/dev/log``).  This machine has neither, so the
entries would go nowhere: each module process gets a journal instead, a stand-in for python-systemd's
``systemd.journal`` on ``PYTHONPATH`` that appends every entry (all of its fields) to a file.  That is
what a production host's journal receives.  The controller's own log (``ANSIBLE_LOG_PATH``) and
stdout/stderr are read too.

Adding a case is one entry in ``CASES``: a name and a function that, given the ``Lab`` (the secrets
and where to use them), returns the tasks to run.  Secrets the run creates (application credential
secrets, Secret data) are read back from Kubernetes and looked for as well.
"""

import base64
import json
import os
import shutil
import tempfile
import textwrap
from pathlib import Path

import pytest
import yaml

from .conftest import localhost_play
# fixtures, used by name
from .keycloak_support import keycloak  # noqa: F401  # pylint: disable=unused-import
from .test_tenancy_network import Cloud, Names

AUTH_URL = "http://127.0.0.1:5000/v3"
SANDBOX_EXTERNAL = "sandbox-external"

JOURNAL_STUB = '''
"""A stand-in for python-systemd: journal entries go to the file named by AZIMUTH_AUDIT_JOURNAL."""
import json
import os
import sys
import types


def send(**fields):
    with open(os.environ["AZIMUTH_AUDIT_JOURNAL"], "a") as journal:
        journal.write(json.dumps(fields, default=str) + "\\n")


journal = types.ModuleType("systemd.journal")
journal.send = send
journal.sendv = lambda *entries: send(**dict(entry.split("=", 1) for entry in entries))
daemon = types.ModuleType("systemd.daemon")
daemon.booted = lambda: True
systemd = types.ModuleType("systemd")
systemd.journal, systemd.daemon = journal, daemon
sys.modules.update({"systemd": systemd, "systemd.journal": journal, "systemd.daemon": daemon})
'''


class Lab:
    """The secrets of one case and the places to give them: an OpenStack user, Kubernetes credentials, a tenancy."""

    def __init__(self, unique_name, password, kubeconfig_path, credential, os_token):
        self.unique_name = unique_name
        self.names = Names(unique_name)
        self.namespace = "az-" + unique_name
        self.password = password
        self.auth = {"auth_url": AUTH_URL, "username": unique_name, "password": password, "project_name": unique_name,
                     "user_domain_name": "Default", "project_domain_name": "Default"}
        self.cloud = {"auth": self.auth, "region_name": "RegionOne"}
        self.kubeconfig = yaml.safe_load(open(kubeconfig_path))
        user = self.kubeconfig["users"][0]["user"]
        cluster = self.kubeconfig["clusters"][0]["cluster"]
        self.kube_token = user["token"]
        self.kube_host, self.kube_ca = cluster["server"], cluster["certificate-authority"]
        self.credential = dict(credential, auth_url=AUTH_URL)
        self.os_token = os_token

    @property
    def secrets(self):
        return [self.password, self.kube_token, self.credential["application_credential_secret"], self.os_token]

    def tenancy(self, suffix="t", **extra):
        name = "%s-%s" % (self.unique_name, suffix)
        return dict({"id": "id-" + name, "name": name}, **extra)

    def network_options(self):
        options = self.names.options(external_net_template=SANDBOX_EXTERNAL)
        del options["cloud"]
        return options


def task(module, ignore_errors=False, **args):
    entry = {"name": module, module: args}
    if ignore_errors:
        entry["ignore_errors"] = True
    return entry


def role(name, **variables):
    return {"name": name, "ansible.builtin.include_role": {"name": name}, "vars": variables}


# Secrets in the operator's own environment, as KEYCLOAK_ADMIN_PASSWORD is (set only for the caas case's run:
# a task's ``environment`` would be printed by ansible-playbook itself at -vvv).
OPERATOR_SECRETS = ("AZIMUTH_AUDIT_OPERATOR_PASSWORD", "AZIMUTH_AUDIT_OPERATOR_TOKEN")


def caas_root(lab):
    return Path(tempfile.gettempdir()) / "azimuth-audit-caas" / lab.unique_name


def caas_probe(lab):
    """A caas_cluster run of a probe appliance that keeps, while it runs, its environment and ansible-runner's artifacts."""
    root = caas_root(lab)
    (root / "appliance").mkdir(parents=True)
    (root / "runs").mkdir()
    keep = "env > {0}/environment && mkdir {0}/artifacts && cp -r {0}/runs/*/artifacts/. {0}/artifacts/".format(root)
    (root / "appliance" / "site.yml").write_text(yaml.safe_dump([{"name": "Probe", "hosts": "openstack", "gather_facts": False, "tasks": [
        {"name": "Keep the environment and the artifacts", "ansible.builtin.shell": keep, "changed_when": False},
        {"name": "Report", "ansible.builtin.debug": {"var": "outputs"}, "vars": {"outputs": {"probed": True}}}]}]))
    run = task("azimuth.ops.caas_cluster", cloud=lab.cloud, kubernetes={"kubeconfig": lab.kubeconfig}, namespace=lab.namespace,
               name="audit", id="audit-id", type="probe", project_path=str(root / "appliance"), playbook="site.yml",
               tmp_dir=str(root / "runs"), record=True, cluster_extravars={
                   "db_password": lab.credential["application_credential_secret"], "zenith_token": lab.os_token})
    os.environ.update(zip(OPERATOR_SECRETS, (lab.password, lab.kube_token)))
    return [run]


def caas_traces(kube_core, lab):
    """What a caas_cluster case leaves: the Clusters' status, and the appliance's environment and artifacts (removed after)."""
    root = caas_root(lab)
    if not root.exists():
        return {}
    for name in OPERATOR_SECRETS:
        os.environ.pop(name, None)
    from kubernetes import client  # pylint: disable=import-outside-toplevel
    clusters = client.CustomObjectsApi(kube_core.api_client).list_namespaced_custom_object(
        "caas.azimuth.stackhpc.com", "v1alpha1", lab.namespace, "clusters")["items"]
    assert clusters and (root / "environment").exists() and list(root.glob("artifacts/*/command")), "the probe ran"
    texts = {"Cluster.status": json.dumps([cluster.get("status") for cluster in clusters])}
    texts.update(("file " + str(path.relative_to(root)), path.read_text(errors="replace"))
                 for path in root.rglob("*") if path.is_file() and "appliance" not in path.parts)
    shutil.rmtree(root)
    return texts


CASES = {
    "app_credential: a cloud dict and a kubeconfig dict, created then rotated": lambda lab: [
        task("azimuth.ops.app_credential", cloud=lab.cloud, name="portal", secret={"namespace": lab.namespace},
             kubernetes={"kubeconfig": lab.kubeconfig}),
        task("azimuth.ops.app_credential", cloud=lab.cloud, name="portal", secret={"namespace": lab.namespace},
             kubernetes={"kubeconfig": lab.kubeconfig}, roles=["reader"], include_user_info=True),
    ],
    "app_credential: auth, and host with api_key": lambda lab: [
        task("azimuth.ops.app_credential", auth=lab.auth, name="portal", secret={"namespace": lab.namespace},
             kubernetes={"host": lab.kube_host, "api_key": lab.kube_token, "ca_cert": lab.kube_ca}),
        task("azimuth.ops.app_credential", auth=lab.auth, name="portal", secret={"namespace": lab.namespace},
             kubernetes={"host": lab.kube_host, "api_key": lab.kube_token, "ca_cert": lab.kube_ca}, state="absent"),
    ],
    "app_credential: an early failure (an unknown option), before the invocation is logged": lambda lab: [
        task("azimuth.ops.app_credential", ignore_errors=True, cloud=lab.cloud, name="portal", secret={"namespace": lab.namespace},
             kubernetes={"kubeconfig": lab.kubeconfig}, no_such_option=True),
        task("azimuth.ops.project_info", cloud=lab.cloud),
    ],
    "tenancy: a kubeconfig dict and a credential, created then changed": lambda lab: [
        task("azimuth.ops.tenancy", kubeconfig=lab.kubeconfig, tenancies=[lab.tenancy(credential=lab.credential)]),
        task("azimuth.ops.tenancy", kubeconfig=lab.kubeconfig,
             tenancies=[lab.tenancy(credential=dict(lab.credential, region_name="RegionTwo"))]),
    ],
    "tenancy: host with api_key": lambda lab: [
        task("azimuth.ops.tenancy", host=lab.kube_host, api_key=lab.kube_token, ca_cert=lab.kube_ca,
             tenancies=[lab.tenancy(credential=lab.credential)]),
    ],
    "tenancy: a failure in the module (a label Kubernetes would refuse)": lambda lab: [
        task("azimuth.ops.tenancy", ignore_errors=True, kubeconfig=lab.kubeconfig,
             tenancies=[lab.tenancy(credential=lab.credential, labels={"owner": "not a label value"})]),
    ],
    "tenancy_network and project_info: a cloud dict, and auth": lambda lab: [
        dict(task("azimuth.ops.tenancy_network", cloud=lab.cloud), module_defaults={"azimuth.ops.tenancy_network": lab.network_options()}),
        dict(task("azimuth.ops.tenancy_network", auth=lab.auth), module_defaults={"azimuth.ops.tenancy_network": lab.network_options()}),
        task("azimuth.ops.project_info", cloud=lab.cloud),
        task("azimuth.ops.project_info", auth=lab.auth),
    ],
    "project_info: a Keystone token, and an application credential": lambda lab: [
        task("azimuth.ops.project_info", auth_type="v3token", auth={"auth_url": AUTH_URL, "token": lab.os_token,
                                                                    "project_name": lab.unique_name, "project_domain_name": "Default"}),
        task("azimuth.ops.project_info", cloud={"auth_type": "v3applicationcredential", "auth": {
            "auth_url": AUTH_URL, "application_credential_id": lab.credential["application_credential_id"],
            "application_credential_secret": lab.credential["application_credential_secret"]}}),
    ],
    "role tenancies: clouds with passwords, credentials, a kubeconfig dict": lambda lab: [
        role("azimuth.ops.tenancies", tenancies_kubernetes={"kubeconfig": lab.kubeconfig},
             tenancies_list=[lab.tenancy("listed", credential=lab.credential)],
             tenancies_app_credentials=[{"cloud": lab.cloud}]),
    ],
    "tenancy_realm: a client secret per tenancy, generated then rotated, a kubeconfig dict": lambda lab: [
        task("azimuth.ops.tenancy", kubeconfig=lab.kubeconfig, tenancies=[lab.tenancy("idp")]),
        task("azimuth.ops.tenancy_realm", tenancies=[lab.tenancy("idp")], kubernetes={"kubeconfig": lab.kubeconfig},
             azimuth_idp={"issuer": "https://portal.example.org/authproxy/{tenancy_id}", "client_id": "keycloak-oidc"}),
        task("azimuth.ops.tenancy_realm", tenancies=[lab.tenancy("idp")], kubernetes={"kubeconfig": lab.kubeconfig},
             azimuth_idp={"issuer": "https://portal.example.org/authproxy/{tenancy_id}", "client_id": "keycloak-oidc"},
             rotate_client_secrets=True),
    ],
    "caas_cluster: record, secrets in extra variables and in the operator's environment": caas_probe,
    "role tenancy_network: a cloud with a password": lambda lab: [
        role("azimuth.ops.tenancy_network", tenancy_network_tenancies=[{"cloud": lab.cloud}],
             tenancy_network_options=lab.network_options()),
    ],
    # issue 18: each tenancy's own cloud in one call (one refused: its message names no secret), and the operator's
    # connection as a dict with a password
    "tenancy_network clouds and the role's operator connection: passwords in clouds": lambda lab: [
        dict(task("azimuth.ops.tenancy_network", ignore_errors=True, clouds=[
            {"cloud": lab.cloud, "options": {"internal_net_cidr": "10.85.0.0/24"}},
            dict(lab.cloud, auth=dict(lab.auth, password=lab.password + "-refused"))]),
            module_defaults={"azimuth.ops.tenancy_network": lab.network_options()}),
        role("azimuth.ops.tenancy_network", tenancy_network_cloud=lab.cloud, tenancy_network_tenancies=[{"project": lab.unique_name}],
             tenancy_network_options=lab.network_options()),
    ],
    "app_credential credentials and project_info clouds: passwords in clouds, one refused": lambda lab: [
        task("azimuth.ops.project_info", ignore_errors=True, clouds=[lab.cloud, dict(lab.cloud, auth=dict(lab.auth, password=lab.password + "-refused"))]),
        task("azimuth.ops.app_credential", ignore_errors=True, name="portal", kubernetes={"kubeconfig": lab.kubeconfig}, credentials=[
            {"cloud": lab.cloud, "secret": {"namespace": lab.namespace}},
            {"cloud": dict(lab.cloud, auth=dict(lab.auth, password=lab.password + "-refused")), "secret": {"namespace": lab.namespace, "name": "b"}}]),
    ],
}


@pytest.fixture
def lab(openstack_admin, openstack_demo, unique_name, kube_env, kube_core, keycloak):
    """A project with a member user (password), an application credential of that user, a namespace; all removed afterwards."""
    from keystoneauth1 import session
    from keystoneauth1.identity import v3

    cloud = Cloud(openstack_admin, openstack_demo)
    project = cloud.project_with_member(unique_name)
    user = cloud.users[-1]
    password = unique_name + "-pass"
    user_session = session.Session(auth=v3.Password(auth_url=AUTH_URL, username=unique_name, password=password,
                                                    project_id=project.id, user_domain_name="Default"))
    created = user_session.post(AUTH_URL + "/users/%s/application_credentials" % user.id,
                                json={"application_credential": {"name": "operator-made"}}).json()["application_credential"]
    credential = {"application_credential_id": created["id"], "application_credential_secret": created["secret"]}
    kube_core.create_namespace({"metadata": {"name": "az-" + unique_name}})
    yield Lab(unique_name, password, kube_env["KUBECONFIG"], credential, user_session.get_token())
    for leftover in openstack_admin.identity.application_credentials(user.id):
        openstack_admin.identity.delete_application_credential(user.id, leftover.id)
    cloud.clean(Names(unique_name))
    for realm in keycloak.realms():
        if realm.startswith("az-" + unique_name):
            keycloak.delete(realm)


def secrets_in_kubernetes(kube_core, prefix):
    """The secrets the run wrote to Kubernetes: each credential secret and the base64 data of the Secrets holding them."""
    found = []
    for secret in kube_core.list_secret_for_all_namespaces().items:
        if not secret.metadata.namespace.startswith(prefix):
            continue
        for key, value in (secret.data or {}).items():
            found.append(value)
            text = base64.b64decode(value).decode()
            if key == "client-secret":
                found.append(text)
            if key == "clouds.yaml":
                found.append(yaml.safe_load(text)["clouds"]["openstack"]["auth"]["application_credential_secret"])
    return found


def leaks(secrets, texts):
    """(secret, where) for every secret, or its base64, found in ``texts`` (name -> text)."""
    found = []
    for secret in secrets:
        forms = [secret, base64.b64encode(secret.encode()).decode()]
        found.extend((secret, where) for where, text in texts.items() for form in forms if form in text)
    return found


@pytest.mark.parametrize("case", list(CASES))
def test_no_secret_reaches_a_log_or_the_output(case, lab, run_playbook, kube_env, kube_core, tmp_path):
    stub = tmp_path / "stub"
    stub.mkdir()
    (stub / "sitecustomize.py").write_text(textwrap.dedent(JOURNAL_STUB))
    journal, controller_log = tmp_path / "journal.jsonl", tmp_path / "ansible.log"
    env = dict(kube_env, PYTHONPATH=os.pathsep.join(filter(None, [str(stub), os.environ.get("PYTHONPATH")])),
               AZIMUTH_AUDIT_JOURNAL=str(journal), ANSIBLE_LOG_PATH=str(controller_log))
    run = run_playbook([localhost_play(CASES[case](lab))], "-vvv", "--diff", env=env)
    assert run.ok, run.output
    entries = [json.loads(line) for line in journal.read_text().splitlines()] if journal.exists() else []
    assert any(entry["MESSAGE"].startswith("ansible-") and "Invoked with" in entry["MESSAGE"] for entry in entries), \
        "the modules logged nothing to the journal stand-in"
    texts = {"stdout": run.stdout, "stderr": run.stderr, "journal": json.dumps(entries),
             "ANSIBLE_LOG_PATH": controller_log.read_text() if controller_log.exists() else ""}
    texts.update(caas_traces(kube_core, lab))
    secrets = lab.secrets + secrets_in_kubernetes(kube_core, lab.namespace)
    assert not leaks(secrets, texts), "secrets found: %s" % sorted(set(where for _secret, where in leaks(secrets, texts)))
