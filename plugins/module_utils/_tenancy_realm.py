# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tenancy realms: what Azimuth's identity operator sets up in each tenancy's realm, many realms per call.

``desired_realms`` validates the input; ``owned_realm`` applies the ownership rules;
``plan_tenancy_realm`` compares one realm's export with what it should hold and returns its
RealmPlan; ``TenancyRealms`` reads (one list of realms, one export per existing realm), plans every
realm, and then (unless checking) makes the changes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import hashlib
import json

from ansible_collections.azimuth.ops.plugins.module_utils import _keycloak_realm as kr
from ansible_collections.azimuth.ops.plugins.module_utils._keycloak import realm_path
from ansible_collections.azimuth.ops.plugins.module_utils._module import ModuleError
from ansible_collections.azimuth.ops.plugins.module_utils._naming import MANAGED_BY, NamingError, tenancy_namespace

ADMINS = "admins"
PLATFORM_USERS = "platform-users"
TENANCY_GROUPS = (
    {"name": ADMINS, "clientRoles": {"realm-management": ["realm-admin"]}},
    {"name": PLATFORM_USERS},
)
FLOW = "azimuth first login"
SOURCE_FLOW = "first broker login"
REVIEW_PROFILE = "idp-review-profile"
IDP = "azimuth"
# Where the identity provider keeps a digest of its client secret (Keycloak never returns the
# secret itself), so that a run notices a changed secret without writing it every time.
SECRET_DIGEST_KEY = "azimuth-ops.client-secret-digest"
SECRET_DIGEST_SALT = b"azimuth-ops.identity-provider.client-secret"
SECRET_DIGEST_ROUNDS = 100000
USER_PROFILE_COMPONENT = "org.keycloak.userprofile.UserProfileProvider"
USER_PROFILE_KEY = "kc.user.profile.config"
FEDERATED_ID = {
    "name": "federatedId",
    "displayName": "Federated ID",
    "validations": {"length": {"max": 255}, "up-username-not-idn-homograph": {}},
    "annotations": {},
    "permissions": {"view": ["admin", "user"], "edit": []},
    "multivalued": False,
}


def _describe(tenancy):
    return "tenancy %s (%s)" % (tenancy.get("name"), tenancy.get("id"))


def secret_digest(secret):
    """A salted, slow digest of the identity provider's client secret (stored in its config)."""
    return hashlib.pbkdf2_hmac("sha256", secret.encode("utf-8"), SECRET_DIGEST_SALT, SECRET_DIGEST_ROUNDS).hex()


def idp_issuer(idp, tenancy_id):
    return idp["issuer"].replace("{tenancy_id}", tenancy_id).rstrip("/")


def idp_representation(idp, tenancy_id, digest):
    """The identity provider ``azimuth`` of a tenancy realm (with its client secret: never shown, see ``_idp_view``)."""
    issuer = idp_issuer(idp, tenancy_id)
    return {
        "alias": IDP,
        "providerId": "oidc",
        "enabled": True,
        "displayName": idp.get("display_name") or "Azimuth",
        "firstBrokerLoginFlowAlias": FLOW,
        "config": {
            "issuer": issuer,
            "authorizationUrl": issuer + "/auth",
            "tokenUrl": issuer + "/token",
            "userInfoUrl": issuer + "/userinfo",
            "jwksUrl": issuer + "/keys",
            "useJwksUrl": "true",
            "validateSignature": "true",
            "clientAuthMethod": "client_secret_post",
            "clientId": idp["client_id"],
            "clientSecret": idp["client_secret"],
            "syncMode": "IMPORT",
            "defaultScope": "openid profile email groups federated:id",
            SECRET_DIGEST_KEY: digest,
        },
    }


def idp_mappers(tenancy_id):
    claims = json.dumps([{"key": "groups", "value": tenancy_id}])

    def group_mapper(name, group):
        return {"name": name, "identityProviderAlias": IDP, "identityProviderMapper": "oidc-advanced-group-idp-mapper",
                "config": {"claims": claims, "syncMode": "FORCE", "are.claim.values.regex": "false", "group": group}}

    return [
        group_mapper("realm-admin", "/" + ADMINS),
        group_mapper("platform-user", "/" + PLATFORM_USERS),
        {"name": "federated-id", "identityProviderAlias": IDP, "identityProviderMapper": "oidc-user-attribute-idp-mapper",
         "config": {"claim": "federated_claims.user_id", "user.attribute": "federatedId", "syncMode": "FORCE"}},
    ]


