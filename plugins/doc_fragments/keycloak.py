# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment:
    """Connection options shared by the collection's Keycloak modules."""

    DOCUMENTATION = r"""
options:
  auth_keycloak_url:
    description:
      - The Keycloak server URL, for example C(https://keycloak.example.org) (with C(/auth) for a server that
        still serves under that path). Defaults to C(KEYCLOAK_URL).
    type: str
    aliases: [url]
  auth_realm:
    description: The realm the module logs in to. Defaults to C(KEYCLOAK_REALM), then C(master).
    type: str
    default: master
  auth_client_id:
    description: The client the module logs in with. Defaults to C(KEYCLOAK_CLIENT_ID), then C(admin-cli).
    type: str
    default: admin-cli
  auth_client_secret:
    description:
      - The secret of O(auth_client_id) when it is confidential. Without O(auth_username), the module logs in
        as that client's service account (client credentials grant). Defaults to C(KEYCLOAK_CLIENT_SECRET).
    type: str
  auth_username:
    description: The user the module logs in as. Defaults to C(KEYCLOAK_ADMIN_USER), then C(KEYCLOAK_USER).
    type: str
    aliases: [username]
  auth_password:
    description: The password of O(auth_username). Defaults to C(KEYCLOAK_ADMIN_PASSWORD), then C(KEYCLOAK_PASSWORD).
    type: str
    aliases: [password]
  token:
    description:
      - An access token to use instead of logging in. When Keycloak refuses it and O(auth_username) and
        O(auth_password) are set, the module logs in with those. Defaults to C(KEYCLOAK_TOKEN).
    type: str
  validate_certs:
    description: Whether to verify Keycloak's TLS certificate. Defaults to C(KEYCLOAK_VALIDATE_CERTS), then true.
    type: bool
    default: true
  ca_cert:
    description: A CA bundle to verify Keycloak's certificate with. Defaults to C(KEYCLOAK_CA_CERT).
    type: path
  connection_timeout:
    description: Seconds to wait for Keycloak to answer a request. Defaults to C(KEYCLOAK_CONNECTION_TIMEOUT), then 10.
    type: int
    default: 10
requirements:
  - python >= 3.9
  - python-keycloak >= 7.0
notes:
  - The module logs in once per run (one token), and again only when the token expires or Keycloak answers 401.
  - An unreachable server, refused credentials and a refused request each end the task with one message
    that includes Keycloak's own explanation.
"""
