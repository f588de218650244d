# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tenancy realms: what Azimuth's identity operator sets up in each tenancy's realm, many realms per call.

``desired_realms`` validates the input; ``plan_tenancy_realm`` compares one realm's export with
what it should hold and returns its RealmPlan; ``Executor`` sends it.  Which realm is whose, and
the batch of tenancies, are ``_tenancy_realm_batch``'s.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json

from ansible_collections.azimuth.ops.plugins.module_utils.keycloak import _idp_secret as idp_secret
from ansible_collections.azimuth.ops.plugins.module_utils.keycloak import _keycloak_realm as kr
from ansible_collections.azimuth.ops.plugins.module_utils.common._module import ModuleError
from ansible_collections.azimuth.ops.plugins.module_utils.common._naming import DEFAULT_PORTAL, MANAGED_BY, NamingError, describe_tenancy, tenancy_namespace

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


def _desired_item(tenancy, idp, attributes):
    if not tenancy.get("id"):
        raise ModuleError("%s: the ID must not be empty" % describe_tenancy(tenancy))
    try:
        realm = tenancy_namespace(tenancy["name"])
    except NamingError as exc:
        raise ModuleError("%s: the name cannot name a realm: %s" % (describe_tenancy(tenancy), exc))
    attributes = dict(attributes, **{kr.TENANCY_ID_ATTRIBUTE: tenancy["id"]})
    item = dict(id=tenancy["id"], name=tenancy["name"], realm=realm, attributes=attributes)
    if idp:
        item.update(idp=idp, mappers=idp_mappers(tenancy["id"]))
    return item


def desired_realms(tenancies, idp=None, realm_attributes=None, portal=DEFAULT_PORTAL):
    """Per valid tenancy, its default realm name and the realm attributes the module owns; and the
    errors of the others (tenancy ID -> message): a name that sanitises to nothing, an empty ID, two
    tenancies with one realm name or one ID (both fail).

    Raises ModuleError, before anything is read, for realm attributes the module sets itself.
    """
    extra = dict((str(key), str(value)) for key, value in (realm_attributes or {}).items())
    for key in (kr.MANAGED_BY_ATTRIBUTE, kr.TENANCY_ID_ATTRIBUTE, kr.PORTAL_ATTRIBUTE):
        if key in extra:
            raise ModuleError("realm attribute %s is set by the module and cannot be given" % key)
    extra.update({kr.MANAGED_BY_ATTRIBUTE: MANAGED_BY, kr.PORTAL_ATTRIBUTE: portal})
    items, errors = [], {}
    for tenancy in tenancies or []:
        try:
            items.append(_desired_item(tenancy, idp, extra))
        except ModuleError as exc:
            errors[tenancy.get("id") or ""] = str(exc)
    seen = {}
    for item in items:
        for key in ("realm " + item["realm"], "ID " + item["id"]):
            seen.setdefault(key, []).append(item)
    for key, sharing in seen.items():
        if len(sharing) > 1:
            for item in sharing:
                errors[item["id"]] = "%s: %s all map to %s; tenancies need distinct names and IDs" % (
                    describe_tenancy(item), " and ".join(describe_tenancy(other) for other in sharing), key)
    return [item for item in items if item["id"] not in errors], errors


def tenancy_of(realm):
    return (realm.get("attributes") or {}).get(kr.TENANCY_ID_ATTRIBUTE)


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
        plan.step("update the user profile", "update_user_profile", config=profile, part="profile")


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
                         plan.in_realm("authentication", "flows", _quote(SOURCE_FLOW), "copy"), body={"newName": FLOW}, part="flow")
        plan.step("disable the review-profile step of the flow %s" % FLOW, "disable_review_profile", part="flow")


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
                         body=representation, part="idp")
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
            plan.request("create the mapper %s of the identity provider %s" % (mapper["name"], IDP), "POST", path, body=mapper,
                         part="idpMapper")
        elif views[0][mapper["name"]] != wanted:
            plan.request("update the mapper %s of the identity provider %s" % (mapper["name"], IDP), "PUT",
                         "%s/%s" % (path, existing["id"]), body=kr.overlay(existing, mapper))
    plan.compare("identityProviderMappers", None if plan.creating else views[0], views[1])


def plan_tenancy_realm(item, realm, export, profile, ssl_required, secret, realm_id=None):
    """The RealmPlan that makes ``realm`` (its export ``export``, None to create it with the ID
    ``realm_id``) what the tenancy needs, its identity provider with the client secret ``secret``."""
    plan = kr.RealmPlan(realm, export)
    kr.plan_realm(plan, ssl_required, item["attributes"], TENANCY_GROUPS, realm_id)
    kr.plan_groups_scope(plan)
    kr.plan_top_groups(plan, TENANCY_GROUPS)
    plan_first_login_flow(plan)
    plan_identity_provider(plan, item, secret)
    plan_user_profile(plan, profile)
    return plan


