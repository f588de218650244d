#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: tenancy
short_description: Tenant namespaces and their cloud-credential Secrets in Kubernetes
version_added: 1.0.0
author: azimuth.ops contributors (@azimuth-cloud)
description:
  - Reconciles a list of tenancies in one call. Each tenancy gets the namespace C(az-<sanitised name>)
    (the rule of the P(azimuth.ops.tenancy_namespace#filter) filter), labelled C(tenant.azimuth-cloud.io/id)
    with the sanitised tenancy ID, C(app.kubernetes.io/managed-by=azimuth-ops) and
    C(azimuth-ops.azimuth-cloud.io/portal=<portal>) (O(portal), the portal's identity), and annotated
    C(tenant.azimuth-cloud.io/name) (and C(tenant.azimuth-cloud.io/oidc-group) when O(tenancies[].oidc_group) is set).
  - A namespace labelled with the tenancy's ID is the tenancy's namespace whatever its name, so a
    renamed tenancy keeps its namespace. An unlabelled C(az-<name>) namespace is adopted.
  - The module stops, before writing anything, when two namespaces carry the same tenancy ID, when
    C(az-<name>) is labelled with another tenancy's ID, when a namespace or credential Secret is managed by
    another tool (a different C(app.kubernetes.io/managed-by), for example C(Helm)), when a managed namespace
    belongs to another portal (a different C(azimuth-ops.azimuth-cloud.io/portal)), when two listed tenancies
    map to the same namespace or ID, or when a label or annotation is one Kubernetes would refuse.
  - When another run creates a tenancy's namespace at the same time, the module settles on that namespace.
  - A run that fails part way names the write that failed and what it wrote before, and reports
    C(changed=true) with RV(tenancies) and RV(pruned) as far as it got.
  - With O(tenancies[].credential), the Secret C(default-openstack-credential) in the namespace holds a
    C(clouds.yaml) for that application credential (cloud C(openstack)). Without it, an existing Secret is left alone.
  - One call reads namespaces with one list request (by label selector) and the credential Secrets
    with one more, and writes only what differs, with JSON merge patches that touch only the module's
    own labels and annotations (labels set by other tools are kept).
  - Only namespaces labelled C(app.kubernetes.io/managed-by=azimuth-ops) are ever deleted, and only those of this
    O(portal) unless O(prune_all_portals).
attributes:
  action_group:
    description: Use C(group/azimuth.ops.kubernetes) in C(module_defaults) to set the connection options.
    support: full
    membership:
      - azimuth.ops.kubernetes
  check_mode:
    description:
      - Reads the cluster and predicts every change, writing nothing.
      - The writes it predicts are sent to the API server as dry runs (C(dryRun=All)), so that check mode fails on
        what the server would refuse; a Secret in a namespace still to be created is only predicted.
    support: full
  diff_mode:
    description:
      - Returns the labels, annotations and Secret data of every object that changes, before and after.
      - Secret data are shown parsed with each C(application_credential_secret) replaced by C(********).
    support: full
options:
  portal:
    description:
      - The portal these tenancies belong to, set on each namespace and credential Secret as the label
        C(azimuth-ops.azimuth-cloud.io/portal). O(prune) deletes only namespaces of this portal, and a managed namespace
        of another portal is neither changed nor deleted.
      - Namespaces written before the collection set this label have none. A run that lists their tenancy labels them;
        until then O(prune) leaves them alone (unless O(prune_all_portals)).
    type: str
    default: azimuth
  prune:
    description:
      - Also delete the managed namespaces of this O(portal) (labelled C(app.kubernetes.io/managed-by=azimuth-ops),
        C(azimuth-ops.azimuth-cloud.io/portal=<portal>) and with a tenancy ID) whose tenancy is not in O(tenancies).
      - With O(state=absent) that is every managed namespace of the portal.
      - Without it, no namespace of an unlisted tenancy is touched.
    type: bool
    default: false
  prune_all_portals:
    description:
      - Let O(prune) delete the managed namespaces of unlisted tenancies whatever their portal (those of other portals,
        and those written before the collection labelled its namespaces with their portal), as it did before the
        module had O(portal).
    type: bool
    default: false
  prune_selector:
    description:
      - A label selector (Kubernetes syntax, for example C(portal.example.org/instance=staging)) that narrows
        O(prune) further, to the managed namespaces of this O(portal) it matches; the others are never pruned.
      - Costs one more list request when O(prune) is true.
    type: str
  state:
    description:
      - V(present) creates or updates the namespaces (and Secrets) of the listed tenancies.
      - V(absent) deletes the namespaces of the listed tenancies, found by their ID label, when they are
        managed by the collection; others are left alone with a warning.
    type: str
    default: present
    choices: [absent, present]
  tenancies:
    description: The tenancies.
    type: list
    elements: dict
    required: true
    suboptions:
      annotations:
        description:
          - More annotations for the namespace. A value of V(null) removes that annotation.
          - Annotations not named here are left alone. C(tenant.azimuth-cloud.io/name) and
            C(tenant.azimuth-cloud.io/oidc-group) are set by the module and cannot be given.
        type: dict
      credential:
        description:
          - An application credential the operator created for the tenancy's project. The module writes it to
            the Secret C(default-openstack-credential), labelled C(credential.azimuth-cloud.io/provider=openstack),
            whose only key C(clouds.yaml) has the cloud C(openstack).
          - To let the collection create and rotate the credential instead, use M(azimuth.ops.app_credential).
        type: dict
        suboptions:
          application_credential_id:
            description: The application credential's ID.
            type: str
            required: true
          application_credential_secret:
            description: The application credential's secret. Never printed; masked in diffs.
            type: str
            required: true
          auth_url:
            description: The Keystone URL, for example C(https://keystone.example.org:5000/v3).
            type: str
            required: true
          interface:
            description: The endpoint interface in C(clouds.yaml).
            type: str
            default: public
            choices: [admin, internal, public]
          region_name:
            description: The region in C(clouds.yaml); left out when not given.
            type: str
          verify:
            description: C(verify) in C(clouds.yaml) (whether clients check TLS certificates); left out when not given.
            type: bool
      id:
        description:
          - The tenancy ID (the OpenStack project ID). Its sanitised form is the C(tenant.azimuth-cloud.io/id) label.
        type: str
        required: true
      labels:
        description:
          - More labels for the namespace. A value of V(null) removes that label.
          - Labels not named here are left alone. C(tenant.azimuth-cloud.io/id) and C(app.kubernetes.io/managed-by)
            are set by the module and cannot be given.
        type: dict
      name:
        description:
          - The tenancy name. It names the namespace (C(az-) and the name sanitised) and the
            C(tenant.azimuth-cloud.io/name) annotation.
          - A name without ASCII letters or digits is an error.
        type: str
        required: true
      oidc_group:
        description:
          - The OIDC group of the tenancy, as the annotation C(tenant.azimuth-cloud.io/oidc-group).
          - When not given, that annotation is removed.
        type: str
extends_documentation_fragment:
  - azimuth.ops.kubernetes
notes:
  - Needs C(list) on namespaces and on secrets in all namespaces, C(get) on namespaces, and
    C(create), C(patch) and C(delete) on namespaces and secrets.
  - A run over many tenancies costs one list request per kind when nothing changes, plus one read
    per tenancy that has no namespace yet and one write per object that changes.
  - Tenancies go to Kubernetes in one task; no Ansible loop is needed (or wanted).
seealso:
  - module: azimuth.ops.app_credential
  - plugin: azimuth.ops.tenancy_namespace
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Create the namespaces of two tenancies, one with a credential Secret
  azimuth.ops.tenancy:
    tenancies:
      - id: 6b2f0c1e9a7d4f0e8c3b5a1d2e4f6a7b
        name: physics
        oidc_group: /physics
      - id: 0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a
        name: chemistry
        credential:
          auth_url: https://keystone.example.org:5000/v3
          application_credential_id: "{{ chemistry_credential_id }}"
          application_credential_secret: "{{ chemistry_credential_secret }}"
          region_name: RegionOne

- name: Change a tenancy (renamed; labels added); its namespace stays where it is
  azimuth.ops.tenancy:
    tenancies:
      - id: 6b2f0c1e9a7d4f0e8c3b5a1d2e4f6a7b
        name: physics-and-astronomy
        labels:
          example.org/cost-centre: "4711"

- name: Keep exactly these tenancies, deleting the namespaces of this portal's other tenancies
  azimuth.ops.tenancy:
    tenancies: "{{ portal_tenancies }}"
    prune: true

- name: The staging portal's tenancies; other portals' namespaces are left alone
  azimuth.ops.tenancy:
    portal: staging
    tenancies:
      - id: 6b2f0c1e9a7d4f0e8c3b5a1d2e4f6a7b
        name: physics
    prune: true

- name: Prune every managed namespace of an unlisted tenancy in the cluster, whatever its portal (as before portals)
  azimuth.ops.tenancy:
    tenancies: "{{ portal_tenancies }}"
    prune: true
    prune_all_portals: true

- name: Remove a tenancy's namespace
  azimuth.ops.tenancy:
    tenancies:
      - id: 0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a
        name: chemistry
    state: absent

- name: Set the Kubernetes connection once for the collection's Kubernetes modules
  module_defaults:
    group/azimuth.ops.kubernetes:
      kubeconfig: /etc/azimuth/kubeconfig
      context: management
  block:
    - name: Ensure the tenancies
      azimuth.ops.tenancy:
        tenancies: "{{ portal_tenancies }}"
"""

RETURN = r"""
diff:
  description:
    - In diff mode, the objects that change, before and after (V(null) where the object does not exist).
    - Secret data are parsed and every C(application_credential_secret) is C(********) (C(******** (changed)) after a change).
  returned: when diff mode is on
  type: dict
  contains:
    before:
      description: C(namespaces) (name -> labels and annotations) and C(secrets) (namespace/name -> labels, annotations, masked data).
      type: dict
    after:
      description: The same, after the change.
      type: dict
  sample:
    before:
      namespaces:
        az-physics: null
      secrets: {}
    after:
      namespaces:
        az-physics:
          labels:
            tenant.azimuth-cloud.io/id: 6b2f0c1e9a7d4f0e8c3b5a1d2e4f6a7b
            app.kubernetes.io/managed-by: azimuth-ops
          annotations:
            tenant.azimuth-cloud.io/name: physics
      secrets: {}
pruned:
  description: The namespaces deleted by O(prune), with the tenancy ID label they carried.
  returned: always
  type: list
  elements: dict
  sample: [{namespace: az-old-project, id: 9f8e7d6c5b4a39281706f5e4d3c2b1a0}]
tenancies:
  description: One result per listed tenancy, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    changed:
      description: Whether the tenancy's namespace or Secret changed (or would change in check mode).
      type: bool
    created:
      description: Whether the namespace was created.
      type: bool
    deleted:
      description: Whether the namespace was deleted (O(state=absent)).
      type: bool
    id:
      description: The tenancy ID.
      type: str
    name:
      description: The tenancy name.
      type: str
    namespace:
      description: The tenancy's namespace (its existing namespace when one is labelled with its ID).
      type: str
  sample:
    - {id: 6b2f0c1e9a7d4f0e8c3b5a1d2e4f6a7b, name: physics, namespace: az-physics, changed: true, created: true, deleted: false}
totals:
  description: How many tenancies were created, updated, deleted, left unchanged, and how many namespaces were pruned.
  returned: always
  type: dict
  contains:
    created:
      description: Namespaces created.
      type: int
    deleted:
      description: Namespaces deleted for listed tenancies (O(state=absent)).
      type: int
    pruned:
      description: Namespaces deleted by O(prune).
      type: int
    tenancies:
      description: Tenancies listed.
      type: int
    unchanged:
      description: Tenancies with nothing to change.
      type: int
    updated:
      description: Tenancies whose existing namespace or Secret changed.
      type: int
  sample: {tenancies: 2, created: 1, updated: 0, deleted: 0, unchanged: 1, pruned: 0}
"""

from ansible_collections.azimuth.ops.plugins.module_utils.kubernetes._kubernetes import CoreCalls, KubernetesModule, describe_error
from ansible_collections.azimuth.ops.plugins.module_utils.common._naming import DEFAULT_PORTAL
from ansible_collections.azimuth.ops.plugins.module_utils.kubernetes._tenancy import Reconciler, register_secrets

CREDENTIAL_OPTIONS = dict(
    application_credential_id=dict(type="str", required=True),
    application_credential_secret=dict(type="str", required=True, no_log=True),
    auth_url=dict(type="str", required=True),
    interface=dict(type="str", default="public", choices=["admin", "internal", "public"]),
    region_name=dict(type="str"),
    verify=dict(type="bool"),
)

TENANCY_OPTIONS = dict(
    annotations=dict(type="dict"),
    credential=dict(type="dict", options=CREDENTIAL_OPTIONS),
    id=dict(type="str", required=True),
    labels=dict(type="dict"),
    name=dict(type="str", required=True),
    oidc_group=dict(type="str"),
)


class TenancyModule(KubernetesModule):
    argument_spec = dict(
        portal=dict(type="str", default=DEFAULT_PORTAL),
        prune=dict(type="bool", default=False),
        prune_all_portals=dict(type="bool", default=False),
        prune_selector=dict(type="str"),
        state=dict(type="str", default="present", choices=["absent", "present"]),
        tenancies=dict(type="list", elements="dict", required=True, options=TENANCY_OPTIONS),
    )

    def run(self):
        params = self.params
        register_secrets(self.secrets, params["tenancies"])
        self.job = Reconciler(CoreCalls(self.api, dry_run=self.check_mode), describe_error)
        outcome = self.job.run(params["tenancies"], params["state"], params["prune"], self.check_mode, params["prune_selector"],
                               params["portal"], params["prune_all_portals"])
        return dict(changed=bool(outcome["actions"]), tenancies=outcome["results"], pruned=outcome["pruned"], totals=outcome["totals"],
                    diff=outcome["diff"])


def main():
    TenancyModule().execute()


if __name__ == "__main__":
    main()
