#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: caas_cluster
short_description: Run a Cluster-as-a-Service appliance for a cluster, as the CaaS operator does
version_added: 1.0.0
author: azimuth.ops contributors (@azimuth-cloud)
description:
  - Runs the playbook O(playbook) of a checked-out appliance (O(project_path)) with ansible-runner for the
    cluster O(name), the way azimuth-caas-operator runs it in a Kubernetes Job.
  - The extra variables are four layers, each winning over the one before it, O(global_extravars),
    O(type_extravars), O(cluster_extravars) and O(extravar_overrides). After them come the fixed
    C(cluster_name), C(cluster_id), C(cluster_type), C(cluster_deploy_ssh_public_key),
    C(cluster_ssh_private_key_file) and C(cluster_state) (O(state)), which win over every layer.
  - The run's OpenStack credential is the application credential C(az-caas-<name>) of the connection's user in
    its project, kept in the Secret C(<name>-caas-credential) in O(namespace) by the same code as
    M(azimuth.ops.app_credential). The appliance gets it as the cloud C(openstack) of a C(clouds.yaml), with
    C(OS_CLOUD=openstack) and C(OS_CLIENT_CONFIG_FILE).
  - The appliance's environment is O(envvars), the run's own variables, what the operator sets (C(ANSIBLE_CONFIG) to the
    project's C(ansible.cfg) when it has one, C(ANSIBLE_SSH_RETRIES=10); O(envvars) win over both), and of the caller's
    environment only
    C(PATH), C(HOME), C(USER), C(LOGNAME), C(SHELL), C(LANG), C(LANGUAGE), C(LC_*), C(TZ), C(TMPDIR), C(TERM),
    C(SSL_CERT_FILE), C(SSL_CERT_DIR), C(REQUESTS_CA_BUNDLE), C(ANSIBLE_COLLECTIONS_PATH), C(ANSIBLE_COLLECTIONS_PATHS),
    C(ANSIBLE_ROLES_PATH), C(ANSIBLE_HOME), C(ANSIBLE_LOCAL_TEMP) and C(ANSIBLE_REMOTE_TEMP). Nothing else of the
    caller's (its C(OS_*) credentials, an admin password) reaches the appliance or ansible-runner's artifacts; give
    what the appliance needs (C(TF_CLI_CONFIG_FILE), say) in O(envvars).
  - Each run happens in a private directory (mode 0700) holding the extra variables, the C(clouds.yaml), the
    inventory and ansible-runner's artifacts. The directory is deleted after the run, so no secret stays on disk.
  - Before the run, as the operator does, the appliance's C(requirements.yml) (else C(roles/requirements.yml)) is
    installed with C(ansible-galaxy install -r) into the run's private directory, which the run then searches first
    (C(ANSIBLE_COLLECTIONS_PATH), C(ANSIBLE_ROLES_PATH); then the caller's, or the project's C(ansible.cfg), or
    Ansible's defaults). What is already installed there is skipped and a local source (C(type=dir)) needs no network,
    so a machine without Galaxy can run appliances whose requirements are local or preinstalled. When
    C(ansible-galaxy) fails, the run fails, naming the requirements and giving Galaxy's error.
  - The deploy key (C(cluster_deploy_ssh_public_key), C(cluster_ssh_private_key_file)) is the cluster's own, as the
    operator keeps it. An ed25519 key pair is made once and kept in the Secret C(<name>-deploy-key) in O(namespace)
    (keys C(id_ed25519.pub) and C(id_ed25519), label C(app.kubernetes.io/managed-by=azimuth-ops)); every later run
    uses the same key and O(state=absent) deletes the Secret with the cluster. A Secret of that name that another tool
    made is refused before anything runs, naming the tool, unless O(adopt) (for the CaaS operator's). The private key
    is never shown; it is written for the run to a file in its private directory.
  - The inventory is that of the operator, C(localhost) in the group C(openstack), using the Python that runs this
    module, unless O(envvars) sets C(ANSIBLE_INVENTORY).
  - O(state=absent) runs the appliance with C(cluster_state=absent) and, when that succeeded, deletes the
    credential and its Secret (and the C(Cluster) object with O(record)).
  - The appliance's outputs are read from the run's events, from the last C(debug) task whose result has a dict
    C(outputs). When the run fails, the message names the failed task and gives its message, or says it is
    hidden when the task was C(no_log).
  - With O(record), the run is recorded on the C(Cluster) object (C(caas.azimuth.stackhpc.com/v1alpha1)) called
    O(name) in O(namespace), as the CaaS operator records it. The module creates the object when it is missing and
    keeps its spec in step; C(spec.clusterTypeVersion) (required by the operator's CRD) is the C(metadata.resourceVersion)
    of the C(ClusterType) O(type), as the portal writes it. When there is no such C(ClusterType) the module warns and
    writes a stand-in version (C(azimuth-ops-) and a digest of O(playbook), O(type_extravars) and O(envvars)).
  - With O(answer), the module answers the portal's C(Cluster) object called O(name) in O(namespace) as the CaaS operator
    does (the rulebook C(azimuth.ops.caas) runs it so). The object gives the rest, read when the module starts. C(id) is
    its C(status.clusterID), else its C(metadata.uid); C(type) is its C(spec.clusterTypeName); C(cluster_extravars) and
    C(extravar_overrides) are its C(spec.extraVars) and C(spec.extraVarOverrides). The cluster type in force (the copy
    cached in its status while C(spec.clusterTypeVersion) is the cached version, else the C(ClusterType)) gives
    C(playbook), C(type_extravars), C(envvars) and C(timeout) (its C(jobTimeout), default 1200). The OpenStack credential
    is the portal's, the cloud C(openstack) of the C(clouds.yaml) (and C(cacert)) in the Secret named by
    C(spec.cloudCredentialsSecretName); the connection options are not used and no credential is made.
  - With O(answer), the run is recorded (O(record)) and the object is held with the finalizer
    C(azimuth-ops.azimuth-cloud.io/caas), added with the first run's spec update. The spec is only ever written on the
    version the module read, so a change the portal makes meanwhile fails the write rather than being undone. Once the
    object is being deleted, the run is a removal (C(cluster_state=absent)) whatever O(state) says; when it succeeds, the
    application credential C(az-caas-<name>) is deleted (a failure only warns, as the operator ignores it), then the
    credential Secret (unless another tool than the portal manages it) and the deploy key, and the finalizer is taken off,
    so that the object goes. Nothing is run (RV(status=skipped)) when nothing is due. That is, the object is gone or is
    being deleted without the finalizer, is paused, or is C(Ready) or C(Failed) with the variables and type version of
    its spec. A run stopped by SIGINT or SIGTERM (a rulebook stopped) keeps the phase and records the reason in
    C(error), so that the next run does the work.
  - The status is written through the C(status) subresource, in the operator's order. When the run starts, the phase
    (C(Creating) until a creation ended, else C(Configuring)), C(clusterID) (O(id)) and C(appliedExtraVars)
    (O(cluster_extravars)), and C(error) is cleared; when the type's version is not the one the status holds,
    C(clusterTypeVersion), C(clusterTypeSpec) (the C(ClusterType)'s spec) and, replacing an earlier version,
    C(patchedTimestamp). When it ends, C(Ready), or C(Failed) with C(error); C(outputs) when the run had any (a failed
    run's too; older outputs stay otherwise). O(state=absent) records C(Deleting), and keeps it with C(error) when the
    removal fails. Every write sets C(updatedTimestamp). A Ready cluster whose variables and type did not change gets no
    start record, so that a run that changes nothing writes nothing.
    Every secret the run knows (the credential's secret or the run's token, the passwords and tokens of the
    connection options, the values of extra variables under keys that name secrets) is replaced by C(********) there.
  - When O(timeout) passes, or the module gets SIGINT or SIGTERM, the run's whole process tree is stopped. The
    appliance's C(ansible-playbook) is asked to stop (SIGTERM, passed on to its tasks and, by M(azimuth.ops.opentofu),
    to the engine, which saves its state and releases its lock), every process of the run gets 90 seconds to end,
    and what is left is killed. The run fails with RV(status=timeout) or RV(status=stopped), recorded as C(Failed).
attributes:
  action_group:
    description: Use C(group/azimuth.ops.openstack) in C(module_defaults) to set the OpenStack connection options.
    support: full
    membership:
      - azimuth.ops.openstack
  check_mode:
    description:
      - Runs the appliance in check mode (C(ansible-playbook --check)), so that its OpenTofu step only plans.
        Writes no credential, Secret or C(Cluster) object.
      - When the credential does not exist yet, the appliance gets a token of the connection instead.
    support: full
  diff_mode:
    description: Not supported. The appliance's own tasks report their changes.
    support: none
options:
  answer:
    description:
      - Answer the portal's C(Cluster) O(name) in O(namespace) as the CaaS operator does (see above); implies O(record).
      - O(id), O(type), O(playbook), O(type_extravars), O(cluster_extravars), O(extravar_overrides), O(envvars), O(timeout)
        and O(state) then come from the object and its cluster type, and the OpenStack connection from its credential Secret.
    type: bool
    default: false
    version_added: 1.1.0
  adopt:
    description:
      - Take over the deploy-key Secret C(<name>-deploy-key) that azimuth-caas-operator made for the cluster (label
        C(azimuth-caas-cluster)), keeping its key, so that the cluster's machines stay reachable after a migration.
        The Secret is relabelled as the collection's and the annotation C(azimuth-ops.azimuth-cloud.io/adopted-from)
        records the takeover. Secrets of other tools are refused either way.
    type: bool
    default: false
  cluster_extravars:
    description: The cluster's extra variables (a C(Cluster)'s C(spec.extraVars)); win over O(type_extravars).
    type: dict
    default: {}
  deploy_ssh_public_key:
    description:
      - The public key the appliance deploys to its machines (C(cluster_deploy_ssh_public_key)).
      - With O(ssh_private_key_file); both win over the cluster's own key (see above), whose Secret is then neither
        made nor read.
    type: str
  envvars:
    description: Environment variables for the appliance (a C(ClusterType)'s C(envVars)).
    type: dict
    default: {}
  extravar_overrides:
    description: Extra variables that win over every other layer (a C(Cluster)'s C(spec.extraVarOverrides)).
    type: dict
    default: {}
  global_extravars:
    description: Extra variables for every appliance run (the operator's global extra variables); the lowest layer.
    type: dict
    default: {}
  id:
    description: The cluster's ID (C(cluster_id)); a C(Cluster) object's C(metadata.uid) in Azimuth. Required unless O(answer).
    type: str
  name:
    description: The cluster's name (C(cluster_name)).
    type: str
    required: true
  namespace:
    description: The tenancy's namespace, which holds the credential Secret (and the C(Cluster) object). It must exist.
    type: str
    required: true
  playbook:
    description: The appliance's playbook, relative to O(project_path). Required unless O(answer).
    type: str
  project_path:
    description:
      - The checked-out appliance. Its playbook runs with this directory as the project (the current directory).
      - The collections and roles the appliance needs are those of its C(requirements.yml) (installed for each run,
        see above), or installed where the module's C(ansible-playbook) finds them.
    type: path
    required: true
  record:
    description: Record the run on the C(Cluster) object called O(name) in O(namespace).
    type: bool
    default: false
  ssh_private_key_file:
    description: The private key of O(deploy_ssh_public_key) (C(cluster_ssh_private_key_file)).
    type: path
  state:
    description:
      - V(present) creates or updates the cluster.
      - V(absent) runs the appliance with C(cluster_state=absent), then deletes the credential.
    type: str
    default: present
    choices: [absent, present]
  timeout:
    description:
      - Seconds the appliance may run before it is stopped (with its whole process tree, see above) and the run fails.
      - Installing its requirements has a limit of its own of the same length.
    type: int
    default: 3600
  tmp_dir:
    description: The directory in which each run makes its private directory. Defaults to the system's temporary directory.
    type: path
  type:
    description: The cluster type's name (C(cluster_type)), a C(ClusterType)'s name in Azimuth. Required unless O(answer).
    type: str
  type_extravars:
    description: The cluster type's extra variables (a C(ClusterType)'s C(spec.extraVars)); win over O(global_extravars).
    type: dict
    default: {}
  unrestricted_credential:
    description:
      - Make the credential unrestricted, so that the appliance may create application credentials and trusts
        itself. Azimuth does this for every CaaS cluster; keep it V(false) unless the appliance needs it.
      - A change means a new credential.
    type: bool
    default: false
extends_documentation_fragment:
  - azimuth.ops.openstack
  - azimuth.ops.kubernetes.connection
requirements:
  - ansible-runner >= 2.3
  - kubernetes >= 24.2
notes:
  - The extra variables, O(envvars) and their values are not shown in the invocation. Values under keys that name
    secrets (C(password), C(secret), C(token)) are masked in all output.
  - Needs, in Kubernetes, C(get), C(create), C(patch) and C(delete) on Secrets in O(namespace), and with O(record) on
    C(clusters) and C(clusters/status) of C(caas.azimuth.stackhpc.com), and C(get) on its C(clustertypes).
  - With O(answer), give the cloud no connection options; the Secret's C(clouds.yaml) is the connection.
  - C(changed) is true when the appliance changed something (its play recap), or the credential, its Secret, the
    deploy key's Secret or the C(Cluster) object was written.
seealso:
  - module: azimuth.ops.app_credential
  - module: azimuth.ops.opentofu
  - name: CaaS appliances and OpenTofu
    description: The role azimuth.ops.cluster_infra for appliance authors, and an example appliance.
    link: https://github.com/azimuth-cloud/azimuth-ops-collection/blob/main/docs/caas.md
"""

EXAMPLES = r"""
- name: Create a workstation for a tenancy
  azimuth.ops.caas_cluster:
    cloud: demo
    namespace: az-demo
    project_path: /srv/appliances/caas-workstation
    playbook: workstation.yml
    name: ws1
    id: 6f1c4c2e-2f4b-4c4e-9a53-3f1e8a7e2d10
    type: workstation
    global_extravars:
      terraform_backend_config:
        namespace: az-demo
    type_extravars:
      cluster_image: 0c2a3c9e-5f5b-4d2a-8c1e-7f6a5b4c3d2e
    cluster_extravars:
      cluster_flavor: m1.small
    record: true
  register: ws1

- name: Show its outputs
  ansible.builtin.debug:
    var: ws1.outputs

- name: Change a variable (the appliance runs again)
  azimuth.ops.caas_cluster:
    cloud: demo
    namespace: az-demo
    project_path: /srv/appliances/caas-workstation
    playbook: workstation.yml
    name: ws1
    id: 6f1c4c2e-2f4b-4c4e-9a53-3f1e8a7e2d10
    type: workstation
    cluster_extravars:
      cluster_flavor: m1.medium
    record: true

- name: Delete it (the appliance runs with cluster_state=absent, then the credential goes)
  azimuth.ops.caas_cluster:
    cloud: demo
    namespace: az-demo
    project_path: /srv/appliances/caas-workstation
    playbook: workstation.yml
    name: ws1
    id: 6f1c4c2e-2f4b-4c4e-9a53-3f1e8a7e2d10
    type: workstation
    record: true
    state: absent

- name: Answer the portal's Cluster az-demo/ws1 (the rulebook azimuth.ops.caas does this for each event)
  azimuth.ops.caas_cluster:
    namespace: az-demo
    name: ws1
    project_path: /srv/checkouts/ws1   # the ClusterType's gitUrl at its gitVersion
    answer: true

- name: Set the OpenStack connection once
  module_defaults:
    group/azimuth.ops.openstack:
      cloud: demo
  block:
    - name: Create a cluster
      azimuth.ops.caas_cluster:
        namespace: az-demo
        project_path: /srv/appliances/caas-workstation
        playbook: workstation.yml
        name: ws2
        id: 0d7f9a8e-1c2b-4e3d-8f5a-6b7c8d9e0f1a
        type: workstation
"""

RETURN = r"""
credential:
  description: The run's application credential (without its secret) and the Secret that holds it.
  returned: always (V(null) when the run was skipped)
  type: dict
  contains:
    changed:
      description: Whether the credential or its Secret was (or would be) created, rotated or deleted.
      type: bool
    id:
      description: The credential's ID (V(null) after O(state=absent), and in check mode before it exists).
      type: str
    name:
      description: Its name, C(az-caas-<name>).
      type: str
    secret:
      description: The Secret's namespace and name.
      type: dict
  sample:
    name: az-caas-ws1
    id: 3be8be35db4c4328b72d019372c8f523
    changed: false
    secret: {namespace: az-demo, name: ws1-caas-credential}
outputs:
  description: The appliance's outputs (the C(outputs) of its last C(debug) task that had them); empty after O(state=absent).
  returned: always
  type: dict
  sample: {cluster_access_ip: 172.24.4.20}
phase:
  description: The cluster's phase after a successful run (C(Ready)), V(null) after O(state=absent).
  returned: success
  type: str
  sample: Ready
status:
  description:
    - The status of the appliance run, C(successful) or C(failed) (ansible-runner's), C(timeout) when O(timeout) stopped it,
      or C(stopped) when a SIGINT or SIGTERM to the module did; C(skipped) when, with O(answer), nothing was due.
  returned: always
  type: str
  sample: successful
"""

import os

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.azimuth.ops.plugins.module_utils.kubernetes import _kubernetes as kube
from ansible_collections.azimuth.ops.plugins.module_utils.openstack import _openstack as openstack
from ansible_collections.azimuth.ops.plugins.module_utils.caas import _caas_answer as answer
from ansible_collections.azimuth.ops.plugins.module_utils.caas._caas_cluster import CaasCluster, cluster_calls
from ansible_collections.azimuth.ops.plugins.module_utils.caas._caas_run import RUNNER_IMPORT_ERROR
from ansible_collections.azimuth.ops.plugins.module_utils.common._hidden_options import HiddenOptions
from ansible_collections.azimuth.ops.plugins.module_utils.common._module import secret_values

EXTRAVAR_LAYERS = ("global_extravars", "type_extravars", "cluster_extravars", "extravar_overrides")


class CaasClusterModule(kube.KubernetesConnection, HiddenOptions, openstack.OpenStackModule):
    argument_spec = dict(
        adopt=dict(type="bool", default=False),
        answer=dict(type="bool", default=False),
        cluster_extravars=dict(type="dict", default={}, no_log=True),
        deploy_ssh_public_key=dict(type="str"),
        envvars=dict(type="dict", default={}, no_log=True),
        extravar_overrides=dict(type="dict", default={}, no_log=True),
        global_extravars=dict(type="dict", default={}, no_log=True),
        id=dict(type="str"),
        name=dict(type="str", required=True),
        namespace=dict(type="str", required=True),
        playbook=dict(type="str"),
        project_path=dict(type="path", required=True),
        record=dict(type="bool", default=False),
        ssh_private_key_file=dict(type="path", no_log=False),
        state=dict(type="str", default="present", choices=["absent", "present"]),
        timeout=dict(type="int", default=3600),
        tmp_dir=dict(type="path"),
        type=dict(type="str"),
        type_extravars=dict(type="dict", default={}, no_log=True),
        unrestricted_credential=dict(type="bool", default=False),
    )
    module_kwargs = dict(required_together=[("deploy_ssh_public_key", "ssh_private_key_file")],
                         required_if=[("answer", False, ("id", "type", "playbook"))])
    secret_carriers = tuple((name,) for name in EXTRAVAR_LAYERS + ("envvars",))
    hidden_options = EXTRAVAR_LAYERS + ("envvars",)

    def __init__(self):
        super(CaasClusterModule, self).__init__()
        self.unmask_hidden_options()
        if RUNNER_IMPORT_ERROR:
            self.module.fail_json(msg=missing_required_lib("ansible-runner"), exception=RUNNER_IMPORT_ERROR)

    def execute(self):
        """With ``answer``, the options the Cluster gives first (its credential is the connection); else as any module."""
        if self.params["answer"] and not self.guarded(self.take_answered_options):
            self.module.exit_json(changed=False, status="skipped", outputs={}, credential=None, **self.invocation())
        super(CaasClusterModule, self).execute()

    def invocation(self):
        """The invocation, without what ``answer`` read (the type's spec, the credential's clouds.yaml)."""
        result = super(CaasClusterModule, self).invocation()
        for name in ("answer_type", "answer_cloud"):
            result["invocation"]["module_args"].pop(name, None)
        return result

    def take_answered_options(self):
        """Read the Cluster, its type in force and its credential into the options; False when nothing is due."""
        api = self.kubernetes_api()
        clusters, types = cluster_calls(api)
        cluster = clusters.read(self.params["namespace"], self.params["name"])
        if answer.work_due(cluster) is None:
            return False
        options = answer.answered_options(cluster, *answer.type_in_force(cluster, lambda name: types.read(None, name)))
        secret = kube.CoreCalls(api).read_secret(self.params["namespace"], options["cloud_credentials_secret"])
        cloud, clouds_yaml, cacert = answer.credential_cloud(secret, "%s/%s" % (self.params["namespace"], options["cloud_credentials_secret"]))
        self.secrets.add(*secret_values(cloud), short=True)
        if cacert:
            cloud["cacert"] = os.path.join(self.module.tmpdir, "cacert")
            with open(cloud["cacert"], "w") as handle:
                handle.write(cacert)
        # the Secret's cloud alone: no clouds.yaml file or OS_* variable of the caller's mixes into it
        connection = dict(cloud, load_yaml_config=False, load_envvars=False)
        self.params.update(
            record=True, cloud=connection, auth=None, answer_type=(options.pop("type_version"), options.pop("type_spec")),
            answer_cloud=(clouds_yaml, cacert), **options)
        return True

    def run(self):
        # the extra variables and environment, also those ``answer`` took from the Cluster
        self.secrets.add(*set().union(*(secret_values(self.params[name]) for name in self.hidden_options)), short=True)
        self.job = CaasCluster(self.conn, self.kubernetes_api(), self.params, self.check_mode, self.describe, self.secrets)
        result = self.job.run()
        result.update(self.invocation())
        return result


def main():
    CaasClusterModule().execute()


if __name__ == "__main__":
    main()
