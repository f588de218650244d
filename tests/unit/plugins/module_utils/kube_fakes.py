"""Namespaces and Secrets held in memory, behind the calls of ``_kubernetes.CoreCalls`` (for unit tests)."""

import base64


def namespace(name, tenancy_label="t-1", annotations=None, **metadata):
    return {"metadata": dict({"name": name, "resourceVersion": "1", "annotations": dict(annotations or {}),
                              "labels": {"tenant.azimuth-cloud.io/id": tenancy_label}}, **metadata)}


def secret(name, ns, data, labels=None):
    encoded = dict((k, base64.b64encode(v.encode()).decode()) for k, v in data.items())
    return {"type": "Opaque", "data": encoded,
            "metadata": {"name": name, "namespace": ns, "uid": "u-1", "resourceVersion": "7",
                         "labels": labels if labels is not None else {"app.kubernetes.io/managed-by": "azimuth-ops",
                                                                      "tenant.azimuth-cloud.io/id": "t-1"}}}


class Kube:
    """The calls the collection makes, over lists held in memory; records writes."""

    def __init__(self, namespaces=(), secrets=()):
        self.namespaces, self.secrets, self.writes = list(namespaces), list(secrets), []

    def list_namespaces(self, label_selector):
        return [n for n in self.namespaces if label_selector in n["metadata"]["labels"]]

    def patch_namespace(self, name, patch):
        self.writes.append(("patch namespace", name, patch))

    def list_secrets(self, name, label_selector=None):
        return [s for s in self.secrets if s["metadata"]["name"] == name]

    def read_secret(self, ns, name):
        return next((s for s in self.secrets if s["metadata"]["namespace"] == ns), None)

    def create_secret(self, ns, body):
        self.writes.append(("create", ns, body))

    def patch_secret(self, ns, name, patch):
        self.writes.append(("patch", ns, patch))

    def delete_secret(self, ns, name, uid=None):
        self.writes.append(("delete", ns, uid))
        return True
