# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Kubernetes base: shared connection options, the official client, API errors as messages.

The options are documented by the ``azimuth.ops.kubernetes`` doc fragment.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import traceback

from ansible.module_utils.basic import env_fallback, missing_required_lib

from ansible_collections.azimuth.ops.plugins.module_utils.common._module import BaseModule, ModuleError, option_value, secret_values
from ansible_collections.azimuth.ops.plugins.module_utils.common._module import Conflict as _ConflictFamily

try:
    import urllib3
    import yaml
    from kubernetes import client as kube_client
    from kubernetes import config as kube_config
    from kubernetes.client.rest import ApiException
    from kubernetes.config.config_exception import ConfigException
except ImportError:
    KUBERNETES_IMPORT_ERROR = traceback.format_exc()
else:
    KUBERNETES_IMPORT_ERROR = None

KUBERNETES_ARGUMENT_SPEC = dict(
    kubeconfig=dict(type="raw", fallback=(env_fallback, ["K8S_AUTH_KUBECONFIG", "KUBECONFIG"])),
    context=dict(type="str", fallback=(env_fallback, ["K8S_AUTH_CONTEXT"])),
    host=dict(type="str", fallback=(env_fallback, ["K8S_AUTH_HOST"])),
    api_key=dict(type="str", no_log=True, fallback=(env_fallback, ["K8S_AUTH_API_KEY"])),
    validate_certs=dict(type="bool", aliases=["verify_ssl"], fallback=(env_fallback, ["K8S_AUTH_VERIFY_SSL"])),
    ca_cert=dict(type="path", aliases=["ssl_ca_cert"], fallback=(env_fallback, ["K8S_AUTH_SSL_CA_CERT"])),
    client_cert=dict(type="path", aliases=["cert_file"], fallback=(env_fallback, ["K8S_AUTH_CERT_FILE"])),
    client_key=dict(type="path", no_log=False, aliases=["key_file"], fallback=(env_fallback, ["K8S_AUTH_KEY_FILE"])),
)

# The same options as one dict option ``kubernetes`` (doc fragment ``azimuth.ops.kubernetes.connection``),
# for modules whose own connection is another service's.
CONNECTION_OPTION = dict(type="dict", default={}, options=KUBERNETES_ARGUMENT_SPEC)

# Attempts at a read-modify-write before a 409 Conflict is reported.
CONFLICT_ATTEMPTS = 5


class KubernetesError(Exception):
    """A Kubernetes failure, described for a person."""


class Conflict(_ConflictFamily):
    """409 Conflict: the object changed since it was read.  Re-read it and try again."""


class AlreadyExists(Conflict):
    """409 AlreadyExists: a create met an object of that name (made meanwhile by another run or tool)."""


def _kubeconfig_paths(kubeconfig):
    """The files a kubeconfig path names (``KUBECONFIG`` may list several), those that exist."""
    paths = [os.path.expanduser(path) for path in kubeconfig.split(os.pathsep) if path]
    found = [path for path in paths if os.path.exists(path)]
    if not found:
        raise KubernetesError("no kubeconfig at %s; set kubeconfig, or host and api_key" % " or ".join(paths or [kubeconfig]))
    return found


def _check_kubeconfig_file(path):
    """Raise KubernetesError unless ``path`` holds a YAML mapping (the client would end in a traceback)."""
    try:
        with open(path, "r") as handle:
            content = yaml.safe_load(handle)
    except (IOError, OSError) as exc:
        raise KubernetesError("could not read the kubeconfig %s: %s" % (path, exc))
    except yaml.YAMLError as exc:
        raise KubernetesError("the kubeconfig %s is not YAML: %s" % (path, " ".join(str(exc).split())))
    if not isinstance(content, dict):
        raise KubernetesError("the kubeconfig %s is not a kubeconfig (a mapping with clusters, users and contexts): "
                              "it holds %s" % (path, "nothing" if content is None else "a " + type(content).__name__))


