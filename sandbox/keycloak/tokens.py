"""JWT-shaped tokens (HS256 with the server's secret): minting and verifying."""

import base64
import hashlib
import hmac
import json
import time

from sandbox.keycloak.store import new_id


def _b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode(claims, secret, kid="sandbox-hs256"):
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}, separators=(",", ":")).encode())
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    signature = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"


def decode(token, secret):
    """The claims of a well-signed, unexpired token, or None."""
    try:
        header, payload, signature = token.split(".")
        expected = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _unb64(signature)):
            return None
        claims = json.loads(_unb64(payload))
    except (ValueError, TypeError):
        return None
    if not isinstance(claims, dict) or claims.get("exp", 0) <= time.time():
        return None
    return claims


def claims(issuer, subject, client_id, typ, lifespan, **extra):
    now = int(time.time())
    body = {"exp": now + lifespan, "iat": now, "jti": new_id(), "iss": issuer, "sub": subject,
            "typ": typ, "azp": client_id}
    body.update(extra)
    return body