def desired_realms(tenancies, idp=None, realm_attributes=None):
    """Validate the tenancies; per tenancy, its default realm name and the realm attributes the module owns.

    Raises ModuleError, before anything is read, for a name that sanitises to nothing, an empty ID,
    and two tenancies with one realm name or one ID.
    """
    digest = secret_digest(idp["client_secret"]) if idp else None
    extra = dict((str(key), str(value)) for key, value in (realm_attributes or {}).items())
    for key in (kr.MANAGED_BY_ATTRIBUTE, kr.TENANCY_ID_ATTRIBUTE):
        if key in extra:
            raise ModuleError("realm attribute %s is set by the module and cannot be given" % key)
    desired, seen = [], {}
    for tenancy in tenancies or []:
        if not tenancy.get("id"):
            raise ModuleError("%s: the ID must not be empty" % _describe(tenancy))
        try:
            realm = tenancy_namespace(tenancy["name"])
        except NamingError as exc:
            raise ModuleError("%s: the name cannot name a realm: %s" % (_describe(tenancy), exc))
        for key in ("realm " + realm, "ID " + tenancy["id"]):
            if key in seen:
                raise ModuleError("%s and %s both map to %s; tenancies need distinct names and IDs"
                                  % (_describe(seen[key]), _describe(tenancy), key))
            seen[key] = tenancy
        attributes = dict(extra)
        attributes.update({kr.MANAGED_BY_ATTRIBUTE: MANAGED_BY, kr.TENANCY_ID_ATTRIBUTE: tenancy["id"]})
        item = dict(id=tenancy["id"], name=tenancy["name"], realm=realm, attributes=attributes)
        if idp:
            item.update(idp=idp_representation(idp, tenancy["id"], digest), mappers=idp_mappers(tenancy["id"]))
        desired.append(item)
    return desired


def tenancy_of(realm):
    return (realm.get("attributes") or {}).get(kr.TENANCY_ID_ATTRIBUTE)


def index_realms(realms):
    """(managed realms by tenancy ID, all realms by name)."""
    by_tenancy = {}
    for realm in realms:
        if kr.is_managed(realm) and tenancy_of(realm):
            by_tenancy.setdefault(tenancy_of(realm), []).append(realm)
    return by_tenancy, dict((realm["realm"], realm) for realm in realms)


def owned_realm(item, by_tenancy, by_name):
    """The realm of the tenancy ``item`` (None when it has none), after the ownership rules.

    A managed realm marked with the tenancy's ID is its realm whatever its name (so a renamed
    tenancy keeps its realm); otherwise ``az-<name>``, which must be managed and unmarked or the tenancy's.
    """
    owned = by_tenancy.get(item["id"], [])
    if len(owned) > 1:
        raise ModuleError("%s: realms %s all carry the attribute %s=%s; remove it from all but one"
                          % (_describe(item), " and ".join(sorted(r["realm"] for r in owned)), kr.TENANCY_ID_ATTRIBUTE, item["id"]))
    if owned:
        return owned[0]
    existing = by_name.get(item["realm"])
    if existing is None:
        return None
    if not kr.is_managed(existing):
        raise kr.foreign_realm(item["realm"])
    raise ModuleError("%s: realm %s is managed by azimuth.ops for %s"
                      % (_describe(item), item["realm"],
                         "tenancy %s" % tenancy_of(existing) if tenancy_of(existing) else "something other than a tenancy"))


def user_profile_of(export):
    """The realm's user-profile configuration from its export; None while Keycloak's default is in use."""
    components = ((export or {}).get("components") or {}).get(USER_PROFILE_COMPONENT) or []
    for component in components:
        parts = (component.get("config") or {}).get(USER_PROFILE_KEY)
        if parts:
            try:
                return json.loads("".join(parts))
            except ValueError:
                return None
    return None


def _federated_view():
    return dict((k, v) for k, v in FEDERATED_ID.items() if k not in ("name", "annotations"))


def profile_view(config):
    if config is None:
        return None
    attributes = config.get("attributes") or []
    return {
        "required": sorted(a["name"] for a in attributes if a.get("required")),
        "federatedId": kr.project(kr.find(attributes, "name", FEDERATED_ID["name"]), _federated_view()),
    }


def profile_update(config):
    """The user profile with no attribute required and ``federatedId`` as the module wants it."""
    config = copy.deepcopy(config)
    attributes = config.setdefault("attributes", [])
    for attribute in attributes:
        attribute.pop("required", None)
    current = kr.find(attributes, "name", FEDERATED_ID["name"])
    if current is None:
        attributes.append(copy.deepcopy(FEDERATED_ID))
    else:
        current.update(kr.overlay(current, _federated_view()))
    return config