def _same_server(one, other):
    return (one or "").rstrip("/").lower() == (other or "").rstrip("/").lower()


def _load_configuration(params):
    """A client Configuration from a kubeconfig (path or dict), unless ``host`` names another server.

    A kubeconfig's credentials are for its own server: when ``host`` is another server, nothing of
    the kubeconfig is used, and only the explicit options (``api_key``, ``client_cert``...) go there.
    """
    configuration = kube_client.Configuration()
    kubeconfig, host = params.get("kubeconfig"), params.get("host")
    if kubeconfig is not None and not isinstance(kubeconfig, (str, dict)):
        raise KubernetesError("kubeconfig must be a path or a dict, not a %s" % type(kubeconfig).__name__)
    if not kubeconfig and host:
        return configuration
    if isinstance(kubeconfig, dict):
        where = "given as a dict"
    else:
        paths = _kubeconfig_paths(kubeconfig or "~/.kube/config")
        for path in paths:
            _check_kubeconfig_file(path)
        where = os.pathsep.join(paths)
    try:
        if isinstance(kubeconfig, dict):
            kube_config.load_kube_config_from_dict(kubeconfig, context=params.get("context"),
                                                   client_configuration=configuration, persist_config=False)
        else:
            kube_config.load_kube_config(config_file=where, context=params.get("context"),
                                         client_configuration=configuration, persist_config=False)
    except ConfigException as exc:
        raise KubernetesError("invalid kubeconfig (%s): %s" % (where, exc))
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise KubernetesError("invalid kubeconfig (%s): %s: %s" % (where, type(exc).__name__, exc))
    if host and not _same_server(host, configuration.host):
        return kube_client.Configuration()
    return configuration


def _apply_overrides(configuration, params):
    """Put the explicit connection options over what the kubeconfig said."""
    if params.get("host"):
        configuration.host = params["host"]
    if params.get("api_key"):
        # Both keys: newer clients read "BearerToken", older ones "authorization".
        configuration.api_key = {"BearerToken": "Bearer " + params["api_key"], "authorization": "Bearer " + params["api_key"]}
    if params.get("validate_certs") is not None:
        configuration.verify_ssl = params["validate_certs"]
    for option, attribute in (("ca_cert", "ssl_ca_cert"), ("client_cert", "cert_file"), ("client_key", "key_file")):
        if params.get(option):
            setattr(configuration, attribute, params[option])


def api_client(params):
    """A kubernetes ApiClient from the module's connection options (explicit options win)."""
    configuration = _load_configuration(params)
    _apply_overrides(configuration, params)
    # The kubeconfig loader installs a hook that, before each request, refreshes the token (exec
    # and OIDC users) and copies host, certificates and token back from the kubeconfig: re-apply
    # the explicit options after it, so that they keep winning.
    refresh = getattr(configuration, "refresh_api_key_hook", None)
    if refresh is not None:
        def refresh_then_override(config):
            refresh(config)
            _apply_overrides(config, params)
        configuration.refresh_api_key_hook = refresh_then_override
    configuration.retries = False
    return kube_client.ApiClient(configuration)


def status_of(exc):
    """The (code, reason, message) of an ApiException, read from its Status body when it has one."""
    reason, message = exc.reason, None
    try:
        body = json.loads(exc.body) if exc.body else {}
    except (TypeError, ValueError):
        body = {}
    if isinstance(body, dict):
        reason = body.get("reason") or reason
        message = body.get("message")
    return exc.status, reason, message or (exc.body if isinstance(exc.body, str) else None) or exc.reason


def describe_api_error(exc):
    """One line for an exception raised by the kubernetes client."""
    if isinstance(exc, ApiException):
        if not exc.status:
            return "could not reach the Kubernetes API: %s" % exc.reason
        code, reason, message = status_of(exc)
        return "HTTP %s %s: %s" % (code, reason, message)
    if isinstance(exc, urllib3.exceptions.HTTPError):
        return "could not reach the Kubernetes API: %s" % exc
    return str(exc)


