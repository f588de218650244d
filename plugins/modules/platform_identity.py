#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: platform_identity
short_description: Keycloak groups and clients for the platforms of one realm, and Zenith's discovery Secrets
version_added: 1.0.0
author: azimuth.ops contributors (@azimuth-cloud)
description:
  - Ensures, for each platform listed, what Azimuth's identity operator sets up for it in a tenancy realm
    (made by M(azimuth.ops.tenancy_realm)), in one call.
  - The group C(/<platform>) with a subgroup per service (C(/<platform>/<service>)).
  - Per service a confidential OpenID Connect client C(<platform>.<service>), standard flow only, with the base
    URL C(<scheme>://<fqdn>) and the redirect URI C(<base URL>/_oidc/callback).
  - Per service the Kubernetes Secret C(oidc-discovery-<subdomain>) in the namespace O(discovery.namespace),
    with the keys C(issuer-url), C(client-id), C(client-secret) and C(allowed-groups) (a JSON list of
    C(/platform-users), C(/<platform>) and C(/<platform>/<service>)), from which Zenith protects the service.
  - A service removed from a platform loses its client, its subgroup and its Secret.
  - Groups and clients carry the attributes C(azimuth-ops.managed-by=azimuth-ops), C(azimuth-ops.platform) and
    C(azimuth-ops.service); Secrets the labels C(app.kubernetes.io/managed-by=azimuth-ops) and
    C(identity.azimuth-cloud.io/realm), C(platform), C(service), C(subdomain), by which the module finds its own.
    Other groups, clients and Secrets, and client settings the module does not set, are left alone.
  - The module updates or deletes only the groups and clients that carry its marks for the platform (those
    attributes). A platform named C(admins) or C(platform-users), the realm's own groups, is refused; so is a
    platform whose group, service subgroup or client exists without the marks (made by a realm admin or another
    tool), unless O(adopt=true). Both are found before anything is written, in check mode too.
  - Group and client attributes can be written by the realm's admins (every tenancy member, in a tenancy realm).
    A realm admin who marks a group of their own lets the module manage that group, in their own realm only.
  - A Secret of a discovery Secret's name that another tool manages (label C(app.kubernetes.io/managed-by)
    with another value, such as C(Helm)), or the module's discovery Secret of another realm, is refused before
    anything is written, in check mode too. One that Azimuth's identity operator made
    (C(app.kubernetes.io/managed-by=azimuth-identity-operator)) is refused the same way, unless O(adopt).
  - Discovery Secrets carry the module's labels (C(identity.azimuth-cloud.io/realm), C(/platform), C(/service),
    C(/subdomain)) and the identity operator's (C(identity.azimuth.stackhpc.com/platform-namespace) with the realm's
    name, which upstream is the tenancy's namespace, C(/platform-name), C(/service-name), C(/subdomain)), so that
    either tool finds the other's.
  - The realm must exist and be managed by the collection.
attributes:
  action_group:
    description: Use C(group/azimuth.ops.keycloak) in C(module_defaults) to set the Keycloak connection options.
    support: full
    membership:
      - azimuth.ops.keycloak
  check_mode:
    description: Reads Keycloak and Kubernetes and predicts every change, writing nothing.
    support: full
  diff_mode:
    description:
      - Returns the groups, clients and Secrets that change, before and after.
      - The C(client-secret) of a Secret shows as C(********) (C(******** (changed)) when it changes); clients
        show without their secret.
    support: full
