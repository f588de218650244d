# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One run of azimuth.ops.caas_cluster: a CaaS appliance run for a cluster, as azimuth-caas-operator does it.

The run's credential is the application credential ``az-caas-<name>`` of the connection's user,
kept by the shared application-credential code (``_app_credential``) in the Secret
``<name>-caas-credential`` of the tenancy's namespace, as Azimuth keeps it.  The appliance gets
it as the cloud ``openstack`` of a ``clouds.yaml`` (``OS_CLOUD=openstack``).  Where no credential
exists and none may be made (check mode, or ``state: absent`` after the credential went), the
appliance gets a token of the connection instead, scoped to the same project.

The deploy key is the cluster's own, kept in the Secret ``<name>-deploy-key`` (``_caas_deploy_key``).

With ``record``, the run is recorded on the ``Cluster`` object (``caas.azimuth.stackhpc.com/v1alpha1``)
of the same name in that namespace as the CaaS operator records it: the spec names the
``ClusterType`` and its ``resourceVersion``; the status gets the phase and the applied extra
variables when the run starts, the outputs and the error when it ends, and a copy of the type's
spec.  The portal shows that status to the tenancy, so every secret the run knows is masked in it first.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import hashlib
import json
import os
import sys

from ansible_collections.azimuth.ops.plugins.module_utils.caas import _caas_answer as answer
from ansible_collections.azimuth.ops.plugins.module_utils.caas import _caas_run as caas_run
from ansible_collections.azimuth.ops.plugins.module_utils.kubernetes import _cloud_credential as cc
from ansible_collections.azimuth.ops.plugins.module_utils.kubernetes import _kubernetes as kube
from ansible_collections.azimuth.ops.plugins.module_utils.openstack._app_credential import AppCredential
from ansible_collections.azimuth.ops.plugins.module_utils.caas._caas_deploy_key import DeployKey
from ansible_collections.azimuth.ops.plugins.module_utils.common._module import ModuleError, Secrets

GROUP, VERSION, PLURAL = "caas.azimuth.stackhpc.com", "v1alpha1", "clusters"
TYPE_PLURAL = "clustertypes"
CLUSTER_LABEL = "caas.azimuth.stackhpc.com/cluster-name"
# The CaaS operator's messages for a failed run (its reason follows).
FAILURE_MESSAGES = dict(
    Creating="Failed to create platform. To retry please click patch.",
    Configuring="Failed to update the platform. To retry please click patch.",
    Deleting="Failure when trying to delete platform.",
)


def credential_name(name):
    return "az-caas-%s" % name


def credential_secret_name(name):
    return "%s-caas-credential" % name


def now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def token_cloud(conn):
    """A ``clouds.yaml`` (text) with a token of the connection, scoped to its project."""
    access = conn.session.auth.get_access(conn.session)
    cloud = dict(auth_type="v3token", auth=dict(auth_url=conn.config.get_auth_args().get("auth_url"),
                                                token=conn.session.get_token(), project_id=access.project_id),
                 interface=conn.config.get_interface() or "public", identity_api_version=3)
    if conn.config.get_region_name():
        cloud["region_name"] = conn.config.get_region_name()
    verify, _cert = conn.config.get_requests_verify_args()
    if verify is False:
        cloud["verify"] = False
    return cc.dump_yaml({"clouds": {cc.CLOUD_NAME: cloud}}), cloud["auth"]["token"]


def galaxy_command(python_bin):
    """The ansible-galaxy beside the Python that runs the module, else the one on the search path."""
    beside = os.path.join(python_bin, "ansible-galaxy")
    return beside if os.path.exists(beside) else "ansible-galaxy"


def cloud_with_cacert(clouds_text, has_cacert, run_dir_path):
    """The stored ``clouds.yaml`` pointing at the CA file beside it in the run directory, when there is one."""
    if not has_cacert:
        return clouds_text
    clouds = cc.load_yaml(clouds_text)
    clouds["clouds"][cc.CLOUD_NAME]["cacert"] = os.path.join(run_dir_path, "cacert")
    return cc.dump_yaml(clouds)


def cluster_calls(api):
    """The calls for the ``Cluster`` objects and for the (cluster-scoped, namespace None) ``ClusterType`` objects."""
    return kube.CustomCalls(api, GROUP, VERSION, PLURAL), kube.CustomCalls(api, GROUP, VERSION, TYPE_PLURAL)