def plan_user_profile(plan, profile):
    wanted = {"required": [], "federatedId": _federated_view()}
    if plan.compare("userProfile", profile_view(profile), wanted):
        plan.step("update the user profile", "update_user_profile", config=profile)


def flow_view(export):
    flow = kr.find((export or {}).get("authenticationFlows"), "alias", FLOW)
    if flow is None:
        return None
    review = kr.find(flow.get("authenticationExecutions"), "authenticator", REVIEW_PROFILE)
    return {"reviewProfile": review["requirement"] if review else "DISABLED"}


def plan_first_login_flow(plan):
    before = flow_view(plan.current)
    if plan.compare("firstLoginFlow", before, {"reviewProfile": "DISABLED"}):
        if before is None:
            plan.request("copy the flow %s to %s" % (SOURCE_FLOW, FLOW), "POST",
                         plan.in_realm("authentication", "flows", _quote(SOURCE_FLOW), "copy"), body={"newName": FLOW})
        plan.step("disable the review-profile step of the flow %s" % FLOW, "disable_review_profile")


def _quote(alias):
    return alias.replace(" ", "%20")


def _idp_view(idp, secret_changed):
    """The module's part of the identity provider, its client secret masked."""
    wanted = copy.deepcopy(idp)
    del wanted["alias"]
    digest = wanted["config"].pop(SECRET_DIGEST_KEY)
    wanted["config"]["clientSecret"] = kr.MASK + " (changed)" if secret_changed else kr.MASK
    return wanted, digest


def plan_identity_provider(plan, item):
    current = kr.find((plan.current or {}).get("identityProviders"), "alias", IDP)
    wanted, digest = _idp_view(item["idp"], False)
    before = kr.project(current, wanted)
    if before is not None:
        config = current.get("config") or {}
        before["config"]["clientSecret"] = kr.MASK if config.get("clientSecret") else None
        if config.get(SECRET_DIGEST_KEY) != digest:
            wanted = _idp_view(item["idp"], True)[0]
    if plan.compare("identityProvider", before, wanted):
        if current is None:
            plan.request("create the identity provider %s" % IDP, "POST", plan.in_realm("identity-provider", "instances"),
                         body=item["idp"])
        else:
            plan.request("update the identity provider %s" % IDP, "PUT", plan.in_realm("identity-provider", "instances", IDP),
                         body=kr.overlay(current, item["idp"]))
    mappers = [m for m in (plan.current or {}).get("identityProviderMappers") or [] if m.get("identityProviderAlias") == IDP]
    views = ({}, {})
    for mapper in item["mappers"]:
        wanted = dict((k, v) for k, v in mapper.items() if k not in ("name", "identityProviderAlias"))
        existing = None if current is None else kr.find(mappers, "name", mapper["name"])
        views[0][mapper["name"]], views[1][mapper["name"]] = kr.project(existing, wanted), wanted
        path = plan.in_realm("identity-provider", "instances", IDP, "mappers")
        if existing is None:
            plan.request("create the mapper %s of the identity provider %s" % (mapper["name"], IDP), "POST", path, body=mapper)
        elif views[0][mapper["name"]] != wanted:
            plan.request("update the mapper %s of the identity provider %s" % (mapper["name"], IDP), "PUT",
                         "%s/%s" % (path, existing["id"]), body=kr.overlay(existing, mapper))
    plan.compare("identityProviderMappers", None if plan.creating else views[0], views[1])


def plan_tenancy_realm(item, realm, export, profile, ssl_required):
    """The RealmPlan that makes ``realm`` (its export ``export``, None to create) what the tenancy needs."""
    plan = kr.RealmPlan(realm, export)
    kr.plan_realm(plan, ssl_required, item["attributes"], TENANCY_GROUPS)
    kr.plan_groups_scope(plan)
    kr.plan_top_groups(plan, TENANCY_GROUPS)
    plan_first_login_flow(plan)
    plan_identity_provider(plan, item)
    plan_user_profile(plan, profile)
    return plan


class Executor(kr.Executor):
    """Sends tenancy-realm plans: requests, role grants, and the two steps that read before writing."""

    def _disable_review_profile(self, plan, action, ids):
        path = plan.in_realm("authentication", "flows", _quote(FLOW), "executions")
        for execution in self.calls.get(path) or []:
            if execution.get("providerId") == REVIEW_PROFILE and execution.get("requirement") != "DISABLED":
                self.calls.put(path, dict(execution, requirement="DISABLED"))

    def _update_user_profile(self, plan, action, ids):
        config = action["config"] or self.calls.get(plan.in_realm("users", "profile"))
        self.calls.put(plan.in_realm("users", "profile"), profile_update(config))


