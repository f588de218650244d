# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The OpenStack base: shared connection options, the openstacksdk connection, SDK errors as messages.

The options are documented by the ``azimuth.ops.openstack`` doc fragment.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import traceback

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.azimuth.ops.plugins.module_utils._module import BaseModule

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
    # Not no_log as a whole: that would mask every value in it (the project name, the user, the
    # URL) wherever it appears in output.  Its secret keys are masked instead (secret_values()).
    auth=dict(type="dict", no_log=False),
    auth_type=dict(type="str"),
    region_name=dict(type="str"),
    interface=dict(type="str", default="public", choices=["admin", "internal", "public"], aliases=["endpoint_type"]),
    # No alias "verify": azimuth.ops.app_credential has an option of that name (check the stored credential).
    validate_certs=dict(type="bool"),
    ca_cert=dict(type="path", aliases=["cacert"]),
    client_cert=dict(type="path", aliases=["cert"]),
    client_key=dict(type="path", no_log=False, aliases=["key"]),
    api_timeout=dict(type="int"),
)


# Keys of ``auth`` (or of a ``cloud`` dict, at any depth) whose values are secrets.
SECRET_KEY = re.compile(r"password|secret|token|passcode|totp", re.IGNORECASE)


def secret_values(value):
    """The values under secret-looking keys of ``value`` (nested dicts and lists searched)."""
    found = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if SECRET_KEY.search(str(key)) and isinstance(item, (str, int)) and str(item):
                found.add(str(item))
            else:
                found |= secret_values(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            found |= secret_values(item)
    return found


def connection_kwargs(params):
    """openstack.connect() arguments from the module's connection options."""
    kwargs = dict(
        auth=params.get("auth"),
        auth_type=params.get("auth_type"),
        region_name=params.get("region_name"),
        interface=params.get("interface"),
        verify=params.get("validate_certs"),
        cacert=params.get("ca_cert"),
        cert=params.get("client_cert"),
        key=params.get("client_key"),
        api_timeout=params.get("api_timeout"),
    )
    kwargs = dict((key, value) for key, value in kwargs.items() if value is not None)
    cloud = params.get("cloud")
    if isinstance(cloud, dict):
        kwargs.update(cloud)
    elif cloud is not None:
        kwargs["cloud"] = cloud
    return kwargs


def connect(params):
    """An openstacksdk connection, authenticated now so that bad credentials fail here."""
    conn = openstack.connect(**connection_kwargs(params))
    conn.authorize()
    return conn


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


def translate_error(exc):
    """The module message for an openstacksdk or keystoneauth exception, or None for any other."""
    if isinstance(exc, (sdk_exceptions.SDKException, ksa_exceptions.ClientException)):
        return "OpenStack request failed: %s" % describe_sdk_error(exc)
    return None


class OpenStackModule(BaseModule):
    """Base for modules that talk to OpenStack; ``self.conn`` is ready when ``run()`` starts."""

    base_argument_spec = OPENSTACK_ARGUMENT_SPEC

    def __init__(self):
        super(OpenStackModule, self).__init__()
        for secret in secret_values(dict(auth=self.params.get("auth"), cloud=self.params.get("cloud"))):
            self.module.no_log_values.add(secret)
        if SDK_IMPORT_ERROR:
            self.module.fail_json(msg=missing_required_lib("openstacksdk"), exception=SDK_IMPORT_ERROR)
        self.conn = None

    def execute(self):
        try:
            self.conn = connect(self.params)
        except (sdk_exceptions.SDKException, ksa_exceptions.ClientException) as exc:
            self.fail("Could not connect to OpenStack: %s" % describe_sdk_error(exc))
        super(OpenStackModule, self).execute()

    def translate(self, exc):
        return translate_error(exc)