def stand_in_type_version(params, mask):
    """A version for a cluster type that has no ClusterType object: a digest of what the module knows of the type.

    It changes when the playbook, the type's extra variables or its environment change (secrets masked
    first, so the digest reveals nothing of them).
    """
    known = mask(dict(playbook=params["playbook"], extraVars=params["type_extravars"] or {}, envVars=params["envvars"] or {}))
    return "azimuth-ops-" + hashlib.sha256(json.dumps(known, sort_keys=True).encode()).hexdigest()[:16]


class ClusterRecord:
    """The ``Cluster`` object a run is recorded on (nothing is written in check mode); ``mask`` hides secrets in its status.

    As the CaaS operator: ``spec.clusterTypeVersion`` is the ClusterType's ``resourceVersion``; when it
    differs from the one in the status, the status caches the type's spec (``clusterTypeSpec``) and
    version, with ``patchedTimestamp`` when an earlier version is replaced.  The phase is
    ``Creating`` for a new cluster (or one whose creation never ended), else ``Configuring``, written
    with the applied extra variables when the run starts; then ``Ready`` or ``Failed``.
    """

    def __init__(self, clusters, types, params, check_mode, mask):
        self.clusters, self.types = clusters, types
        self.namespace = params["namespace"]
        self.params = params
        self.check_mode = check_mode
        self.mask = mask
        self.current = clusters.read(self.namespace, params["name"])
        self.written = False
        self.type_version = self.type_spec = None
        self.warning = None
        self.answer = params.get("answer")
        if self.answer and self.current is None:
            raise ModuleError("the Cluster %s/%s does not exist: with answer, the module answers the portal's object"
                              % (self.namespace, params["name"]))

    def find_type(self):
        """The ClusterType's version and spec; a stand-in version (and a warning) when there is no such object.

        When the run answers the Cluster, the type in force as the operator resolves it (read before the run)."""
        if self.answer:
            self.type_version, self.type_spec = self.params["answer_type"]
            return
        cluster_type = self.types.read(None, self.params["type"])
        if cluster_type is None:
            self.type_version = stand_in_type_version(self.params, self.mask)
            self.warning = ("there is no ClusterType %s (%s/%s): the Cluster records the stand-in clusterTypeVersion %s; "
                            "a real Azimuth's portal and CaaS operator need the ClusterType"
                            % (self.params["type"], GROUP, VERSION, self.type_version))
        else:
            self.type_version = cluster_type["metadata"]["resourceVersion"]
            self.type_spec = cluster_type.get("spec")

    def desired_spec(self):
        return dict(clusterTypeName=self.params["type"], clusterTypeVersion=self.type_version,
                    cloudCredentialsSecretName=self.params.get("cloud_credentials_secret") or credential_secret_name(self.params["name"]),
                    extraVars=self.params["cluster_extravars"] or {}, extraVarOverrides=self.params["extravar_overrides"] or {})

    def phase(self):
        """The phase of the run about to start: Creating until a creation ended, then Configuring."""
        return "Creating" if self.current is None or self.status().get("phase") in (None, "Creating") else "Configuring"

    def ensure(self):
        """Create the Cluster, or bring its spec to the run's."""
        self.find_type()
        spec = self.desired_spec()
        if self.check_mode:  # predict, write nothing
            self.written = self.written or self.current is None or any(
                self.current.get("spec", {}).get(key) != value for key, value in spec.items())
            return
        if self.current is None:
            self.current = self.clusters.create(self.namespace, dict(
                apiVersion="%s/%s" % (GROUP, VERSION), kind="Cluster",
                metadata=dict(name=self.params["name"], namespace=self.namespace, labels={CLUSTER_LABEL: self.params["name"]}),
                spec=spec))
            self.written = True
        else:
            operations = [dict(op="add", path="/spec/" + key, value=value)
                          for key, value in spec.items() if self.current.get("spec", {}).get(key) != value]
            if self.answer:  # the portal's object: only on the version read, so that a change meanwhile is never undone
                # the rest of the spec is the object's own; only the type's version may differ (the operator writes it back)
                operations = [op for op in operations if op["path"] == "/spec/clusterTypeVersion"]
                if answer.FINALIZER not in answer.finalizers(self.current):
                    operations.append(dict(op="add", path="/metadata/finalizers", value=answer.finalizers(self.current) + [answer.FINALIZER]))
                if operations:
                    operations.insert(0, dict(op="test", path="/metadata/resourceVersion", value=self.current["metadata"]["resourceVersion"]))
            if operations:
                self.current = self.clusters.json_patch(self.namespace, self.params["name"], operations)
                self.written = True

    def status(self):
        return (self.current or {}).get("status") or {}

    def applied_extravars(self):
        """The cluster's layer of extra variables as the status records it (secrets masked)."""
        return self.mask(self.params["cluster_extravars"] or {})

    def type_changes(self):
        """The status fields that cache the cluster type, when its version is not the cached one."""
        cached = self.status().get("clusterTypeVersion")
        if cached == self.type_version:
            return {}
        return dict(clusterTypeVersion=self.type_version, clusterTypeSpec=self.type_spec, patchedTimestamp=now() if cached else None)

    def start(self, phase):
        """Record the start of a run, unless the cluster is Ready and neither its variables nor its type changed."""
        changes = self.type_changes()
        status = self.status()
        if changes or status.get("phase") != "Ready" or status.get("appliedExtraVars") != self.applied_extravars():
            changes.update(phase=phase, clusterID=self.params["id"], appliedExtraVars=self.applied_extravars(), error=None)
            self.set_status(**changes)

    def finish(self, phase, outputs, error=None):
        """Record the end of a run: its phase, its outputs when it had any (older ones stay otherwise), its error.

        Not predicted in check mode: the end of a checked run says little about that of a real one."""
        if self.check_mode:
            return
        changes = dict(phase=phase, error=error)
        if outputs:
            changes["outputs"] = outputs
        self.set_status(**changes)

    def set_status(self, **changes):
        """Merge ``changes``, secrets masked, into the status; written only when something differs (None removes a field)."""
        if self.current is None:
            return
        changes = self.mask(changes)
        if all(self.status().get(key) == value for key, value in changes.items()):
            return
        if self.check_mode:  # predict, write nothing
            self.written = True
            return
        changes["updatedTimestamp"] = now()
        self.current = self.clusters.patch_status(self.namespace, self.params["name"], changes)
        self.written = True

    def let_go(self):
        """Take the collection's finalizer off the Cluster (being deleted), so that it goes."""
        if self.current is None or answer.FINALIZER not in answer.finalizers(self.current):
            return
        self.written = True
        if not self.check_mode:
            kept = [item for item in answer.finalizers(self.current) if item != answer.FINALIZER]
            # only on the version read: a change meanwhile fails the write
            operations = [dict(op="test", path="/metadata/resourceVersion", value=self.current["metadata"]["resourceVersion"]),
                          dict(op="add", path="/metadata/finalizers", value=kept)]
            self.current = self.clusters.json_patch(self.namespace, self.params["name"], operations)

    def delete(self):
        if self.current is not None and not self.check_mode:
            self.clusters.delete(self.namespace, self.params["name"], self.current["metadata"].get("uid"))
            self.written = True


