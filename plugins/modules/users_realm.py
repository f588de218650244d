#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: users_realm
short_description: The Keycloak realm portal users sign in to (OIDC authentication mode), with a group per tenancy
version_added: 1.0.0
author: azimuth.ops contributors (@azimuth-cloud)
description:
  - Ensures the realm O(realm) through which, in Azimuth's OIDC authentication mode, users sign in to the portal.
  - The realm is enabled, requires TLS as O(ssl_required) says, and holds the client scope C(groups) (as in
    M(azimuth.ops.tenancy_realm), a group-membership mapper with full paths) as a realm default scope.
  - The portal's confidential client (O(portal)) uses the authorization-code flow, redirecting to
    C(https://<portal host>/auth/oidc/complete/).
  - One top-level group per tenancy in O(tenancies), at the tenancy's O(tenancies[].oidc_group) (by default
    C(/<tenancy name>)), marked with the group attribute C(azimuth-ops.tenancy-id). Its members may use the
    tenancy; its path is what the tenancy namespace's annotation C(tenant.azimuth-cloud.io/oidc-group) must
    hold (O(azimuth.ops.tenancy#module:tenancies[].oidc_group)), and the users' C(groups) claim carries it.
  - The group marked with a tenancy's ID is that tenancy's group. When the tenancy's group path changes, it is
    renamed (its members stay). An unmarked group at the path is adopted.
  - With O(credentials_secret), the client's credentials go to a Kubernetes Secret (keys C(issuer-url),
    C(client-id), C(client-secret)) for the portal, labelled C(app.kubernetes.io/managed-by=azimuth-ops); other keys
    and labels it has are left alone. A Secret of that name that another tool manages (that label with another
    value, such as C(Helm)), or that is not C(Opaque), stops the module before anything is written, in check mode
    too, and with O(state=absent) too (a Secret without the label is then left alone).
  - The realm carries the attribute C(azimuth-ops.managed-by=azimuth-ops); a realm of that name without it is
    not the collection's, and the module stops. What realm admins add (users, groups, clients, settings) is left alone.
attributes:
  action_group:
    description: Use C(group/azimuth.ops.keycloak) in C(module_defaults) to set the Keycloak connection options.
    support: full
    membership:
      - azimuth.ops.keycloak
  check_mode:
    description: Reads Keycloak (and the Secret) and predicts every change, writing nothing.
    support: full
  diff_mode:
    description:
      - Returns the parts of the realm the module owns and the Secret, before and after, when they change.
      - The client secret never shows; in the Secret it is C(********) (C(******** (changed)) when it changes).
    support: full
options:
  credentials_secret:
    description: A Kubernetes Secret to write the portal client's credentials to.
    type: dict
    suboptions:
      kubernetes:
        description:
          - Deprecated, use O(kubernetes) (the same keys); removed in 2.0.0. Given here, it is used with a
            deprecation warning.
        type: dict
      name:
        description: The Secret's name.
        type: str
        required: true
      namespace:
        description: The Secret's namespace; it must exist.
        type: str
        required: true
  portal:
    description: The portal's client. Required with O(state=present).
    type: dict
    suboptions:
      client_id:
        description: The client ID.
        type: str
        default: azimuth-portal
      host:
        description: The portal's host name; the redirect URI is C(https://<host>/auth/oidc/complete/).
        type: str
      redirect_uris:
        description: The redirect URIs, instead of the one O(portal.host) gives.
        type: list
        elements: str
  prune:
    description: Also delete the tenancy groups (marked with a tenancy ID) of tenancies not in O(tenancies).
    type: bool
    default: false
  public_url:
    description:
      - The Keycloak URL the portal sees, for the issuer URL (C(<public_url>/realms/<realm>)).
      - Defaults to O(auth_keycloak_url).
    type: str
  realm:
    description: The realm.
    type: str
    default: azimuth-users
  return_client_secret:
    description: Return the client secret as RV(client_secret). Otherwise it is never returned.
    type: bool
    default: false
  ssl_required:
    description: Which requests the realm requires TLS for.
    type: str
    default: external
    choices: [all, external, none]
  state:
    description:
      - V(present) creates or repairs the realm, its client and the tenancy groups.
      - V(absent) deletes the realm (when the collection manages it) and the credentials Secret.
    type: str
    default: present
    choices: [absent, present]
  tenancies:
    description: The tenancies that get a group.
    type: list
    elements: dict
    default: []
    suboptions:
      id:
        description: The tenancy ID.
        type: str
        required: true
      name:
        description: The tenancy name.
        type: str
        required: true
      oidc_group:
        description: The tenancy's group, a top-level group path such as C(/physics-users); by default C(/<name>).
        type: str
extends_documentation_fragment:
  - azimuth.ops.keycloak
  - azimuth.ops.kubernetes.connection
notes:
  - A run reads the realm with one partial export (a C(POST) that reads and writes nothing), the client with one
    request and the Secret with one; with nothing to change it sends nothing else.
seealso:
  - module: azimuth.ops.tenancy_realm
  - module: azimuth.ops.tenancy
"""

EXAMPLES = r"""
- name: The users realm, a group per tenancy, and the portal's credentials in a Secret
  azimuth.ops.users_realm:
    portal:
      host: portal.example.org
    tenancies:
      - id: 6b2f0c1e9a7d4f0e8c3b5a1d2e4f6a7b
        name: physics
    credentials_secret:
      namespace: azimuth
      name: azimuth-portal-oidc
  register: users_realm

- name: Annotate the tenancy's namespace with its group (the group's path, as returned in users_realm.groups)
  azimuth.ops.tenancy:
    tenancies:
      - id: 6b2f0c1e9a7d4f0e8c3b5a1d2e4f6a7b
        name: physics
        oidc_group: "{{ users_realm.groups[0].group }}"