def request_json(method, *args, **kwargs):
    """Call a kubernetes client API method and return the response body as plain JSON data.

    Modules diff plain dicts, so they skip the client's model classes; ``None`` for an empty body.
    """
    response = method(*args, _preload_content=False, **kwargs)
    data = response.data
    try:
        return json.loads(data) if data else None
    except ValueError as exc:
        raise KubernetesError("the API server's answer is not complete JSON (%d bytes; %s)" % (len(data), exc))


def is_not_found(exc):
    return isinstance(exc, ApiException) and exc.status == 404


def translate_error(exc):
    """The module message for a Kubernetes client exception, or None for any other exception."""
    if isinstance(exc, (ApiException, urllib3.exceptions.HTTPError, KubernetesError)):
        return "Kubernetes request failed: %s" % describe_api_error(exc)
    return None


def describe_error(exc):
    """One line for a Kubernetes client exception (without the module prefix), or None for any other exception."""
    return describe_api_error(exc) if translate_error(exc) else None


def conflict_of(exc):
    """The ``Conflict`` (or ``AlreadyExists``) a 409 ApiException means, else None."""
    if not isinstance(exc, ApiException) or exc.status != 409:
        return None
    kind = AlreadyExists if status_of(exc)[1] == "AlreadyExists" else Conflict
    return kind("Kubernetes request failed: %s" % describe_api_error(exc))


def retry_on_conflict(attempt, attempts=CONFLICT_ATTEMPTS):
    """Call ``attempt()`` (which must re-read what it writes) until it stops raising ``Conflict``."""
    for remaining in range(attempts - 1, -1, -1):
        try:
            return attempt()
        except Conflict:
            if not remaining:
                raise
    return None


MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"


class _Calls:
    """Objects as plain dicts: reads return None on 404; a write that meets a 409 raises ``Conflict``
    (``AlreadyExists`` for a create).  ``dry_run``: every write (create, patch, delete) is a server-side
    dry run (``dryRun=All``), judged by the server as a real one would be and not persisted."""

    dry_run = False

    def _write(self, method, *args, **kwargs):
        if self.dry_run:
            kwargs["dry_run"] = "All"
        try:
            return request_json(method, *args, **kwargs)
        except ApiException as exc:
            conflict = conflict_of(exc)
            if conflict is not None:
                raise conflict from exc
            raise

    @staticmethod
    def _read(method, *args):
        try:
            return request_json(method, *args)
        except ApiException as exc:
            if is_not_found(exc):
                return None
            raise

    def _delete(self, method, *args, uid=None):
        """Delete (only the object with ``uid`` when given); False when it was already gone."""
        body = {"preconditions": {"uid": uid}} if uid else None
        if body and self.dry_run:
            body["dryRun"] = ["All"]  # the server takes a body's DeleteOptions instead of the query's dryRun
        try:
            self._write(method, *args, body=body)
        except ApiException as exc:
            if is_not_found(exc):
                return False
            raise
        return True


