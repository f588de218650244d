# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tenancy realms: what Azimuth's identity operator sets up in each tenancy's realm, many realms per call.

``desired_realms`` validates the input; ``owned_realm`` applies the ownership rules;
``plan_tenancy_realm`` compares one realm's export with what it should hold and returns its
RealmPlan; ``TenancyRealms`` reads (one list of realms, one export per existing realm, and with a
secret per tenancy the namespaces and Secrets that hold them, see ``_idp_secret``), plans every
realm, and then (unless checking) makes the changes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json

from ansible_collections.azimuth.ops.plugins.module_utils import _idp_secret as idp_secret
from ansible_collections.azimuth.ops.plugins.module_utils import _keycloak_realm as kr
from ansible_collections.azimuth.ops.plugins.module_utils import _kubernetes as kube
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
# Where the identity provider keeps a digest of its client secret, salted per realm (Keycloak never
# returns the secret itself), so that a run notices a changed secret without writing it every time.
SECRET_DIGEST_KEY = "azimuth-ops.client-secret-digest"
# Whose secret the providers use: each tenancy its own (kept in its namespace), or one for all.
TENANCY_SCOPE, SHARED_SCOPE = "tenancy", "shared"
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


def idp_issuer(idp, tenancy_id):
    return idp["issuer"].replace("{tenancy_id}", tenancy_id).rstrip("/")


def check_idp(idp, rotate=False):
    """Raise ModuleError, before anything is read, for ``azimuth_idp`` options that do not fit together."""
    scope = idp.get("client_secret_scope") or TENANCY_SCOPE
    if scope == SHARED_SCOPE and not idp.get("client_secret"):
        raise ModuleError("azimuth_idp.client_secret_scope=shared needs azimuth_idp.client_secret, the one secret of every tenancy")
    if scope == TENANCY_SCOPE and idp.get("client_secret"):
        raise ModuleError("azimuth_idp.client_secret is one secret for every tenancy's identity provider, which any realm "
                          "admin can learn; leave it out to give each tenancy a generated secret of its own, or set "
                          "azimuth_idp.client_secret_scope=shared to use it anyway")
    if scope == SHARED_SCOPE and rotate:
        raise ModuleError("rotate_client_secrets rotates the secrets the module generates per tenancy; with "
                          "azimuth_idp.client_secret_scope=shared, give a new azimuth_idp.client_secret instead")
    issuer = idp_issuer(idp, "tenancy")
    if not issuer.startswith(("https://", "http://")) or len(issuer.split("/")[2]) == 0:
        raise ModuleError("azimuth_idp.issuer must be an http(s) URL, such as https://portal.example.org/authproxy/{tenancy_id}; "
                          "got %r" % idp["issuer"])


def idp_representation(idp, tenancy_id, secret, digest):
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
            "clientSecret": secret,
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
            item.update(idp=idp, mappers=idp_mappers(tenancy["id"]))
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


def plan_identity_provider(plan, item, secret):
    """The identity provider with the client secret ``secret``, and its mappers."""
    current = kr.find((plan.current or {}).get("identityProviders"), "alias", IDP)
    config = (current or {}).get("config") or {}
    same_secret = idp_secret.digest_matches(config.get(SECRET_DIGEST_KEY), secret)
    digest = config[SECRET_DIGEST_KEY] if same_secret else idp_secret.digest(secret)
    representation = idp_representation(item["idp"], item["id"], secret, digest)
    wanted = _idp_view(representation, current is not None and not same_secret)[0]
    before = kr.project(current, wanted)
    if before is not None:
        before["config"]["clientSecret"] = kr.MASK if config.get("clientSecret") else None
    if plan.compare("identityProvider", before, wanted):
        if current is None:
            plan.request("create the identity provider %s" % IDP, "POST", plan.in_realm("identity-provider", "instances"),
                         body=representation)
        else:
            plan.request("update the identity provider %s" % IDP, "PUT", plan.in_realm("identity-provider", "instances", IDP),
                         body=kr.overlay(current, representation))
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


