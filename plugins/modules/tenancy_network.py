#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: tenancy_network
short_description: Discover, or create, the networks of a tenancy (an OpenStack project)
version_added: 1.0.0
description:
  - Finds the external, internal and storage networks of the project the credentials are scoped to,
    and creates the internal network, its subnet and a router when the project has none.
  - "With O(projects), does the same for each of many projects in one call (the batch form): each project is given
    exactly what a run scoped to it would give. With an admin's credentials each kind of object (networks, subnets,
    routers, router ports, network RBAC policies) is read once for all the projects, and objects are created owned by
    the project; with a user's credentials (a role in each project) each project is worked on with a token scoped to it."
  - "With O(clouds), does the same for many tenancies that each have a connection of their own (scoped to the tenancy's
    project), in one call: each cloud gets its own token, and the tenancies are worked on a few at a time.
    O(projects) and O(clouds) may be given together."
  - "External network: the one network carrying O(external_net_tag); else, with O(external_net_template),
    the one network of that name; else the one network with C(router:external) set. A network found by tag or
    template that does not have C(router:external) set is refused before anything is created."
  - "Internal network: the one network of the project (any visible network with O(allow_shared_internal_net))
    carrying O(internal_net_tag); else, with O(internal_net_template), the one network of that name;
    else, with O(create_internal_net), a new network tagged O(internal_net_tag) with an IPv4 subnet
    (O(internal_net_cidr)) and, when there is an external network, a router (O(router_name)) with its
    gateway on the external network and an interface on the subnet."
  - "Storage network: the one network carrying O(storage_net_tag), or none."
  - More than one candidate where one is expected, or none where one is required, ends the task with
    a message naming the project, the tag or template, and the networks found (name and ID).
  - The networks, subnet and router it creates carry the description C(Created by azimuth.ops.tenancy_network ...).
    Such an internal network that an earlier run left unfinished (no subnet, no router, no gateway, no interface)
    is completed; a network the operator tagged or named by template is used as it is and never modified.
  - Two runs for the same project at the same time end with the same single internal network, subnet and router;
    a run that creates an object waits (at least two seconds), looks for objects created by concurrent runs, keeps the
    oldest and deletes its own if it lost.
author:
  - azimuth.ops contributors (@azimuth-cloud)
attributes:
  check_mode:
    support: full
    description: Reports what a real run would create (new objects have C(id) null) and writes nothing.
  diff_mode:
    support: full
    description: Returns the internal network, its subnet and its router before and after the run.
  action_group:
    description: Use C(group/azimuth.ops.openstack) in C(module_defaults) to set the connection options once.
    support: full
    membership: [azimuth.ops.openstack]