class CoreCalls(_Calls):
    """Namespaces and Secrets; patches are JSON merge patches."""

    def __init__(self, api, dry_run=False):
        self.core = kube_client.CoreV1Api(api)
        self.dry_run = dry_run

    def list_namespaces(self, label_selector):
        return request_json(self.core.list_namespace, label_selector=label_selector)["items"]

    def read_namespace(self, name):
        return self._read(self.core.read_namespace, name)

    def create_namespace(self, body):
        return self._write(self.core.create_namespace, body)

    def patch_namespace(self, name, patch):
        return self._write(self.core.patch_namespace, name, patch, _content_type=MERGE_PATCH)

    def delete_namespace(self, name, uid=None):
        return self._delete(self.core.delete_namespace, name, uid=uid)

    def list_secrets(self, name, label_selector=None):
        """Secrets called ``name`` in every namespace, in one request."""
        kwargs = dict(field_selector="metadata.name=%s" % name)
        if label_selector:
            kwargs["label_selector"] = label_selector
        return request_json(self.core.list_secret_for_all_namespaces, **kwargs)["items"]

    def list_namespaced_secrets(self, namespace, label_selector):
        """The Secrets of one namespace that ``label_selector`` matches."""
        return request_json(self.core.list_namespaced_secret, namespace, label_selector=label_selector)["items"]

    def read_secret(self, namespace, name):
        return self._read(self.core.read_namespaced_secret, name, namespace)

    def create_secret(self, namespace, body):
        return self._write(self.core.create_namespaced_secret, namespace, body)

    def patch_secret(self, namespace, name, patch):
        return self._write(self.core.patch_namespaced_secret, name, namespace, patch, _content_type=MERGE_PATCH)

    def delete_secret(self, namespace, name, uid=None):
        return self._delete(self.core.delete_namespaced_secret, name, namespace, uid=uid)


class NotInstalled(KubernetesError):
    """The cluster does not serve a custom resource kind (its CRD is not installed)."""


class CustomCalls(_Calls):
    """The objects of one custom resource kind (``group``/``version``, ``plural``); patches are JSON merge
    patches (``json_patch``: JSON patches), ``patch_status`` writes the status subresource.  ``namespace`` None in a call: a cluster-scoped
    kind.  ``strict``: writes ask for strict field validation, so a misspelt field is an error, not dropped."""

    def __init__(self, api, group, version, plural, strict=False, dry_run=False):
        self.custom = kube_client.CustomObjectsApi(api)
        self.dry_run = dry_run
        self.kind = (group, version, plural)
        self.write_options = dict(field_validation="Strict") if strict else {}

    def _scoped(self, verb, namespace, *rest):
        """The client method for ``verb`` at the kind's scope, and its leading arguments."""
        group, version, plural = self.kind
        if namespace is None:
            return getattr(self.custom, "%s_cluster_custom_object" % verb), (group, version, plural) + rest
        return getattr(self.custom, "%s_namespaced_custom_object" % verb), (group, version, namespace, plural) + rest

    def list_all(self, label_selector=None):
        """Every object of the kind, in one request; ``NotInstalled`` when the cluster does not serve it."""
        kwargs = dict(label_selector=label_selector) if label_selector else {}
        try:
            return request_json(self.custom.list_cluster_custom_object, *self.kind, **kwargs)["items"]
        except ApiException as exc:
            if is_not_found(exc):
                raise NotInstalled("the cluster does not serve %s/%s %s (is its CRD installed?)" % self.kind)
            raise

    def read(self, namespace, name):
        method, args = self._scoped("get", namespace, name)
        return self._read(method, *args)

    def create(self, namespace, body):
        method, args = self._scoped("create", namespace, body)
        return self._write(method, *args, **self.write_options)

    def patch(self, namespace, name, patch):
        method, args = self._scoped("patch", namespace, name, patch)
        return self._write(method, *args, _content_type=MERGE_PATCH, **self.write_options)

    def json_patch(self, namespace, name, operations):
        """Apply JSON-patch ``operations``; a failed ``test`` operation is an ApiException (422), not a ``Conflict``."""
        method, args = self._scoped("patch", namespace, name, operations)
        return self._write(method, *args, _content_type=JSON_PATCH, **self.write_options)

    def patch_status(self, namespace, name, status):
        group, version, plural = self.kind
        return self._write(self.custom.patch_namespaced_custom_object_status, group, version, namespace, plural, name,
                           dict(status=status), _content_type=MERGE_PATCH)

    def delete(self, namespace, name, uid=None):
        method, args = self._scoped("delete", namespace, name)
        return self._delete(method, *args, uid=uid)


