# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The OpenStack base: shared connection options, the openstacksdk connection, SDK errors as messages.

The options are documented by the ``azimuth.ops.openstack`` doc fragment.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading
import traceback

from ansible.module_utils.basic import env_fallback, missing_required_lib

from ansible_collections.azimuth.ops.plugins.module_utils.common._module import BaseModule, ModuleError, leaf_values
from ansible_collections.azimuth.ops.plugins.module_utils.openstack._token_cache import TokenCache

try:
    import openstack
    from keystoneauth1 import exceptions as ksa_exceptions
    from openstack import exceptions as sdk_exceptions
except ImportError:
    SDK_IMPORT_ERROR = traceback.format_exc()
else:
    SDK_IMPORT_ERROR = None

OPENSTACK_ARGUMENT_SPEC = dict(
    cloud=dict(type="raw"),
    auth=dict(type="dict", no_log=True),
    auth_type=dict(type="str"),
    region_name=dict(type="str"),
    # No default here: a cloud dict's interface must not be overridden by one; openstacksdk's default is public.
    interface=dict(type="str", choices=["admin", "internal", "public"], aliases=["endpoint_type"]),
    # No alias "verify": azimuth.ops.app_credential has an option of that name (check the stored credential).
    validate_certs=dict(type="bool"),
    ca_cert=dict(type="path", aliases=["cacert"]),
    client_cert=dict(type="path", aliases=["cert"]),
    client_key=dict(type="path", no_log=False, aliases=["key"]),
    api_timeout=dict(type="int"),
    token_cache=dict(type="path", fallback=(env_fallback, ["AZIMUTH_OPS_TOKEN_CACHE"])),
)

# The option -> the openstack.connect() (clouds.yaml) key it sets.
CONNECTION_KEYS = dict(
    auth_type="auth_type", region_name="region_name", interface="interface", validate_certs="verify",
    ca_cert="cacert", client_cert="cert", client_key="key", api_timeout="api_timeout",
)


def connection_kwargs(params):
    """openstack.connect() arguments: a ``cloud`` dict's settings with the explicit options over them.

    ``auth`` is merged key by key, so ``cloud: {auth: {...}}`` and ``auth: {password: ...}`` combine.
    A ``cloud`` name is passed on: openstacksdk merges the options over that clouds.yaml entry itself.
    """
    cloud = params.get("cloud")
    if cloud is not None and not isinstance(cloud, (str, dict)):
        raise ModuleError("cloud must be the name of a cloud in clouds.yaml or a dict of connection settings, not a %s"
                          % type(cloud).__name__)
    kwargs = dict(cloud) if isinstance(cloud, dict) else {}
    if isinstance(cloud, str):
        kwargs["cloud"] = cloud
    auth = dict(kwargs.get("auth") or {})
    auth.update(params.get("auth") or {})
    if auth:
        kwargs["auth"] = auth
    for option, key in CONNECTION_KEYS.items():
        if params.get(option) is not None:
            kwargs[key] = params[option]
    return kwargs


# clouds.yaml and the OS_* variables, read once per process (the first connect()): a batch of N clouds
# would otherwise parse a clouds.yaml of N clouds N times.
_CONFIG = []
_CONFIG_LOCK = threading.Lock()


def cloud_region(kwargs):
    """What ``openstack.connect(**kwargs)`` connects with (a CloudRegion), from the process's one reading of the configuration."""
    with _CONFIG_LOCK:
        if not _CONFIG:
            _CONFIG.append(openstack.config.OpenStackConfig())
        return _CONFIG[0].get_one(**kwargs)


def connect(params):
    """An openstacksdk connection, authenticated now so that bad credentials fail here.

    With ``token_cache``, a token an earlier module call of the run stored for the same credentials is used
    (no new authentication), and a new one is stored for the next.
    """
    cache = TokenCache.at(params.get("token_cache"))
    conn = openstack.connection.Connection(config=cloud_region(connection_kwargs(params)))
    if cache:
        cache.attach(conn)
    conn.authorize()
    return conn


def token_scope(conn):
    """The project, user and roles of the connection's token (no request beyond authentication)."""
    access = conn.session.auth.get_access(conn.session)
    if not access.project_id:
        raise ModuleError("the credentials are not scoped to a project; set project_name or project_id in auth")
    return dict(project=dict(id=access.project_id, name=access.project_name),
                user=dict(id=access.user_id, name=access.username), roles=sorted(access.role_names or []))


def describe_sdk_error(exc):
    """One line for an openstacksdk or keystoneauth exception, with the server's own words."""
    cause = exc.__cause__ or exc.__context__
    if not isinstance(exc, sdk_exceptions.HttpException) and isinstance(cause, ksa_exceptions.ClientException):
        # Connection.authorize() re-raises keystoneauth errors as a bare SDKException.
        return describe_sdk_error(cause)
    if isinstance(exc, sdk_exceptions.HttpException):
        detail = exc.details or exc.message
        return "HTTP %s from %s: %s" % (exc.status_code, exc.url or "the cloud", detail)
    if isinstance(exc, ksa_exceptions.Unauthorized):
        return "the cloud refused the credentials (%s)" % exc
    if isinstance(exc, ksa_exceptions.ConnectionError):
        return "could not reach the cloud: %s" % exc
    if isinstance(exc, ksa_exceptions.MissingRequiredOptions):
        return "incomplete auth options: %s" % exc
    return "%s: %s" % (type(exc).__name__, exc)


def describe_error(exc):
    """One line for an openstacksdk or keystoneauth exception, or None for any other."""
    if isinstance(exc, (sdk_exceptions.SDKException, ksa_exceptions.ClientException)):
        return describe_sdk_error(exc)
    return None


def translate_error(exc):
    """The module message for an openstacksdk or keystoneauth exception, or None for any other."""
    description = describe_error(exc)
    return None if description is None else "OpenStack request failed: %s" % description


class OpenStackModule(BaseModule):
    """Base for modules that talk to OpenStack; ``self.conn`` is ready when ``run()`` starts."""

    base_argument_spec = OPENSTACK_ARGUMENT_SPEC
    secret_carriers = (("auth",), ("cloud",))

    def __init__(self):
        super(OpenStackModule, self).__init__()
        # auth is no_log, so neither the invocation log nor an early failure shows it.  But no_log
        # masks every value in it wherever it appears (a project name inside a namespace name, the
        # 3 of identity_api_version inside a CIDR): from here on mask only its secrets.
        auth = self.params.get("auth")
        if auth:
            self.secrets.unmask(leaf_values(auth))
        if SDK_IMPORT_ERROR:
            self.module.fail_json(msg=missing_required_lib("openstacksdk"), exception=SDK_IMPORT_ERROR)
        self.conn = None

    def connect(self):
        self.conn = connect(self.params)

    def translate(self, exc):
        return translate_error(exc)

    def translate_connect(self, exc):
        description = describe_error(exc)
        return None if description is None else "Could not connect to OpenStack: %s" % description

    def describe(self, exc):
        return describe_error(exc)
