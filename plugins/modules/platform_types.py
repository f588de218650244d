#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: platform_types
short_description: The portal's platform types (ClusterTemplates, AppTemplates, ClusterTypes) in Kubernetes
version_added: 1.0.0
author: azimuth.ops contributors (@azimuth-cloud)
description:
  - Reconciles a list of platform types in one call. C(ClusterTemplate) and C(AppTemplate) are
    C(azimuth.stackhpc.com/v1alpha1), C(ClusterType) is C(caas.azimuth.stackhpc.com/v1alpha1); all are
    cluster-scoped. Each gets the labels C(app.kubernetes.io/managed-by=azimuth-ops) and
    C(azimuth-ops.azimuth-cloud.io/portal=<portal>) (O(portal)), the portal's identity.
  - One list request per kind, then only the writes that differ. Changes are JSON merge patches of what
    the module owns, which is what it applied last time (recorded, as C(kubectl apply) does, in the annotation
    C(azimuth-ops.azimuth-cloud.io/last-applied)). Labels, annotations and spec fields set by others are kept;
    a field the module set before and is no longer given is removed.
  - An existing object without the managed-by label (for example one azimuth-ops applied with C(kubectl apply))
    is not the module's. Without O(adopt), a listed one is refused, before anything is written, naming it and
    what made it (C(azimuth-ops) when it carries C(kubectl apply)'s annotation, else C(unknown)); an unlisted one
    of the O(deprecate_kinds) (that O(deprecate_selector) matches) is left as it is and reported by a warning,
    since the portal may still offer it. With O(adopt), each is taken over, see O(adopt).
  - One labelled as managed by another tool (Helm, say), or managed by the collection for another portal, is an
    error, reported before anything is written, with or without O(adopt).
  - Objects dropped from the list are never deleted (platforms may still use them). With O(deprecate_missing),
    each object of the O(deprecate_kinds) labelled C(app.kubernetes.io/managed-by=azimuth-ops) and with this
    O(portal) that is not listed is taken out of the catalog. A ClusterTemplate gets O(deprecated_annotations) (the
    current ACL annotations of cluster templates) and C(spec.deprecated=true), as azimuth-ops does; a listed
    ClusterTemplate gets C(spec.deprecated=false) unless its spec says otherwise. The AppTemplate and ClusterType
    CRDs have no C(deprecated) field, so an AppTemplate or ClusterType gets the ACL that denies every tenancy
    (C(acl.azimuth.stackhpc.com/deny-regex=.*), the other three empty), so that Azimuth offers it to no tenancy,
    while platforms made from it can still be deleted (Azimuth's CaaS delete skips the ACL). Listed again, it gets
    its ACL back.
  - Every allow-regex and deny-regex annotation is searched, with a time bound, in strings built to make a pattern
    backtrack; one that backtracks catastrophically is refused before anything is written, as Azimuth, which searches
    it without a time limit, would hang listing platform types.
  - Writes ask the API server for strict field validation, so a misspelt spec field is an error naming the
    object and the field rather than a field silently dropped.
attributes:
  action_group:
    description: Use C(group/azimuth.ops.kubernetes) in C(module_defaults) to set the connection options.
    support: full
    membership:
      - azimuth.ops.kubernetes
  check_mode:
    description:
      - Reads the cluster and predicts every change, writing nothing.
      - The writes it predicts are sent to the API server as dry runs (C(dryRun=All)), so that a spec that the CRD's
        schema or strict field validation refuses fails check mode as it would fail a real run.
    support: full
  diff_mode:
    description: Returns the labels, annotations and spec of every object that changes, before and after.
    support: full
options:
  adopt:
    description:
      - Take over the objects without the C(app.kubernetes.io/managed-by) label (made by azimuth-ops, by hand or by an
        unknown tool). A listed one gets the module's labels and is brought in line with its entry; one of the
        O(deprecate_kinds) that is not listed (and that O(deprecate_selector) matches) gets the module's labels and is
        taken out of the catalog as the module's own objects are (a ClusterTemplate deprecated with
        O(deprecated_annotations), an AppTemplate or ClusterType given the ACL that denies every tenancy).
      - Each takeover is recorded once in the annotation C(azimuth-ops.azimuth-cloud.io/adopted), a JSON object with
        the time (C(at), UTC), what made the object (C(from), C(azimuth-ops) or C(unknown)), its
        C(acl.azimuth.stackhpc.com/*) annotations and C(spec.deprecated) before, and the C(resourceVersion) taken over.
      - On a cluster shared by several portals every unlabelled object in scope is taken over by this O(portal);
        narrow it with O(deprecate_selector).
      - Objects labelled as managed by another tool are refused even so.
    type: bool
    default: false
  deprecate_all_portals:
    description:
      - Deprecate managed objects that are not listed whatever their portal, those of other portals and those written
        before the collection labelled its objects with their portal, as this module did before it had O(portal).
      - By default only objects labelled C(azimuth-ops.azimuth-cloud.io/portal=<portal>) are deprecated.
    type: bool
    default: false
  deprecate_kinds:
    description:
      - The kinds whose unlisted objects O(deprecate_missing) takes out of the catalog. Leave out a kind whose CRD is
        not installed (the P(azimuth.ops.platform_catalog#lookup) lookup's C(kinds) are those the configuration manages).
    type: list
    elements: str
    choices: [AppTemplate, ClusterTemplate, ClusterType]
    default: [AppTemplate, ClusterTemplate, ClusterType]
  deprecate_missing:
    description:
      - Take the managed objects of this O(portal) and of the O(deprecate_kinds) that are not listed out of the catalog
        (see the description).
      - Only with O(state=present).
    type: bool
    default: true
  deprecate_selector:
    description:
      - A label selector (Kubernetes syntax) that narrows O(deprecate_missing) further, to the managed objects of this
        O(portal) it matches.
      - Costs one more list request per kind in O(deprecate_kinds).
    type: str
  deprecated_annotations:
    description:
      - The annotations given to each ClusterTemplate that O(deprecate_missing) deprecates, normally the four
        C(acl.azimuth.stackhpc.com/*) annotations of the current cluster templates (so that the ACL of a deprecated
        template follows the configuration) and C(scheduling.azimuth.stackhpc.com/max-lifetime-hours).
      - Values must be strings. Other annotations of those templates are left alone.
    type: dict
    default: {}
  platform_types:
    description: The platform types.
    type: list
    elements: dict
    required: true
    suboptions:
      annotations:
        description:
          - Annotations, for example the C(acl.azimuth.stackhpc.com/*) ACL (see the P(azimuth.ops.acl_annotations#filter)
            filter). Values must be strings.
          - Annotations the module set before and that are no longer given are removed; others are left alone.
        type: dict
        default: {}
      kind:
        description: The kind of platform type.
        type: str
        required: true
        choices: [AppTemplate, ClusterTemplate, ClusterType]
      labels:
        description:
          - More labels. Values must be strings. C(app.kubernetes.io/managed-by) and
            C(azimuth-ops.azimuth-cloud.io/portal) are set by the module (the latter may be given only with the value
            of O(portal)).
        type: dict
        default: {}
      name:
        description: The object's name.
        type: str
        required: true
      spec:
        description:
          - The object's spec, as the operator's CRD defines it. Required with O(state=present).
          - Null values leave the field out (a JSON merge patch cannot store a null).
        type: dict
  portal:
    description:
      - The portal whose platform types these are, set on each as the label C(azimuth-ops.azimuth-cloud.io/portal).
        Deprecation touches only the objects of this portal (unless O(deprecate_all_portals)), and an object of
        another portal is not changed.
      - Objects written before the collection set this label have none, so they are not deprecated until a run that
        lists them labels them (or a run with O(deprecate_all_portals)).
    type: str
    default: azimuth
  state:
    description:
      - V(present) creates or updates the listed platform types.
      - V(absent) deletes the listed platform types that are labelled as managed by the collection (and not of
        another portal); others are left alone with a warning. Nothing is deprecated.
    type: str
    default: present
    choices: [absent, present]
extends_documentation_fragment:
  - azimuth.ops.kubernetes
notes:
  - Needs C(list), C(get), C(create) and C(patch) (and C(delete) for O(state=absent)) on the three resources.
  - A missing CRD ends the task, before anything is written, naming the CRD and the operator that installs it.
  - A no-op run costs one list request per kind listed, plus one per kind in O(deprecate_kinds) that is not listed
    (with O(deprecate_selector), per kind in O(deprecate_kinds)), and writes nothing.
seealso:
  - plugin: azimuth.ops.acl_annotations
    plugin_type: filter
  - plugin: azimuth.ops.platform_catalog
    plugin_type: lookup
"""

EXAMPLES = r"""
- name: Offer a Kubernetes template to one tenancy, and JupyterHub to all but test tenancies
  azimuth.ops.platform_types:
    platform_types:
      - kind: ClusterTemplate
        name: kube-1-33-10
        annotations: "{{ {'allow_list': ['6b2f0c1e9a7d4f0e8c3b5a1d2e4f6a7b']} | azimuth.ops.acl_annotations }}"
        spec:
          label: Kubernetes 1.33
          values:
            kubernetesVersion: 1.33.10
            machineImageId: 0d7b4b5e-3c0a-4a1e-9a57-5f0e3f1c2b3a
      - kind: AppTemplate
        name: jupyterhub
        annotations: "{{ {'deny_regex': '-test$'} | azimuth.ops.acl_annotations }}"
        spec:
          chart:
            repo: https://azimuth-cloud.github.io/azimuth-charts
            name: jupyterhub-azimuth
          versionRange: "<=0.14.0"

- name: Change a platform type (a new Kubernetes version); the old template is deprecated
  azimuth.ops.platform_types:
    platform_types:
      - kind: ClusterTemplate
        name: kube-1-34-12
        spec:
          label: Kubernetes 1.34
          values:
            kubernetesVersion: 1.34.12
    deprecated_annotations: "{{ {} | azimuth.ops.acl_annotations }}"

- name: The platform types of the staging portal; deprecate only its own, never another portal's
  azimuth.ops.platform_types:
    portal: staging
    platform_types: "{{ staging_platform_types }}"
    deprecate_kinds: [ClusterTemplate, AppTemplate, ClusterType]

- name: Take over the templates azimuth-ops applied before (labelled, the takeover recorded); those dropped are deprecated
  azimuth.ops.platform_types:
    platform_types: "{{ portal_platform_types }}"
    adopt: true

- name: Remove an app template
  azimuth.ops.platform_types:
    platform_types:
      - kind: AppTemplate
        name: jupyterhub
    state: absent

- name: The platform types of the operator's configuration (azimuth-ops variables), with their ACLs
  vars:
    catalog: "{{ lookup('azimuth.ops.platform_catalog') }}"
  azimuth.ops.platform_types:
    platform_types: "{{ catalog.platform_types }}"
    deprecate_kinds: "{{ catalog.kinds }}"
    deprecated_annotations: "{{ catalog.deprecated_annotations }}"

- name: Set the Kubernetes connection once for the collection's Kubernetes modules
  module_defaults:
    group/azimuth.ops.kubernetes:
      kubeconfig: /etc/azimuth/kubeconfig
  block:
    - name: Ensure the platform types
      azimuth.ops.platform_types:
        platform_types: "{{ portal_platform_types }}"
"""

RETURN = r"""
adopted:
  description: The objects (C(kind/name)) taken over by O(adopt) (or, in check mode, that would be).
  returned: always
  type: list
  elements: str
  sample: [ClusterTemplate/kube-1-29-7]
unmanaged:
  description:
    - The objects (C(kind/name)) without the managed-by label that are not listed and were left as they are (without
      O(adopt)); each is also a warning, since the portal may still offer it. Deprecated ClusterTemplates are not
      listed.
  returned: always
  type: list
  elements: str
  sample: [AppTemplate/kubeflow]
deprecated:
  description: The ClusterTemplates deprecated (or whose ACL annotations were brought up to date) by O(deprecate_missing).
  returned: always
  type: list
  elements: str
  sample: [kube-1-32-10]
objects:
  description:
    - Every platform type of the run as the cluster holds it after the run (predicted in check mode), the listed
      ones and those in the deprecation scope, for reports such as which tenancy may use what.
  returned: always
  type: list
  elements: dict
  contains:
    annotations:
      description: Its annotations (without the module's record of what it applied).
      type: dict
    kind:
      description: C(ClusterTemplate), C(AppTemplate) or C(ClusterType).
      type: str
    name:
      description: The object's name.
      type: str
    offered:
      description: Whether the portal offers it (listed and not deprecated); a deprecated or retired one is not.
      type: bool
  sample:
    - kind: AppTemplate
      name: jupyterhub
      annotations: {acl.azimuth.stackhpc.com/deny-regex: "-test$"}
      offered: true
    - kind: ClusterType
      name: rstudio
      annotations: {acl.azimuth.stackhpc.com/deny-regex: ".*"}
      offered: false
retired:
  description: The AppTemplates and ClusterTypes (C(kind/name)) that O(deprecate_missing) gave the ACL that denies every tenancy.
  returned: always
  type: list
  elements: str
  sample: [ClusterType/rstudio]
diff:
  description: In diff mode, the objects that change (C(kind/name)), before and after (V(null) where the object does not exist).
  returned: when diff mode is on
  type: dict
  contains:
    before:
      description: C(kind/name) -> C(labels), C(annotations) and C(spec).
      type: dict
    after:
      description: The same, after the change.
      type: dict
  sample:
    before:
      AppTemplate/jupyterhub: null
    after:
      AppTemplate/jupyterhub:
        labels: {app.kubernetes.io/managed-by: azimuth-ops}
        annotations: {acl.azimuth.stackhpc.com/deny-regex: "-test$"}
        spec: {chart: {repo: "https://azimuth-cloud.github.io/azimuth-charts", name: jupyterhub-azimuth}}
platform_types:
  description: One result per listed platform type, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    action:
      description: V(created), V(updated), V(unchanged), V(deleted) or V(absent) (what was, or in check mode would be, done).
      type: str
    changed:
      description: Whether the object changed (or would change).
      type: bool
    kind:
      description: The kind.
      type: str
    name:
      description: The name.
      type: str
  sample:
    - {kind: AppTemplate, name: jupyterhub, action: created, changed: true}
totals:
  description:
    - How many platform types were listed, created, updated, deleted, left unchanged, how many ClusterTemplates deprecated,
      how many AppTemplates and ClusterTypes retired, how many objects adopted and how many unlabelled ones left alone.
  returned: always
  type: dict
  sample: {platform_types: 3, created: 1, updated: 1, deleted: 0, unchanged: 1, deprecated: 0, retired: 0, adopted: 0, unmanaged: 0}
"""

from ansible_collections.azimuth.ops.plugins.module_utils.kubernetes._kubernetes import KubernetesModule
from ansible_collections.azimuth.ops.plugins.module_utils.common._naming import DEFAULT_PORTAL
from ansible_collections.azimuth.ops.plugins.module_utils.platform._platform_types import KINDS, CustomObjects, Reconciler, Scope

PLATFORM_TYPE_OPTIONS = dict(
    annotations=dict(type="dict", default={}),
    kind=dict(type="str", required=True, choices=sorted(KINDS)),
    labels=dict(type="dict", default={}),
    name=dict(type="str", required=True),
    spec=dict(type="dict"),
)


class PlatformTypesModule(KubernetesModule):
    argument_spec = dict(
        adopt=dict(type="bool", default=False),
        deprecate_all_portals=dict(type="bool", default=False),
        deprecate_kinds=dict(type="list", elements="str", choices=sorted(KINDS), default=sorted(KINDS)),
        deprecate_missing=dict(type="bool", default=True),
        deprecate_selector=dict(type="str"),
        deprecated_annotations=dict(type="dict", default={}),
        platform_types=dict(type="list", elements="dict", required=True, options=PLATFORM_TYPE_OPTIONS),
        portal=dict(type="str", default=DEFAULT_PORTAL),
        state=dict(type="str", default="present", choices=["absent", "present"]),
    )

    def run(self):
        params = self.params
        scope = None
        if params["deprecate_missing"]:
            scope = Scope(params["deprecate_kinds"], None if params["deprecate_all_portals"] else params["portal"],
                          params["deprecate_selector"])
        self.job = Reconciler(CustomObjects(self.api, dry_run=self.check_mode), adopt=params["adopt"])
        outcome = self.job.run(params["platform_types"], params["state"], scope, params["deprecated_annotations"], self.check_mode,
                               params["portal"])
        return dict(changed=bool(outcome["actions"]), platform_types=outcome["results"], deprecated=outcome["deprecated"],
                    retired=outcome["retired"], adopted=outcome["adopted"], unmanaged=outcome["unmanaged"],
                    objects=outcome["objects"], totals=outcome["totals"], diff=outcome["diff"])


def main():
    PlatformTypesModule().execute()


if __name__ == "__main__":
    main()
