# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment:
    """Connection options shared by the collection's OpenStack modules."""

    DOCUMENTATION = r"""
options:
  cloud:
    description:
      - The name of a cloud in C(clouds.yaml), or a dict of connection settings (the keys of a C(clouds.yaml) cloud).
      - The other options, when given, win over what it says; O(auth) is merged into its C(auth) key by key.
      - Without it (and without O(auth)), openstacksdk reads C(OS_CLOUD), C(OS_*) environment variables
        and C(clouds.yaml) (located by C(OS_CLIENT_CONFIG_FILE) or the standard paths).
      - Secrets in a dict (keys such as C(password), C(application_credential_secret), C(token)) are never logged or printed.
    type: raw
  auth:
    description:
      - Authentication settings such as C(auth_url), C(username), C(password), C(project_name),
        C(user_domain_name), C(project_domain_name), or C(application_credential_id) and
        C(application_credential_secret). Each key overrides the same key of O(cloud)'s C(auth).
      - Never logged; in output, the values of its secret keys are masked.
    type: dict
  auth_type:
    description: The keystoneauth plugin, for example C(password) or C(v3applicationcredential).
    type: str
  region_name:
    description: The region to use.
    type: str
  interface:
    description: The endpoint interface to use. Defaults to what O(cloud) says, else V(public).
    type: str
    choices: [admin, internal, public]
    aliases: [endpoint_type]
  validate_certs:
    description: Whether to verify TLS certificates. Defaults to what O(cloud) says, else V(true).
    type: bool
  ca_cert:
    description: A CA bundle to verify the cloud's certificates with.
    type: path
    aliases: [cacert]
  client_cert:
    description: A client certificate for TLS client authentication.
    type: path
    aliases: [cert]
  client_key:
    description: The key of O(client_cert).
    type: path
    aliases: [key]
  api_timeout:
    description: Seconds to wait for each API request.
    type: int
  token_cache:
    description:
      - A directory where the module calls of one run share their tokens, so that each cloud (each set of
        credentials) authenticates once per run instead of once per module call.
      - It must belong to the user the module runs as and be private to it (mode V(0700)), because it holds
        tokens; the module refuses any other. Make it at the start of the run and remove it at the end, as
        the C(azimuth.ops.provision) playbook does with C(ansible.builtin.tempfile).
      - Each file is named by a keyed hash of the credentials, so a file's name reveals nothing of them and
        other credentials never use its token. An expired or revoked token is replaced by a new one.
      - If not set, the environment variable C(AZIMUTH_OPS_TOKEN_CACHE) is used; when that is empty too,
        every module call authenticates for itself.
    type: path
requirements:
  - python >= 3.9
  - openstacksdk >= 1.0
notes:
  - Bad credentials, an unreachable endpoint or a refused request end the task with one
    message that includes the server's response.
"""
