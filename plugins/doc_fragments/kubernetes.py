# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment:
    """Connection options shared by the collection's Kubernetes modules."""

    DOCUMENTATION = r"""
options:
  kubeconfig:
    description:
      - A kubeconfig file, or its content as a dict.
      - Defaults to C(K8S_AUTH_KUBECONFIG), then C(KUBECONFIG), then C(~/.kube/config), unless O(host) is set.
      - The secrets in a dict (tokens, passwords, client keys) are never logged or printed.
    type: raw
  context:
    description: The kubeconfig context to use; defaults to its current context, or C(K8S_AUTH_CONTEXT).
    type: str
  host:
    description:
      - The API server URL. Defaults to C(K8S_AUTH_HOST).
      - When it is not the kubeconfig's server, nothing of the kubeconfig is used, so its credentials never
        go to another server; give O(api_key) (or O(client_cert) and O(client_key)) for this one.
    type: str
  api_key:
    description: A bearer token; overrides the kubeconfig's. Defaults to C(K8S_AUTH_API_KEY).
    type: str
  validate_certs:
    description: Whether to verify the API server's certificate. Defaults to C(K8S_AUTH_VERIFY_SSL), then the kubeconfig.
    type: bool
    aliases: [verify_ssl]
  ca_cert:
    description: A CA bundle to verify the API server with. Defaults to C(K8S_AUTH_SSL_CA_CERT), then the kubeconfig.
    type: path
    aliases: [ssl_ca_cert]
  client_cert:
    description: A client certificate. Defaults to C(K8S_AUTH_CERT_FILE), then the kubeconfig.
    type: path
    aliases: [cert_file]
  client_key:
    description: The key of O(client_cert). Defaults to C(K8S_AUTH_KEY_FILE), then the kubeconfig.
    type: path
    aliases: [key_file]
requirements:
  - python >= 3.9
  - kubernetes >= 24.2
notes:
  - An unreachable or refusing API server ends the task with one message that includes the
    server's C(Status) reason and message.
  - A write that meets a 409 Conflict is retried after re-reading the object.
"""

    # The same connection as one dict option, for modules whose own connection is another service's.
    CONNECTION = r"""
options:
  kubernetes:
    description:
      - The Kubernetes connection for the objects the module reads and writes (Secrets, custom resources).
        The keys are those of the collection's Kubernetes modules, with the same defaults from the environment.
    type: dict
    default: {}
    suboptions:
      api_key:
        description: A bearer token; overrides the kubeconfig's. Defaults to C(K8S_AUTH_API_KEY).
        type: str
      ca_cert:
        description: A CA bundle to verify the API server with. Defaults to C(K8S_AUTH_SSL_CA_CERT), then the kubeconfig.
        type: path
        aliases: [ssl_ca_cert]
      client_cert:
        description: A client certificate. Defaults to C(K8S_AUTH_CERT_FILE), then the kubeconfig.
        type: path
        aliases: [cert_file]
      client_key:
        description: The key of O(kubernetes.client_cert). Defaults to C(K8S_AUTH_KEY_FILE), then the kubeconfig.
        type: path
        aliases: [key_file]
      context:
        description: The kubeconfig context to use; defaults to its current context, or C(K8S_AUTH_CONTEXT).
        type: str
      host:
        description:
          - The API server URL. Defaults to C(K8S_AUTH_HOST).
          - When it is not the kubeconfig's server, nothing of the kubeconfig is used, so its credentials never
            go to another server; give O(kubernetes.api_key) (or a client certificate) for this one.
        type: str
      kubeconfig:
        description:
          - A kubeconfig file, or its content as a dict.
          - Defaults to C(K8S_AUTH_KUBECONFIG), then C(KUBECONFIG), then C(~/.kube/config), unless O(kubernetes.host) is set.
          - The secrets in a dict (tokens, passwords, client keys) are never logged or printed.
        type: raw
      validate_certs:
        description: Whether to verify the API server's certificate. Defaults to C(K8S_AUTH_VERIFY_SSL), then the kubeconfig.
        type: bool
        aliases: [verify_ssl]
"""
