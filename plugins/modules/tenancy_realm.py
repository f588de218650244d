#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: tenancy_realm
short_description: The Keycloak realms of many tenancies, as Azimuth's identity operator sets them up
version_added: 1.0.0
author: azimuth.ops contributors (@azimuth-cloud)
description:
  - Ensures, in one call, a Keycloak realm for each listed tenancy, through which the tenancy's users
    reach their platforms. The realm is C(az-) and the tenancy name sanitised (the namespace rule of
    M(azimuth.ops.tenancy)), that is lower case, each run of characters outside C([a-z0-9]) one C(-).
  - Each realm is enabled, requires TLS as O(ssl_required) says, and holds
  - the client scope C(groups) (a group-membership mapper, claim C(groups) with full paths, in the ID token,
    access token and userinfo), as a realm default scope and not an optional one;
  - the groups C(admins) (with the client role C(realm-management)/C(realm-admin)) and C(platform-users);
  - the flow C(azimuth first login), a copy of C(first broker login) with its review-profile step disabled;
  - the OpenID Connect identity provider C(azimuth) (O(azimuth_idp)), sync mode C(IMPORT), with the mappers
    C(realm-admin) and C(platform-user) (claim C(groups) containing the tenancy ID puts the user in C(/admins)
    and C(/platform-users)) and C(federated-id) (claim C(federated_claims.user_id) to the user attribute C(federatedId));
  - the user-profile attribute C(federatedId), read-only to users, and no attribute required.
  - Only these are compared and written. Settings and objects that realm admins add (their own groups,
    identity providers, mappers, clients, users, configuration keys) are left alone.
  - Each realm carries the realm attributes C(azimuth-ops.managed-by=azimuth-ops) and
    C(azimuth-ops.tenancy-id=<tenancy ID>). A realm marked with a tenancy's ID is that tenancy's realm
    whatever its name, so a renamed tenancy keeps its realm.
  - The module stops, before writing anything, when C(az-<name>) exists without that marking (a realm that
    is not the collection's) or marked for another tenancy, when two realms carry one tenancy's ID, and
    when two listed tenancies map to one realm or share an ID.
attributes:
  action_group:
    description: Use C(group/azimuth.ops.keycloak) in C(module_defaults) to set the connection options.
    support: full
    membership:
      - azimuth.ops.keycloak
  check_mode:
    description: Reads Keycloak and predicts every change, writing nothing.
    support: full
  diff_mode:
    description:
      - Returns, for every realm that changes, the parts the module owns, before and after.
      - The identity provider's client secret shows as C(********) (C(******** (changed)) when it changes).
    support: full
options:
  azimuth_idp:
    description:
      - The identity provider through which users come from Azimuth (in Azimuth, the tenancy's Dex).
      - Required with O(state=present) and O(tenancies) not empty.
    type: dict
    suboptions:
      client_id:
        description: The client ID the realm uses at the identity provider.
        type: str
        required: true
      client_secret:
        description:
          - The client secret. Never printed; masked in diffs.
          - Keycloak does not give a secret back, so the identity provider keeps a salted digest of it
            (config key C(azimuth-ops.client-secret-digest)); a different secret is written, the same one is not.
        type: str
        required: true
      display_name:
        description: The name on the login page.
        type: str
        default: Azimuth
      issuer:
        description:
          - The issuer URL. The authorization, token, userinfo and JWKS URLs are C(/auth), C(/token),
            C(/userinfo) and C(/keys) under it.
          - C({tenancy_id}) in it is replaced by each tenancy's ID, for example
            C(https://portal.example.org/authproxy/{tenancy_id}).
        type: str
        required: true
  prune:
    description:
      - Also delete the managed tenancy realms (marked C(azimuth-ops.managed-by) and with a tenancy ID)
        whose tenancy is not in O(tenancies), among those that O(prune_selector) matches.
      - With O(state=absent) that is every such realm.
    type: bool
    default: false
  prune_selector:
    description:
      - Realm attributes (name and value) that the realms O(prune) deletes must all carry; for several
        portals sharing one Keycloak, each marking its realms with O(realm_attributes).
    type: dict
  realm_attributes:
    description:
      - More realm attributes for every realm (string values). Attributes not named here are left alone.
      - C(azimuth-ops.managed-by) and C(azimuth-ops.tenancy-id) are set by the module and cannot be given.
    type: dict
  ssl_required:
    description: Which requests the realms require TLS for.
    type: str
    default: external
    choices: [all, external, none]
  state:
    description:
      - V(present) creates or repairs the realms of the listed tenancies.
      - V(absent) deletes the realms of the listed tenancies (those marked with their ID); C(az-<name>) without
        that marking is left alone, with a warning.
    type: str
    default: present
    choices: [absent, present]
  tenancies:
    description: The tenancies.
    type: list
    elements: dict
    required: true
    suboptions:
      id:
        description: The tenancy ID (the OpenStack project ID).
        type: str
        required: true
      name:
        description: The tenancy name; a name without letters or digits is an error.
        type: str
        required: true
extends_documentation_fragment:
  - azimuth.ops.keycloak
notes:
  - A run reads the list of realms (one request) and each existing listed realm with one partial export
    (a C(POST) that reads and writes nothing), plus its user profile while that is still Keycloak's
    default. A run with nothing to change sends nothing else.
  - A new realm costs about a dozen requests; a realm that drifted, one or two per repaired part.
  - Needs an account that may create, read and delete realms (the C(admin) role of the master realm).
  - Tenancies go to Keycloak in one task; no Ansible loop is needed (or wanted).
seealso:
  - module: azimuth.ops.platform_identity
  - module: azimuth.ops.users_realm
  - module: azimuth.ops.tenancy
"""

EXAMPLES = r"""
- name: Create the realms of two tenancies
  azimuth.ops.tenancy_realm:
    auth_keycloak_url: https://keycloak.example.org
    auth_username: admin
    auth_password: "{{ keycloak_admin_password }}"
    tenancies:
      - id: 6b2f0c1e9a7d4f0e8c3b5a1d2e4f6a7b
        name: physics
      - id: 0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a
        name: chemistry
    azimuth_idp:
      issuer: https://portal.example.org/authproxy/{tenancy_id}
      client_id: keycloak-oidc
      client_secret: "{{ dex_client_secret }}"

- name: Change the secret; keep exactly these tenancies' realms among this portal's, deleting the others
  azimuth.ops.tenancy_realm:
    tenancies: "{{ portal_tenancies }}"
    azimuth_idp:
      issuer: https://portal.example.org/authproxy/{tenancy_id}
      client_id: keycloak-oidc
      client_secret: "{{ new_dex_client_secret }}"
    realm_attributes:
      portal.example.org/instance: production
    prune: true
    prune_selector:
      portal.example.org/instance: production

- name: Remove a tenancy's realm
  azimuth.ops.tenancy_realm:
    tenancies:
      - id: 0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a
        name: chemistry
    state: absent

- name: Set the Keycloak connection once for the collection's Keycloak modules
  module_defaults:
    group/azimuth.ops.keycloak:
      auth_keycloak_url: https://keycloak.example.org
      auth_username: admin
      auth_password: "{{ keycloak_admin_password }}"
  block:
    - name: Ensure the tenancy realms
      azimuth.ops.tenancy_realm:
        tenancies: "{{ portal_tenancies }}"
        azimuth_idp: "{{ portal_dex }}"
"""

RETURN = r"""
diff:
  description:
    - In diff mode, the realms that change, before and after (V(null) where the realm does not exist), each
      with the parts the module owns.
  returned: when diff mode is on
  type: dict
  contains:
    before:
      description: C(realms), realm name -> its parts.
      type: dict
    after:
      description: The same, after the change.
      type: dict
  sample:
    before:
      realms:
        az-physics: null
    after:
      realms:
        az-physics:
          realm: {enabled: true, sslRequired: external, attributes: {azimuth-ops.managed-by: azimuth-ops}}
          defaultClientScope: {default: true, optional: false}
pruned:
  description: The realms deleted by O(prune), with the tenancy ID they carried.
  returned: always
  type: list
  elements: dict
  sample: [{realm: az-old-project, id: 9f8e7d6c5b4a39281706f5e4d3c2b1a0}]
realms:
  description: One result per listed tenancy, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    changed:
      description: Whether the tenancy's realm changed (or would change in check mode).
      type: bool
    created:
      description: Whether the realm was created.
      type: bool
    deleted:
      description: Whether the realm was deleted (O(state=absent)).
      type: bool
    id:
      description: The tenancy ID.
      type: str
    name:
      description: The tenancy name.
      type: str
    realm:
      description: The tenancy's realm (its existing realm when one is marked with its ID).
      type: str
  sample:
    - {id: 6b2f0c1e9a7d4f0e8c3b5a1d2e4f6a7b, name: physics, realm: az-physics, changed: true, created: true, deleted: false}
totals:
  description: How many realms were created, updated, deleted, left unchanged, and how many were pruned.
  returned: always
  type: dict
  contains:
    created:
      description: Realms created.
      type: int
    deleted:
      description: Realms deleted for listed tenancies (O(state=absent)).
      type: int
    pruned:
      description: Realms deleted by O(prune).
      type: int
    tenancies:
      description: Tenancies listed.
      type: int
    unchanged:
      description: Tenancies whose realm needed nothing.
      type: int
    updated:
      description: Tenancies whose existing realm changed.
      type: int
  sample: {tenancies: 2, created: 1, updated: 0, deleted: 0, unchanged: 1, pruned: 0}
"""

from ansible_collections.azimuth.ops.plugins.module_utils._keycloak import KeycloakModule
from ansible_collections.azimuth.ops.plugins.module_utils._tenancy_realm import TenancyRealms


class TenancyRealmModule(KeycloakModule):
    argument_spec = dict(
        azimuth_idp=dict(type="dict", options=dict(
            client_id=dict(type="str", required=True),
            client_secret=dict(type="str", required=True, no_log=True),
            display_name=dict(type="str", default="Azimuth"),
            issuer=dict(type="str", required=True),
        )),
        prune=dict(type="bool", default=False),
        prune_selector=dict(type="dict"),
        realm_attributes=dict(type="dict"),
        ssl_required=dict(type="str", default="external", choices=["all", "external", "none"]),
        state=dict(type="str", default="present", choices=["absent", "present"]),
        tenancies=dict(type="list", elements="dict", required=True, options=dict(
            id=dict(type="str", required=True),
            name=dict(type="str", required=True),
        )),
    )

    def run(self):
        outcome = TenancyRealms(self.keycloak).run(self.params, self.check_mode)
        for warning in outcome.pop("warnings"):
            self.module.warn(warning)
        diff = outcome.pop("diff")
        if self.diff_mode:
            outcome["diff"] = diff
        return outcome


def main():
    TenancyRealmModule().execute()


if __name__ == "__main__":
    main()
