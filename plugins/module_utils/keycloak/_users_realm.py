# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The users realm of OIDC authentication mode: the realm portal users sign in to, the portal's
client, and one group per tenancy whose members may use that tenancy.

``desired_groups`` validates the tenancies; ``plan_users_realm`` compares the realm's export and
the portal client with what they should be; ``UsersRealm`` reads (one export, one client lookup,
the credentials Secret when asked), plans, and (unless checking) writes.  The credentials Secret is
planned through the one Secret writer and its ownership rule: one that another tool manages stops
the module while it plans, before Keycloak is written to (in check mode too).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.azimuth.ops.plugins.module_utils.keycloak import _keycloak_realm as kr
from ansible_collections.azimuth.ops.plugins.module_utils.kubernetes import _oidc_secret as oidc
from ansible_collections.azimuth.ops.plugins.module_utils.keycloak._keycloak import KeycloakApiError, realm_path
from ansible_collections.azimuth.ops.plugins.module_utils.common._module import ModuleError, Secrets
from ansible_collections.azimuth.ops.plugins.module_utils.common._naming import MANAGED_BY, MANAGED_BY_LABEL, describe_tenancy
from ansible_collections.azimuth.ops.plugins.module_utils.keycloak._platform_identity import new_client_secret


def group_name(tenancy):
    """The tenancy's group name: its ``oidc_group`` (a top-level group path), by default ``/<name>``."""
    path = tenancy.get("oidc_group") or "/" + tenancy["name"]
    name = path[1:] if path.startswith("/") else path
    if not name.strip() or "/" in name:
        raise ModuleError("%s: the OIDC group %r is not a top-level group path such as /%s"
                          % (describe_tenancy(tenancy), path, tenancy["name"].replace("/", "-") or "physics"))
    return name


def desired_groups(tenancies):
    """Per tenancy, its group (named by ``group_name``), marked with the tenancy's ID."""
    groups, seen = [], {}
    for tenancy in tenancies or []:
        if not tenancy.get("id"):
            raise ModuleError("%s: the ID must not be empty" % describe_tenancy(tenancy))
        name = group_name(tenancy)
        for key in ("group /" + name, "ID " + tenancy["id"]):
            if key in seen:
                raise ModuleError("%s and %s both map to %s; tenancies need distinct groups and IDs"
                                  % (describe_tenancy(seen[key]), describe_tenancy(tenancy), key))
            seen[key] = tenancy
        groups.append(dict(id=tenancy["id"], tenancy=tenancy["name"], name=name, attributes={
            kr.MANAGED_BY_ATTRIBUTE: [MANAGED_BY], kr.TENANCY_ID_ATTRIBUTE: [tenancy["id"]]}))
    return groups


def _tenancy_of(group):
    value = (group.get("attributes") or {}).get(kr.TENANCY_ID_ATTRIBUTE)
    return value[0] if value else None


def owned_group(item, groups):
    """The tenancy's group: the one marked with its ID (renamed when its name changed), else the unmarked group of the name."""
    owned = [g for g in groups if _tenancy_of(g) == item["id"]]
    if len(owned) > 1:
        raise ModuleError("%s: groups %s all carry the attribute %s=%s; remove it from all but one"
                          % (describe_tenancy(item), " and ".join(sorted(g["path"] for g in owned)), kr.TENANCY_ID_ATTRIBUTE, item["id"]))
    existing = kr.find(groups, "name", item["name"])
    if existing is not None and existing not in owned:
        if _tenancy_of(existing):
            raise ModuleError("%s: group %s belongs to tenancy %s" % (describe_tenancy(item), existing["path"], _tenancy_of(existing)))
        if owned:
            raise ModuleError("%s: group %s cannot be renamed to %s, which another group has"
                              % (describe_tenancy(item), owned[0]["path"], existing["path"]))
    return owned[0] if owned else existing


def portal_client(portal):
    redirect_uris = portal.get("redirect_uris") or ["https://%s/auth/oidc/complete/" % portal["host"]]
    return {
        "clientId": portal["client_id"],
        "enabled": True,
        "protocol": "openid-connect",
        "publicClient": False,
        "clientAuthenticatorType": "client-secret",
        "redirectUris": list(redirect_uris),
        "standardFlowEnabled": True,
        "implicitFlowEnabled": False,
        "directAccessGrantsEnabled": False,
        "serviceAccountsEnabled": False,
        "attributes": {"oauth2.device.authorization.grant.enabled": "false", "use.refresh.tokens": "true",
                       kr.MANAGED_BY_ATTRIBUTE: MANAGED_BY},
    }


def plan_portal_client(plan, current, desired):
    """Create or update the portal's client; returns its secret (the current one or the one it will get)."""
    before = kr.project(current, desired)
    secret = (current or {}).get("secret") or new_client_secret()
    if plan.compare("portalClient", before, desired):
        if current is None:
            plan.request("create the client %s" % desired["clientId"], "POST", plan.in_realm("clients"),
                         body=dict(desired, secret=secret))
        else:
            body = kr.overlay(current, desired)
            body["secret"] = secret
            plan.request("update the client %s" % desired["clientId"], "PUT", plan.in_realm("clients", current["id"]), body=body)
    return secret