class CaasCluster:
    """One run of the module; ``conn`` is an openstacksdk connection, ``api`` a Kubernetes ApiClient."""

    def __init__(self, conn, api, params, check_mode, describe_error, secrets=None):
        """``secrets``: the run's ``Secrets`` (the module's, with the secrets of its options); the run registers
        what it sees there, and the Cluster's status is masked with it."""
        self.conn = conn
        self.api = api
        self.params = params
        self.check_mode = check_mode
        self.describe_error = describe_error
        self.kube = kube.CoreCalls(api)
        self.secrets = Secrets() if secrets is None else secrets
        self.warnings = []
        self.mask = self.secrets.mask

    def validate(self):
        project = self.params["project_path"]
        if not os.path.isdir(project):
            raise ModuleError("project_path %s does not exist or is not a directory" % project)
        if not os.path.isfile(os.path.join(project, self.params["playbook"])):
            raise ModuleError("the appliance in %s has no playbook %s" % (project, self.params["playbook"]))
        if caas_run.RUNNER_IMPORT_ERROR:
            raise ModuleError("ansible-runner is needed to run the appliance: install it beside the modules' Python")

    # --- the credential ----------------------------------------------------------------------

    def credential(self, state):
        """Ensure (or remove) the run's application credential with the shared code; its result.

        When the run answers a Cluster, the credential is the portal's, in the Secret the Cluster names: nothing is made,
        and a removal deletes it as the operator does."""
        if self.params.get("answer"):
            return self.portal_credential(state)
        params = dict(
            name=credential_name(self.params["name"]), description="Azimuth CaaS cluster %s" % self.params["name"],
            roles=None, unrestricted=self.params["unrestricted_credential"], expires_at=None, include_user_info=True,
            include_cacert=True, verify=False, state=state,
            secret=dict(namespace=self.params["namespace"], name=credential_secret_name(self.params["name"]),
                        labels={CLUSTER_LABEL: self.params["name"]}, annotations=None),
        )
        return AppCredential(self.conn, self.kube, params, self.check_mode, kube.retry_on_conflict, self.describe_error,
                             self.secrets).run()

    def portal_credential(self, state):
        """The portal's credential: kept for a run; deleted after a removal (the application credential ``az-caas-<name>``,
        failures ignored as the operator ignores them, then the Secret, unless another tool manages it)."""
        name = self.params["cloud_credentials_secret"]
        credential_id = (self.params["cloud"].get("auth") or {}).get("application_credential_id")
        if state == "present":
            return dict(changed=False, credential=dict(id=credential_id))
        secret = self.kube.read_secret(self.params["namespace"], name)
        manager = cc.manager_of(secret) if secret else None
        if secret is not None and manager not in (None, cc.MANAGED_BY, answer.PORTAL):
            self.warnings.append("the Secret %s/%s is managed by %s, not by the portal: left alone" % (self.params["namespace"], name, manager))
            return dict(changed=False, credential=None)
        # the one Secret writer's rule (Opaque, not being deleted), checked before anything is deleted, in check mode too
        writer = cc.CredentialSecret(self.params["namespace"], name, {}, adopt_from=answer.PORTAL)
        planned = cc.plan_delete(writer, secret) if secret is not None else None
        if self.check_mode:
            return dict(changed=secret is not None, credential=None)
        try:
            user_id = self.conn.session.auth.get_access(self.conn.session).user_id
            found = self.conn.identity.find_application_credential(user_id, credential_name(self.params["name"]))
            if found is not None:
                self.conn.identity.delete_application_credential(user_id, found.id)
        except Exception as exc:  # pylint: disable=broad-exception-caught  # as the operator: the removal stands
            self.warnings.append("could not delete the application credential %s: %s" % (credential_name(self.params["name"]), self.describe_error(exc)))
        if planned:
            cc.carry_out(self.kube, planned)
        return dict(changed=secret is not None, credential=None)

    def stored_cloud(self):
        """(clouds.yaml text, cacert) of the credential Secret, or None when it holds no credential."""
        secret = self.kube.read_secret(self.params["namespace"], credential_secret_name(self.params["name"]))
        data = cc.decode_data(secret) if secret else {}
        credential_id, credential_secret = cc.stored_credential(data.get(cc.CLOUDS_KEY))
        if not credential_id or not credential_secret:
            return None
        self.secrets.add(credential_secret, held_in=data.values())
        return data[cc.CLOUDS_KEY], data.get("cacert")

    def run_cloud(self):
        """The cloud for the appliance: the portal's (when the run answers a Cluster), the stored credential, else a token of
        the connection."""
        if self.params.get("answer"):
            return self.params["answer_cloud"]
        stored = self.stored_cloud()
        if stored is not None:
            return stored
        text, token = token_cloud(self.conn)
        self.secrets.add(token)
        return text, None

    # --- the appliance -----------------------------------------------------------------------

    def deploy_key(self):
        """The cluster's DeployKey, read and checked (another tool's Secret is refused here, before anything runs);
        None when the options give a key."""
        if self.params["deploy_ssh_public_key"] and self.params["ssh_private_key_file"]:
            return None
        key = DeployKey(self.kube, self.params["namespace"], self.params["name"], self.check_mode, adopt=self.params["adopt"],
                        labels={CLUSTER_LABEL: self.params["name"]}, secrets=self.secrets)
        key.read()
        return key

    def run_appliance(self, cloud, key_pair=None):
        """Run the appliance; ``key_pair`` is the cluster's (public key, private key text), None when the options give one."""
        clouds_yaml, cacert = cloud
        project = self.params["project_path"]
        with caas_run.RunDirectory(self.params["tmp_dir"]) as run_dir:
            params = dict(self.params)
            if key_pair:
                params["deploy_ssh_public_key"] = key_pair[0]
                params["ssh_private_key_file"] = run_dir.write(os.path.join("ssh", "id_ed25519"), key_pair[1])
            extravars = caas_run.merge_extravars(params)
            envvars = self.params["envvars"] or {}
            inventory = None if "ANSIBLE_INVENTORY" in envvars else caas_run.default_inventory()
            run_dir.write_inputs(extravars, cloud_with_cacert(clouds_yaml, bool(cacert), run_dir.path), cacert, inventory)
            python_bin = os.path.dirname(sys.executable)
            env = caas_run.appliance_environment(os.environ, envvars, run_dir.path, python_bin, project)
            env = caas_run.with_run_search_paths(env, run_dir.path, project)
            caas_run.install_requirements(project, env, self.params["timeout"], galaxy_command(python_bin))
            run = caas_run.run_appliance(run_dir, project, self.params["playbook"], env, self.params["timeout"],
                                         self.check_mode, inventory is not None)
        events = run.pop("events")
        run.update(outputs=caas_run.outputs_from_events(events), failure=caas_run.failure_from_events(events),
                   changed=caas_run.changed_from_events(events))
        return run

    @staticmethod
    def failure_reason(run):
        if run["stopped"]:
            return run["stopped"]
        if run["failure"]:
            return caas_run.describe_failure(run["failure"])
        return "ansible-playbook ended with status %s (rc %s)%s" % (run["status"], run["rc"], ": " + run["error_line"] if run["error_line"] else "")

    # --- the run -----------------------------------------------------------------------------

    def run(self):
        self.validate()
        key = self.deploy_key()
        record = None
        if self.params["record"]:
            record = ClusterRecord(*cluster_calls(self.api), self.params, self.check_mode, self.mask)
        if self.params["state"] == "absent":
            return self.absent(record, key)
        return self.present(record, key)

    def key_pair(self, key, make):
        """The cluster's key pair from its Secret (made when ``make`` and missing, else a throwaway one for the run)."""
        if key is None:
            return None
        return key.ensure() if make or key.secret is not None else key.throwaway()

    def present(self, record, key):
        key_pair = self.key_pair(key, make=True)
        credential = self.credential("present")
        phase = "Creating"
        if record:
            phase = record.phase()
            record.ensure()
            if record.warning:
                self.warnings.append(record.warning)
            record.start(phase)
        run = self.run_appliance(self.run_cloud(), key_pair)
        result = self.result(run, credential, record, key)
        if run["status"] != "successful":
            reason = self.failure_reason(run)
            if record and run["status"] == "stopped" and self.params.get("answer"):
                # the rulebook was stopped, not the appliance refused: the phase stays, so the next run does the work
                record.set_status(error="%s; it runs again when the Cluster is next answered" % reason)
            elif record:
                record.finish("Failed", run["outputs"], error="%s Possible reason for the failure was: %s" % (FAILURE_MESSAGES[phase], reason))
            raise ModuleError("The appliance %s failed for cluster %s: %s" % (self.params["playbook"], self.params["name"], reason),
                              **self.failure_details(result, record))
        if record:
            record.finish("Ready", run["outputs"])
        result["changed"] = result["changed"] or bool(record and record.written)
        result["phase"] = "Ready"
        return result

    def absent(self, record, key):
        if record:
            record.set_status(phase="Deleting", error=None)
        run = self.run_appliance(self.run_cloud(), self.key_pair(key, make=False))
        if run["status"] != "successful":
            reason = self.failure_reason(run)
            if record:
                record.set_status(error="%s Possible reason for the failure was: %s" % (FAILURE_MESSAGES["Deleting"], reason))
            raise ModuleError("The appliance %s failed to remove cluster %s: %s" % (self.params["playbook"], self.params["name"], reason),
                              **self.failure_details(self.result(run, None, record, None), record))
        credential = self.credential("absent")
        removed_key = bool(key and key.remove())
        if record and self.params.get("answer"):
            record.let_go()
        elif record:
            record.delete()
        result = self.result(run, credential, record, None)
        result.update(outputs={}, phase=None, changed=result["changed"] or removed_key)
        return result

    def result(self, run, credential, record, key):
        credential_changed = bool(credential and credential["changed"])
        return dict(
            changed=bool(run["changed"] or credential_changed or (record and record.written) or (key and key.changed)),
            outputs=run["outputs"], status=run["status"],
            credential=dict(name=credential_name(self.params["name"]), changed=credential_changed,
                            id=((credential or {}).get("credential") or {}).get("id"),
                            secret=dict(namespace=self.params["namespace"],
                                        name=self.params.get("cloud_credentials_secret") or credential_secret_name(self.params["name"]))),
        )

    @staticmethod
    def failure_details(result, record):
        """What a failed run returns beside ``msg``: ``changed`` counts the failure written on the Cluster too."""
        details = dict(result)
        details["changed"] = bool(result["changed"] or (record and record.written))
        return details
