# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the provisioning run; the rules live in module_utils/common/_provision.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible.utils.display import Display

from ansible_collections.azimuth.ops.plugins.module_utils.common._provision import ProvisionError, steps, summary


def provision_steps(tenancies, authentication_type="openstack", network=None, operator_cloud=None):
    """Each step's input for the provisioning run, from the operator's list of tenancies."""
    try:
        return steps(tenancies, authentication_type, network, operator_cloud)
    except ProvisionError as exc:
        raise AnsibleFilterError("azimuth.ops.provision_steps: %s" % exc)


def provision_summary(tenancies, networks=None, realms=None, platform_types=None, platform_types_totals=None, check_mode=False):
    """The provisioning run's summary, one row per tenancy; each of its warnings is shown as an Ansible warning."""
    try:
        result = summary(tenancies, networks, realms, platform_types, platform_types_totals, check_mode)
    except ProvisionError as exc:
        raise AnsibleFilterError("azimuth.ops.provision_summary: %s" % exc)
    for warning in result["warnings"]:
        Display().warning("azimuth.ops.provision_summary: %s" % warning)
    return result


class FilterModule:
    """Provisioning-run filters."""

    def filters(self):
        return {"provision_steps": provision_steps, "provision_summary": provision_summary}