# --- a new realm in one request ------------------------------------------------------------------
#
# ``POST /admin/realms`` takes a whole realm representation, but given authentication flows it makes
# none of its default ones, so a new realm's flows come from a template: the flows of the run's first
# new realm, made part by part and read back (``read_template``) after its flow is copied and before
# its identity provider exists (no user can have logged in to it, so nothing a tenant did is copied).
# Given client scopes, Keycloak would likewise make none of its defaults, and it rewrites the mappers
# of the scopes it is given (it adds ``userinfo.token.claim``), so the ``groups`` scope keeps its own
# two requests and the realm comes out as the part-by-part path makes it.

FOLDED_PARTS = ("realm", "flow", "idp", "idpMapper", "profile")
SEPARATE_PARTS = ("scope", "defaultScope")
USER_PROFILE_PROVIDER = "declarative-user-profile"


def _without_ids(value):
    """``value`` without Keycloak's object IDs (so that Keycloak gives new ones); configurations kept as they are."""
    if isinstance(value, dict):
        return dict((key, item if key == "config" else _without_ids(item)) for key, item in value.items() if key != "id")
    if isinstance(value, list):
        return [_without_ids(item) for item in value]
    return value


def read_template(calls, realm):
    """What a new tenancy realm holds beyond its own parts, from ``realm``, a realm of this run made part by
    part up to its flow: the authentication flows and their configurations, and the user profile as the
    module makes it from Keycloak's default."""
    export = kr.read_export(calls, realm)
    profile = profile_update(calls.get(kr.realm_path(realm, "users", "profile")))
    return {
        "authenticationFlows": _without_ids(export.get("authenticationFlows") or []),
        "authenticatorConfig": _without_ids(export.get("authenticatorConfig") or []),
        "profile": json.dumps(profile, separators=(",", ":")),
    }


def with_template_read(plan):
    """The plan of a new realm with ``read_template`` after its flow steps (before its identity provider)."""
    last_flow = max([index for index, action in enumerate(plan.actions) if action.get("part") in ("realm", "flow")] or [0])
    folded = copy.copy(plan)
    folded.actions = list(plan.actions)
    folded.actions.insert(last_flow + 1, dict(kind="read_template", part="template",
                                              what="read realm %s as the template of the run's next new realms" % plan.realm))
    return folded


def one_request(plan, template):
    """The plan of a new realm as one realm representation (and the ``groups`` scope's two requests), or
    None when the plan holds an action that cannot be folded in."""
    if not plan.creating or any(action.get("part") not in FOLDED_PARTS + SEPARATE_PARTS for action in plan.actions):
        return None
    create = next(action for action in plan.actions if action.get("part") == "realm")
    body = copy.deepcopy(create["body"])
    body.update(
        authenticationFlows=copy.deepcopy(template["authenticationFlows"]),
        authenticatorConfig=copy.deepcopy(template["authenticatorConfig"]),
        identityProviders=[copy.deepcopy(a["body"]) for a in plan.actions if a.get("part") == "idp"],
        identityProviderMappers=[copy.deepcopy(a["body"]) for a in plan.actions if a.get("part") == "idpMapper"],
        components={USER_PROFILE_COMPONENT: [{"providerId": USER_PROFILE_PROVIDER, "config": {USER_PROFILE_KEY: [template["profile"]]}}]},
    )
    folded = copy.copy(plan)
    folded.actions = [dict(create, body=body, what="create realm %s with its groups, flow, identity provider and user profile" % plan.realm)]
    folded.actions += [action for action in plan.actions if action.get("part") in SEPARATE_PARTS]
    return folded


class Executor(kr.Executor):
    """Sends tenancy-realm plans: requests, role grants, the two steps that read before writing, and the
    reading of a template (kept in ``template``)."""

    template = None

    def _read_template(self, plan, action, ids):
        self.template = read_template(self.calls, plan.realm)

    def _disable_review_profile(self, plan, action, ids):
        path = plan.in_realm("authentication", "flows", _quote(FLOW), "executions")
        for execution in self.calls.get(path) or []:
            if execution.get("providerId") == REVIEW_PROFILE and execution.get("requirement") != "DISABLED":
                self.calls.put(path, dict(execution, requirement="DISABLED"))

    def _update_user_profile(self, plan, action, ids):
        config = action["config"] or self.calls.get(plan.in_realm("users", "profile"))
        self.calls.put(plan.in_realm("users", "profile"), profile_update(config))
