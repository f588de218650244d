#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: caas_cluster_claim
short_description: Claim a portal's CaaS Cluster for one run, and say what the run must do
version_added: 1.1.0
author: azimuth.ops contributors (@azimuth-cloud)
description:
  - For event-driven runs that answer the portal's C(Cluster) objects (C(caas.azimuth.stackhpc.com/v1alpha1)) as the
    CaaS operator does (the rulebook C(azimuth.ops.caas), the playbook C(azimuth.ops.eda_caas_cluster)), so that a
    cluster has one run at a time however many events arrive.
  - O(state=claimed) takes the cluster's claim, a file in O(directory) naming the C(ansible-playbook) that holds it. When
    another run holds it, this run waits for it (up to O(wait_timeout) seconds) if no other run waits yet, else it
    ends at once (RV(claim=busy)); the run that waits reads the object once it has the claim, so it sees every
    change. A claim whose C(ansible-playbook) has ended (a rulebook stopped mid-run) is free again.
  - With the claim, the module reads the C(Cluster) and returns what is due (RV(due)), as the operator decides it. V(absent)
    when the object is being deleted and holds the finalizer C(azimuth-ops.azimuth-cloud.io/caas); V(present) when its
    status does not show its spec (a new cluster, changed C(spec.extraVars) or C(spec.clusterTypeVersion), a run that
    was stopped before it ended); else none (a C(Ready) or C(Failed) cluster whose variables and type did not change,
    a paused one, one that is gone).
  - The cluster type of a run (RV(cluster_type)) is the operator's. While C(spec.clusterTypeVersion) is the version the
    status caches, it is the cached C(status.clusterTypeSpec), else the C(ClusterType) as it is now.
  - O(state=released) lets the claim go. Release it in an C(always) section, so that a failed run does not keep it
    until its C(ansible-playbook) ends.
attributes:
  check_mode:
    description: Reads the objects and reports what is due, but takes no claim (writes no file).
    support: full
  diff_mode:
    description: Nothing is managed, so there is no diff.
    support: none
options:
  directory:
    description: Where the claims are kept (made, mode 0700, when missing). Every run of a rulebook must use the same one.
    type: path
    required: true
  name:
    description: The C(Cluster)'s name.
    type: str
    required: true
  namespace:
    description: The C(Cluster)'s namespace.
    type: str
    required: true
  state:
    description: V(claimed) takes the claim and reads what is due; V(released) lets the claim go.
    type: str
    default: claimed
    choices: [claimed, released]
  wait_timeout:
    description: Seconds a run waits for the claim while another run holds it (RV(claim=busy) after that).
    type: int
    default: 3600
extends_documentation_fragment:
  - azimuth.ops.kubernetes
notes:
  - Needs C(get) on C(clusters) and C(clustertypes) of C(caas.azimuth.stackhpc.com).
  - The claims are local files, so the runs of one cluster must share a machine (one rulebook process); they need
    Linux's C(/proc) to find the C(ansible-playbook) of a run.
  - Taking or releasing a claim is no change to anything the module manages, so C(changed) is always false.
seealso:
  - module: azimuth.ops.caas_cluster
"""

EXAMPLES = r"""
- name: Claim the cluster of the event
  azimuth.ops.caas_cluster_claim:
    namespace: "{{ ansible_eda.event.namespace }}"
    name: "{{ ansible_eda.event.name }}"
    directory: /var/lib/azimuth-ops/caas-claims
  register: claim

- name: Show what is due
  ansible.builtin.debug:
    msg: "{{ claim.claim }}: {{ claim.due | default('nothing', true) }} with {{ claim.cluster_type.spec.playbook | default('-') }}"

- name: Let the claim go
  azimuth.ops.caas_cluster_claim:
    namespace: "{{ ansible_eda.event.namespace }}"
    name: "{{ ansible_eda.event.name }}"
    directory: /var/lib/azimuth-ops/caas-claims
    state: released
"""

RETURN = r"""
claim:
  description:
    - V(claimed) (this run holds the claim), V(busy) (another run holds it and another waits, or the wait timed out), or
      V(released).
  returned: always
  type: str
  sample: claimed
cluster:
  description: The C(Cluster) as read once the claim was taken (V(null) when it is gone or the claim was not taken).
  returned: always
  type: dict
  sample: {metadata: {name: ws1, namespace: az-demo, uid: 0d7f9a8e-1c2b-4e3d-8f5a-6b7c8d9e0f1a}, spec: {clusterTypeName: workstation}}
cluster_type:
  description: The cluster type the run uses (V(null) when nothing is due, or for a removal of a cluster whose type is gone).
  returned: always
  type: dict
  contains:
    name:
      description: The C(ClusterType)'s name.
      type: str
    version:
      description: Its C(resourceVersion) (the cached one while the C(Cluster) names it).
      type: str
    spec:
      description: Its spec (C(gitUrl), C(gitVersion), C(playbook), C(extraVars), C(envVars), ...).
      type: dict
  sample: {name: workstation, version: "4711", spec: {gitUrl: "https://github.com/azimuth-cloud/caas-workstation.git",
           gitVersion: "0.10.1", playbook: workstation.yml}}
due:
  description: V(present), V(absent), or V(null) when nothing is due (or the claim was not taken).
  returned: always
  type: str
  sample: present
"""

from ansible_collections.azimuth.ops.plugins.module_utils.caas import _caas_answer as answer
from ansible_collections.azimuth.ops.plugins.module_utils.kubernetes import _kubernetes as kube
from ansible_collections.azimuth.ops.plugins.module_utils.caas._caas_cluster import cluster_calls
from ansible_collections.azimuth.ops.plugins.module_utils.common._module import ModuleError, secret_values


class CaasClusterClaimModule(kube.KubernetesModule):
    argument_spec = dict(
        directory=dict(type="path", required=True),
        name=dict(type="str", required=True),
        namespace=dict(type="str", required=True),
        state=dict(type="str", default="claimed", choices=["claimed", "released"]),
        wait_timeout=dict(type="int", default=3600),
    )

    def run(self):
        params = self.params
        result = dict(changed=False, claim="released", cluster=None, cluster_type=None, due=None)
        claim = None
        if not self.check_mode:
            claim = answer.Claim(params["directory"], params["namespace"], params["name"], answer.playbook_pid())
        if params["state"] == "released":
            if claim:
                claim.release()
            return result
        taken = claim.take() if claim else "claimed"
        if taken == "waiting":
            taken = "claimed" if claim.wait(params["wait_timeout"]) else "busy"
        result["claim"] = taken
        if taken != "claimed":
            return result
        try:
            return self.answer(result)
        except Exception:
            if claim:
                claim.release()
            raise

    def answer(self, result):
        clusters, types = cluster_calls(self.api)
        cluster = clusters.read(self.params["namespace"], self.params["name"])
        # the values under secret-looking keys of what is read (extra variables, environments)
        self.secrets.add(*secret_values(cluster))
        due = answer.work_due(cluster)
        result.update(cluster=cluster, due=due)
        if due is not None:
            version, spec = answer.type_in_force(cluster, lambda name: types.read(None, name))
            self.secrets.add(*secret_values(spec))
            name = cluster["spec"].get("clusterTypeName")
            if spec is None and due == "present":
                raise ModuleError("the Cluster %s/%s names the ClusterType %s, which does not exist"
                                  % (self.params["namespace"], self.params["name"], name))
            result["cluster_type"] = dict(name=name, version=version, spec=spec) if spec is not None else None
        return result


def main():
    CaasClusterClaimModule().execute()


if __name__ == "__main__":
    main()
