"""Identity providers (``/identity-provider/instances``, by alias) and their mappers."""

from sandbox.keycloak.errors import bad_request, conflict, not_found
from sandbox.keycloak.store import new_id
from sandbox.keycloak.web import created, json_body, no_content, ok

IDP_DEFAULTS = {
    "enabled": True,
    "updateProfileFirstLoginMode": "on",
    "trustEmail": False,
    "storeToken": False,
    "addReadTokenRoleOnCreate": False,
    "authenticateByDefault": False,
    "linkOnly": False,
    "firstBrokerLoginFlowAlias": "first broker login",
    "config": {},
}


def idp_by_alias(realm, alias):
    try:
        return realm["idps"][alias]
    except KeyError:
        raise not_found("Could not find identity provider") from None


def add_idp(realm, rep):
    alias = rep.get("alias")
    if not alias or not rep.get("providerId"):
        raise bad_request("Identity provider alias and providerId are required")
    if alias in realm["idps"]:
        raise conflict(f"Identity Provider {alias} already exists")
    idp = {"alias": alias, "internalId": new_id(), "providerId": rep["providerId"]}
    idp.update(IDP_DEFAULTS)
    idp.update({key: value for key, value in rep.items() if value is not None and key != "internalId"})
    realm["idps"][alias] = idp
    return idp


def add_idp_mapper(realm, alias, rep):
    idp_by_alias(realm, alias)
    if not rep.get("name") or not rep.get("identityProviderMapper"):
        raise bad_request("Mapper name and identityProviderMapper are required")
    mapper = {
        "id": rep.get("id") or new_id(),
        "name": rep["name"],
        "identityProviderAlias": alias,
        "identityProviderMapper": rep["identityProviderMapper"],
        "config": rep.get("config") or {},
    }
    realm["idp_mappers"][mapper["id"]] = mapper
    return mapper


def list_idps(store, request):
    realm = store.realm(request.params["realm"])
    return ok(list(realm["idps"].values()))


def create_idp(store, request):
    realm = store.realm(request.params["realm"])
    return created(request, add_idp(realm, json_body(request))["alias"])


def get_idp(store, request):
    realm = store.realm(request.params["realm"])
    return ok(idp_by_alias(realm, request.params["alias"]))


def update_idp(store, request):
    realm = store.realm(request.params["realm"])
    idp = idp_by_alias(realm, request.params["alias"])
    rep = json_body(request)
    if rep.get("alias") and rep["alias"] != idp["alias"]:
        raise bad_request("Cannot change the alias of an identity provider")
    idp.update({key: value for key, value in rep.items() if value is not None and key != "internalId"})
    return no_content()


def delete_idp(store, request):
    realm = store.realm(request.params["realm"])
    alias = idp_by_alias(realm, request.params["alias"])["alias"]
    del realm["idps"][alias]
    for mapper_id in [m["id"] for m in realm["idp_mappers"].values() if m["identityProviderAlias"] == alias]:
        del realm["idp_mappers"][mapper_id]
    return no_content()


def _mapper(realm, request):
    idp_by_alias(realm, request.params["alias"])
    mapper = realm["idp_mappers"].get(request.params["mapper"])
    if mapper is None or mapper["identityProviderAlias"] != request.params["alias"]:
        raise not_found("Model not found")
    return mapper


def list_mappers(store, request):
    realm = store.realm(request.params["realm"])
    alias = idp_by_alias(realm, request.params["alias"])["alias"]
    return ok([m for m in realm["idp_mappers"].values() if m["identityProviderAlias"] == alias])


def create_mapper(store, request):
    realm = store.realm(request.params["realm"])
    return created(request, add_idp_mapper(realm, request.params["alias"], json_body(request))["id"])


def get_mapper(store, request):
    return ok(_mapper(store.realm(request.params["realm"]), request))


def update_mapper(store, request):
    mapper = _mapper(store.realm(request.params["realm"]), request)
    rep = json_body(request)
    for key in ("name", "identityProviderMapper", "config"):
        if rep.get(key) is not None:
            mapper[key] = rep[key]
    return no_content()


def delete_mapper(store, request):
    realm = store.realm(request.params["realm"])
    del realm["idp_mappers"][_mapper(realm, request)["id"]]
    return no_content()


BASE = "/admin/realms/{realm}/identity-provider/instances"
ROUTES = [
    ("GET", BASE, list_idps),
    ("POST", BASE, create_idp),
    ("GET", BASE + "/{alias}", get_idp),
    ("PUT", BASE + "/{alias}", update_idp),
    ("DELETE", BASE + "/{alias}", delete_idp),
    ("GET", BASE + "/{alias}/mappers", list_mappers),
    ("POST", BASE + "/{alias}/mappers", create_mapper),
    ("GET", BASE + "/{alias}/mappers/{mapper}", get_mapper),
    ("PUT", BASE + "/{alias}/mappers/{mapper}", update_mapper),
    ("DELETE", BASE + "/{alias}/mappers/{mapper}", delete_mapper),
]
