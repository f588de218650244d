# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Platform-type access control: which tenancies may use a ClusterTemplate, AppTemplate or ClusterType.

The rules, evaluated in order (an annotation whose value is "" counts as absent):

1. no ACL annotation -> allowed;
2. the tenancy ID is in the deny-list -> denied;
3. the tenancy ID is in the allow-list -> allowed;
4. the deny-regex is found in the tenancy name -> denied;
5. the allow-regex is found in the tenancy name -> allowed;
6. otherwise denied if an allow-list or allow-regex is present, else allowed.

A regex is compiled only when evaluation reaches its step, once per distinct pattern, and
searched with a time bound once per distinct tenancy name (``Evaluator`` keeps both).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.azimuth.ops.plugins.module_utils.common._bounded_regex import (
    DEFAULT_TIMEOUT,
    RegexTimeout,
    bounded_search,
    compile_pattern,
    describe_text,
    probes,
)

PREFIX = "acl.azimuth.stackhpc.com/"
DENY_LIST = PREFIX + "deny-list"
ALLOW_LIST = PREFIX + "allow-list"
DENY_REGEX = PREFIX + "deny-regex"
ALLOW_REGEX = PREFIX + "allow-regex"
ACL_ANNOTATIONS = (DENY_LIST, ALLOW_LIST, DENY_REGEX, ALLOW_REGEX)

ALL_ACTIONS = ["create", "update", "delete"]
RESTRICTED_ACTIONS = ["delete"]

# The ACL that denies every tenancy: what a platform type gets when the configuration drops it and
# the CRD has no spec.deprecated (AppTemplate, ClusterType). Azimuth then hides it from every
# tenancy, while CaaS deletes skip the ACL, so platforms made from it can still be deleted.
DENY_ALL = {ALLOW_LIST: "", DENY_LIST: "", ALLOW_REGEX: "", DENY_REGEX: ".*"}

# How long the regexes of a run may take on one tenancy name or probe while the run is planned.
PLAN_TIMEOUT = 0.5

# acl_annotations() input key -> annotation
CONFIG_KEYS = {
    "allow_list": ALLOW_LIST,
    "deny_list": DENY_LIST,
    "allow_regex": ALLOW_REGEX,
    "deny_regex": DENY_REGEX,
}


class AclError(ValueError):
    """Bad input: the message names the object and the problem."""


def a_type(value):
    """What ``value`` is, in words (``a list``), never an internal class name such as ``_AnsibleTaggedList``."""
    if value is None:
        return "null"
    for kinds, words in ((bool, "true/false"), (str, "a string"), (int, "an integer"), (float, "a number"),
                         (dict, "a dict"), ((list, tuple), "a list")):
        if isinstance(value, kinds):
            return words
    return "a value of another type"


def describe(obj):
    """A short human name for an object: ``ClusterTemplate 'name'`` or ``annotations``."""
    if not _is_kube_object(obj):
        return "annotations"
    metadata = obj.get("metadata") or {}
    kind = obj.get("kind") or "object"
    name = metadata.get("name") if isinstance(metadata, dict) else None
    namespace = metadata.get("namespace") if isinstance(metadata, dict) else None
    if name and namespace:
        return "%s '%s/%s'" % (kind, namespace, name)
    return "%s '%s'" % (kind, name) if name else kind


def _is_kube_object(obj):
    return isinstance(obj, dict) and any(key in obj for key in ("metadata", "kind", "apiVersion"))


def acl_of(obj):
    """The ACL annotations of a Kubernetes object or a plain annotations dict, empty values dropped."""
    if not isinstance(obj, dict):
        raise AclError("expected a Kubernetes object or a dict of annotations, got %s" % a_type(obj))
    annotations = obj
    if _is_kube_object(obj):
        metadata = obj.get("metadata") or {}
        if not isinstance(metadata, dict):
            raise AclError("%s: metadata is not a dict" % describe(obj))
        annotations = metadata.get("annotations") or {}
    if not isinstance(annotations, dict):
        raise AclError("%s: annotations are not a dict" % describe(obj))
    acl = {}
    for key in ACL_ANNOTATIONS:
        value = annotations.get(key)
        if value is not None and not isinstance(value, str):
            raise AclError("%s: annotation %s must be a string, got %s" % (describe(obj), key, a_type(value)))
        if value:
            acl[key] = value
    return acl


def parse_id_list(value):
    """Split a comma-separated list of IDs, stripping whitespace and dropping empty items."""
    return [item.strip() for item in value.split(",") if item.strip()]


def check_tenancy(tenancy):
    """Raise AclError unless ``tenancy`` is a dict with non-empty string ``id`` and ``name``."""
    if not isinstance(tenancy, dict):
        raise AclError("the tenancy must be a dict with 'id' and 'name', got %s" % a_type(tenancy))
    for key in ("id", "name"):
        value = tenancy.get(key)
        if value is None or value == "":
            raise AclError("the tenancy %r has no '%s' (a non-empty string is required)" % (tenancy, key))
        if not isinstance(value, str):
            raise AclError("the tenancy %r: its '%s' is %r (%s), not a string; give it as %r"
                           % (tenancy, key, value, a_type(value), str(value)))


