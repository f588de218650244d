"""KeycloakCalls: an answer that is cut short is read again when the request only reads, and said plainly otherwise."""

import pytest
import requests

from keycloak.connection import ConnectionManager

from ansible_collections.azimuth.ops.plugins.module_utils.keycloak import _keycloak as kc

WHOLE = b'{"realm": "az-physics", "groups": []}'
CUT = WHOLE[:20]


def answer(body, status=200):
    response = requests.models.Response()
    response.status_code, response._content = status, body  # pylint: disable=protected-access
    return response


@pytest.fixture
def server(monkeypatch):
    """Keycloak's answers in turn, and the requests that asked for them."""
    state = {"answers": [], "sent": []}

    def send(method):
        def raw(conn, path, **kwargs):
            state["sent"].append((method, path))
            return state["answers"].pop(0)
        return raw

    for method in ("get", "post", "put"):
        monkeypatch.setattr(ConnectionManager, "raw_" + method, send(method.upper()))
    return state


@pytest.fixture
def calls():
    conn = type("Conn", (), {"token": "t", "expires_at": None})()
    return kc.KeycloakCalls(conn, "user admin")


def test_a_read_cut_short_is_asked_once_more(server, calls):
    server["answers"] = [answer(CUT), answer(WHOLE)]
    assert calls.get("admin/realms/az-physics") == {"realm": "az-physics", "groups": []}
    assert server["sent"] == [("GET", "admin/realms/az-physics")] * 2


def test_the_export_is_a_read(server, calls):
    server["answers"] = [answer(CUT), answer(WHOLE)]
    assert calls.export("az-physics", exportGroupsAndRoles="true")["realm"] == "az-physics"
    assert server["sent"] == [("POST", "admin/realms/az-physics/partial-export")] * 2


def test_a_read_cut_short_twice_fails_with_what_was_asked(server, calls):
    server["answers"] = [answer(CUT), answer(CUT)]
    with pytest.raises(kc.KeycloakApiError) as failure:
        calls.get("admin/realms")
    message = kc.translate_error(failure.value)
    assert message.startswith("Keycloak request failed: GET admin/realms: HTTP 200: the answer is not complete JSON (20 bytes")
    assert len(server["sent"]) == 2


def test_a_write_is_never_sent_twice(server, calls):
    server["answers"] = [answer(CUT)]
    with pytest.raises(kc.KeycloakApiError, match="PUT admin/realms/az-physics: HTTP 200: the answer is not complete JSON"):
        calls.put("admin/realms/az-physics", {"enabled": True})
    assert server["sent"] == [("PUT", "admin/realms/az-physics")]


def test_a_refusal_is_not_asked_again(server, calls):
    server["answers"] = [answer(b'{"error": "forbidden"}', 403)]
    with pytest.raises(kc.KeycloakApiError, match="HTTP 403: forbidden"):
        calls.get("admin/realms")
    assert len(server["sent"]) == 1


def test_a_missing_object_is_none(server, calls):
    server["answers"] = [answer(b"", 404)]
    assert calls.get("admin/realms/gone", missing_ok=True) is None