options:
  adopt:
    description:
      - Take over the existing groups and clients of the listed platforms that the module did not make (that
        lack its marks); they are marked, and from then on managed (updated, and deleted with O(state=absent)
        or O(prune)). What they hold (members, other attributes, client settings the module does not set) stays.
      - Also take over the discovery Secrets of the listed platforms that Azimuth's identity operator made (stop it
        first); they are relabelled, and the annotation C(azimuth-ops.azimuth-cloud.io/adopted-from) records the takeover.
        Secrets of any other tool are refused even so.
      - Off, such a group, client or Secret stops the module before anything is written.
      - The realm's own groups C(admins) and C(platform-users) are never adopted. O(state=absent) deletes only
        marked groups and clients, whatever this option says.
    type: bool
    default: false
  discovery:
    description: Where the discovery Secrets go.
    type: dict
    default: {}
    suboptions:
      kubernetes:
        description:
          - Deprecated, use O(kubernetes) (the same keys); removed in 2.0.0. Given here, it is used with a
            deprecation warning.
        type: dict
      namespace:
        description: The namespace of the Secrets (Zenith's); it must exist.
        type: str
        default: zenith-services
  platforms:
    description: The platforms.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: The platform's name (for a CaaS cluster, C(caas-<cluster name>)); a DNS label.
        type: str
        required: true
      services:
        description: The platform's Zenith services.
        type: list
        elements: dict
        default: []
        suboptions:
          fqdn:
            description: The service's host name.
            type: str
            required: true
          name:
            description: The service's name; a DNS label.
            type: str
            required: true
          subdomain:
            description: The service's Zenith subdomain; a DNS label, unique among the services.
            type: str
            required: true
  finalizer:
    description:
      - With O(platform_objects_namespace), hold each C(Platform) object with the finalizer
        C(azimuth-ops.azimuth-cloud.io/identity) until its groups, clients and Secrets are removed, which then takes the
        finalizer off. They are removed with O(state=absent), or when the object is being deleted (the portal's word, whatever O(state)
        says). For event-driven runs that answer the deletion of a C(Platform) (the rulebook C(azimuth.ops.identity)).
    type: bool
    default: false
  platform_objects_namespace:
    description:
      - Answer the portal's C(Platform) objects (C(identity.azimuth.stackhpc.com/v1alpha1)) of this namespace (the
        tenancy's), one named after each listed platform, as the identity operator does. With O(state=present) each gets
        its status (C(phase=Ready), C(rootGroup=/<platform>), C(zenithServiceSubgroups) with C(/<platform>/<service>) per
        service); with O(state=absent) the module's own object is deleted and its finalizer taken off.
      - A listed platform without its object, or one another tool manages or the identity operator handles (unless
        O(adopt)), stops the module before anything is written. Unset, no C(Platform) object is read or written.
    type: str
  prune:
    description:
      - Also remove the platforms (their clients, group and Secrets) that the module made in this realm and
        that are not in O(platforms).
    type: bool
    default: false
  public_url:
    description:
      - The Keycloak URL that platforms see, for C(issuer-url) (C(<public_url>/realms/<realm>)).
      - Defaults to O(auth_keycloak_url).
    type: str
  realm:
    description: The realm (a tenancy realm, C(az-<tenancy>)).
    type: str
    required: true
  redirect_uri_scheme:
    description: The scheme of the services' base URLs and redirect URIs.
    type: str
    default: https
    choices: [http, https]
  state:
    description:
      - V(present) creates or repairs the listed platforms.
      - V(absent) removes the listed platforms' clients, group and Secrets; nothing when the realm is gone
        except the Secrets.
    type: str
    default: present
    choices: [absent, present]
extends_documentation_fragment:
  - azimuth.ops.keycloak
  - azimuth.ops.kubernetes.connection
notes:
  - A run reads the realm with one partial export (a C(POST) that reads and writes nothing), its clients with
    one request, and the Secrets with one list request (and one read for each wanted Secret the list did not
    find); with nothing to change it sends nothing else.
  - Needs Kubernetes permission to C(list), C(get), C(create), C(patch) and C(delete) Secrets in O(discovery.namespace).
seealso:
  - module: azimuth.ops.tenancy_realm
"""

EXAMPLES = r"""
- name: The identity of a CaaS workstation and a Kubernetes cluster in a tenancy realm
  azimuth.ops.platform_identity:
    realm: az-physics
    platforms:
      - name: caas-mywork
        services:
          - name: webconsole
            subdomain: ab12cd34
            fqdn: ab12cd34.apps.example.org
          - name: monitoring
            subdomain: ef56gh78
            fqdn: ef56gh78.apps.example.org
      - name: kube-prod
        services:
          - name: dashboard
            subdomain: ij90kl12
            fqdn: ij90kl12.apps.example.org
    discovery:
      namespace: zenith-services
    kubernetes:
      kubeconfig: /etc/azimuth/kubeconfig

- name: Drop a service (its client, subgroup and Secret go)
  azimuth.ops.platform_identity:
    realm: az-physics
    platforms:
      - name: caas-mywork
        services:
          - name: webconsole
            subdomain: ab12cd34
            fqdn: ab12cd34.apps.example.org

- name: Keep exactly these platforms in the realm
  azimuth.ops.platform_identity:
    realm: az-physics
    platforms: "{{ physics_platforms }}"
    prune: true

- name: Take over a group a realm admin made for a platform before the module ran
  azimuth.ops.platform_identity:
    realm: az-physics
    platforms:
      - name: caas-legacy
        services:
          - name: webconsole
            subdomain: mn34op56
            fqdn: mn34op56.apps.example.org
    adopt: true

- name: Remove a platform
  azimuth.ops.platform_identity:
    realm: az-physics
    platforms:
      - name: kube-prod
    state: absent

- name: Set the Keycloak connection once for the collection's Keycloak modules
  module_defaults:
    group/azimuth.ops.keycloak:
      auth_keycloak_url: https://keycloak.example.org
      auth_username: admin
      auth_password: "{{ keycloak_admin_password }}"
  block:
    - name: The platforms of a tenancy
      azimuth.ops.platform_identity:
        realm: az-physics
        platforms: "{{ physics_platforms }}"
"""

RETURN = r"""
diff:
  description: In diff mode, the groups (by path), clients (by client ID) and Secrets (C(namespace/name)) that change.
  returned: when diff mode is on
  type: dict
  contains:
    before:
      description: C(groups), C(clients) and C(secrets) before (V(null) for one that does not exist).
      type: dict
    after:
      description: The same after the change (V(null) for one deleted).
      type: dict
  sample:
    before: {groups: {/caas-mywork: null}, clients: {}, secrets: {}}
    after:
      groups:
        /caas-mywork: {attributes: {azimuth-ops.platform: [caas-mywork]}, clientRoles: {}}
      clients: {}
      secrets: {}
issuer_url:
  description: The realm's issuer URL, as the Secrets hold it.
  returned: always
  type: str
  sample: https://keycloak.example.org/realms/az-physics
platforms:
  description: One entry per listed platform.
  returned: always
  type: list
  elements: dict
  contains:
    group:
      description: The platform's group path.
      type: str
    name:
      description: The platform's name.
      type: str
    services:
      description: Per service its C(name), C(client_id), C(group) path, C(subdomain) and C(secret) (C(namespace/name)).
      type: list
      elements: dict
  sample:
    - name: caas-mywork
      group: /caas-mywork
      services:
        - {name: webconsole, client_id: caas-mywork.webconsole, group: /caas-mywork/webconsole, subdomain: ab12cd34,
           secret: zenith-services/oidc-discovery-ab12cd34}
realm:
  description: The realm.
  returned: always
  type: str
  sample: az-physics
"""

from ansible_collections.azimuth.ops.plugins.module_utils.kubernetes import _kubernetes as kube
from ansible_collections.azimuth.ops.plugins.module_utils.kubernetes._answered_object import PLATFORM_KIND
from ansible_collections.azimuth.ops.plugins.module_utils.keycloak._keycloak import KeycloakModule
from ansible_collections.azimuth.ops.plugins.module_utils.keycloak._platform_identity import PlatformIdentity


class PlatformIdentityModule(kube.KubernetesConnection, KeycloakModule):
    deprecated_connection = ("discovery", "kubernetes")
    argument_spec = dict(
        adopt=dict(type="bool", default=False),
        discovery=dict(type="dict", default={}, options=dict(
            kubernetes=dict(type="dict"),
            namespace=dict(type="str", default="zenith-services"),
        )),
        platforms=dict(type="list", elements="dict", required=True, options=dict(
            name=dict(type="str", required=True),
            services=dict(type="list", elements="dict", default=[], options=dict(
                fqdn=dict(type="str", required=True),
                name=dict(type="str", required=True),
                subdomain=dict(type="str", required=True),
            )),
        )),
        finalizer=dict(type="bool", default=False),
        platform_objects_namespace=dict(type="str"),
        prune=dict(type="bool", default=False),
        public_url=dict(type="str"),
        realm=dict(type="str", required=True),
        redirect_uri_scheme=dict(type="str", default="https", choices=["http", "https"]),
        state=dict(type="str", default="present", choices=["absent", "present"]),
    )

    def run(self):
        api = self.kubernetes_api()
        self.job = PlatformIdentity(self.keycloak, kube.CoreCalls(api), self.server_url, kube.CustomCalls(api, *PLATFORM_KIND),
                                    secrets=self.secrets)
        return self.job.run(self.params, self.check_mode)


def main():
    PlatformIdentityModule().execute()


if __name__ == "__main__":
    main()