def module_client(params):
    """The ApiClient for a module's connection options; ModuleError (one message) when it cannot be built."""
    if KUBERNETES_IMPORT_ERROR:
        raise ModuleError(missing_required_lib("kubernetes"), exception=KUBERNETES_IMPORT_ERROR)
    try:
        return api_client(params)
    except KubernetesError as exc:
        raise ModuleError("Could not configure the Kubernetes client: %s" % exc)


class KubernetesModule(BaseModule):
    """Base for modules that talk to Kubernetes; ``self.api`` is an ApiClient when ``run()`` starts."""

    base_argument_spec = KUBERNETES_ARGUMENT_SPEC
    secret_carriers = (("kubeconfig",),)

    def __init__(self):
        super(KubernetesModule, self).__init__()
        try:
            self.api = module_client(self.params)
        except ModuleError as exc:
            self.module.fail_json(msg=str(exc), **exc.details)

    def translate(self, exc):
        return translate_error(exc)


def _deprecated_connection(value, path):
    """The connection options given at the deprecated ``path`` (a free-form dict), checked as the option would be."""
    names = {}
    for name, spec in KUBERNETES_ARGUMENT_SPEC.items():
        for alias in [name] + list(spec.get("aliases", [])):
            names[alias] = name
    unknown = sorted(set(value) - set(names))
    if unknown:
        raise ModuleError("Unsupported key(s) in %s: %s; supported: %s" % (path, ", ".join(unknown), ", ".join(sorted(KUBERNETES_ARGUMENT_SPEC))))
    params = {}
    for key, item in value.items():
        name = names[key]
        if name == "validate_certs" and item is not None and not isinstance(item, bool):
            item = str(item).lower() in ("1", "true", "yes", "on")
        params[name] = item
    return params


class KubernetesConnection:
    """Kubernetes as a module's second service: the option ``kubernetes`` (doc fragment
    ``azimuth.ops.kubernetes.connection``; the keys and environment defaults of the Kubernetes modules),
    its client built when the run first needs it.  Put it first in the bases:
    ``class MyModule(KubernetesConnection, KeycloakModule)``.

    ``deprecated_connection`` names where the connection used to be given (a path of option names, a
    free-form dict there); given there, it is used with a deprecation warning.
    """

    service_argument_spec = dict(kubernetes=CONNECTION_OPTION)
    secret_carriers = (("kubernetes", "kubeconfig"),)
    deprecated_connection = None
    _kubernetes_api = None

    @classmethod
    def secrets_in(cls, params):
        found = super(KubernetesConnection, cls).secrets_in(params)
        if cls.deprecated_connection:
            old = option_value(params, cls.deprecated_connection) or {}
            found |= secret_values(old.get("kubeconfig")) | set([str(old["api_key"])] if old.get("api_key") else [])
        return found

    def kubernetes_params(self):
        """The connection options: the ``kubernetes`` option, or what the deprecated place gives."""
        old = option_value(self.params, self.deprecated_connection) if self.deprecated_connection else None
        if not old:
            return self.params["kubernetes"]
        path = ".".join(self.deprecated_connection)
        explicit = dict((key, value) for key, value in self.params["kubernetes"].items() if value is not None)
        given = _deprecated_connection(old, path)
        if any(explicit.get(key) not in (None, value) for key, value in given.items()):
            raise ModuleError("The Kubernetes connection is given twice, in kubernetes and in %s: use kubernetes only" % path)
        self.module.deprecate("%s is deprecated: give the Kubernetes connection in the option kubernetes" % path,
                              version="2.0.0", collection_name="azimuth.ops")
        return dict(self.params["kubernetes"], **given)

    def kubernetes_api(self):
        """The Kubernetes ApiClient (built on first use); ModuleError when it cannot be configured."""
        if self._kubernetes_api is None:
            self._kubernetes_api = module_client(self.kubernetes_params())
        return self._kubernetes_api

    def translate(self, exc):
        return translate_error(exc) or super(KubernetesConnection, self).translate(exc)

    def describe(self, exc):
        return describe_error(exc) or super(KubernetesConnection, self).describe(exc)
