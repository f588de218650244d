#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: app_credential
short_description: An OpenStack application credential kept in a Kubernetes Secret
version_added: 1.0.0
author: azimuth.ops contributors (@azimuth-cloud)
description:
  - Ensures an application credential of the authenticated user in the current project (the one the
    connection is scoped to) and keeps it, as a C(clouds.yaml) with the cloud C(openstack), in a Kubernetes Secret.
  - Keystone shows a credential's secret only when it is created, so the Secret holds it. When the
    credential the Secret holds exists (and, with O(verify), Keystone accepts it) and has the asked
    O(description), O(roles), O(unrestricted) and O(expires_at), only the Secret's other content is kept up to date.
  - Otherwise the module rotates. It creates a new credential, writes the Secret, and then deletes the
    credentials it replaced. When the Secret write fails (or its reply is lost), the module reads the Secret
    back. If it holds the new credential the run goes on; if not, the new credential is deleted again. Either
    way the Secret holds a credential that works. A credential left over from a failure is deleted on the next run.
  - The module stops, before writing anything, when the Secret is managed by another tool (a different
    C(app.kubernetes.io/managed-by) label, for example C(Helm)) or is not of type C(Opaque).
  - A run that fails after writing reports C(changed=true).
  - Application credential names are unique per user. While two generations coexist, the new one is
    called C(<name>-<8 hex digits>). The module treats the credentials of the user in the current project
    called O(name) or C(O(name)-<8 hex digits>) as its own. Do not give other credentials such names.
  - With O(credentials), does the same for many tenancies in one call, each through its own cloud (a user of
    its own, scoped to its project), eight at a time.
  - The top-level connection options are the OpenStack ones (the C(azimuth.ops.openstack) group). The
    Kubernetes connection is the dict O(kubernetes), with the same keys and environment fallbacks as
    the collection's Kubernetes modules, so C(KUBECONFIG) alone is enough.
attributes:
  action_group:
    description: Use C(group/azimuth.ops.openstack) in C(module_defaults) to set the OpenStack connection options.
    support: full
    membership:
      - azimuth.ops.openstack
  check_mode:
    description: Reads Keystone and the Secret and predicts every change, writing nothing.
    support: full
  diff_mode:
    description:
      - Returns the credential (without its secret) and the Secret's labels, annotations and data, before and after.
      - Every C(application_credential_secret) is C(********) (C(******** (changed)) when it changes).
    support: full
