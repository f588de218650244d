"""Read back from the sandbox's servers what the provisioning run with a configuration made.

Usage: verify.py CONFIG.yml. Exits non-zero, naming every difference, when a server does not
hold what the configuration asks for. Reads Kubernetes, Keystone/Neutron and Keycloak directly
with their official clients, never the run's own output.
"""

import base64
import hashlib
import hmac
import os
import re
import sys

import openstack
import yaml
from kubernetes import client, config
from keycloak import KeycloakAdmin

ACL_KEYS = ("allow-list", "deny-list", "allow-regex", "deny-regex")
ACL_PREFIX = "acl.azimuth.stackhpc.com/"
LIFETIME = "scheduling.azimuth.stackhpc.com/max-lifetime-hours"
KINDS = {"ClusterTemplate": ("azimuth.stackhpc.com", "clustertemplates"),
         "AppTemplate": ("azimuth.stackhpc.com", "apptemplates"),
         "ClusterType": ("caas.azimuth.stackhpc.com", "clustertypes")}


def namespace_name(name):
    return "az-" + re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


class Verifier:
    def __init__(self, settings):
        self.settings = settings
        self.problems = []
        self.api = config.new_client_from_config(config_file=os.environ["KUBECONFIG"])

    def expect(self, condition, problem):
        if not condition:
            self.problems.append(problem)

    def tenancies(self):
        """(id, name) of every tenancy, with those given by cloud looked up in Keystone."""
        found = []
        for tenancy in self.settings["azimuth_tenancies"]:
            if "cloud" in tenancy:
                with openstack.connect(cloud=tenancy["cloud"]) as conn:
                    project = conn.identity.get_project(conn.current_project_id)
                found.append((project.id, project.name, tenancy["cloud"]))
            else:
                found.append((tenancy["id"], tenancy["name"], None))
        return found

    def namespaces(self, tenancies):
        core = client.CoreV1Api(self.api)
        for tenancy_id, name, cloud in tenancies:
            namespace = core.read_namespace(namespace_name(name))
            labels = namespace.metadata.labels or {}
            self.expect(labels.get("tenant.azimuth-cloud.io/id") == tenancy_id, f"{namespace_name(name)}: ID label")
            self.expect(labels.get("app.kubernetes.io/managed-by") == "azimuth-ops", f"{namespace_name(name)}: managed-by")
            if cloud:
                self.credential_authenticates(core, namespace_name(name))

    def credential_authenticates(self, core, namespace):
        """The credential Secret's clouds.yaml gets a token from Keystone."""
        secret = core.read_namespaced_secret("default-openstack-credential", namespace)
        clouds = yaml.safe_load(base64.b64decode(secret.data["clouds.yaml"]))["clouds"]["openstack"]
        with openstack.connect(auth_type=clouds["auth_type"], auth=clouds["auth"],
                               region_name=clouds.get("region_name")) as conn:
            self.expect(bool(conn.authorize()), f"{namespace}: the credential does not authenticate")

    def networks(self, tenancies):
        for _, name, cloud in tenancies:
            if not cloud:
                continue
            with openstack.connect(cloud=cloud) as conn:
                tagged = [n for n in conn.network.networks(tags="portal-internal")
                          if n.project_id == conn.current_project_id]
                self.expect(len(tagged) == 1, f"{name}: {len(tagged)} networks tagged portal-internal")

    def platform_types(self):
        custom = client.CustomObjectsApi(self.api)
        selector = ",".join(f"{k}={v}" for k, v in self.settings.get("platform_types_labels", {}).items())
        objects = {}
        for kind, (group, plural) in KINDS.items():
            for item in custom.list_cluster_custom_object(group, "v1alpha1", plural, label_selector=selector)["items"]:
                objects[(kind, item["metadata"]["name"])] = item
        self.expect(any(kind == "ClusterTemplate" for kind, _ in objects), "no ClusterTemplates")
        for (kind, name), item in objects.items():
            annotations = item["metadata"].get("annotations") or {}
            missing = [key for key in ACL_KEYS if ACL_PREFIX + key not in annotations]
            self.expect(not missing, f"{kind} {name}: no ACL annotations {missing}")
            if kind == "ClusterTemplate" and not item["spec"].get("deprecated"):
                self.expect(annotations.get(ACL_PREFIX + "allow-regex") ==
                            self.settings["azimuth_capi_operator_cluster_template_tenancy_allow_regex"],
                            f"ClusterTemplate {name}: allow-regex")
            if kind != "AppTemplate":
                self.expect(annotations.get(LIFETIME) == str(self.settings["azimuth_max_platform_lifetime_hours"]),
                            f"{kind} {name}: {LIFETIME}")
        self.acl(objects, "AppTemplate", "jupyterhub", "deny-regex",
                 self.settings["azimuth_capi_operator_app_templates_jupyterhub_tenancy_deny_regex"])
        self.acl(objects, "ClusterType", "slurm", "allow-list",
                 ",".join(self.settings["azimuth_caas_stackhpc_slurm_appliance_tenancy_allow_list"]))
        for name in ("workstation", "workstation-ssh"):
            self.acl(objects, "ClusterType", name, "deny-list",
                     ",".join(self.settings["azimuth_caas_workstation_tenancy_deny_list"]))

    def acl(self, objects, kind, name, key, expected):
        item = objects.get((kind, name))
        self.expect(item is not None, f"{kind} {name}: missing")
        if item is not None:
            actual = (item["metadata"].get("annotations") or {}).get(ACL_PREFIX + key)
            self.expect(actual == expected, f"{kind} {name}: {key} is {actual!r}, not {expected!r}")

    def realms(self, tenancies):
        admin = KeycloakAdmin(server_url=os.environ["KEYCLOAK_URL"], username=os.environ["KEYCLOAK_ADMIN_USER"],
                              password=os.environ["KEYCLOAK_ADMIN_PASSWORD"], realm_name="master")
        realms = {realm["realm"]: realm for realm in admin.get_realms()}
        for _, name, _ in tenancies:
            self.expect(namespace_name(name) in realms, f"realm {namespace_name(name)} missing")
            if namespace_name(name) in realms:
                self.idp_secret(admin, namespace_name(name))
        if self.settings.get("azimuth_authentication_type") == "oidc":
            users_realm = self.settings.get("azimuth_users_realm", "azimuth-users")
            self.expect(users_realm in realms, f"users realm {users_realm} missing")


    def idp_secret(self, admin, realm):
        """The tenancy's client secret, in its namespace's Secret, is the one its identity provider's digest was made from."""
        core = client.CoreV1Api(self.api)
        secret = core.read_namespaced_secret("azimuth-idp-client", realm)
        value = base64.b64decode(secret.data["client-secret"])
        admin.change_current_realm(realm)
        stored = admin.get_idp("azimuth")["config"].get("azimuth-ops.client-secret-digest", "")
        admin.change_current_realm("master")
        _, salt, mac = (stored.split(":") + ["", "", ""])[:3]
        self.expect(len(value) >= 80 and hmac.compare_digest(hmac.new(salt.encode(), value, hashlib.sha256).hexdigest(), mac),
                    f"{realm}: the identity provider's secret is not the one in its Secret azimuth-idp-client")


def main(config_file):
    with open(config_file, encoding="utf-8") as stream:
        verifier = Verifier(yaml.safe_load(stream))
    tenancies = verifier.tenancies()
    verifier.namespaces(tenancies)
    verifier.networks(tenancies)
    verifier.platform_types()
    verifier.realms(tenancies)
    for problem in verifier.problems:
        print(problem)
    print(f"checked {len(tenancies)} tenancies: {len(verifier.problems)} problems")
    return 1 if verifier.problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
