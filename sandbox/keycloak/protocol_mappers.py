"""Protocol mappers of clients and client scopes (``.../protocol-mappers/models``).

Both owners keep their mappers in a ``protocolMappers`` list of ProtocolMapperRepresentations.
"""

from sandbox.keycloak.errors import bad_request, conflict, not_found
from sandbox.keycloak.store import new_id
from sandbox.keycloak.web import created, json_body, no_content, ok


def new_mapper(owner, rep):
    if not rep.get("name"):
        raise bad_request("Protocol mapper name is missing")
    mappers = owner.setdefault("protocolMappers", [])
    if any(m["name"] == rep["name"] for m in mappers):
        raise conflict("Protocol mapper exists with same name")
    mapper = {
        "id": rep.get("id") or new_id(),
        "name": rep["name"],
        "protocol": rep.get("protocol", "openid-connect"),
        "protocolMapper": rep.get("protocolMapper"),
        "consentRequired": bool(rep.get("consentRequired", False)),
        "config": rep.get("config") or {},
    }
    mappers.append(mapper)
    return mapper


def _owner(store, request):
    realm = store.realm(request.params["realm"])
    kind = "clients" if "/clients/" in request.path else "client_scopes"
    owner = realm[kind].get(request.params["id"])
    if owner is None:
        raise not_found("Could not find client" if kind == "clients" else "Could not find client scope")
    return owner


def _mapper(owner, mapper_id):
    for mapper in owner.get("protocolMappers", []):
        if mapper["id"] == mapper_id:
            return mapper
    raise not_found("Model not found")


def list_mappers(store, request):
    return ok(list(_owner(store, request).get("protocolMappers", [])))


def create_mapper(store, request):
    return created(request, new_mapper(_owner(store, request), json_body(request))["id"])


def add_models(store, request):
    owner = _owner(store, request)
    for rep in json_body(request, list):
        new_mapper(owner, rep)
    return no_content()


def get_mapper(store, request):
    return ok(_mapper(_owner(store, request), request.params["mapper"]))


def update_mapper(store, request):
    owner = _owner(store, request)
    mapper = _mapper(owner, request.params["mapper"])
    rep = json_body(request)
    for key in ("protocol", "protocolMapper", "consentRequired", "config"):
        if rep.get(key) is not None:
            mapper[key] = rep[key]
    return no_content()


def delete_mapper(store, request):
    owner = _owner(store, request)
    owner["protocolMappers"].remove(_mapper(owner, request.params["mapper"]))
    return no_content()


ROUTES = []
for _base in ("/admin/realms/{realm}/clients/{id}", "/admin/realms/{realm}/client-scopes/{id}"):
    ROUTES += [
        ("GET", _base + "/protocol-mappers/models", list_mappers),
        ("POST", _base + "/protocol-mappers/models", create_mapper),
        ("POST", _base + "/protocol-mappers/add-models", add_models),
        ("GET", _base + "/protocol-mappers/models/{mapper}", get_mapper),
        ("PUT", _base + "/protocol-mappers/models/{mapper}", update_mapper),
        ("DELETE", _base + "/protocol-mappers/models/{mapper}", delete_mapper),
    ]
