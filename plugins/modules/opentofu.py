#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: opentofu
short_description: Plan and apply one OpenTofu workspace
version_added: 1.0.0
author: azimuth.ops contributors (@azimuth-cloud)
description:
  - Runs OpenTofu (C(tofu), else C(terraform)) in O(project_path) to bring the infrastructure to the
    configuration (O(state=present)) or to destroy it (O(state=absent)).
  - C(init) runs only when needed, that is on the first run and when the backend configuration, the
    provider requirements (the C(terraform) blocks, the providers and modules used) or the dependency lock
    file changed since the last C(init). The module records a fingerprint of those in the working
    directory's C(.terraform). A run with nothing to do costs one C(plan) and one C(show -json) of it.
  - The module plans to a file and reads it as JSON. It decides C(changed) from that JSON, never from the
    engine's text. When something changes it applies exactly the saved plan. When another run changed the
    state in between (the plan is stale), it plans again, up to three times.
  - O(variables) are written to a JSON variables file in a private temporary directory (with the plan),
    never on the command line, and the directory is removed after the run. The engine runs with the
    module's environment minus C(TF_VAR_*), C(TF_CLI_ARGS*), C(TF_LOG*), C(TF_WORKSPACE), C(TF_DATA_DIR) and C(TF_INPUT),
    and never prompts.
  - Errors are cut down to the failing resource, the engine's summary and the provider's words.
  - A SIGINT or SIGTERM during a run is passed on to the engine, which stops, saves its state and
    releases the state lock. A later run continues from that state.
attributes:
  check_mode:
    description:
      - Plans (without taking the state lock) and reports what would change, without applying or writing any state.
      - C(init) still runs when needed, preparing the working directory (C(.terraform) and the dependency lock file).
      - A O(workspace) that does not exist yet is an error in check mode.
      - Some backends make an empty state on their first use, even for a plan (the Kubernetes backend creates its
        Secret then). No resource state is written.
    support: full
  diff_mode:
    description:
      - One diff per resource that changes, headed by its address and action (C(create), C(update), C(replace),
        C(delete), C(forget)). Sensitive values are C(********), values known only after apply C((known after apply)).
    support: full
