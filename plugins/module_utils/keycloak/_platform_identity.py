# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The platforms of one realm: a group per platform with a subgroup per service, an OIDC client per
service, and per service the discovery Secret through which Zenith finds that client.

``desired_platforms`` validates the input; ``plan_platforms`` compares the realm (its export and its
clients) and the discovery Secrets with what the platforms need; ``PlatformIdentity`` reads
(one export, one client list, one Secret list, and each wanted Secret the list did not find), plans,
and (unless checking) writes.

Ownership: the module updates or deletes only the groups and clients it made for a platform, those
carrying its marks (the attributes ``azimuth-ops.managed-by``, ``azimuth-ops.platform`` and, for a
service's, ``azimuth-ops.service``).  A platform named like one of the realm's own groups is refused,
and so is one whose group or client exists without the marks, unless ``adopt`` is set.  So is a
discovery Secret that Azimuth's identity operator made (``adopt`` takes it over, recording it).  All of
it is found while planning, before anything is written.  Discovery Secrets also carry the identity
operator's labels, so that either tool can find (and take over) the other's.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import secrets

from ansible_collections.azimuth.ops.plugins.module_utils.kubernetes import _answered_object as ao
from ansible_collections.azimuth.ops.plugins.module_utils.keycloak import _keycloak_realm as kr
from ansible_collections.azimuth.ops.plugins.module_utils.kubernetes import _kubernetes as kube
from ansible_collections.azimuth.ops.plugins.module_utils.kubernetes import _oidc_secret as oidc
from ansible_collections.azimuth.ops.plugins.module_utils.keycloak import _tenancy_realm as tr
from ansible_collections.azimuth.ops.plugins.module_utils.keycloak._keycloak import KeycloakApiError, realm_path
from ansible_collections.azimuth.ops.plugins.module_utils.common._module import ModuleError, Secrets
from ansible_collections.azimuth.ops.plugins.module_utils.common._naming import (
    MANAGED_BY,
    MANAGED_BY_LABEL,
    NamingError,
    check_dns_label,
)

PLATFORM_ATTRIBUTE = "azimuth-ops.platform"
SERVICE_ATTRIBUTE = "azimuth-ops.service"
PLATFORM_USERS_PATH = "/" + tr.PLATFORM_USERS
# The realm's own top-level groups (tenancy_realm's), which no platform may be named like.
REALM_GROUPS = (tr.ADMINS, tr.PLATFORM_USERS)
LABEL_PREFIX = "identity.azimuth-cloud.io/"
REALM_LABEL = LABEL_PREFIX + "realm"
PLATFORM_LABEL = LABEL_PREFIX + "platform"
SERVICE_LABEL = LABEL_PREFIX + "service"
SUBDOMAIN_LABEL = LABEL_PREFIX + "subdomain"
SECRET_PREFIX = "oidc-discovery-"
# The identity operator's labels of a discovery Secret (its platform namespace is the tenancy's
# namespace, which names the tenancy's realm) and its managed-by value.
UPSTREAM_LABEL_PREFIX = "identity.azimuth.stackhpc.com/"
IDENTITY_OPERATOR = "azimuth-identity-operator"


def new_client_secret():
    return secrets.token_urlsafe(32)


def _check(value, what):
    try:
        check_dns_label(value, what)
    except NamingError as exc:
        raise ModuleError(str(exc))


def client_representation(platform, service, scheme):
    base = "%s://%s" % (scheme, service["fqdn"])
    return {
        "clientId": "%s.%s" % (platform, service["name"]),
        "enabled": True,
        "protocol": "openid-connect",
        "publicClient": False,
        "clientAuthenticatorType": "client-secret",
        "baseUrl": base,
        "redirectUris": [base + "/_oidc/callback"],
        "standardFlowEnabled": True,
        "implicitFlowEnabled": False,
        "directAccessGrantsEnabled": False,
        "serviceAccountsEnabled": False,
        "attributes": {kr.MANAGED_BY_ATTRIBUTE: MANAGED_BY, PLATFORM_ATTRIBUTE: platform, SERVICE_ATTRIBUTE: service["name"]},
    }


def group_attributes(platform, service=None):
    attributes = {kr.MANAGED_BY_ATTRIBUTE: [MANAGED_BY], PLATFORM_ATTRIBUTE: [platform]}
    if service:
        attributes[SERVICE_ATTRIBUTE] = [service]
    return attributes


def _check_platform_name(name):
    _check(name, "platform")
    if name in REALM_GROUPS:
        raise ModuleError("platform %s: the group /%s is one of the realm's own groups (%s); give the platform another name"
                          % (name, name, ", ".join("/" + group for group in REALM_GROUPS)))


def desired_platforms(platforms, scheme):
    """Validate the platforms; per platform its group and, per service, its group, client and Secret name.

    Names, service names and subdomains must be DNS labels (they name groups, clients, labels and
    Secrets); platform names not those of the realm's own groups; service names unique in a
    platform, subdomains unique in the call.
    """
    desired, subdomains = [], {}
    for platform in platforms or []:
        _check_platform_name(platform["name"])
        if any(item["name"] == platform["name"] for item in desired):
            raise ModuleError("platform %s is listed twice" % platform["name"])
        services = []
        for service in platform.get("services") or []:
            _check(service["name"], "platform %s: service" % platform["name"])
            _check(service["subdomain"], "platform %s: service %s: subdomain" % (platform["name"], service["name"]))
            if any(item["name"] == service["name"] for item in services):
                raise ModuleError("platform %s: service %s is listed twice" % (platform["name"], service["name"]))
            if service["subdomain"] in subdomains:
                raise ModuleError("platform %s: service %s has the subdomain %s of %s"
                                  % (platform["name"], service["name"], service["subdomain"], subdomains[service["subdomain"]]))
            subdomains[service["subdomain"]] = "%s/%s" % (platform["name"], service["name"])
            services.append(dict(service, group={"name": service["name"], "attributes": group_attributes(platform["name"], service["name"])},
                                 client=client_representation(platform["name"], service, scheme)))
        desired.append(dict(name=platform["name"], services=services,
                            group={"name": platform["name"], "attributes": group_attributes(platform["name"])}))
    return desired


def _attribute(obj, key):
    value = (obj.get("attributes") or {}).get(key)
    return value[0] if isinstance(value, list) and value else value


def _is_ours(obj):
    return _attribute(obj, kr.MANAGED_BY_ATTRIBUTE) == MANAGED_BY


def _made_for(obj, platform, service=None):
    """Whether the module made the group or client ``obj`` for ``platform`` (and ``service``, when given)."""
    return _is_ours(obj) and _attribute(obj, PLATFORM_ATTRIBUTE) == platform and \
        (service is None or _attribute(obj, SERVICE_ATTRIBUTE) == service)


def claim(obj, what, platform, service=None, adopt=False):
    """Refuse ``obj``, an existing group or client (``what``) that the platform needs, unless the module made it
    for the platform, or ``adopt`` lets the module take it over."""
    if obj is None or adopt or _made_for(obj, platform, service):
        return
    marks = ["%s=%s" % (kr.MANAGED_BY_ATTRIBUTE, MANAGED_BY), "%s=%s" % (PLATFORM_ATTRIBUTE, platform)]
    if service:
        marks.append("%s=%s" % (SERVICE_ATTRIBUTE, service))
    kind = what.split()[0]
    raise ModuleError("platform %s: the %s was not made by azimuth.ops for this platform (it lacks the %s attributes %s and %s); "
                      "give the platform another name, or set adopt: true to let the module take the %s over"
                      % (platform, what, kind, ", ".join(marks[:-1]), marks[-1], kind))


def secret_labels(realm, platform, service):
    labels = {MANAGED_BY_LABEL: MANAGED_BY, REALM_LABEL: realm, PLATFORM_LABEL: platform,
              SERVICE_LABEL: service["name"], SUBDOMAIN_LABEL: service["subdomain"]}
    for key, value in (("platform-namespace", realm), ("platform-name", platform), ("service-name", service["name"]),
                       ("subdomain", service["subdomain"])):
        labels[UPSTREAM_LABEL_PREFIX + key] = value
    return labels


def allowed_groups(platform, service, tenancy_realm):
    groups = [PLATFORM_USERS_PATH] if tenancy_realm else []
    return json.dumps(groups + ["/" + platform, "/%s/%s" % (platform, service)])


class _Views:
    """The before/after views of the platforms' groups (by path) and clients (by client ID)."""

    def __init__(self):
        self.groups, self.clients = ({}, {}), ({}, {})

    @staticmethod
    def remove(views, key, before):
        views[0][key], views[1][key] = before, None

    @staticmethod
    def changed(views):
        """(before, after) of the keys whose view changes."""
        keys = [key for key in set(views[0]) | set(views[1]) if views[0].get(key) != views[1].get(key)]
        return dict((k, views[0].get(k)) for k in keys), dict((k, views[1].get(k)) for k in keys)


def _client_view(client):
    return {"baseUrl": client.get("baseUrl"), "redirectUris": client.get("redirectUris")}


def _plan_client(plan, views, current, desired):
    """Create or update one client; returns its secret (the current one, or a new one it will get)."""
    cid = desired["clientId"]
    before = kr.project(current, desired)
    views.clients[0][cid], views.clients[1][cid] = before, desired
    secret = (current or {}).get("secret") or new_client_secret()
    if current is None:
        plan.request("create the client %s" % cid, "POST", plan.in_realm("clients"), body=dict(desired, secret=secret))
    elif before != desired:
        body = kr.overlay(current, desired)
        body["secret"] = secret
        plan.request("update the client %s" % cid, "PUT", plan.in_realm("clients", current["id"]), body=body)
    return secret


def _delete_client(plan, views, client):
    views.remove(views.clients, client["clientId"], _client_view(client))
    plan.request("delete the client %s" % client["clientId"], "DELETE", plan.in_realm("clients", client["id"]))


def _delete_group(plan, views, group, path):
    views.remove(views.groups, path, kr.group_view(group, {"attributes": group_attributes("")}))
    plan.request("delete the group %s" % path, "DELETE", plan.in_realm("groups", group["id"]))


def _plan_platform(plan, views, platform, export, clients, adopt):
    """The platform's groups and clients (after the ownership rule); returns {service name: client secret}."""
    name, path = platform["name"], "/" + platform["name"]
    group = kr.find(export.get("groups"), "name", name)
    claim(group, "group " + path, name, adopt=adopt)
    ref = kr.plan_group(plan, views.groups, group, platform["group"], path)
    wanted = set(service["name"] for service in platform["services"])
    client_secrets = {}
    for service in platform["services"]:
        sub_path = "%s/%s" % (path, service["name"])
        current = kr.find((group or {}).get("subGroups"), "name", service["name"])
        claim(current, "group " + sub_path, name, service["name"], adopt)
        kr.plan_group(plan, views.groups, current, service["group"], sub_path, parent=ref)
        client = kr.find(clients, "clientId", service["client"]["clientId"])
        claim(client, "client " + service["client"]["clientId"], name, service["name"], adopt)
        client_secrets[service["name"]] = _plan_client(plan, views, client, service["client"])
    for sub in (group or {}).get("subGroups") or []:
        if _made_for(sub, name) and sub["name"] not in wanted:
            _delete_group(plan, views, sub, "%s/%s" % (path, sub["name"]))
    for client in clients:
        if _made_for(client, name) and _attribute(client, SERVICE_ATTRIBUTE) not in wanted:
            _delete_client(plan, views, client)
    return client_secrets


def _remove_platform(plan, views, name, export, clients):
    """Delete the platform's clients and group (those the module made for it)."""
    for client in clients:
        if _made_for(client, name):
            _delete_client(plan, views, client)
    group = kr.find(export.get("groups"), "name", name)
    if group is not None and _made_for(group, name):
        _delete_group(plan, views, group, "/" + name)


def _managed_platforms(export, clients):
    names = set(_attribute(c, PLATFORM_ATTRIBUTE) for c in clients if _is_ours(c))
    names |= set(_attribute(g, PLATFORM_ATTRIBUTE) for g in export.get("groups") or [] if _is_ours(g))
    names.discard(None)
    return names


def secret_names(params, desired, deleting=frozenset()):
    """The names of the discovery Secrets the platforms need (none of the platforms in ``deleting``)."""
    if params["state"] == "absent":
        return []
    return [SECRET_PREFIX + service["subdomain"] for platform in desired if platform["name"] not in deleting for service in platform["services"]]


def check_secret_realm(secret, realm):
    """Refuse the module's discovery Secret of another realm (a subdomain names one service in all of Zenith)."""
    labels = secret["metadata"].get("labels") or {}
    other = labels.get(REALM_LABEL)
    if labels.get(MANAGED_BY_LABEL) == MANAGED_BY and other and other != realm:
        raise ModuleError("the Secret %s/%s is the discovery Secret of realm %s (label %s), not of %s; each service needs "
                          "a subdomain of its own" % (secret["metadata"]["namespace"], secret["metadata"]["name"], other,
                                                      REALM_LABEL, realm))


def plan_platforms(params, desired, export, clients, found_secrets, issuer_url, deleting=frozenset()):
    """(RealmPlan, planned Secret writes, diff, wanted Secrets) for the platforms; ``export`` None when the realm is missing.

    ``found_secrets``: the realm's discovery Secrets and any other Secret of a wanted name (the
    ownership rule refuses those of other tools here, before anything is written); ``deleting``: the
    platforms removed whatever ``state`` says (their Platform objects are being deleted).
    """
    realm, state = params["realm"], params["state"]
    plan, views, wanted_secrets = kr.RealmPlan(realm, export or {}), _Views(), []
    tenancy_realm = bool(((export or {}).get("attributes") or {}).get(kr.TENANCY_ID_ATTRIBUTE))
    listed = set(p["name"] for p in desired)
    for platform in desired if export is not None else []:
        if state == "absent" or platform["name"] in deleting:
            _remove_platform(plan, views, platform["name"], export, clients)
            continue
        client_secrets = _plan_platform(plan, views, platform, export, clients, params.get("adopt"))
        for service in platform["services"]:
            wanted_secrets.append(dict(
                namespace=params["discovery"]["namespace"], name=SECRET_PREFIX + service["subdomain"],
                labels=secret_labels(realm, platform["name"], service),
                data={"issuer-url": issuer_url, "client-id": service["client"]["clientId"],
                      "client-secret": client_secrets[service["name"]],
                      "allowed-groups": allowed_groups(platform["name"], service["name"], tenancy_realm)}))
    if params["prune"] and export is not None:
        for name in sorted(_managed_platforms(export, clients) - listed):
            _remove_platform(plan, views, name, export, clients)
    keep = set((s["namespace"], s["name"]) for s in wanted_secrets)
    unwanted = [s for s in found_secrets if (s["metadata"]["namespace"], s["metadata"]["name"]) not in keep
                and ((s["metadata"].get("labels") or {}).get(PLATFORM_LABEL) in listed or params["prune"])]
    adopt_from = IDENTITY_OPERATOR if params.get("adopt") else None
    secret_writes, before, after = oidc.plan_secrets(wanted_secrets, found_secrets, unwanted, adopt_from)
    groups, clients_diff = views.changed(views.groups), views.changed(views.clients)
    diff = dict(before=dict(groups=groups[0], clients=clients_diff[0], secrets=before),
                after=dict(groups=groups[1], clients=clients_diff[1], secrets=after))
    return plan, secret_writes, diff, wanted_secrets


class PlatformIdentity:
    """Reads the realm, its clients and the discovery Secrets once each, plans, and (unless checking) writes.

    ``calls`` is a ``_keycloak.KeycloakCalls``; ``secret_calls`` a ``_kubernetes.CoreCalls``;
    ``platform_calls`` the ``_kubernetes.CustomCalls`` of the Platform kind (for ``platform_objects_namespace``).
    """

    def __init__(self, calls, secret_calls, server_url, platform_calls=None, secrets=None):
        """``secrets``: the run's ``Secrets``, where the client secrets are registered as soon as they are known."""
        self.calls = calls
        self.secret_calls = secret_calls
        self.platform_calls = platform_calls
        self.server_url = server_url
        self.secrets = Secrets() if secrets is None else secrets

    def read_realm(self, realm, state):
        """The realm's export and clients; (None, []) when an absent run finds no realm."""
        try:
            export = kr.read_export(self.calls, realm)
        except KeycloakApiError as exc:
            if exc.status != 404:
                raise
            if state == "absent":
                return None, []
            raise ModuleError("realm %s does not exist; create it first (azimuth.ops.tenancy_realm)" % realm)
        if not kr.is_managed(export):
            raise kr.foreign_realm(realm)
        return export, self.calls.get(realm_path(realm, "clients")) or []

    def read_secrets(self, params, desired, deleting=frozenset()):
        """The realm's discovery Secrets (one list), and each other Secret of a name the platforms need (one read each)."""
        namespace, realm = params["discovery"]["namespace"], params["realm"]
        selector = "%s=%s,%s=%s" % (MANAGED_BY_LABEL, MANAGED_BY, REALM_LABEL, realm)
        found = self.secret_calls.list_namespaced_secrets(namespace, selector)
        listed = set(secret["metadata"]["name"] for secret in found)
        for name in secret_names(params, desired, deleting):
            secret = None if name in listed else self.secret_calls.read_secret(namespace, name)
            if secret is not None:
                check_secret_realm(secret, realm)
                found.append(secret)
        return found

    def run(self, params, check_mode):
        desired = desired_platforms(params["platforms"], params["redirect_uri_scheme"])
        realm = params["realm"]
        objects = self.platform_objects(params)
        deleting = self.deleting(objects, params, desired)
        cleaning_up = params["state"] == "absent" or (desired and deleting == set(p["name"] for p in desired))
        export, clients = self.read_realm(realm, "absent" if cleaning_up else "present")
        found = self.read_secrets(params, desired, deleting)
        issuer_url = "%s/realms/%s" % ((params.get("public_url") or self.server_url).rstrip("/"), realm)
        plan, secret_writes, diff, wanted = plan_platforms(params, desired, export, clients, found, issuer_url, deleting)
        self.secrets.add(*[secret["data"].get(oidc.SECRET_KEY) for secret in wanted] + [c.get("secret") for c in clients])
        object_writes = self.plan_objects(objects, params, desired, deleting, diff)
        if not check_mode:
            executor = kr.Executor(self.calls)
            executor.run(plan)
            oidc.write_secrets(self.secret_calls, secret_writes, wrote=executor.wrote)
            self.write_objects(objects, object_writes, wrote=executor.wrote or bool(secret_writes))
        return dict(
            changed=plan.changed or bool(secret_writes) or bool(object_writes),
            realm=realm,
            issuer_url=issuer_url,
            platforms=[_platform_result(p, realm, params) for p in desired],
            diff=diff,
        )

    def platform_objects(self, params):
        """The Platform objects the run answers (``_answered_object.AnsweredObjects``), or None."""
        if not params.get("platform_objects_namespace"):
            return None
        return ao.AnsweredObjects(self.platform_calls, "Platform", "platform_objects_namespace", params.get("finalizer"))

    @staticmethod
    def deleting(objects, params, desired):
        """With ``finalizer``, the listed platforms whose objects are being deleted: the portal's word, they go."""
        if objects is None or not params.get("finalizer"):
            return set()
        namespace = params["platform_objects_namespace"]
        return set(p["name"] for p in desired if ((objects.current(namespace, p["name"]) or {}).get("metadata") or {}).get("deletionTimestamp"))

    @staticmethod
    def plan_objects(objects, params, desired, deleting, diff):
        """The writes that answer the listed platforms' objects, with their diff ([] without ``objects``).  Planned
        before anything is written: a missing or foreign object stops the run."""
        if objects is None:
            return []
        namespace, writes = params["platform_objects_namespace"], []
        for platform in desired:
            if params["state"] == "absent" or platform["name"] in deleting:
                planned = objects.plan_release(namespace, platform["name"])
            else:
                status = ao.platform_status(platform["name"], [s["name"] for s in platform["services"]])
                planned = objects.plan(namespace, platform["name"], status, params.get("adopt"))
            if planned and planned["changed"]:
                writes.append(planned)
        diff["before"]["platform_objects"], diff["after"]["platform_objects"] = {}, {}
        for planned in writes:
            key = "%s/%s" % (namespace, planned["name"])
            diff["before"]["platform_objects"][key], diff["after"]["platform_objects"][key] = objects.view(planned)
        return writes

    @staticmethod
    def write_objects(objects, writes, wrote):
        for planned in writes:
            try:
                objects.write(planned)
            except Exception as exc:  # pylint: disable=broad-exception-caught
                reason = kube.describe_error(exc)
                if reason is None:
                    raise
                raise ModuleError("Could not answer the Platform %s/%s: %s" % (planned["namespace"], planned["name"], reason), changed=wrote)
            wrote = True


def _platform_result(platform, realm, params):
    services = [dict(name=s["name"], client_id=s["client"]["clientId"], group="/%s/%s" % (platform["name"], s["name"]),
                     subdomain=s["subdomain"], secret="%s/%s%s" % (params["discovery"]["namespace"], SECRET_PREFIX, s["subdomain"]))
                for s in platform["services"]]
    return dict(name=platform["name"], group="/" + platform["name"], services=services)
