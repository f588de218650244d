"""A small routing table: ``(method, template, handler)`` rows matched against request paths.

Templates use ``{name}`` for one path segment and ``{name:path}`` for the rest of the path.
When several templates match, the one with the most literal segments wins (so
``/users/count`` beats ``/users/{id}``), as JAX-RS resolves Keycloak's own resources.
"""

import re
from urllib.parse import unquote

PLACEHOLDER = re.compile(r"\{(\w+)(:path)?\}")


class Route:
    def __init__(self, method, template, handler):
        self.method = method
        self.template = template.replace(":path}", "}")
        self.handler = handler
        self.literals = len([part for part in template.split("/") if part and "{" not in part])
        self.regex = re.compile("^" + self._pattern(template) + "$")

    @staticmethod
    def _pattern(template):
        pattern, pos = "", 0
        for match in PLACEHOLDER.finditer(template):
            pattern += re.escape(template[pos:match.start()])
            body = ".*" if match.group(2) else "[^/]+"
            pattern += f"(?P<{match.group(1)}>{body})"
            pos = match.end()
        return pattern + re.escape(template[pos:])

    def match(self, path):
        found = self.regex.match(path)
        if not found:
            return None
        return {name: unquote(value) for name, value in found.groupdict().items()}


class Router:
    def __init__(self, rows):
        self.routes = [Route(*row) for row in rows]

    def resolve(self, method, path):
        """``(route, params)`` for the best match; ``(None, None)`` for no path, ``(None, {})`` for no method."""
        candidates = []
        for route in self.routes:
            params = route.match(path)
            if params is not None:
                candidates.append((route, params))
        if not candidates:
            return None, None
        same_method = [c for c in candidates if c[0].method == method]
        if not same_method:
            return None, {}
        return max(same_method, key=lambda c: c[0].literals)
