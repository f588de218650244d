# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The provisioning run: the operator's one list of tenancies -> each step's input, and the summary table.

``steps`` decides what the run does per tenancy (networks when it has a ``cloud``, or an ID and the
operator's connection is set; a namespace
when its ID and name are known or can be found; an application credential in OIDC mode, where
the portal has no user token to act with); ``summary`` turns what the steps returned into one
row per tenancy.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.azimuth.ops.plugins.module_utils.common._acl import AclError, Evaluator

AUTHENTICATION_TYPES = ("openstack", "oidc")

# azimuth-ops network variables -> azimuth.ops.tenancy_network options.
NETWORK_VARIABLES = {
    "azimuth_openstack_create_internal_net": "create_internal_net",
    "azimuth_openstack_internal_net_cidr": "internal_net_cidr",
    "azimuth_openstack_internal_net_dns_nameservers": "internal_net_dns_nameservers",
    "azimuth_openstack_internal_net_template": "internal_net_template",
    "azimuth_openstack_external_net_template": "external_net_template",
    "azimuth_openstack_allow_shared_internal_net": "allow_shared_internal_net",
}

NAMESPACE_KEYS = ("id", "name", "oidc_group", "labels", "annotations", "credential")
APP_CREDENTIAL_KEYS = ("name", "roles", "description", "expires_at", "verify")


class ProvisionError(ValueError):
    """A configuration the run cannot act on; the message names the tenancy."""


def network_options(settings):
    """The tenancy_network options for every tenancy, from the azimuth-ops network variables (nulls left out)."""
    unknown = sorted(set(settings) - set(NETWORK_VARIABLES))
    if unknown:
        raise ProvisionError("unknown network settings %s" % ", ".join(unknown))
    return dict((NETWORK_VARIABLES[name], value) for name, value in sorted(settings.items()) if value is not None)


def _describe(index, tenancy):
    cloud = tenancy.get("cloud") if isinstance(tenancy.get("cloud"), str) else None
    return "azimuth_tenancies[%d] (%s)" % (index, tenancy.get("name") or tenancy.get("id") or cloud or "no name")


def _app_credential(tenancy, authentication_type):
    """The app_credential request of a tenancy, or None: by default only in OIDC mode and with a cloud."""
    settings = dict(tenancy.get("app_credential") or {})
    enabled = settings.pop("enabled", None)
    if enabled is None:
        enabled = authentication_type == "oidc" and not tenancy.get("credential")
    if not enabled:
        return None
    request = {"cloud": tenancy["cloud"]}
    request.update((key, value) for key, value in settings.items() if key in APP_CREDENTIAL_KEYS and value is not None)
    return request


def _namespace(tenancy, authentication_type):
    entry = dict((key, tenancy[key]) for key in NAMESPACE_KEYS if tenancy.get(key) is not None)
    if authentication_type == "oidc" and "oidc_group" not in entry:
        entry["oidc_group"] = "/" + tenancy["name"]
    return entry


def _networks(tenancy, operator_cloud):
    """The tenancy_network role's entry for a tenancy, or None: by project ID through the operator's connection when
    there is one and the tenancy has an ID; else through the tenancy's own cloud; else no networks."""
    options = dict(tenancy.get("network") or {})
    if operator_cloud is not None and tenancy.get("id"):
        return {"project": tenancy["id"], "options": options}
    if tenancy.get("cloud"):
        return {"cloud": tenancy["cloud"], "options": options}
    return None


def steps(tenancies, authentication_type="openstack", network=None, operator_cloud=None):
    """Each step's input for the run, from ``azimuth_tenancies``.

    Returns ``tenancy_network_tenancies``, ``tenancy_network_options`` and ``tenancy_network_cloud``
    (azimuth.ops.tenancy_network), ``tenancies_list`` and ``tenancies_app_credentials`` (azimuth.ops.tenancies).
    With ``operator_cloud`` (``azimuth_openstack_operator_cloud``, a connection that may act on the tenancies'
    projects) every tenancy with an ID gets its networks by project ID through it, cloud or not.
    """
    if authentication_type not in AUTHENTICATION_TYPES:
        raise ProvisionError("azimuth_authentication_type must be one of %s, got %r" % (", ".join(AUTHENTICATION_TYPES), authentication_type))
    if operator_cloud is not None and not isinstance(operator_cloud, (str, dict)):
        raise ProvisionError("azimuth_openstack_operator_cloud must be a clouds.yaml cloud name or a dict of connection settings, not a %s"
                             % type(operator_cloud).__name__)
    result = {"tenancy_network_tenancies": [], "tenancy_network_options": network_options(network or {}),
              "tenancy_network_cloud": operator_cloud or None, "tenancies_list": [], "tenancies_app_credentials": []}
    for index, tenancy in enumerate(tenancies or []):
        cloud = tenancy.get("cloud")
        known = bool(tenancy.get("id")) and bool(tenancy.get("name"))
        if bool(tenancy.get("id")) != bool(tenancy.get("name")):
            raise ProvisionError("%s: give both id and name, or neither (with a cloud, which names its project)" % _describe(index, tenancy))
        if tenancy.get("app_credential") and not cloud:
            raise ProvisionError("%s: app_credential needs a cloud (scoped to the tenancy's project)" % _describe(index, tenancy))
        networks = _networks(tenancy, result["tenancy_network_cloud"])
        if networks:
            result["tenancy_network_tenancies"].append(networks)
        credential = _app_credential(tenancy, authentication_type) if cloud else None
        if credential:
            result["tenancies_app_credentials"].append(credential)
        if known:
            result["tenancies_list"].append(_namespace(tenancy, authentication_type))
        elif not credential:
            raise ProvisionError("%s: give id and name; only a tenancy that gets an application credential can be found from its cloud"
                                 % _describe(index, tenancy))
    return result