def _result(item, realm):
    return dict(id=item["id"], name=item["name"], realm=realm, changed=False, created=False, deleted=False)


class TenancyRealms:
    """Reads every realm once, plans each tenancy's realm, and (unless checking) makes the changes.

    ``calls`` is a ``_keycloak.KeycloakCalls``.
    """

    def __init__(self, calls):
        self.calls = calls
        self.warnings = []

    def read(self, realm):
        """The export and user profile of an existing realm (the profile read apart only while it is Keycloak's default)."""
        export = kr.read_export(self.calls, realm)
        profile = user_profile_of(export)
        if profile is None:
            profile = self.calls.get(realm_path(realm, "users", "profile"))
        return export, profile

    def plan(self, params):
        if params["state"] == "present" and params["tenancies"] and not params.get("azimuth_idp"):
            raise ModuleError("azimuth_idp is required to create or repair the tenancies' realms")
        desired = desired_realms(params["tenancies"], params.get("azimuth_idp"), params.get("realm_attributes"))
        realms = self.calls.get("admin/realms") or []
        by_tenancy, by_name = index_realms(realms)
        if params["state"] == "absent":
            targets = [(item, self._absent_target(item, by_tenancy, by_name)) for item in desired]
        else:
            targets = [(item, owned_realm(item, by_tenancy, by_name)) for item in desired]
        plans, results = [], []
        for item, realm in targets:
            result = _result(item, realm["realm"] if realm else item["realm"])
            results.append(result)
            if params["state"] == "absent":
                plan = kr.RealmPlan(realm["realm"], realm) if realm else None
                if plan:
                    plan.delete()
            else:
                export, profile = self.read(realm["realm"]) if realm else (None, None)
                plan = plan_tenancy_realm(item, result["realm"], export, profile, params["ssl_required"])
            if plan is not None and plan.changed:
                plans.append(plan)
                result.update(changed=True, created=plan.creating, deleted=plan.after is None)
        pruned = self._prune(params, desired, realms, plans) if params["prune"] else []
        return plans, results, pruned

    def _absent_target(self, item, by_tenancy, by_name):
        realm = (by_tenancy.get(item["id"]) or [None])[0]
        existing = by_name.get(item["realm"])
        if realm is None and existing is not None:
            self.warnings.append("realm %s is not the realm of tenancy %s (%s) (it lacks %s=%s); left alone"
                                 % (item["realm"], item["name"], item["id"], kr.TENANCY_ID_ATTRIBUTE, item["id"]))
        return realm

    @staticmethod
    def _prune(params, desired, realms, plans):
        wanted = set(item["id"] for item in desired) if params["state"] == "present" else set()
        selector = dict((str(k), str(v)) for k, v in (params.get("prune_selector") or {}).items())
        planned = set(plan.realm for plan in plans)
        pruned = []
        for realm in realms:
            attributes = realm.get("attributes") or {}
            if (not kr.is_managed(realm) or not tenancy_of(realm) or tenancy_of(realm) in wanted or realm["realm"] in planned
                    or any(attributes.get(k) != v for k, v in selector.items())):
                continue
            plan = kr.RealmPlan(realm["realm"], realm)
            plan.delete()
            plans.append(plan)
            pruned.append(dict(realm=realm["realm"], id=tenancy_of(realm)))
        return pruned

    def run(self, params, check_mode):
        plans, results, pruned = self.plan(params)
        if not check_mode:
            executor = Executor(self.calls)
            for plan in plans:
                executor.run(plan)
        diffs = [(plan.realm, plan.diff()) for plan in plans]
        totals = dict(
            tenancies=len(results),
            created=sum(1 for r in results if r["created"]),
            updated=sum(1 for r in results if r["changed"] and not r["created"] and not r["deleted"]),
            deleted=sum(1 for r in results if r["deleted"]),
            unchanged=sum(1 for r in results if not r["changed"]),
            pruned=len(pruned),
        )
        return dict(
            changed=bool(plans), realms=results, pruned=pruned, totals=totals, warnings=self.warnings,
            diff=dict(before=dict(realms=dict((name, d[0]) for name, d in diffs)),
                      after=dict(realms=dict((name, d[1]) for name, d in diffs))),
        )
