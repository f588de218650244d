"""The emulator's state: one dict of realms guarded by one lock, snapshotted to a JSON file.

Writes mark the store dirty; a background thread writes the snapshot shortly after (and
``close`` writes it at shutdown), so a burst of writes costs one file write, not one each.
"""

import json
import os
import secrets
import threading
import time
import uuid

from sandbox.keycloak.errors import not_found

FLUSH_INTERVAL = 0.2


def new_id():
    return str(uuid.uuid4())


def now_ms():
    return int(time.time() * 1000)


def public(obj):
    """A copy of a stored object without its internal (``_``-prefixed) keys."""
    return {key: value for key, value in obj.items() if not key.startswith("_")}


def empty_realm(rep):
    """A realm's state: its representation plus one dict per kind of object."""
    return {
        "rep": rep,
        "clients": {},
        "roles": {},
        "groups": {},
        "users": {},
        "client_scopes": {},
        "idps": {},
        "idp_mappers": {},
        "default_scopes": [],
        "optional_scopes": [],
    }


class Store:
    """All realms, the token signing secret, and the snapshot file."""

    def __init__(self, path):
        self.path = path
        self.lock = threading.RLock()
        self.data = {"secret": secrets.token_hex(32), "realms": {}}
        self._dirty = threading.Event()
        self._closed = False
        self._flusher = None

    @property
    def realms(self):
        return self.data["realms"]

    @property
    def secret(self):
        return self.data["secret"]

    def realm(self, name):
        """The state of realm ``name``, or a 404 as Keycloak answers it."""
        try:
            return self.realms[name]
        except KeyError:
            raise not_found("Realm not found.") from None

    def load(self):
        """Read the snapshot if there is one; True when state was loaded."""
        if not self.path or not os.path.exists(self.path):
            return False
        with open(self.path, encoding="utf-8") as snapshot:
            self.data = json.load(snapshot)
        return True

    def mark_dirty(self):
        self._dirty.set()

    def flush(self):
        """Write the snapshot now (atomically: temp file + rename)."""
        if not self.path:
            return
        with self.lock:
            self._dirty.clear()
            text = json.dumps(self.data)
        tmp = f"{self.path}.tmp"
        with open(tmp, "w", encoding="utf-8") as snapshot:
            snapshot.write(text)
        os.replace(tmp, self.path)

    def start_flusher(self):
        self._flusher = threading.Thread(target=self._flush_loop, name="snapshot", daemon=True)
        self._flusher.start()

    def _flush_loop(self):
        while not self._closed:
            if self._dirty.wait(timeout=1.0) and not self._closed:
                time.sleep(FLUSH_INTERVAL)
                self.flush()

    def close(self):
        self._closed = True
        if self._dirty.is_set():
            self.flush()
