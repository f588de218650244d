"""Checks every object gets: names, labels and annotations, with the API server's messages."""

import re

DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
QUALIFIED_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")

LABEL_MESSAGE = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
                 "and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', "
                 "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")
SUBDOMAIN_MESSAGE = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
                     "'-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "
                     "regex used for validation is "
                     "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
QUALIFIED_MESSAGE = ("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and "
                     "end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex "
                     "used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')")
VALUE_MESSAGE = ("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
                 "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
                 "'my_value',  or '12345', regex used for validation is "
                 "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")


def _invalid(value, message):
    return f'Invalid value: "{value}": {message}'


def dns_label(value):
    """Problems with ``value`` as an RFC 1123 label, as messages."""
    problems = []
    if len(value) > 63:
        problems.append(_invalid(value, "must be no more than 63 characters"))
    if not DNS1123_LABEL.fullmatch(value):
        problems.append(_invalid(value, LABEL_MESSAGE))
    return problems


def dns_subdomain(value):
    problems = []
    if len(value) > 253:
        problems.append(_invalid(value, "must be no more than 253 characters"))
    if not DNS1123_SUBDOMAIN.fullmatch(value):
        problems.append(_invalid(value, SUBDOMAIN_MESSAGE))
    return problems


def qualified_name(value):
    """Problems with a label or annotation key (``[prefix/]name``)."""
    prefix, _, name = value.rpartition("/")
    problems = []
    if "/" in value and not prefix:
        problems.append(_invalid(value, "prefix part must be non-empty"))
    elif prefix:
        problems += dns_subdomain(prefix)
    if not name:
        problems.append(_invalid(value, "name part must be non-empty"))
    elif len(name) > 63:
        problems.append(_invalid(value, "name part must be no more than 63 characters"))
    elif not QUALIFIED_NAME.fullmatch(name):
        problems.append(_invalid(value, QUALIFIED_MESSAGE))
    return problems


def label_value(value):
    if not isinstance(value, str):
        return [_invalid(value, "must be a string")]
    problems = []
    if len(value) > 63:
        problems.append(_invalid(value, "must be no more than 63 characters"))
    if not LABEL_VALUE.fullmatch(value):
        problems.append(_invalid(value, VALUE_MESSAGE))
    return problems


def name_causes(rtype, obj):
    """(field, message) problems with ``metadata.name``."""
    name = obj["metadata"].get("name")
    if not name:
        return [("metadata.name", "Required value: name or generateName is required")]
    if not isinstance(name, str):
        return [("metadata.name", _invalid(name, "must be a string"))]
    check = dns_label if rtype.key == ("", "namespaces") else dns_subdomain
    return [("metadata.name", problem) for problem in check(name)]


def metadata_causes(obj):
    """(field, message) problems with labels and annotations."""
    meta = obj["metadata"]
    for field in ("labels", "annotations"):
        if meta.get(field) is not None and not isinstance(meta[field], dict):
            return [(f"metadata.{field}", _invalid(meta[field], "must be a map of strings"))]
    causes = []
    for key, value in (meta.get("labels") or {}).items():
        causes += [("metadata.labels", p) for p in qualified_name(key) + label_value(value)]
    annotations = meta.get("annotations") or {}
    for key, value in annotations.items():
        causes += [("metadata.annotations", p) for p in qualified_name(key)]
        if not isinstance(value, str):
            causes.append(("metadata.annotations", _invalid(value, "must be a string")))
    if sum(len(k) + len(str(v)) for k, v in annotations.items()) > 262144:
        causes.append(("metadata.annotations", "Too long: must have at most 262144 bytes"))
    return causes