options:
  apply_timeout:
    description:
      - Seconds an C(apply) may take. After that the engine is stopped as SIGINT stops it (it saves its state and
        releases the state lock) and the run fails, naming the operations still running, for example a subnet that a
        cloud refuses to delete while a port still holds an address on it. V(0) waits as long as the engine runs.
    type: int
    default: 0
  backend_config:
    description:
      - Backend settings added to the C(backend) block of the configuration, as C(-backend-config) does.
      - Written to a file in a private directory, never on the command line. Not shown in the invocation.
        Values of settings named C(token), C(password), C(secret), C(key), C(credentials), C(conn_str) or
        C(http_auth), or ending in C(_token), C(_key) and so on (C(client_key), C(secret_key)), are masked in all output.
    type: dict
    default: {}
  backend_config_files:
    description: Files of backend settings (HCL or JSON), passed to C(init) after O(backend_config).
    type: list
    elements: path
    default: []
  binary_path:
    description:
      - The engine's executable, as a path or a name on C(PATH).
      - Defaults to C(tofu), then C(terraform), on C(PATH).
    type: path
  check_destroy:
    description:
      - Fail, before anything is applied, when the plan destroys a resource, naming the resources. A replacement
        counts (its old object is destroyed), unlike in M(community.general.terraform).
      - Ignored with O(state=absent) (a destroy) and O(state=planned) (nothing is applied). In check mode the run fails as the
        real run would.
    type: bool
    default: false
  complex_vars:
    description:
      - Accepted for M(community.general.terraform) users, and has no effect. O(variables) are always passed typed
        (as JSON), so lists, dicts, booleans and numbers reach the configuration as such, with or without this option.
    type: bool
    default: false
  force_init:
    description:
      - Run C(init) on every run, even when nothing that C(init) prepares changed.
      - Without it, C(init) runs when needed (M(community.general.terraform) runs no C(init) at all without it).
    type: bool
    default: false
  no_color:
    description:
      - Accepted for M(community.general.terraform) users. The engine always runs with C(-no-color); V(false) is refused,
        as the module returns no raw output of the engine.
    type: bool
    default: true
  outputs_format:
    description:
      - V(values) returns RV(outputs) as C(name -> value).
      - V(terraform) returns them as C(name -> {value, type, sensitive}), the shape of C(output -json) and of
        M(community.general.terraform), so that C(result.outputs.x.value) keeps working. Sensitive values are
        C(********) in both shapes unless O(reveal_sensitive_outputs). C(type) is the engine's, from the state; for
        outputs known only from a plan (check mode, O(state=planned)) it is derived from the value (C(dynamic) when unknown).
    type: str
    default: values
    choices: [terraform, values]
  overwrite_init:
    description:
      - With O(force_init), V(false) runs C(init) only when needed, as without O(force_init) (in
        M(community.general.terraform), only when the working directory was never initialised).
    type: bool
    default: true
  plan_file:
    description:
      - With O(state=planned), where the plan is saved (mode C(0600)). The file is written only when the plan differs
        from the one it holds, so a second run with nothing new reports no change.
      - With O(state=present), a plan saved earlier with O(state=planned), applied exactly as saved. When a fresh plan
        (with the saved plan's variable values, unless O(variables) or O(variables_files) are given) finds nothing to
        do, the saved plan was applied already and nothing runs. A plan made stale by another change of the state fails
        with a message asking for a new plan.
      - Not with O(state=absent). A relative path is taken from O(project_path).
      - The plan holds the values of variables, sensitive ones included; keep it private.
    type: path
  plugin_paths:
    description: Directories that hold provider plugins, passed to C(init) as C(-plugin-dir) (providers are not downloaded then).
    type: list
    elements: path
    default: []
  provider_upgrade:
    description:
      - Run C(init -upgrade) on this run, so that providers and modules move to the newest versions the configuration
        allows. The run reports a change when the dependency lock file changed.
      - Not in check mode, which upgrades nothing and warns.
    type: bool
    default: false
  purge_workspace:
    description:
      - With O(state=absent), delete the O(workspace) after its resources were destroyed. The C(default) workspace is never
        deleted. A second run finds no workspace and changes nothing.
      - Refused with any other O(state).
    type: bool
    default: false
  lock:
    description: Whether to take the state lock while planning and applying.
    type: bool
    default: true
  lock_timeout:
    description:
      - Seconds to wait for a state lock held by another run before failing.
      - The failure names who holds the lock and since when.
    type: int
    default: 0
  parallelism:
    description: How many resource operations run at once (the engine's default is 10).
    type: int
  project_path:
    description: The directory with the configuration (the root module).
    type: path
    required: true
  reconfigure:
    description:
      - Pass C(-reconfigure) when C(init) runs, so that a changed backend configuration is used as it is,
        without migrating state from the previous backend.
      - Without it, C(init) fails when the backend configuration changed and says so.
    type: bool
    default: false
    aliases: [init_reconfigure]
  refresh:
    description:
      - V(false) plans with C(-refresh=false) against the state as last recorded, without reading each resource back
        from its provider. A plan then costs no request to the cloud for what it already manages, which is most of a
        run that changes nothing.
      - Changes made outside OpenTofu (drift) are then neither seen nor undone, and a resource deleted outside is not
        made again; use it where nothing else changes the infrastructure, and keep the default for runs that must
        correct drift. Check mode plans the same way, so it predicts exactly what the run with the same value does.
    type: bool
    default: true
  replace:
    description:
      - Resources to make again even though nothing changed (C(plan -replace), what C(taint) did), as addresses or
        shell-style patterns matched against the addresses in the state, for example C(openstack_compute_instance_v2.*)
        (the root module's servers). A pattern that matches nothing replaces nothing.
      - Only with O(state=present). Each run that gives it replaces them again.
    type: list
    elements: str
    default: []
  reveal_sensitive_outputs:
    description:
      - Return the values of outputs marked sensitive. By default they are C(********).
      - Use C(no_log) on the task when you set this.
    type: bool
    default: false
  state:
    description:
      - V(present) plans and applies the configuration.
      - V(absent) plans a destroy (C(plan -destroy)) and applies it.
      - V(planned) plans and saves the plan in O(plan_file) without applying it. RV(changes) lists what the plan would do;
        C(changed) says whether O(plan_file) got a new plan.
      - V(read) reads the outputs from the state (after C(init) when needed) and plans and applies nothing, as the
        role C(azimuth_cloud.terraform.infra) does for C(terraform_readonly).
    type: str
    default: present
    choices: [absent, planned, present, read]
  state_file:
    description:
      - The state file of the local backend (C(-state)), instead of C(terraform.tfstate) in O(project_path). A relative path
        is taken from O(project_path).
      - Refused when the configuration declares another backend; give that backend's settings in O(backend_config).
    type: path
  targets:
    description: Resource addresses to limit the plan to (C(-target)).
    type: list
    elements: str
    default: []
  variables:
    description:
      - Values of the configuration's input variables, typed as YAML gives them (strings, numbers, booleans,
        lists, dicts).
      - A variable the configuration does not declare is an error.
      - Never on the command line and not shown in the invocation. Values of variables the configuration
        declares C(sensitive) are masked in all output.
    type: dict
    default: {}
  variables_files:
    description:
      - Variables files (C(.tfvars) or C(.tfvars.json)), passed with C(-var-file) in order. O(variables) win over them
        (the other way round in M(community.general.terraform)). A relative path is taken from O(project_path).
      - Values of variables the configuration declares C(sensitive) are masked in all output, from files too.
    type: list
    elements: path
    default: []
    aliases: [variables_file]
  workspace:
    description:
      - The workspace, created when missing (with O(state=present) or O(state=planned)).
      - With O(state=absent) a missing workspace is left missing, and the run changes nothing.
    type: str
    default: default
requirements:
  - OpenTofu (C(tofu)) or Terraform (C(terraform)) 1.4 or later on the host that runs the module
notes:
  - The plan file and the variables file hold variable values and state; they live in a directory only
    the user can read and are deleted after the run.
  - Two runs of one working directory at once are safe. C(init) is serialised by a file lock in C(.terraform),
    and the state lock of the backend serialises plans and applies. Set O(lock_timeout) so that the later
    run waits rather than fails.
  - After a run was killed outright (not stopped by a signal it could handle), a backend may keep the lock.
    The error then names the lock ID to release with C(force-unlock) once no run holds it.
seealso:
  - module: community.general.terraform
    description: The options of community.general.terraform and what they are here are in docs/migration-terraform.md.
  - name: CaaS appliances and OpenTofu
    description: The role azimuth.ops.cluster_infra for appliance authors, and an example appliance.
    link: https://github.com/azimuth-cloud/azimuth-ops-collection/blob/main/docs/caas.md
"""

EXAMPLES = r"""
- name: Create the infrastructure of a configuration
  azimuth.ops.opentofu:
    project_path: /srv/infra/demo
    variables:
      network_name: demo
      cidr: 10.10.0.0/24
      tags: [portal]
  register: infra

- name: Use an output
  ansible.builtin.debug:
    msg: "network {{ infra.outputs.network_id }}"

- name: Keep the state in Kubernetes (Secret tfstate-default-demo), waiting for another run's lock
  azimuth.ops.opentofu:
    project_path: /srv/infra/demo
    backend_config:
      secret_suffix: demo
      namespace: az-demo
      config_path: /etc/azimuth/kubeconfig
    lock_timeout: 300
    variables:
      network_name: demo

- name: Read a sensitive output (hide the task's result)
  azimuth.ops.opentofu:
    project_path: /srv/infra/demo
    reveal_sensitive_outputs: true
  no_log: true
  register: secret_outputs

- name: Destroy it
  azimuth.ops.opentofu:
    project_path: /srv/infra/demo
    state: absent

- name: Save a plan for review (as community.general.terraform's state planned)
  azimuth.ops.opentofu:
    project_path: /srv/infra/demo
    state: planned
    plan_file: /srv/plans/demo.tfplan
    variables_files: [prod.tfvars]
  register: planned

- name: Apply exactly the reviewed plan, refusing one that destroys anything
  azimuth.ops.opentofu:
    project_path: /srv/infra/demo
    plan_file: /srv/plans/demo.tfplan
    check_destroy: true
    apply_timeout: 1200

- name: Outputs in community.general.terraform's shape
  azimuth.ops.opentofu:
    project_path: /srv/infra/demo
    outputs_format: terraform
  register: infra_tf

- name: Read them as before
  ansible.builtin.debug:
    msg: "network {{ infra_tf.outputs.network_id.value }}"

- name: Destroy a workspace's resources and the workspace
  azimuth.ops.opentofu:
    project_path: /srv/infra/demo
    workspace: staging
    state: absent
    purge_workspace: true
"""

RETURN = r"""
changes:
  description: The resources that change (or would, in check mode), with their action.
  returned: always
  type: list
  elements: dict
  contains:
    action:
      description: C(create), C(update), C(replace), C(delete), C(read) or C(forget).
      type: str
    address:
      description: The resource's address.
      type: str
  sample: [{address: openstack_networking_network_v2.this, action: create}]
commands:
  description: The engine's subcommands this run used, in order.
  returned: always
  type: list
  elements: str
  sample: [plan, show]
diff:
  description: In diff mode, one entry per changed resource (C(before_header), C(after_header), C(before), C(after)).
  returned: when diff mode is on
  type: list
  elements: dict
  sample:
    - before_header: openstack_networking_network_v2.this
      after_header: openstack_networking_network_v2.this (create)
      before: {}
      after: {name: demo, id: (known after apply)}
initialised:
  description: Whether this run ran C(init).
  returned: always
  type: bool
  sample: false
outputs:
  description:
    - The root module's outputs as C(name -> value), after the run (in check mode, as planned; a value known
      only after apply is V(null)). Empty after O(state=absent).
    - Sensitive outputs are C(********) unless O(reveal_sensitive_outputs).
    - With O(outputs_format=terraform), each is C({value, type, sensitive}).
  returned: always
  type: dict
  sample: {network_id: 0c2a3c9e-5f5b-4d2a-8c1e-7f6a5b4c3d2e, admin_password: "********"}
plan_file:
  description: The absolute path of O(plan_file).
  returned: when O(plan_file) is set
  type: str
  sample: /srv/plans/demo.tfplan
sensitive_outputs:
  description: The names of the outputs marked sensitive.
  returned: always
  type: list
  elements: str
  sample: [admin_password]
state:
  description: O(state).
  returned: always
  type: str
  sample: present
workspace:
  description: O(workspace).
  returned: always
  type: str
  sample: default
"""

import re

from ansible_collections.azimuth.ops.plugins.module_utils.common._hidden_options import HiddenOptions, values_under_keys
from ansible_collections.azimuth.ops.plugins.module_utils.tofu._tofu import TofuModule
from ansible_collections.azimuth.ops.plugins.module_utils.tofu._tofu_workspace import Workspace

# Backend settings that hold secrets (kubernetes token and client_key, s3 secret_key, pg conn_str, ...),
# but not secret_suffix or config_path.
BACKEND_SECRET_KEY = re.compile(r"(^|_)(token|password|secret|key|credentials|conn_str|http_auth)$", re.IGNORECASE)


class OpenTofuModule(HiddenOptions, TofuModule):
    argument_spec = dict(
        backend_config=dict(type="dict", default={}, no_log=True),
        backend_config_files=dict(type="list", elements="path", default=[]),
        lock=dict(type="bool", default=True),
        lock_timeout=dict(type="int", default=0),
        parallelism=dict(type="int"),
        project_path=dict(type="path", required=True),
        reconfigure=dict(type="bool", default=False, aliases=["init_reconfigure"]),
        refresh=dict(type="bool", default=True),
        reveal_sensitive_outputs=dict(type="bool", default=False),
        state=dict(type="str", default="present", choices=["absent", "planned", "present", "read"]),
        replace=dict(type="list", elements="str", default=[]),
        targets=dict(type="list", elements="str", default=[]),
        variables=dict(type="dict", default={}, no_log=True),
        workspace=dict(type="str", default="default"),
        # The options users of community.general.terraform look for (docs/migration-terraform.md).
        apply_timeout=dict(type="int", default=0),
        check_destroy=dict(type="bool", default=False),
        complex_vars=dict(type="bool", default=False),
        force_init=dict(type="bool", default=False),
        no_color=dict(type="bool", default=True),
        outputs_format=dict(type="str", default="values", choices=["terraform", "values"]),
        overwrite_init=dict(type="bool", default=True),
        plan_file=dict(type="path"),
        plugin_paths=dict(type="list", elements="path", default=[]),
        provider_upgrade=dict(type="bool", default=False),
        purge_workspace=dict(type="bool", default=False),
        state_file=dict(type="path"),
        variables_files=dict(type="list", elements="path", default=[], aliases=["variables_file"]),
    )
    hidden_options = ("backend_config", "variables")

    def __init__(self):
        super(OpenTofuModule, self).__init__()
        self.secrets.add(*values_under_keys(self.params["backend_config"], BACKEND_SECRET_KEY))
        self.unmask_hidden_options()

    def run(self):
        self.job = Workspace(self.binary, self.params, self.check_mode, self.secrets)
        result = self.job.run(self.diff_mode)
        result.update(self.invocation())
        return result


def main():
    OpenTofuModule().execute()


if __name__ == "__main__":
    main()