def plan_tenancy_realm(item, realm, export, profile, ssl_required, secret):
    """The RealmPlan that makes ``realm`` (its export ``export``, None to create) what the tenancy needs,
    its identity provider with the client secret ``secret``."""
    plan = kr.RealmPlan(realm, export)
    kr.plan_realm(plan, ssl_required, item["attributes"], TENANCY_GROUPS)
    kr.plan_groups_scope(plan)
    kr.plan_top_groups(plan, TENANCY_GROUPS)
    plan_first_login_flow(plan)
    plan_identity_provider(plan, item, secret)
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
    return dict(id=item["id"], name=item["name"], realm=realm, idp_secret=None, changed=False, created=False, deleted=False)


class TenancyRealms:
    """Reads every realm once, plans each tenancy's realm and secret, and (unless checking) makes the changes.

    ``calls`` is a ``_keycloak.KeycloakCalls``; ``kube()`` gives the ``_kubernetes.CoreCalls`` for
    the tenancies' client secrets (called only when each tenancy has its own); ``public_url`` is
    Keycloak as users' browsers reach it (for the redirect URI the tenancy's Dex needs).
    """

    def __init__(self, calls, kube=None, public_url=None):
        self.calls = calls
        self.kube = kube
        self.public_url = public_url
        self.warnings = []
        self.secrets = None

    def read(self, realm):
        """The export and user profile of an existing realm (the profile read apart only while it is Keycloak's default)."""
        export = kr.read_export(self.calls, realm)
        profile = user_profile_of(export)
        if profile is None:
            profile = self.calls.get(realm_path(realm, "users", "profile"))
        return export, profile

    def plan(self, params, check_mode=False):
        """(steps, results, pruned): each step a (RealmPlan or None, Secret plan or None) that changes something."""
        idp = params.get("azimuth_idp")
        if params["state"] == "present" and params["tenancies"] and not idp:
            raise ModuleError("azimuth_idp is required to create or repair the tenancies' realms")
        if idp and params["state"] == "present":
            check_idp(idp, params.get("rotate_client_secrets"))
        desired = desired_realms(params["tenancies"], idp, params.get("realm_attributes"))
        if desired and ((idp or {}).get("client_secret_scope") or TENANCY_SCOPE) == TENANCY_SCOPE:
            self.secrets = idp_secret.IdpSecrets(self.kube(), check_mode)
            self.secrets.read()
        realms = self.calls.get("admin/realms") or []
        by_tenancy, by_name = index_realms(realms)
        if params["state"] == "absent":
            targets = [(item, self._absent_target(item, by_tenancy, by_name)) for item in desired]
        else:
            targets = [(item, owned_realm(item, by_tenancy, by_name)) for item in desired]
        steps, results = [], []
        for item, realm in targets:
            result = _result(item, realm["realm"] if realm else item["realm"])
            results.append(result)
            plan, secret = self._plan_tenancy(params, item, realm, result["realm"])
            if secret is not None:
                result["idp_secret"] = secret["writer"].key
            plan = plan if plan is not None and plan.changed else None
            secret = secret if secret is not None and secret["changed"] else None
            if plan or secret:
                steps.append((plan, secret))
                result.update(changed=True, created=bool(plan and plan.creating), deleted=bool(plan and plan.after is None))
        pruned = self._prune(params, desired, realms, steps) if params["prune"] else []
        return steps, results, pruned

    def _plan_tenancy(self, params, item, realm, name):
        """(RealmPlan or None, the plan of its client-secret Secret or None) for one tenancy."""
        if params["state"] == "absent":
            plan = None
            if realm:
                plan = kr.RealmPlan(realm["realm"], realm)
                plan.delete()
            return plan, self.secrets.plan_delete(item) if self.secrets else None
        secret = None
        if self.secrets:
            client = {"client-id": item["idp"]["client_id"], "issuer-url": idp_issuer(item["idp"], item["id"]),
                      "redirect-uri": "%s/realms/%s/broker/%s/endpoint" % (self.public_url.rstrip("/"), name, IDP)}
            secret = self.secrets.plan(item, client, params.get("rotate_client_secrets"))
        export, profile = self.read(realm["realm"]) if realm else (None, None)
        plan = plan_tenancy_realm(item, name, export, profile, params["ssl_required"],
                                  secret["secret"] if secret else item["idp"]["client_secret"])
        return plan, secret

    def _absent_target(self, item, by_tenancy, by_name):
        realm = (by_tenancy.get(item["id"]) or [None])[0]
        existing = by_name.get(item["realm"])
        if realm is None and existing is not None:
            self.warnings.append("realm %s is not the realm of tenancy %s (%s) (it lacks %s=%s); left alone"
                                 % (item["realm"], item["name"], item["id"], kr.TENANCY_ID_ATTRIBUTE, item["id"]))
        return realm

    @staticmethod
    def _prune(params, desired, realms, steps):
        wanted = set(item["id"] for item in desired) if params["state"] == "present" else set()
        selector = dict((str(k), str(v)) for k, v in (params.get("prune_selector") or {}).items())
        planned = set(plan.realm for plan, _secret in steps if plan)
        pruned = []
        for realm in realms:
            attributes = realm.get("attributes") or {}
            if (not kr.is_managed(realm) or not tenancy_of(realm) or tenancy_of(realm) in wanted or realm["realm"] in planned
                    or any(attributes.get(k) != v for k, v in selector.items())):
                continue
            plan = kr.RealmPlan(realm["realm"], realm)
            plan.delete()
            steps.append((plan, None))
            pruned.append(dict(realm=realm["realm"], id=tenancy_of(realm)))
        return pruned

    def _write_secret(self, secret):
        try:
            self.secrets.write(secret)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            reason = kube.describe_error(exc)
            if reason is None:
                raise
            raise ModuleError("Could not %s the Secret %s: %s" % ("delete" if secret.get("delete") else "write",
                                                                   secret["writer"].key, reason))

    def apply(self, steps):
        """Per tenancy: its Secret first (the Dex reads the secret there), then its realm; a deleted
        realm's Secret goes after it.  A failure says whether anything was written before it."""
        executor = Executor(self.calls)
        secrets_wrote = False
        for plan, secret in steps:
            try:
                if secret and not secret.get("delete"):
                    self._write_secret(secret)
                    secrets_wrote = True
                if plan:
                    executor.run(plan)
                if secret and secret.get("delete"):
                    self._write_secret(secret)
                    secrets_wrote = True
            except ModuleError as exc:
                exc.details["changed"] = bool(exc.details.get("changed") or secrets_wrote or executor.wrote)
                raise

    def _diff(self, steps):
        before, after = dict(realms={}), dict(realms={})
        if self.secrets:
            before["secrets"], after["secrets"] = {}, {}
        for plan, secret in steps:
            if plan:
                before["realms"][plan.realm], after["realms"][plan.realm] = plan.diff()
            if secret:
                key = secret["writer"].key
                before["secrets"][key], after["secrets"][key] = self.secrets.view(secret)
        return dict(before=before, after=after)

    def sensitive(self):
        """The client secrets generated or read in this run, and their base64."""
        return self.secrets.sensitive() if self.secrets else []

    def run(self, params, check_mode):
        steps, results, pruned = self.plan(params, check_mode)
        if not check_mode:
            self.apply(steps)
        totals = dict(
            tenancies=len(results),
            created=sum(1 for r in results if r["created"]),
            updated=sum(1 for r in results if r["changed"] and not r["created"] and not r["deleted"]),
            deleted=sum(1 for r in results if r["deleted"]),
            unchanged=sum(1 for r in results if not r["changed"]),
            pruned=len(pruned),
        )
        return dict(changed=bool(steps), realms=results, pruned=pruned, totals=totals,
                    warnings=self.warnings + (self.secrets.warnings if self.secrets else []), diff=self._diff(steps))
