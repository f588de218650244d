"""What the role scenarios' verify.py share: the sandbox's servers through their official clients.

A scenario's verify.py defines ``verify(settings, check)``, which reads the servers back and
calls ``check.expect(condition, problem)``, and ``clean(settings)``, which removes what the
scenario made and returns a description of each object removed; ``run(verify, clean)`` is its
main. ``settings`` is the scenario's vars/scenario.yml, the one its converge.yml reads too.
"""

import os
import re
import sys
import time
from pathlib import Path

import openstack
import yaml
from keycloak import KeycloakAdmin
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

ACL_PREFIX = "acl.azimuth.stackhpc.com/"
PLATFORM_KINDS = {"ClusterTemplate": ("azimuth.stackhpc.com", "clustertemplates"),
                  "AppTemplate": ("azimuth.stackhpc.com", "apptemplates"),
                  "ClusterType": ("caas.azimuth.stackhpc.com", "clustertypes")}


def namespace_name(tenancy_name):
    """A tenancy's namespace (and realm) name, as azimuth.ops.tenancy_namespace gives it."""
    return "az-" + re.sub(r"[^a-z0-9]+", "-", tenancy_name.lower()).strip("-")


def kube():
    return config.new_client_from_config(config_file=os.environ["KUBECONFIG"])


def keycloak():
    return KeycloakAdmin(server_url=os.environ["KEYCLOAK_URL"], username=os.environ["KEYCLOAK_ADMIN_USER"],
                         password=os.environ["KEYCLOAK_ADMIN_PASSWORD"], realm_name="master")


def cloud(name):
    return openstack.connect(cloud=name)


class Check:
    def __init__(self):
        self.problems = []
        self.checked = 0

    def expect(self, condition, problem):
        self.checked += 1
        if not condition:
            self.problems.append(problem)


def platform_objects(api, selector):
    """{(kind, name): object} of the platform types carrying the label selector."""
    custom = client.CustomObjectsApi(api)
    found = {}
    for kind, (group, plural) in PLATFORM_KINDS.items():
        for item in custom.list_cluster_custom_object(group, "v1alpha1", plural, label_selector=selector)["items"]:
            found[(kind, item["metadata"]["name"])] = item
    return found


def selector(labels):
    return ",".join(f"{key}={value}" for key, value in labels.items())


def delete_platform_objects(api, labels):
    custom = client.CustomObjectsApi(api)
    removed = []
    for (kind, name) in platform_objects(api, selector(labels)):
        group, plural = PLATFORM_KINDS[kind]
        custom.delete_cluster_custom_object(group, "v1alpha1", plural, name)
        removed.append(f"{kind} {name}")
    return removed


def delete_namespaces(api, names, timeout=120):
    """Deletes the namespaces and waits until they are gone (a new one of the same name would fail meanwhile)."""
    core = client.CoreV1Api(api)
    removed = []
    for name in names:
        try:
            core.delete_namespace(name)
            removed.append(f"namespace {name}")
        except ApiException as error:
            if error.status != 404:
                raise
    deadline = time.monotonic() + timeout
    for name in names:
        while _exists(lambda: core.read_namespace(name)):
            if time.monotonic() > deadline:
                raise RuntimeError(f"namespace {name} still there after {timeout} s")
            time.sleep(1)
    return removed


def _exists(read):
    try:
        read()
        return True
    except ApiException as error:
        if error.status == 404:
            return False
        raise


def delete_realms(admin, names):
    existing = {realm["realm"] for realm in admin.get_realms()}
    removed = []
    for name in names:
        if name in existing:
            admin.delete_realm(name)
            removed.append(f"realm {name}")
    return removed


def scenario_settings():
    directory = Path(os.environ.get("MOLECULE_SCENARIO_DIRECTORY") or Path(sys.argv[0]).resolve().parent)
    with open(directory / "vars" / "scenario.yml", encoding="utf-8") as stream:
        return yaml.safe_load(stream)


def run(verify, clean):
    """verify.py's main: ``verify.py verify`` or ``verify.py clean``."""
    action = sys.argv[1] if len(sys.argv) > 1 else "verify"
    settings = scenario_settings()
    if action == "clean":
        for what in clean(settings):
            print(f"removed {what}")
        return 0
    check = Check()
    verify(settings, check)
    for problem in check.problems:
        print(problem)
    print(f"{check.checked} checks: {len(check.problems)} problems")
    return 1 if check.problems or not check.checked else 0
