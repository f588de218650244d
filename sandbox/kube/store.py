"""The objects, the global resourceVersion counter, and their JSON snapshot on disk."""

import json
import os
import threading
import time

from sandbox.kube.resources import CRD_GROUP, Registry

CRD_KEY = (CRD_GROUP, "customresourcedefinitions")


class Store:
    """Objects by resource type and (namespace, name).  Callers hold ``lock`` around a request."""

    def __init__(self, snapshot_path):
        self.snapshot_path = snapshot_path
        self.lock = threading.RLock()
        self.registry = Registry()
        self.resource_version = 0
        self._objects = {}
        self._dirty = threading.Event()
        self._save_lock = threading.Lock()

    # --- reading ---------------------------------------------------------------

    def get(self, key, namespace, name):
        return self._objects.get(key, {}).get((namespace or "", name))

    def items(self, key, namespace=None):
        """Objects of one type, in one namespace or all, sorted like etcd keys."""
        objects = self._objects.get(key, {})
        return [objects[k] for k in sorted(objects) if namespace is None or k[0] == namespace]

    # --- writing ---------------------------------------------------------------

    def next_resource_version(self):
        self.resource_version += 1
        return str(self.resource_version)

    def put(self, key, obj):
        meta = obj["metadata"]
        self._objects.setdefault(key, {})[(meta.get("namespace", ""), meta["name"])] = obj
        self._changed(key)

    def remove(self, key, namespace, name):
        obj = self._objects.get(key, {}).pop((namespace or "", name), None)
        self._changed(key)
        return obj

    def remove_type(self, key):
        self._objects.pop(key, None)
        self._changed(key)

    def remove_namespace(self, namespace):
        """Every object in ``namespace`` goes (the namespace object itself is the caller's)."""
        for objects in self._objects.values():
            for k in [k for k in objects if k[0] == namespace]:
                del objects[k]
        self._dirty.set()

    def _changed(self, key):
        if key == CRD_KEY:
            self.registry.set_crds(self.items(CRD_KEY))
        self._dirty.set()

    # --- snapshot --------------------------------------------------------------

    def load(self):
        """Load the snapshot; False when there is none (a fresh store)."""
        try:
            with open(self.snapshot_path, encoding="utf-8") as handle:
                data = json.load(handle)
        except FileNotFoundError:
            return False
        self.resource_version = data["resourceVersion"]
        for entry in data["types"]:
            key = (entry["group"], entry["plural"])
            self._objects[key] = {(o["metadata"].get("namespace", ""), o["metadata"]["name"]): o
                                  for o in entry["objects"]}
        self.registry.set_crds(self.items(CRD_KEY))
        return True

    def save(self):
        with self.lock:
            data = {"resourceVersion": self.resource_version, "types": [
                {"group": key[0], "plural": key[1], "objects": self.items(key)} for key in self._objects]}
            text = json.dumps(data, separators=(",", ":"))
        with self._save_lock:
            tmp = f"{self.snapshot_path}.tmp"
            with open(tmp, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(tmp, self.snapshot_path)

    def start_saver(self, delay=0.05):
        """Write the snapshot in the background shortly after each burst of writes."""
        def loop():
            while True:
                self._dirty.wait()
                time.sleep(delay)  # let a burst of writes finish
                self._dirty.clear()
                self.save()
        threading.Thread(target=loop, name="snapshot", daemon=True).start()

    def flush(self):
        self._dirty.clear()
        self.save()