class Evaluator:
    """Evaluates ACLs, compiling each distinct regex once across all the objects it sees."""

    def __init__(self, timeout=DEFAULT_TIMEOUT):
        self.timeout = timeout
        self._compiled = {}
        self._found = {}

    def allowed(self, obj, tenancy):
        """True when ``tenancy`` may use the platform type ``obj``."""
        check_tenancy(tenancy)
        acl = acl_of(obj)
        if not acl:
            return True
        if tenancy["id"] in parse_id_list(acl.get(DENY_LIST, "")):
            return False
        if tenancy["id"] in parse_id_list(acl.get(ALLOW_LIST, "")):
            return True
        if DENY_REGEX in acl and self._search(obj, acl, DENY_REGEX, tenancy["name"]):
            return False
        if ALLOW_REGEX in acl and self._search(obj, acl, ALLOW_REGEX, tenancy["name"]):
            return True
        return ALLOW_LIST not in acl and ALLOW_REGEX not in acl

    def filter(self, objs, tenancy):
        """The objects of ``objs`` that ``tenancy`` may use, in order."""
        if not isinstance(objs, list):
            raise AclError("expected a list of objects, got %s" % a_type(objs))
        check_tenancy(tenancy)
        return [obj for obj in objs if self.allowed(obj, tenancy)]

    def actions(self, obj, tenancy):
        """What may be done with an existing platform of type ``obj``."""
        return list(ALL_ACTIONS if self.allowed(obj, tenancy) else RESTRICTED_ACTIONS)

    def compile(self, pattern):
        """The compiled pattern, compiled at most once per evaluator; re.error propagates."""
        if pattern not in self._compiled:
            try:
                self._compiled[pattern] = compile_pattern(pattern)
            except re.error as exc:
                self._compiled[pattern] = exc
        result = self._compiled[pattern]
        if isinstance(result, re.error):
            raise result
        return result

    def _search(self, obj, acl, key, name):
        pattern = acl[key]
        if (pattern, name) not in self._found:
            self._found[pattern, name] = self._bounded_search(obj, key, pattern, name)
        return self._found[pattern, name]

    def _bounded_search(self, obj, key, pattern, name):
        try:
            return bounded_search(self.compile(pattern), name, self.timeout)
        except re.error as exc:
            raise AclError("%s: annotation %s is not a valid regular expression %r: %s" % (describe(obj), key, pattern, exc))
        except RegexTimeout:
            raise AclError(
                "%s: annotation %s %r took longer than %ss on the tenancy name %r (catastrophic backtracking?)"
                % (describe(obj), key, pattern, self.timeout, name)
            )


def annotations_for(config):
    """The four ACL annotations for an ACL configuration; unset or empty values give ""."""
    if config is None:
        config = {}
    if not isinstance(config, dict):
        raise AclError("the ACL must be a dict with keys %s, got %s" % (", ".join(sorted(CONFIG_KEYS)), a_type(config)))
    unknown = sorted(set(config) - set(CONFIG_KEYS))
    if unknown:
        raise AclError("unknown ACL keys %s; expected %s" % (", ".join(unknown), ", ".join(sorted(CONFIG_KEYS))))
    annotations = {}
    for key, annotation in sorted(CONFIG_KEYS.items()):
        value = config.get(key)
        if key.endswith("_list"):
            annotations[annotation] = _join_id_list(key, value)
        else:
            annotations[annotation] = _check_regex(key, value)
    return annotations


def _join_id_list(key, value):
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return ",".join(parse_id_list(value))
    if not isinstance(value, (list, tuple)):
        raise AclError("%s must be a list of tenancy IDs or a comma-separated string, got %s" % (key, a_type(value)))
    items = []
    for item in value:
        if not isinstance(item, str):
            raise AclError("%s items must be strings, got %r" % (key, item))
        if "," in item:
            raise AclError("%s item %r contains a comma, which separates IDs" % (key, item))
        if item.strip():
            items.append(item.strip())
    return ",".join(items)


def _check_regex(key, value):
    if value is None or value == "":
        return ""
    if not isinstance(value, str):
        raise AclError("%s must be a string, got %s" % (key, a_type(value)))
    try:
        compile_pattern(value)
    except re.error as exc:
        raise AclError("%s is not a valid regular expression %r: %s" % (key, value, exc))
    return value


def check_regex_speed(where, pattern, names=(), timeout=PLAN_TIMEOUT):
    """Raise AclError naming ``where`` unless ``pattern`` compiles and is found, or not, quickly in each text.

    The texts are the tenancy ``names`` of the run and the ``probes`` built to make a backtracking
    pattern take for ever: Azimuth searches the ACL regexes without a bound, each time it lists
    platform types, so a pattern that backtracks catastrophically would hang the portal.
    """
    try:
        compiled = compile_pattern(pattern)
    except re.error as exc:
        raise AclError("%s: %r is not a valid regular expression: %s" % (where, pattern, exc))
    for text in list(names) + probes(pattern):
        try:
            bounded_search(compiled, text, timeout)
        except RegexTimeout:
            raise AclError(
                "%s: the regular expression %r took longer than %ss on %s (catastrophic backtracking): Azimuth, which "
                "searches it without a time limit whenever it lists platform types, would hang; rewrite it without "
                "nested or overlapping repetition such as (a+)+" % (where, pattern, timeout, describe_text(text)))


def check_acl_regexes(where, annotations, names=(), sources=None):
    """``check_regex_speed`` for the allow-regex and deny-regex of ``annotations``; ``sources`` name their variables."""
    for key, annotation in (("allow_regex", ALLOW_REGEX), ("deny_regex", DENY_REGEX)):
        pattern = (annotations or {}).get(annotation)
        if pattern and isinstance(pattern, str):
            source = (sources or {}).get(key)
            place = "%s, annotation %s%s" % (where, annotation, " (from %s)" % source if source else "")
            check_regex_speed(place, pattern, names)
