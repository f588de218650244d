#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: project_info
short_description: The OpenStack project, user and roles a connection is scoped to
version_added: 1.0.0
author: azimuth.ops contributors (@azimuth-cloud)
description:
  - Authenticates with the connection options and returns, from the token, the project the credentials are
    scoped to, the user, and the user's roles in that project.
  - With O(clouds), does the same for many clouds (each tenancy's own) in one call, eight at a time.
  - Reads only; nothing is written, in check mode or not.
attributes:
  action_group:
    description: Use C(group/azimuth.ops.openstack) in C(module_defaults) to set the connection options.
    support: full
    membership:
      - azimuth.ops.openstack
  check_mode:
    description: Reads only, so it runs in check mode as it does otherwise.
    support: full
  diff_mode:
    description: Nothing changes, so there is no diff.
    support: none
options:
  clouds:
    description:
      - The batch form. Each entry is a C(clouds.yaml) cloud name or a dict of connection settings (as O(cloud));
        the task's other connection options (O(region_name), O(interface), O(validate_certs), O(ca_cert)...) apply
        over each.
      - The result is RV(projects), one item per entry in the same order; the task's own connection is not used.
      - A cloud that cannot be used fails the task, with a message that names it by its name or project only.
    type: list
    elements: raw
extends_documentation_fragment:
  - azimuth.ops.openstack
notes:
  - Costs one token request per cloud, and nothing more.
seealso:
  - module: azimuth.ops.app_credential
"""

EXAMPLES = r"""
- name: Which project is the clouds.yaml entry "portal-demo" scoped to?
  azimuth.ops.project_info:
    cloud: portal-demo
  register: scope

- name: Show it
  ansible.builtin.debug:
    msg: "{{ scope.user.name }} in {{ scope.project.name }} ({{ scope.project.id }}) with roles {{ scope.roles | join(', ') }}"

- name: The projects of several tenancies' clouds, in one call
  azimuth.ops.project_info:
    clouds: [portal-demo, portal-physics]
  register: scopes

- name: Show their project IDs
  ansible.builtin.debug:
    msg: "{{ scopes.projects | map(attribute='project.id') | list }}"
"""

RETURN = r"""
project:
  description: The project the credentials are scoped to.
  returned: success, without O(clouds)
  type: dict
  contains:
    id:
      description: The project ID.
      type: str
    name:
      description: The project name.
      type: str
  sample: {id: 7ecb5bf4a0a84f80a5cd4e1ccbf4d0f0, name: demo}
user:
  description: The authenticated user.
  returned: success, without O(clouds)
  type: dict
  contains:
    id:
      description: The user ID.
      type: str
    name:
      description: The user name.
      type: str
  sample: {id: ceec80e1f62347ce899db7abc2316981, name: sandbox-demo}
roles:
  description: The names of the user's roles in the project, sorted.
  returned: success, without O(clouds)
  type: list
  elements: str
  sample: [member, reader]
projects:
  description: With O(clouds), one item per cloud in the same order, each with RV(project), RV(user) and RV(roles) as above.
  returned: success, with O(clouds)
  type: list
  elements: dict
  sample:
    - project: {id: 7ecb5bf4a0a84f80a5cd4e1ccbf4d0f0, name: demo}
      user: {id: ceec80e1f62347ce899db7abc2316981, name: sandbox-demo}
      roles: [member, reader]
"""

import functools

from ansible_collections.azimuth.ops.plugins.module_utils.common._module import ModuleError
from ansible_collections.azimuth.ops.plugins.module_utils.openstack._clouds import OwnClouds, close, cloud_label, open_cloud, opener, pool_map
from ansible_collections.azimuth.ops.plugins.module_utils.openstack._openstack import OpenStackModule, token_scope


def scope_then_close(connect):
    """The token's scope of the connection ``connect()`` opens, closed once read."""
    conn = connect()
    try:
        return token_scope(conn)
    finally:
        close(conn)


class ProjectInfoModule(OwnClouds, OpenStackModule):
    argument_spec = dict(clouds=dict(type="list", elements="raw", no_log=True))
    secret_carriers = OpenStackModule.secret_carriers + (("clouds",),)

    def run(self):
        if self.params["clouds"] is None:
            return dict(changed=False, **token_scope(self.conn))
        found = pool_map(self.scope_of, enumerate(self.params["clouds"]))
        failures = [problem for _scope, problem in found if problem]
        if failures:
            raise ModuleError("Could not read the scope of %d of %d clouds: %s" % (len(failures), len(found), "; ".join(failures)))
        return dict(changed=False, projects=[scope for scope, _problem in found])

    def scope_of(self, indexed):
        """(the token's scope, None) for one cloud of ``clouds``, or (None, what went wrong)."""
        index, cloud = indexed
        label = cloud_label("clouds[%d]" % index, cloud)
        if not cloud or not isinstance(cloud, (str, dict)):
            return None, "%s must be a cloud name or a dict of connection settings" % label
        return open_cloud(label, functools.partial(scope_then_close, opener(self.params, cloud)), self.describe, prefix="")


def main():
    ProjectInfoModule().execute()


if __name__ == "__main__":
    main()