def plan_tenancy_groups(plan, groups, prune):
    """The tenancies' groups (with the realm when it is new); with ``prune``, delete the other tenancies' groups."""
    existing = (plan.current or {}).get("groups") or []
    views, results = ({}, {}), []
    for item in groups:
        current = owned_group(item, existing)
        path = "/" + item["name"]
        kr.plan_group(plan, views, current, item, path, inline=plan.creating)
        results.append(dict(id=item["id"], name=item["tenancy"], group=path, created=current is None,
                            changed=views[0][path] != views[1][path]))
    if prune:
        wanted = set(item["id"] for item in groups)
        for group in existing:
            if _tenancy_of(group) and _tenancy_of(group) not in wanted and \
                    (group.get("attributes") or {}).get(kr.MANAGED_BY_ATTRIBUTE) == [MANAGED_BY]:
                marks = {"attributes": {kr.MANAGED_BY_ATTRIBUTE: [], kr.TENANCY_ID_ATTRIBUTE: []}}
                views[0][group["path"]], views[1][group["path"]] = kr.group_view(group, marks), None
                plan.request("delete the group %s" % group["path"], "DELETE", plan.in_realm("groups", group["id"]))
    plan.compare("groups", None if plan.creating else views[0], views[1])
    return results


def plan_users_realm(params, groups, export, client):
    """(RealmPlan, client secret, tenancy group results) for the users realm (``export`` None to create it)."""
    plan = kr.RealmPlan(params["realm"], export)
    attributes = {kr.MANAGED_BY_ATTRIBUTE: MANAGED_BY}
    kr.plan_realm(plan, params["ssl_required"], attributes, groups)
    kr.plan_groups_scope(plan)
    secret = plan_portal_client(plan, client, portal_client(params["portal"]))
    results = plan_tenancy_groups(plan, groups, params["prune"])
    return plan, secret, results


class UsersRealm:
    """Reads the realm (one export), the portal's client and the credentials Secret, plans, and writes.

    ``calls`` is a ``_keycloak.KeycloakCalls``; ``secret_calls`` a ``_kubernetes.CoreCalls`` (or None).
    """

    def __init__(self, calls, secret_calls, server_url, secrets=None):
        """``secrets``: the run's ``Secrets``, where the portal's client secret is registered (unless it is returned)."""
        self.calls = calls
        self.secret_calls = secret_calls
        self.server_url = server_url
        self.secrets = Secrets() if secrets is None else secrets

    def read(self, params):
        realm = params["realm"]
        try:
            export = kr.read_export(self.calls, realm)
        except KeycloakApiError as exc:
            if exc.status != 404:
                raise
            return None, None
        if not kr.is_managed(export):
            raise kr.foreign_realm(realm)
        if params["state"] == "absent":
            return export, None
        clients = self.calls.get(realm_path(realm, "clients"), clientId=params["portal"]["client_id"]) or []
        return export, kr.find(clients, "clientId", params["portal"]["client_id"])

    def _secret(self, params, issuer_url, client_id, client_secret):
        """(wanted Secret or None, found Secret or None) for ``credentials_secret``.

        With ``state: absent`` the found Secret is the one to delete: the module's (labelled managed-by
        azimuth-ops), or one another tool manages (which the ownership rule then refuses); one without
        the label is left alone.
        """
        target = params.get("credentials_secret")
        if not target:
            return None, None
        found = self.secret_calls.read_secret(target["namespace"], target["name"])
        if params["state"] == "absent":
            labelled = found is not None and (found["metadata"].get("labels") or {}).get(MANAGED_BY_LABEL)
            return None, found if labelled else None
        wanted = dict(namespace=target["namespace"], name=target["name"], labels={MANAGED_BY_LABEL: MANAGED_BY},
                      data={"issuer-url": issuer_url, "client-id": client_id, "client-secret": client_secret})
        return wanted, found

    def run(self, params, check_mode):
        realm = params["realm"]
        issuer_url = "%s/realms/%s" % ((params.get("public_url") or self.server_url).rstrip("/"), realm)
        groups = desired_groups(params["tenancies"]) if params["state"] == "present" else []
        export, client = self.read(params)
        if params["state"] == "absent":
            plan, secret = kr.RealmPlan(realm, export or {}), None
            if export is not None:
                plan.delete()
            found = self._secret(params, issuer_url, None, None)[1]
            secret_writes, before, after = oidc.plan_secrets([], [], [found] if found else [])
        else:
            plan, secret, groups = plan_users_realm(params, groups, export, client)
            wanted, found = self._secret(params, issuer_url, params["portal"]["client_id"], secret)
            secret_writes, before, after = oidc.plan_secrets([wanted] if wanted else [], [found] if found else [])
            if not params.get("return_client_secret"):
                self.secrets.add(secret)
        if not check_mode:
            executor = kr.Executor(self.calls)
            executor.run(plan)
            oidc.write_secrets(self.secret_calls, secret_writes, wrote=executor.wrote)
        realm_diff = plan.diff()
        result = dict(
            changed=plan.changed or bool(secret_writes), realm=realm, issuer_url=issuer_url, groups=groups,
            diff=dict(before=dict(realm=realm_diff[0] if realm_diff else None, secrets=before),
                      after=dict(realm=realm_diff[1] if realm_diff else None, secrets=after)),
        )
        if params["state"] == "present":
            result["client_id"] = params["portal"]["client_id"]
            if params.get("return_client_secret"):
                result["client_secret"] = secret
        return result