options:
  credentials:
    description:
      - The batch form, for many tenancies' credentials in one call. Each entry is a dict with C(cloud) (a
        C(clouds.yaml) cloud name or a dict of connection settings, as O(cloud)) and, over the task's, any of
        O(name), O(description), O(expires_at), O(include_cacert), O(include_user_info), O(roles), O(secret),
        O(state), O(unrestricted) and O(verify) (C(secret) key by key).
      - Each entry's credential is the authenticated user's in the project its cloud is scoped to, kept as the
        single form keeps it. The task's other connection options (O(region_name), O(interface),
        O(validate_certs), O(ca_cert)...) apply over each cloud; the task's own cloud is not used.
      - An entry that cannot be used (a bad option, a cloud that does not authenticate, no namespace for its
        Secret, a Secret that another entry writes too) fails alone, before anything is written for it; the
        others go on, and the task then fails naming each failure, by the entry's index and its cloud name or
        project only (never a secret).
      - The results are in RV(credentials).
    type: list
    elements: dict
  description:
    description:
      - The credential's description.
      - Credentials cannot be updated, so a new description means a new credential.
    type: str
  expires_at:
    description:
      - When the credential expires, as ISO 8601 (for example C(2030-01-31T00:00:00Z)); times without an
        offset are UTC. It does not expire when not given.
      - A different expiry means a new credential.
    type: str
  include_cacert:
    description:
      - Add the key C(cacert) with the content of the CA file that the OpenStack connection verifies TLS with
        (O(ca_cert) or C(cacert) in C(clouds.yaml)). Nothing is added when no CA file is used.
      - C(clouds.yaml) does not name a path for it; point C(cacert) at wherever the Secret is mounted.
    type: bool
    default: false
  include_user_info:
    description: Add the key C(user_info.yaml) with C(project_id), C(project_name), C(username) and C(user_id).
    type: bool
    default: false
  name:
    description:
      - The credential's name (see the description for the names of its generations).
      - Required, here or in each entry of O(credentials).
    type: str
  namespaces:
    description:
      - With O(credentials), the namespace of each project's Secret, by project ID, for the entries whose
        O(secret) names no namespace (such as the C(namespace) of each tenancy from M(azimuth.ops.tenancy)).
    type: dict
  roles:
    description:
      - Names or IDs of the roles the credential has; the user must hold each in the project.
      - Defaults to every role the user has in the project except C(admin).
      - An empty list means every role the user has in the project, C(admin) included, which is what Keystone
        gives a credential created without roles.
      - Different roles mean a new credential.
    type: list
    elements: str
  secret:
    description:
      - The Kubernetes Secret that holds the credential. Its namespace must exist.
      - Required without O(credentials); with it, the defaults of the entries' C(secret).
    type: dict
    suboptions:
      annotations:
        description: Annotations for the Secret; V(null) removes one. Others are left alone.
        type: dict
      labels:
        description:
          - Labels for the Secret; V(null) removes one. Others are left alone.
          - C(credential.azimuth-cloud.io/provider=openstack) and C(app.kubernetes.io/managed-by=azimuth-ops) are always set.
        type: dict
      name:
        description: The Secret's name.
        type: str
        default: default-openstack-credential
      namespace:
        description:
          - The Secret's namespace, for example the tenancy's namespace from M(azimuth.ops.tenancy).
          - Required without O(credentials); with it, see O(namespaces).
        type: str
  state:
    description:
      - V(present) ensures the credential and the Secret.
      - V(absent) deletes the Secret (when it is labelled as managed by the collection or holds one of the
        module's credentials) and every credential of the module's O(name) in the project.
    type: str
    default: present
    choices: [absent, present]
  unrestricted:
    description:
      - Whether the credential may create further application credentials and trusts. Keep it V(false)
        unless the consumer needs that. A change means a new credential.
    type: bool
    default: false
  verify:
    description:
      - Authenticate with the credential the Secret holds, and rotate when Keystone refuses it (for example
        when it expired or was deleted and recreated elsewhere under the same ID).
      - An unreachable Keystone is an error, not a refusal.
    type: bool
    default: false
extends_documentation_fragment:
  - azimuth.ops.openstack
  - azimuth.ops.kubernetes.connection
requirements:
  - kubernetes >= 24.2
notes:
  - Needs, in Kubernetes, C(get), C(create), C(patch) and C(delete) on the Secret.
  - Authenticating with an application credential that is not O(unrestricted), Keystone does not allow
    creating another one; use the user's password or token.
  - C(clouds.yaml) gets the connection's auth URL, region and interface, and C(verify) V(false) when the
    connection does not verify certificates.
  - A no-op run costs Keystone one token request and one list of the user's application credentials
    (plus one token request with O(verify)), and Kubernetes one read of the Secret; with O(credentials), that
    for each entry.
  - Two runs that create the credential at once; Keystone refuses the second create of its name. The run that
    lost settles on the other run's credential once the Secret holds it (RV(rotated=false), nothing created),
    and otherwise fails, having written nothing, with a message naming the credential; run it again then.
seealso:
  - module: azimuth.ops.tenancy
"""

EXAMPLES = r"""
- name: Keep an application credential of the demo project in the tenancy's namespace
  azimuth.ops.app_credential:
    cloud: demo
    name: azimuth-portal
    secret:
      namespace: az-demo

- name: Change it (new roles and an expiry mean a new credential; the old one is deleted after the Secret is written)
  azimuth.ops.app_credential:
    cloud: demo
    name: azimuth-portal
    roles: [member]
    expires_at: "2030-01-31T00:00:00Z"
    include_user_info: true
    verify: true
    secret:
      namespace: az-demo
      labels:
        example.org/owner: portal
    kubernetes:
      kubeconfig: /etc/azimuth/kubeconfig
      context: management

- name: Remove the Secret and the credential
  azimuth.ops.app_credential:
    cloud: demo
    name: azimuth-portal
    secret:
      namespace: az-demo
    state: absent

- name: Keep the credentials of several tenancies, each through its own cloud, in one call
  azimuth.ops.app_credential:
    name: azimuth-portal
    credentials:
      - cloud: portal-demo
      - cloud: portal-physics
        roles: [member]
    namespaces:
      # The namespace of each project's Secret, by project ID (for example from azimuth.ops.tenancy).
      7ecb5bf4a0a84f80a5cd4e1ccbf4d0f0: az-demo
      0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a: az-physics

- name: Set the OpenStack connection once for the collection's OpenStack modules
  module_defaults:
    group/azimuth.ops.openstack:
      cloud: demo
      region_name: RegionOne
  block:
    - name: Ensure the credential
      azimuth.ops.app_credential:
        name: azimuth-portal
        secret:
          namespace: az-demo
"""

RETURN = r"""
credential:
  description:
    - The credential the Secret holds after the run, without its secret (V(null) after O(state=absent)).
    - In check mode, a credential that would be created has C(id) V(null).
  returned: always, without O(credentials)
  type: dict
  contains:
    description:
      description: Its description.
      type: str
    expires_at:
      description: When it expires (UTC, C(YYYY-MM-DDTHH:MM:SS)), or V(null).
      type: str
    id:
      description: Its ID.
      type: str
    name:
      description: Its name (O(name), or C(O(name)-<8 hex digits>) for a generation created while another existed).
      type: str
    project_id:
      description: Its project.
      type: str
    roles:
      description: The names of its roles.
      type: list
      elements: str
    unrestricted:
      description: Whether it is unrestricted.
      type: bool
  sample:
    id: 3be8be35db4c4328b72d019372c8f523
    name: azimuth-portal
    description: null
    project_id: 7ecb5bf4a0a84f80a5cd4e1ccbf4d0f0
    roles: [member, reader]
    unrestricted: false
    expires_at: null
deleted_credentials:
  description: IDs of the credentials deleted (or that would be, in check mode) because they were replaced or O(state=absent).
  returned: always, without O(credentials)
  type: list
  elements: str
  sample: [0c2a3c9e5f5b4d2a8c1e7f6a5b4c3d2e]
diff:
  description:
    - In diff mode, C(credential), C(other_credentials) (IDs of the module's credentials that the Secret does not
      hold) and C(secret) (labels, annotations and data, parsed, with every secret masked), before and after.
  returned: when diff mode is on
  type: dict
  contains:
    before:
      description: Before the run.
      type: dict
    after:
      description: After the run.
      type: dict
  sample:
    before: {credential: null, other_credentials: [], secret: null}
    after:
      credential: {id: 3be8be35db4c4328b72d019372c8f523, name: azimuth-portal, roles: [member, reader]}
      other_credentials: []
      secret:
        labels: {credential.azimuth-cloud.io/provider: openstack, app.kubernetes.io/managed-by: azimuth-ops}
        annotations: {}
        data:
          clouds.yaml:
            clouds:
              openstack:
                auth:
                  auth_url: https://keystone.example.org:5000/v3
                  application_credential_id: 3be8be35db4c4328b72d019372c8f523
                  application_credential_secret: "********"
project:
  description: The project the credential belongs to (the connection's).
  returned: always, without O(credentials)
  type: dict
  contains:
    id:
      description: Its ID.
      type: str
    name:
      description: Its name.
      type: str
  sample: {id: 7ecb5bf4a0a84f80a5cd4e1ccbf4d0f0, name: demo}
reason:
  description: Why the credential was (or would be) replaced, or V(null) when it was kept.
  returned: always, without O(credentials)
  type: str
  sample: the Secret az-demo/default-openstack-credential does not exist
rotated:
  description: Whether a new credential was (or would be) created.
  returned: always, without O(credentials)
  type: bool
  sample: true
secret:
  description: The Secret's namespace and name.
  returned: always, without O(credentials)
  type: dict
  contains:
    name:
      description: Its name.
      type: str
    namespace:
      description: Its namespace.
      type: str
  sample: {namespace: az-demo, name: default-openstack-credential}
user:
  description: The authenticated user, who owns the credential.
  returned: always, without O(credentials)
  type: dict
  contains:
    id:
      description: The user's ID.
      type: str
    name:
      description: The user's name.
      type: str
  sample: {id: ceec80e1f62347ce899db7abc2316981, name: sandbox-demo}
credentials:
  description:
    - With O(credentials), one item per entry in the same order, each with RV(credential), RV(deleted_credentials),
      RV(project), RV(reason), RV(rotated), RV(secret), RV(user) and C(changed) as the single form returns them.
    - In diff mode, RV(diff) has C(before) and C(after) as lists, an item per entry.
    - When the task fails, the item of each entry that failed is V(null).
  returned: with O(credentials)
  type: list
  elements: dict
  sample:
    - changed: true
      rotated: true
      reason: the Secret az-demo/default-openstack-credential does not exist
      credential: {id: 3be8be35db4c4328b72d019372c8f523, name: azimuth-portal, roles: [member, reader]}
      deleted_credentials: []
      project: {id: 7ecb5bf4a0a84f80a5cd4e1ccbf4d0f0, name: demo}
      secret: {namespace: az-demo, name: default-openstack-credential}
      user: {id: ceec80e1f62347ce899db7abc2316981, name: sandbox-demo}
"""

from ansible_collections.azimuth.ops.plugins.module_utils.common._module import ModuleError
from ansible_collections.azimuth.ops.plugins.module_utils.kubernetes import _kubernetes as kube
from ansible_collections.azimuth.ops.plugins.module_utils.openstack import _openstack as openstack
from ansible_collections.azimuth.ops.plugins.module_utils.openstack._app_credential import AppCredential
from ansible_collections.azimuth.ops.plugins.module_utils.openstack._app_credential_batch import BatchCredentials, make_entries
from ansible_collections.azimuth.ops.plugins.module_utils.openstack._clouds import OwnClouds, opener

# The options of one credential: the task's, and what each entry of credentials may give over them.
CREDENTIAL_SPEC = dict(
    description=dict(type="str"),
    expires_at=dict(type="str"),
    include_cacert=dict(type="bool", default=False),
    include_user_info=dict(type="bool", default=False),
    name=dict(type="str"),
    roles=dict(type="list", elements="str"),
    secret=dict(type="dict", no_log=False, options=dict(
        annotations=dict(type="dict"),
        labels=dict(type="dict"),
        name=dict(type="str", default="default-openstack-credential"),
        namespace=dict(type="str"),
    )),
    state=dict(type="str", default="present", choices=["absent", "present"]),
    unrestricted=dict(type="bool", default=False),
    verify=dict(type="bool", default=False),
)


class AppCredentialModule(OwnClouds, kube.KubernetesConnection, openstack.OpenStackModule):
    argument_spec = dict(CREDENTIAL_SPEC, credentials=dict(type="list", elements="dict", no_log=True), namespaces=dict(type="dict"))
    secret_carriers = (("credentials",),)
    own_clouds_option = "credentials"
    kube_calls = None

    def credential_job(self, conn, params):
        return AppCredential(conn, self.kube_calls, params, self.check_mode, kube.retry_on_conflict,
                             self.describe, self.secrets)

    def run(self):
        self.kube_calls = kube.CoreCalls(self.kubernetes_api())
        base = dict((name, self.params[name]) for name in CREDENTIAL_SPEC)
        secret = self.params["secret"] or {}
        base["secret"] = dict(secret, name=secret.get("name") or CREDENTIAL_SPEC["secret"]["options"]["name"]["default"])
        if self.params["credentials"] is not None:
            entries = make_entries(self.params["credentials"], base, CREDENTIAL_SPEC, lambda cloud: opener(self.params, cloud))
            self.job = BatchCredentials(entries, self.params["namespaces"], self.credential_job, self.describe)
            return self.job.run(diff=self.diff_mode)
        if not self.params["name"] or not base["secret"].get("namespace"):
            raise ModuleError("name and secret.namespace are required (or give credentials)")
        self.job = self.credential_job(self.conn, base)
        return self.job.run()


def main():
    AppCredentialModule().execute()


if __name__ == "__main__":
    main()