# --- the summary ------------------------------------------------------------------------------

COLUMNS = ("tenancy", "network", "namespace", "realm", "platform types", "changes")


def _network(networks, tenancy_id, done):
    found = (networks or {}).get(tenancy_id)
    if not found:
        return "-", []
    internal = (found.get("internal_network") or {}).get("name") or "-"
    created = [item.get("type") for item in found.get("created") or []]
    return internal, ["%s %s" % (kind, done("created")) for kind in created]


def _namespace_changes(item, done):
    for change in ("created", "deleted"):
        if item.get(change):
            return ["namespace %s" % done(change)]
    return ["namespace %s" % done("updated")] if item.get("changed") else []


def offered(platform_types):
    """The platform types the portal offers: all of a catalog's list; of the objects the cluster holds after the run
    (``azimuth.ops.platform_types``' ``objects``), those not deprecated or retired."""
    return [obj for obj in platform_types or [] if obj.get("offered", True)]


def allowed_platform_types(evaluator, platform_types, tenancy):
    """The names (``kind/name`` when a name is used by two kinds) of the platform types ``tenancy`` may use."""
    names = [obj["name"] for obj in platform_types]
    allowed = []
    for obj in platform_types:
        view = {"kind": obj["kind"], "metadata": {"name": obj["name"], "annotations": obj.get("annotations") or {}}}
        if evaluator.allowed(view, tenancy):
            allowed.append(obj["name"] if names.count(obj["name"]) == 1 else "%s/%s" % (obj["kind"], obj["name"]))
    return allowed


def summary_rows(tenancies, networks=None, realms=None, platform_types=None, check_mode=False):
    """One row per tenancy (a dict keyed by COLUMNS' names, plus ``id`` and ``allowed``)."""
    done = (lambda verb: "would be " + verb) if check_mode else (lambda verb: verb)
    evaluator = Evaluator()
    platform_types = offered(platform_types)
    rows = []
    for item in tenancies or []:
        tenancy = {"id": item["id"], "name": item["name"]}
        network, changes = _network(networks, item["id"], done)
        changes += _namespace_changes(item, done)
        try:
            allowed = allowed_platform_types(evaluator, platform_types, tenancy)
        except AclError as exc:
            raise ProvisionError("tenancy %s (%s): %s" % (item["name"], item["id"], exc))
        rows.append({
            "tenancy": item["name"], "id": item["id"], "network": network, "namespace": item.get("namespace") or "-",
            "realm": (realms or {}).get(item["id"]) or "-", "allowed": allowed,
            "platform types": ", ".join(allowed) if allowed else "none", "changes": ", ".join(changes) or "none",
        })
    return rows


def table(rows):
    """The rows as lines of a fixed-width table (the last column unpadded)."""
    widths = [max([len(column)] + [len(str(row[column])) for row in rows]) for column in COLUMNS]
    lines = []
    for cells in [COLUMNS] + [tuple(str(row[column]) for column in COLUMNS) for row in rows]:
        padded = [cell.ljust(width) for cell, width in zip(cells[:-1], widths)] + [cells[-1]]
        lines.append("  ".join(padded).rstrip())
    return lines


def denied_to_all(rows, platform_types):
    """A warning for each offered platform type that no tenancy of the run may use (its ACL denies them all)."""
    if not rows:
        return []
    platform_types = offered(platform_types)
    names = [obj["name"] for obj in platform_types]
    allowed = set(name for row in rows for name in row["allowed"])
    warnings = []
    for obj in platform_types:
        shown = obj["name"] if names.count(obj["name"]) == 1 else "%s/%s" % (obj["kind"], obj["name"])
        if shown not in allowed:
            warnings.append("%s '%s': its ACL denies every tenancy of the run (%s); no tenancy can use it"
                            % (obj["kind"], obj["name"], ", ".join(row["tenancy"] for row in rows)))
    return warnings


def summary(tenancies, networks=None, realms=None, platform_types=None, platform_types_totals=None, check_mode=False):
    """The run's summary: ``rows`` (one per tenancy), ``lines`` (a table to print) and ``warnings``.

    ``platform_types`` are best the objects as the cluster holds them after the run (the module's
    ``objects``), so that a type taken out of the catalog shows as usable by no tenancy.
    """
    rows = summary_rows(tenancies, networks, realms, platform_types, check_mode)
    count = "%d tenanc%s" % (len(rows), "y" if len(rows) == 1 else "ies")
    lines = [("Prediction (check mode, nothing was written): " if check_mode else "Provisioned: ") + count]
    lines += table(rows)
    if platform_types_totals:
        totals = platform_types_totals
        lines.append("platform types%s: %d listed, %d created, %d updated, %d unchanged, %d deprecated, %d retired" % (
            " (predicted)" if check_mode else "", totals.get("platform_types", 0), totals.get("created", 0),
            totals.get("updated", 0), totals.get("unchanged", 0), totals.get("deprecated", 0), totals.get("retired", 0)))
    return {"rows": rows, "lines": lines, "warnings": denied_to_all(rows, platform_types)}
