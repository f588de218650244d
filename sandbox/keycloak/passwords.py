"""Password credentials: salted PBKDF2 hashes, never the password itself."""

import hashlib
import hmac
import secrets

from sandbox.keycloak.store import new_id, now_ms

ITERATIONS = 1000  # the emulator only guards a lab; Keycloak uses far more


def _digest(password, salt):
    return hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt), ITERATIONS).hex()


def make_credential(password):
    salt = secrets.token_hex(16)
    return {"id": new_id(), "createdDate": now_ms(), "salt": salt, "hash": _digest(password, salt)}


def check(credential, password):
    if not credential or password is None:
        return False
    return hmac.compare_digest(credential["hash"], _digest(password, credential["salt"]))


def credential_rep(credential):
    return {
        "id": credential["id"],
        "type": "password",
        "createdDate": credential["createdDate"],
        "credentialData": '{"hashIterations":%d,"algorithm":"pbkdf2-sha256","additionalParameters":{}}' % ITERATIONS,
    }
