"""``meta.k8s.io/v1`` Table answers, which ``kubectl get`` asks for to print its columns."""

import calendar
import time

NAME_COLUMN = {"name": "Name", "type": "string", "format": "name", "priority": 0,
               "description": "Name must be unique within a namespace."}
AGE_COLUMN = {"name": "Age", "type": "string", "format": "", "priority": 0,
              "description": "CreationTimestamp is a timestamp representing the server time when this object was created."}


def _column(name, type_="string"):
    return {"name": name, "type": type_, "format": "", "priority": 0, "description": name}


def age(timestamp):
    try:
        seconds = int(time.time() - calendar.timegm(time.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ")))
    except (TypeError, ValueError):
        return "<unknown>"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= 2 * size:
            return f"{seconds // size}{unit}"
    return f"{max(seconds, 0)}s"


def _jsonpath(obj, path):
    """The value at a simple ``.a.b`` JSONPath, or None."""
    node = obj
    for part in path.strip(".").split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


BUILTIN_COLUMNS = {
    ("", "namespaces"): ([_column("Status")], lambda o: [o.get("status", {}).get("phase", "")]),
    ("", "secrets"): ([_column("Type"), _column("Data", "integer")],
                      lambda o: [o.get("type", ""), len(o.get("data") or {})]),
    ("", "configmaps"): ([_column("Data", "integer")],
                         lambda o: [len(o.get("data") or {}) + len(o.get("binaryData") or {})]),
    ("", "serviceaccounts"): ([_column("Secrets", "integer")], lambda o: [len(o.get("secrets") or [])]),
}


def _columns(rtype, version):
    if rtype.key in BUILTIN_COLUMNS:
        columns, cells = BUILTIN_COLUMNS[rtype.key]
        return [NAME_COLUMN, *columns, AGE_COLUMN], lambda o: [o["metadata"]["name"], *cells(o),
                                                             age(o["metadata"].get("creationTimestamp"))]
    printer = rtype.printer_columns.get(version) or [
        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}]
    columns = [NAME_COLUMN] + [_column(c["name"], c.get("type", "string")) for c in printer]
    return columns, lambda o: [o["metadata"]["name"]] + [_cell(o, c) for c in printer]


def _cell(obj, column):
    value = _jsonpath(obj, column.get("jsonPath", ""))
    if column.get("type") == "date" and isinstance(value, str):
        return age(value)
    return value if value is not None else ""


def _row_object(obj, include):
    if include == "None":
        return None
    if include == "Object":
        return obj
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj["metadata"]}


def table(rtype, version, objects, resource_version, include="Metadata"):
    columns, cells = _columns(rtype, version)
    rows = []
    for obj in objects:
        row = {"cells": cells(obj)}
        row_object = _row_object(obj, include)
        if row_object is not None:
            row["object"] = row_object
        rows.append(row)
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": resource_version},
            "columnDefinitions": columns, "rows": rows}


def wants_table(accept):
    return "as=Table" in (accept or "")
