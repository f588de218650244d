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
options: {}
extends_documentation_fragment:
  - azimuth.ops.openstack
notes:
  - Costs one token request, and nothing more.
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
"""

RETURN = r"""
project:
  description: The project the credentials are scoped to.
  returned: success
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
  returned: success
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
  returned: success
  type: list
  elements: str
  sample: [member, reader]
"""

from ansible_collections.azimuth.ops.plugins.module_utils.openstack._openstack import OpenStackModule, token_scope


class ProjectInfoModule(OpenStackModule):
    argument_spec = {}

    def run(self):
        return dict(changed=False, **token_scope(self.conn))


def main():
    ProjectInfoModule().execute()


if __name__ == "__main__":
    main()
