"""Label selectors (``=``, ``==``, ``!=``, ``in``, ``notin``, exists, ``!key``, ``>``, ``<``)
and field selectors (``=``, ``==``, ``!=``) parsed into predicates over objects."""

import re

from sandbox.kube.errors import bad_request

_TOKEN = re.compile(r"\s*(==|!=|=|!|\(|\)|,|>|<|[A-Za-z0-9_./-]+)")

FIELD_GETTERS = {
    "metadata.name": lambda obj: obj["metadata"].get("name", ""),
    "metadata.namespace": lambda obj: obj["metadata"].get("namespace", ""),
}
EXTRA_FIELDS = {
    ("", "secrets"): {"type": lambda obj: obj.get("type", "")},
    ("", "namespaces"): {"status.phase": lambda obj: obj.get("status", {}).get("phase", "")},
}


def _tokenize(text):
    tokens, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match:
            raise bad_request(f"unable to parse requirement: invalid label selector: {text!r}")
        tokens.append(match.group(1))
        pos = match.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return tokens


class _LabelParser:
    def __init__(self, text):
        self.text = text
        self.tokens = _tokenize(text)
        self.pos = 0

    def fail(self, why):
        raise bad_request(f"unable to parse requirement: {why} in label selector {self.text!r}")

    def peek(self):
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self):
        token = self.peek()
        self.pos += 1
        return token

    def ident(self):
        token = self.take()
        if token is None or not re.fullmatch(r"[A-Za-z0-9_./-]+", token):
            self.fail(f"expected a label key or value, found {token!r}")
        return token

    def value(self):
        """A value after ``=``: may be empty (``key=``)."""
        return "" if self.peek() in (None, ",", ")") else self.ident()

    def value_set(self):
        if self.take() != "(":
            self.fail("expected '('")
        values = set()
        while True:
            values.add(self.value())
            token = self.take()
            if token == ")":
                return values
            if token != ",":
                self.fail("expected ',' or ')'")

    def requirement(self):
        if self.peek() == "!":
            self.take()
            key = self.ident()
            return lambda labels: key not in labels
        key = self.ident()
        op = self.peek()
        if op in (None, ","):
            return lambda labels: key in labels
        self.take()
        if op in ("=", "=="):
            value = self.value()
            return lambda labels: labels.get(key) == value
        if op == "!=":
            value = self.value()
            return lambda labels: labels.get(key) != value
        if op in ("in", "notin"):
            values = self.value_set()
            if op == "in":
                return lambda labels: key in labels and labels[key] in values
            return lambda labels: labels.get(key) not in values
        if op in (">", "<"):
            return self.numeric(key, op)
        return self.fail(f"unexpected operator {op!r}")

    def numeric(self, key, op):
        try:
            bound = int(self.ident())
        except ValueError:
            self.fail("expected an integer after '>' or '<'")

        def matches(labels):
            try:
                number = int(labels[key])
            except (KeyError, ValueError):
                return False
            return number > bound if op == ">" else number < bound
        return matches

    def parse(self):
        requirements = []
        while self.peek() is not None:
            requirements.append(self.requirement())
            token = self.take()
            if token not in (None, ","):
                self.fail(f"unexpected {token!r}")
        return requirements


def label_selector(text):
    """A predicate over objects for a ``labelSelector`` query value."""
    requirements = _LabelParser(text or "").parse()

    def matches(obj):
        labels = obj["metadata"].get("labels") or {}
        return all(requirement(labels) for requirement in requirements)
    return matches


def field_selector(text, rtype_key):
    """A predicate over objects for a ``fieldSelector`` query value."""
    getters = dict(FIELD_GETTERS, **EXTRA_FIELDS.get(rtype_key, {}))
    terms = []
    for term in filter(None, (part.strip() for part in (text or "").split(","))):
        match = re.fullmatch(r"([^=!]+?)\s*(==|!=|=)\s*(.*)", term)
        if not match:
            raise bad_request(f"invalid selector: '{text}'; can't understand '{term}'")
        key, op, value = match.groups()
        if key not in getters:
            raise bad_request(f'field label not supported: {key}')
        terms.append((getters[key], op == "!=", value))

    def matches(obj):
        return all((getter(obj) != value) if negate else (getter(obj) == value)
                   for getter, negate, value in terms)
    return matches