options:
  allow_shared_internal_net:
    description:
      - When false, only networks owned by the current project count as its internal network
        (by tag or by template).
      - When true, any network the project can see counts, for example a shared network of another project.
    type: bool
    default: false
  create_internal_net:
    description:
      - Create the internal network, subnet and router when no network carries O(internal_net_tag)
        and no O(internal_net_template) is set.
    type: bool
    default: true
  external_net_required:
    description:
      - Fail, before creating anything, when the external network cannot be determined.
      - When false, carry on with RV(external_network=null), a warning, and no router.
    type: bool
    default: true
  external_net_tag:
    description: The tag that marks the external network. Neutron tags cannot contain a comma.
    type: str
    default: portal-external
  external_net_template:
    description:
      - The name of the external network, used when no network carries O(external_net_tag).
      - Each C({tenant_name}) is replaced by the project's name.
      - Without it, the network with C(router:external) set is used.
    type: str
  internal_net_cidr:
    description:
      - The IPv4 CIDR of the subnet of a new internal network. Neutron gives the subnet the first host
        address as gateway.
      - This attribute cannot be updated; it applies only when the subnet is created.
    type: str
    default: 192.168.3.0/24
  internal_net_dns_nameservers:
    description:
      - DNS nameservers for the subnet of a new internal network. Unset means the subnet has none.
      - This attribute cannot be updated; it applies only when the subnet is created.
    type: list
    elements: str
  internal_net_name:
    description:
      - The name of a new internal network and of its subnet.
      - With the description this module sets, it identifies a network that an earlier run created and left unfinished.
    type: str
    default: portal-internal
  internal_net_tag:
    description: The tag that marks the internal network; a new internal network is tagged with it.
    type: str
    default: portal-internal
  internal_net_template:
    description:
      - The name of the internal network, used when no network carries O(internal_net_tag).
      - Each C({tenant_name}) is replaced by the project's name.
      - A template never creates a network; when no network has the name the task fails.
    type: str
  clouds:
    description:
      - The batch form for tenancies with connections of their own. Each entry is a C(clouds.yaml) cloud name, a dict of
        connection settings (as O(cloud) takes them), or a dict with the keys C(cloud) (a name or such a dict) and
        C(options) (options of this module for that tenancy only, over the task's; an unknown one fails the task).
      - Each cloud must be scoped to its tenancy's project; each is authenticated with its own token. The tenancies are
        worked on a few at a time (eight), so that Keystone and Neutron are never flooded.
      - O(region_name), O(interface), O(validate_certs), O(ca_cert), O(client_cert), O(client_key) and O(api_timeout)
        apply to each cloud too; O(cloud), O(auth) and O(auth_type) are the connection of O(projects) only, and without
        O(projects) no connection but the clouds' is made.
      - A cloud that cannot be used (refused credentials, no project scope, a project another entry already gives)
        fails alone, before anything is written for it; the others are worked on. The result is RV(tenancies), keyed by
        project ID.
      - The secrets of the clouds never appear in the output; messages name a cloud by its name or its project only.
    type: list
    elements: raw
  projects:
    description:
      - The batch form. The projects whose networks to find or create, each a project ID or name, or a dict with the keys
        C(project) (an ID or name) and C(options) (options of this module for that project only, over the task's);
        the result is RV(tenancies), keyed by project ID.
      - The credentials may be an admin's (any project of the cloud), or a user's with a role in each project
        (a name must then be unique among that user's projects).
      - Every project is worked on even when another fails; the task then fails with each failed project's message,
        and RV(tenancies) holds the others.
      - Without it (and without O(clouds)), the module works on the project the credentials are scoped to.
    type: list
    elements: raw
  router_name:
    description:
      - The name of the router created for a new internal network.
      - This attribute cannot be updated.
    type: str
    default: portal-router
  storage_net_tag:
    description: The tag that marks the storage network; when no network carries it, RV(storage_network) is null.
    type: str
    default: portal-storage
extends_documentation_fragment:
  - azimuth.ops.openstack
requirements:
  - openstacksdk >= 1.0
notes:
  - Without O(projects), the credentials must be scoped to the tenancy's project; a project member is enough.
  - With O(projects) and an admin's credentials, a run that changes nothing makes a fixed handful of requests however
    many projects are listed (one list of projects, and one list of each kind of object; projects with options of their
    own share those lists with the projects of the same options).
  - With O(clouds), each tenancy costs a token and its own handful of reads, eight tenancies at a time.
  - A run that fails after it has written reports C(changed=true) and, in C(created), the objects it created.
  - A run that changes nothing makes a fixed handful of read requests (networks are filtered by the server
    by tag, name, project and C(router:external)), however many networks the cloud has.
seealso:
  - name: Tenancy networks
    description: The operator guide for this module.
    link: https://github.com/azimuth-cloud/azimuth-ops-collection/blob/main/docs/tenancy-network.md
"""

EXAMPLES = r"""
- name: Find or create the networks of the project in clouds.yaml entry "portal-demo"
  azimuth.ops.tenancy_network:
    cloud: portal-demo
  register: tenancy_networks

- name: Use networks named after the tenancy, never create one, and a tagged external network
  azimuth.ops.tenancy_network:
    cloud: portal-demo
    internal_net_template: "{tenant_name}-internal"
    external_net_tag: site-external
    create_internal_net: false

- name: Create the internal network with a different CIDR and DNS, without requiring an external network
  azimuth.ops.tenancy_network:
    cloud: portal-demo
    internal_net_cidr: 10.10.0.0/24
    internal_net_dns_nameservers: [1.1.1.1, 8.8.8.8]
    external_net_required: false

- name: Find or create the networks of many projects in one call, as the cloud admin
  azimuth.ops.tenancy_network:
    cloud: portal-admin
    projects: [physics, chemistry, 0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a]
    external_net_template: public
  register: tenancy_networks

- name: Find or create the networks of tenancies that each have their own cloud, in one call
  azimuth.ops.tenancy_network:
    clouds:
      - portal-physics
      - cloud: portal-chemistry
        options:
          internal_net_cidr: 10.20.0.0/24
    external_net_template: public
  register: tenancy_networks

- name: Show each tenancy's internal network
  ansible.builtin.debug:
    msg: "{{ item.value.project.name }}: {{ item.value.internal_network.name }}"
  loop: "{{ tenancy_networks.tenancies | dict2items }}"
  loop_control:
    label: "{{ item.key }}"

- name: Authenticate with an application credential through module defaults
  module_defaults:
    group/azimuth.ops.openstack:
      auth_type: v3applicationcredential
      auth:
        auth_url: https://keystone.example.org:5000/v3
        application_credential_id: "{{ app_cred_id }}"
        application_credential_secret: "{{ app_cred_secret }}"
  block:
    - name: Find the tenancy's networks without creating anything
      azimuth.ops.tenancy_network:
        create_internal_net: false
      register: tenancy_networks

    - name: Show the internal network
      ansible.builtin.debug:
        msg: "{{ tenancy_networks.internal_network.name }} ({{ tenancy_networks.internal_network.id }})"
"""

RETURN = r"""
project:
  description:
    - The tenancy's project (the one the credentials are scoped to), which may differ from the owner of a
      shared internal network.
  returned: success, without O(projects) or O(clouds)
  type: dict
  contains:
    id:
      description: The project ID.
      type: str
    name:
      description: The project name.
      type: str
  sample: {id: 7ecb5bf4a0a84f80a5cd4e1ccbf4d0f0, name: demo}
internal_network:
  description:
    - The internal network. In check mode a network to be created has C(id) null.
    - Keys C(id), C(name), C(description), C(project_id), C(tags), C(shared), C(router_external), C(created_at).
  returned: success, without O(projects) or O(clouds)
  type: dict
  sample:
    id: 1c9e8f0a-3b7d-4f2e-9a6c-5d4b3a2f1e0d
    name: portal-internal
    description: Created by azimuth.ops.tenancy_network (tag portal-internal)
    project_id: 7ecb5bf4a0a84f80a5cd4e1ccbf4d0f0
    tags: [portal-internal]
    shared: false
    router_external: false
    created_at: "2026-11-22T10:02:39Z"
external_network:
  description:
    - The external network, with the keys of RV(internal_network); null when none could be determined
      and O(external_net_required) is false.
  returned: success, without O(projects) or O(clouds)
  type: dict
  sample:
    id: 83a1a3b4-1d3a-486d-99f9-39ae1fcb2fec
    name: public
    description: ""
    project_id: 848af6244d634c15bc0e2d5da9ab441e
    tags: []
    shared: false
    router_external: true
    created_at: "2026-11-01T08:00:00Z"
storage_network:
  description: The storage network, with the keys of RV(internal_network), or null when no network carries O(storage_net_tag).
  returned: success, without O(projects) or O(clouds)
  type: dict
  sample: null
subnet:
  description:
    - The subnet of the internal network when this module manages that network (it created it); else null.
    - Keys C(id), C(name), C(description), C(project_id), C(network_id), C(ip_version), C(cidr),
      C(gateway_ip), C(dns_nameservers), C(created_at).
  returned: success, without O(projects) or O(clouds)
  type: dict
  sample:
    id: 5e0f7c1a-2b3d-4e5f-8a9b-0c1d2e3f4a5b
    name: portal-internal
    description: Created by azimuth.ops.tenancy_network
    project_id: 7ecb5bf4a0a84f80a5cd4e1ccbf4d0f0
    network_id: 1c9e8f0a-3b7d-4f2e-9a6c-5d4b3a2f1e0d
    ip_version: 4
    cidr: 192.168.3.0/24
    gateway_ip: 192.168.3.1
    dns_nameservers: []
    created_at: "2026-11-22T10:02:42Z"
router:
  description:
    - The router of the internal network when this module manages that network; null when it does not,
      or when there is no external network.
    - Keys C(id), C(name), C(project_id), C(external_network_id), C(interfaces) (a list of C({subnet_id})), C(created_at).
  returned: success, without O(projects) or O(clouds)
  type: dict
  sample:
    id: 9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d
    name: portal-router
    project_id: 7ecb5bf4a0a84f80a5cd4e1ccbf4d0f0
    external_network_id: 83a1a3b4-1d3a-486d-99f9-39ae1fcb2fec
    interfaces:
      - subnet_id: 5e0f7c1a-2b3d-4e5f-8a9b-0c1d2e3f4a5b
    created_at: "2026-11-22T10:02:45Z"
created:
  description: The objects this run created (C(id) null in check mode), in the order of creation.
  returned: success, without O(projects) or O(clouds)
  type: list
  elements: dict
  sample:
    - {type: network, id: 1c9e8f0a-3b7d-4f2e-9a6c-5d4b3a2f1e0d, name: portal-internal}
    - {type: subnet, id: 5e0f7c1a-2b3d-4e5f-8a9b-0c1d2e3f4a5b, name: portal-internal}
    - {type: router, id: 9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d, name: portal-router}
tenancies:
  description:
    - With O(projects), each project's result, keyed by project ID, with the keys RV(project), RV(internal_network),
      RV(external_network), RV(storage_network), RV(subnet), RV(router), RV(created) and C(changed) (whether this run
      changed that project's networks), exactly as a run without O(projects) scoped to the project returns them.
    - When some projects fail, the task fails and this holds the others; C(errors) then maps each failed project's ID
      to its message.
  returned: with O(projects) or O(clouds)
  type: dict
  sample:
    7ecb5bf4a0a84f80a5cd4e1ccbf4d0f0:
      changed: false
      project: {id: 7ecb5bf4a0a84f80a5cd4e1ccbf4d0f0, name: demo}
      internal_network: {id: 1c9e8f0a-3b7d-4f2e-9a6c-5d4b3a2f1e0d, name: portal-internal}
      external_network: {id: 83a1a3b4-1d3a-486d-99f9-39ae1fcb2fec, name: public}
      storage_network: null
      subnet: {id: 5e0f7c1a-2b3d-4e5f-8a9b-0c1d2e3f4a5b, name: portal-internal}
      router: {id: 9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d, name: portal-router}
      created: []
"""

from ansible_collections.azimuth.ops.plugins.module_utils.openstack._clouds import OwnClouds, opener
from ansible_collections.azimuth.ops.plugins.module_utils.openstack._network import OPTIONS_SPEC, Options, TenancyNetworks
from ansible_collections.azimuth.ops.plugins.module_utils.openstack._network_batch import BatchNetworks, cloud_entries, project_entries
from ansible_collections.azimuth.ops.plugins.module_utils.openstack._openstack import OpenStackModule


class TenancyNetworkModule(OwnClouds, OpenStackModule):
    argument_spec = dict(OPTIONS_SPEC, projects=dict(type="list", elements="raw"), clouds=dict(type="list", elements="raw", no_log=True))
    secret_carriers = OpenStackModule.secret_carriers + (("clouds",),)

    def needs_task_connection(self):
        # Projects are worked on through the task's connection; only the tenancies' own clouds need none.
        return self.params["clouds"] is None or self.params["projects"] is not None

    def run(self):
        options = Options.from_params(self.params)
        if self.params["projects"] is None and self.params["clouds"] is None:
            networks = TenancyNetworks(self.conn, options, check_mode=self.check_mode)
        else:
            base = dict((field, self.params.get(field)) for field in OPTIONS_SPEC)
            projects = project_entries(self.params["projects"], base)
            clouds = [(label, opener(self.params, cloud), entry) for label, cloud, entry in cloud_entries(self.params["clouds"], base)]
            networks = BatchNetworks(self.conn, options, projects, check_mode=self.check_mode, clouds=clouds)
        self.job = networks  # its warnings are emitted on success and failure alike
        return networks.run(diff=self.diff_mode)


def main():
    TenancyNetworkModule().execute()


if __name__ == "__main__":
    main()