- name: Keep exactly these tenancies' groups
  azimuth.ops.users_realm:
    portal:
      host: portal.example.org
    tenancies: "{{ portal_tenancies }}"
    prune: true

- name: Remove the users realm
  azimuth.ops.users_realm:
    state: absent
"""

RETURN = r"""
client_id:
  description: The portal client's ID.
  returned: with O(state=present)
  type: str
  sample: azimuth-portal
client_secret:
  description: The portal client's secret.
  returned: when O(return_client_secret) is true and O(state=present)
  type: str
  sample: 0YQ1b7...
diff:
  description: In diff mode, the realm's parts the module owns (V(null) when it changes nothing) and the Secret.
  returned: when diff mode is on
  type: dict
  contains:
    before:
      description: C(realm) (the parts, V(null) when the realm does not exist) and C(secrets).
      type: dict
    after:
      description: The same after the change.
      type: dict
  sample:
    before: {realm: null, secrets: {}}
    after: {realm: {groups: {/physics: {name: physics, attributes: {azimuth-ops.tenancy-id: [6b2f0c1e]}, clientRoles: {}}}}, secrets: {}}
groups:
  description: Per listed tenancy its C(id), C(name), C(group) (path), and whether the group was C(created) or C(changed).
  returned: always
  type: list
  elements: dict
  sample: [{id: 6b2f0c1e9a7d4f0e8c3b5a1d2e4f6a7b, name: physics, group: /physics, created: true, changed: true}]
issuer_url:
  description: The realm's issuer URL.
  returned: always
  type: str
  sample: https://keycloak.example.org/realms/azimuth-users
realm:
  description: The realm.
  returned: always
  type: str
  sample: azimuth-users
"""

from ansible_collections.azimuth.ops.plugins.module_utils.kubernetes import _kubernetes as kube
from ansible_collections.azimuth.ops.plugins.module_utils.keycloak._keycloak import KeycloakModule
from ansible_collections.azimuth.ops.plugins.module_utils.keycloak._users_realm import UsersRealm


class UsersRealmModule(kube.KubernetesConnection, KeycloakModule):
    deprecated_connection = ("credentials_secret", "kubernetes")
    argument_spec = dict(
        credentials_secret=dict(type="dict", no_log=False, options=dict(
            kubernetes=dict(type="dict"),
            name=dict(type="str", required=True),
            namespace=dict(type="str", required=True),
        )),
        portal=dict(type="dict", options=dict(
            client_id=dict(type="str", default="azimuth-portal"),
            host=dict(type="str"),
            redirect_uris=dict(type="list", elements="str"),
        ), required_one_of=[("host", "redirect_uris")]),
        prune=dict(type="bool", default=False),
        public_url=dict(type="str"),
        realm=dict(type="str", default="azimuth-users"),
        return_client_secret=dict(type="bool", default=False),
        ssl_required=dict(type="str", default="external", choices=["all", "external", "none"]),
        state=dict(type="str", default="present", choices=["absent", "present"]),
        tenancies=dict(type="list", elements="dict", default=[], options=dict(
            id=dict(type="str", required=True),
            name=dict(type="str", required=True),
            oidc_group=dict(type="str"),
        )),
    )
    module_kwargs = dict(required_if=[("state", "present", ["portal"])])

    def run(self):
        secret_calls = kube.CoreCalls(self.kubernetes_api()) if self.params.get("credentials_secret") else None
        self.job = UsersRealm(self.keycloak, secret_calls, self.server_url, self.secrets)
        return self.job.run(self.params, self.check_mode)


def main():
    UsersRealmModule().execute()


if __name__ == "__main__":
    main()
