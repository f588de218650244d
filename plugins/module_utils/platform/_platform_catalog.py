# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The operator's variables (azimuth-ops names) -> the platform-type objects and their annotations.

Everything that decides which variable wins lives here: the catalogs (``_default``, ``_extra``,
``_overrides``, replaced wholesale by the combined variable), the enabled switches, and the
fallback chains of the ACL and lifetime variables.  ``resolve(get, names)`` is a plain function:
``get(name)`` returns a variable's (templated) value or ``UNSET``; ``names`` are the names of
all defined variables, used to reject an ACL variable that belongs to no platform type.

Rules shared by every chain: a variable that is unset or ``null`` falls back to the next one; any
other value (including ``[]`` and ``""``) decides.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import difflib
import re

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.azimuth.ops.plugins.module_utils.platform import _platform_builtins as builtins
from ansible_collections.azimuth.ops.plugins.module_utils.common._acl import (
    ACL_ANNOTATIONS,
    CONFIG_KEYS,
    AclError,
    a_type,
    annotations_for,
    check_acl_regexes,
    check_regex_speed,
)
from ansible_collections.azimuth.ops.plugins.module_utils.common._dicts import overlay, strip_none

UNSET = object()

CLUSTER_TEMPLATE = "ClusterTemplate"
APP_TEMPLATE = "AppTemplate"
CLUSTER_TYPE = "ClusterType"

ACL_KEYS = ("allow_list", "deny_list", "allow_regex", "deny_regex")
LIFETIME_ANNOTATION = "scheduling.azimuth.stackhpc.com/max-lifetime-hours"

GLOBAL_ACL = "platforms"  # platforms_tenancy_<key>
GLOBAL_LIFETIME = ("azimuth_max_platform_lifetime_hours", "azimuth_max_platform_duration_hours")

CAPI, APP, CAAS = builtins.CAPI, builtins.APP, builtins.CAAS
CAPI_ACL = CAPI + "_cluster_template"
CAPI_LIFETIME = CAPI + "_cluster_max_lifetime_hours"

BUILTIN_APPS = builtins.BUILTIN_APPS
BUILTIN_CLUSTER_TYPES = builtins.BUILTIN_CLUSTER_TYPES

KUBERNETES_ENABLED = "azimuth_kubernetes_enabled"
CLUSTERS_ENABLED = "azimuth_clusters_enabled"
LABELS = "platform_types_labels"

# The operator's ACL and lifetime variables, to find misspelt ones.
_ACL_VARIABLE = re.compile(r"^(?P<prefix>.+)_tenancy_(?:allow|deny)_(?:list|regex)$")
_LIFETIME_VARIABLE = re.compile(r"^(?P<prefix>%s_.+)_max_lifetime_hours$" % CAAS)


class CatalogError(ValueError):
    """A variable that cannot be turned into platform types; the message names it."""


def var_key(name):
    """The variable-name form of a platform-type name: ``huggingface-llm`` -> ``huggingface_llm``."""
    return re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").lower()


class Variables:
    """The operator's variables, read through ``get``; remembers every name the run may read (``known``)."""

    def __init__(self, get):
        self._get = get
        self.known = set()

    def value(self, name):
        """The value of ``name``, or UNSET when it is unset or null."""
        self.known.add(name)
        value = self._get(name)
        return UNSET if value is None else value

    def first(self, names, default=UNSET):
        """(value, name) of the first set variable of ``names``; (default, None) when none is."""
        names = list(names)
        self.known.update(names)
        for name in names:
            value = self.value(name)
            if value is not UNSET:
                return value, name
        return default, None

    def dict(self, name, default=None):
        value = self.value(name)
        if value is UNSET:
            return {} if default is None else default
        if not isinstance(value, dict):
            raise CatalogError("%s must be a dict, got %s" % (name, a_type(value)))
        return value

    def pick(self, names, default=UNSET):
        """The value of the first set variable of ``names``, else ``default``."""
        return self.first(names, default)[0]

    def bool(self, names, default):
        value, name = self.first(names, default)
        try:
            return boolean(value, strict=True)
        except TypeError:
            raise CatalogError("%s must be true or false, got %r" % (name, value))


# --- fallback chains --------------------------------------------------------------------------


class Chains:
    """Where a platform type's ACL, lifetime and enabled switch come from."""

    def __init__(self, acl, lifetime=None, enabled=None, enabled_default=True):
        self.acl = tuple(acl)  # prefixes: <prefix>_tenancy_<key>, platforms last
        self.lifetime = None if lifetime is None else tuple(lifetime)  # variable names, global last
        self.enabled = tuple(enabled or ())
        self.enabled_default = enabled_default

    def acl_variables(self, key):
        return ["%s_tenancy_%s" % (prefix, key) for prefix in self.acl]


def capi_chains():
    return Chains([CAPI_ACL, GLOBAL_ACL], [CAPI_LIFETIME] + list(GLOBAL_LIFETIME))


def app_chains(name):
    key, enabled = BUILTIN_APPS[name][:2] if name in BUILTIN_APPS else (var_key(name), True)
    prefix = "%s_%s" % (APP, key)
    return Chains([prefix, GLOBAL_ACL], None, [prefix + "_enabled"], enabled)


def cluster_type_prefixes(name):
    if name in BUILTIN_CLUSTER_TYPES:
        return BUILTIN_CLUSTER_TYPES[name].prefixes
    return ("%s_%s" % (CAAS, var_key(name)), "%s_%s" % (builtins.CAAS_LEGACY, var_key(name)))


def cluster_type_chains(name):
    """azimuth_caas_<t> -> azimuth_caas_stackhpc_<t> [-> the parent type's chain] -> platforms.

    The lifetime never follows the parent (azimuth-ops gives workstation-ssh its own, then the global one).
    """
    prefixes = list(cluster_type_prefixes(name))
    parent = BUILTIN_CLUSTER_TYPES[name].parent if name in BUILTIN_CLUSTER_TYPES else None
    acl_prefixes = prefixes + (list(cluster_type_prefixes(parent)) if parent else [])
    lifetime = ["%s_max_lifetime_hours" % prefix for prefix in prefixes] + list(GLOBAL_LIFETIME)
    enabled = ["%s_enabled" % prefix for prefix in acl_prefixes]
    return Chains(acl_prefixes + [GLOBAL_ACL], lifetime, enabled)


def acl_settings(variables, chains):
    """{key: (value, variable that decided or None)} for the four ACL keys."""
    result = {}
    for key in ACL_KEYS:
        result[key] = variables.first(chains.acl_variables(key), "")
    return result


def acl_annotations(settings):
    """The four ACL annotations of ``acl_settings`` output; errors name the variable."""
    annotations = {}
    for key, (value, name) in settings.items():
        try:
            annotation = CONFIG_KEYS[key]
            annotations[annotation] = annotations_for({key: value})[annotation]
        except AclError as exc:
            raise CatalogError("%s: %s" % (name or key, exc))
    return annotations


def lifetime_annotation(variables, chains):
    """(the max-lifetime-hours annotation value, the variable that decided it)."""
    value, name = variables.first(chains.lifetime, "")
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise CatalogError("%s must be a number of hours or empty, got %r" % (name, value))
    text = str(value).strip()
    if text and not re.match(r"^\d+(\.\d+)?$", text):
        raise CatalogError("%s must be a number of hours or empty, got %r" % (name, value))
    return text, name


# --- catalogs ---------------------------------------------------------------------------------

# The catalog variables, read or not (with azimuth_kubernetes_enabled false the CAPI ones are not).
CATALOG_VARIABLES = (
    CAPI + "_cluster_templates", CAPI + "_cluster_templates_extra", CAPI + "_cluster_template_tags",
    CAPI + "_cluster_template_defaults", CAPI + "_cluster_template_annotations", APP, APP + "_extra",
    CAAS + "_cluster_templates", CAAS + "_cluster_templates_overrides", "community_images", "community_images_default",
    "community_images_extra", "community_images_image_ids", builtins.CHARTS_VERSION_VARIABLE, builtins.VERSION_RANGE_VARIABLE,
    "ansible_init_default_collections", "ansible_init_default_playbooks",
    # azimuth-ops' built-in catalogs: set, they replace the collection's built-in ones (then _extra / _overrides merge in)
    CAPI + "_cluster_templates_default", APP + "_default", CAAS + "_cluster_templates_default",
)
IMAGE_IDS = "community_images_image_ids"
CLUSTER_TEMPLATE_ANNOTATIONS = CAPI + "_cluster_template_annotations"
MISSING = object()  # an image that no variable gives


def catalog(variables, combined, default, extra):
    """The combined variable when the operator sets it, else the default (``<combined>_default`` when set,
    else the built-in one, a function so that it is worked out only when used) combined with ``extra``."""
    whole = variables.value(combined)
    if whole is not UNSET:
        if not isinstance(whole, dict):
            raise CatalogError("%s must be a dict of name -> definition, got %s" % (combined, a_type(whole)))
        return whole, combined
    base = variables.dict(combined + "_default", MISSING)
    return overlay(default() if base is MISSING else base, variables.dict(extra)), extra


class MissingImages(object):
    """The images the built-in types need and no variable gives; reported together, before any write.

    Only the types still in the final catalog without an image count: an ``_extra`` / ``_overrides`` entry may
    give the image, or remove the type.
    """

    def __init__(self):
        self.missing = []

    def add(self, kind, name, key, variable):
        self.missing.append((kind, name, key, variable))

    def check(self, catalogs):
        """``catalogs``: kind -> the final catalog."""
        found = []
        for kind, name, key, variable in self.missing:
            entry = catalogs.get(kind, {}).get(name)
            if isinstance(entry, dict) and not has_image(kind, entry):
                found.append("%s '%s' needs the image %s[%s]%s" % (kind, name, IMAGE_IDS, key, " (or %s)" % variable if variable else ""))
        if found:
            raise CatalogError("%s: set it, or leave the type out of the catalog (azimuth-ops fails here too)" % "; ".join(found))


def has_image(kind, entry):
    """Whether a catalog entry names its image (a template's machineImageId, a cluster type's cluster_image)."""
    spec = entry.get("spec") if isinstance(entry.get("spec"), dict) else entry
    holder = spec.get("values") if kind == CLUSTER_TEMPLATE else spec.get("extraVars")
    field = "machineImageId" if kind == CLUSTER_TEMPLATE else "cluster_image"
    return isinstance(holder, dict) and holder.get(field) not in (None, "")


def community_images(variables):
    """``community_images``, else ``community_images_default`` (or the built-in images) combined with ``community_images_extra``."""
    images = variables.value("community_images")
    if images is not UNSET:
        return variables.dict("community_images")
    base = variables.dict("community_images_default", builtins.COMMUNITY_IMAGES)
    return overlay(base, variables.dict("community_images_extra"))


def cluster_templates_default(variables, missing):
    """One ClusterTemplate per community image with a kubernetes_version, as azimuth-ops makes them."""
    image_ids = variables.dict(IMAGE_IDS)
    tags = variables.pick([CAPI + "_cluster_template_tags"], builtins.CLUSTER_TEMPLATE_TAGS)
    defaults = variables.dict(CAPI + "_cluster_template_defaults", builtins.cluster_template_defaults(tags))
    annotations = variables.dict(CLUSTER_TEMPLATE_ANNOTATIONS)
    templates = {}
    for key, image in community_images(variables).items():
        if not isinstance(image, dict) or not image.get("kubernetes_version"):
            continue
        version = str(image["kubernetes_version"])
        bare = version[1:] if version.startswith("v") else version
        name = "kube-" + bare.replace(".", "-")
        if key not in image_ids:
            missing.add(CLUSTER_TEMPLATE, name, key, None)
        templates[name] = {"spec": overlay(defaults, {
            "label": "%s [Replace optional NGINX Ingress with Traefik]" % version,
            "description": "Kubernetes %s with HA control plane." % bare,
            "values": {"kubernetesVersion": bare, "machineImageId": image_ids.get(key)},
        })}
        if annotations:
            templates[name]["annotations"] = dict(annotations)
    return templates


def app_templates_default(variables):
    """The built-in app templates that are switched on: their ``..._spec`` variable, else the built-in definition."""
    templates = {}
    for name, (key, _enabled, _spec) in BUILTIN_APPS.items():
        chains = app_chains(name)
        if variables.bool(chains.enabled, chains.enabled_default):
            entry = variables.value("%s_%s_spec" % (APP, key))
            templates[name] = builtins.app_spec(name, variables.pick, variables.bool) if entry is UNSET else entry
    return templates


def cluster_types_default(variables, missing):
    """The built-in cluster types that are switched on: their ``..._template`` variable, else the built-in definition."""
    types = {}
    clusters_enabled = variables.bool([CLUSTERS_ENABLED], True)
    for name, builtin in BUILTIN_CLUSTER_TYPES.items():
        chains = cluster_type_chains(name)
        if variables.bool(chains.enabled, clusters_enabled):
            prefixes = chains.acl[:-1]
            entry = variables.value(builtin.entry)
            if entry is UNSET:
                entry = {"spec": builtins.cluster_type_spec(name, prefixes, variables.pick)}
                entry["spec"]["extraVars"] = extra_vars(variables, name, missing)
                annotations = variables.pick(["%s_annotations" % p for p in builtin.prefixes], None)
                if annotations:
                    entry["annotations"] = annotations
            else:
                entry = with_image(entry, image_of(variables, name))
            types[name] = entry
    return types


def image_of(variables, name):
    """A built-in type's image: ``<prefix>_image`` along its prefixes (then its parent's, then legacy names), else
    ``community_images_image_ids[<key>]``, else MISSING."""
    builtin = BUILTIN_CLUSTER_TYPES[name]
    base = BUILTIN_CLUSTER_TYPES[builtin.parent] if builtin.parent else builtin
    names = ["%s_image" % p for p in builtin.prefixes + (base.prefixes if builtin.parent else ())] + list(base.legacy_images)
    return variables.pick(names, variables.dict(IMAGE_IDS).get(base.image, MISSING))


def init_list(variables, prefixes, what):
    """ansible_init_<what> as upstream builds it: ``<prefix>_init_<what>``, else (``_default``, else
    ``ansible_init_default_<what>``) + ``_extra``."""
    whole = variables.pick(["%s_init_%s" % (p, what) for p in prefixes], MISSING)
    if whole is not MISSING:
        return whole
    default = variables.pick(["%s_init_%s_default" % (p, what) for p in prefixes] + ["ansible_init_default_" + what], [])
    extra, name = variables.first(["%s_init_%s_extra" % (p, what) for p in prefixes], [])
    if not isinstance(default, list) or not isinstance(extra, list):
        raise CatalogError("%s must be a list, got %s" % (name or "ansible_init_default_" + what, a_type(extra)))
    return default + extra


def extra_vars(variables, name, missing):
    """A built-in cluster type's extraVars as upstream renders them: ``<prefix>_extra_vars`` whole, else the
    defaults (``<prefix>_extra_vars_defaults``, else the image, the ansible-init lists and, for slurm, the Manila
    switch) updated (not merged: upstream's combine is flat) by ``azimuth_caas_stackhpc_<type>_extra_vars_overrides``
    then ``azimuth_caas_<type>_extra_vars_overrides``.  workstation-ssh has the workstation's unless it has its own.
    """
    builtin = BUILTIN_CLUSTER_TYPES[name]
    base = BUILTIN_CLUSTER_TYPES[builtin.parent] if builtin.parent else builtin
    chain = builtin.prefixes + (base.prefixes if builtin.parent else ())
    whole = variables.pick(["%s_extra_vars" % p for p in chain], MISSING)
    if whole is not MISSING:
        return whole
    defaults = variables.pick(["%s_extra_vars_defaults" % p for p in base.prefixes], MISSING)
    if defaults is MISSING:
        defaults = {"cluster_image": image_of(variables, name)}
        if base is BUILTIN_CLUSTER_TYPES["slurm"]:
            defaults["cluster_home_manila_share"] = variables.pick([builtins.SLURM_MANILA_HOME], False)
        defaults["ansible_init_collections"] = init_list(variables, base.prefixes, "collections")
        defaults["ansible_init_playbooks"] = init_list(variables, base.prefixes, "playbooks")
    result = dict(defaults)
    for prefix in reversed(base.prefixes):
        result.update(variables.dict(prefix + "_extra_vars_overrides"))
    if result.get("cluster_image") is MISSING:
        missing.add(CLUSTER_TYPE, name, base.image, base.image_variable)
        result["cluster_image"] = None
    return result


def with_image(entry, image):
    """A replaced built-in definition with ``extraVars.cluster_image`` (unless it has one, or no image is known)."""
    if image is None or image is MISSING or not isinstance(entry, dict):
        return entry
    entry = copy.deepcopy(entry)
    spec = entry["spec"] if isinstance(entry.get("spec"), dict) else entry
    extra = spec.setdefault("extraVars", {})
    if isinstance(extra, dict):
        extra.setdefault("cluster_image", image)
    return entry


def split_entry(kind, name, entry, source):
    """(spec, annotations) of a catalog entry: ``{spec, annotations}``, or the old style (the spec itself)."""
    where = "%s: %s '%s'" % (source, kind, name)
    if not isinstance(entry, dict):
        raise CatalogError("%s must be a dict with spec (and annotations), got %s" % (where, a_type(entry)))
    if "spec" not in entry:
        return strip_none(entry), {}
    unknown = sorted(set(entry) - {"spec", "annotations"})
    if unknown:
        raise CatalogError("%s: unknown keys %s beside spec; expected spec and annotations" % (where, ", ".join(unknown)))
    spec, annotations = entry["spec"], entry.get("annotations") or {}
    if not isinstance(spec, dict):
        raise CatalogError("%s: spec must be a dict, got %s" % (where, a_type(spec)))
    if not isinstance(annotations, dict):
        raise CatalogError("%s: annotations must be a dict, got %s" % (where, a_type(annotations)))
    for key, value in annotations.items():
        if not isinstance(value, str):
            raise CatalogError("%s: annotation %s must be a string, got %s %r" % (where, key, a_type(value), value))
    return strip_none(spec), dict(annotations)


def platform_type(variables, kind, name, entry, source, chains, labels):
    """The object for one catalog entry, and where its annotations came from.

    An entry with an ACL annotation of its own has that ACL and no other: its own ACL replaces the
    inherited one whole (an inherited allow-regex left beside an own allow-list would widen it).
    """
    spec, own = split_entry(kind, name, entry, source)
    if any(annotation in own for annotation in ACL_ANNOTATIONS):
        settings = dict((key, ("", "%s: %s '%s' annotations" % (source, kind, name))) for key in ACL_KEYS)
    else:
        settings = acl_settings(variables, chains)
    annotations = acl_annotations(settings)
    sources = dict((key, variable) for key, (_value, variable) in settings.items())
    if chains.lifetime is not None:
        annotations[LIFETIME_ANNOTATION], sources["max_lifetime_hours"] = lifetime_annotation(variables, chains)
    annotations.update(own)
    obj = {"kind": kind, "name": name, "spec": spec, "annotations": annotations, "labels": dict(labels)}
    return obj, sources


def _labels(variables):
    labels = variables.dict(LABELS)
    for key, value in labels.items():
        if not isinstance(value, str):
            raise CatalogError("%s: label %s must be a string, got %s %r" % (LABELS, key, a_type(value), value))
    return labels


def _kinds(variables):
    """(kind, catalog, source variable, chains function) for each kind that is switched on."""
    kinds, missing = [], MissingImages()
    if variables.bool([KUBERNETES_ENABLED], True):
        templates, source = catalog(variables, CAPI + "_cluster_templates", lambda: cluster_templates_default(variables, missing),
                                    CAPI + "_cluster_templates_extra")
        kinds.append((CLUSTER_TEMPLATE, templates, source, lambda name: capi_chains()))
        apps, source = catalog(variables, APP, lambda: app_templates_default(variables), APP + "_extra")
        kinds.append((APP_TEMPLATE, apps, source, app_chains))
    types, source = catalog(variables, CAAS + "_cluster_templates", lambda: cluster_types_default(variables, missing),
                            CAAS + "_cluster_templates_overrides")
    kinds.append((CLUSTER_TYPE, types, source, cluster_type_chains))
    missing.check(dict((kind, entries) for kind, entries, _source, _chains in kinds))
    return kinds


def resolve(get, names=(), tenancy_names=()):
    """The platform types the operator's variables describe.

    Returns ``platform_types`` (a list of ``{kind, name, spec, annotations, labels}`` in catalog
    order: cluster templates, app templates, cluster types), ``deprecated_annotations`` (what
    ClusterTemplates dropped from the catalog get), ``manage_cluster_templates`` (false when
    ``azimuth_kubernetes_enabled`` is false), ``kinds`` (the kinds the run manages, and so may
    deprecate) and ``sources`` (``kind/name`` -> the variable that decided each ACL key and the
    lifetime; null where nothing was set).

    Every regex is searched, with a time bound, in each of ``tenancy_names`` and in strings built
    to make it backtrack; ``names`` (every defined variable) are checked for misspellings.
    """
    variables = Variables(get)
    labels = _labels(variables)
    result = {"platform_types": [], "sources": {}, "manage_cluster_templates": False, "deprecated_annotations": {}, "kinds": [],
              "unsupported": []}
    prefixes = set()
    for kind, entries, source, chains_of in _kinds(variables):
        result["kinds"].append(kind)
        for name, entry in entries.items():
            if entry is None:  # switched off in an _extra / _overrides dict
                continue
            chains = chains_of(name)
            obj, sources = platform_type(variables, kind, name, entry, source, chains, labels)
            result["platform_types"].append(obj)
            result["sources"]["%s/%s" % (kind, name)] = sources
            prefixes.update(chains.acl)
    if variables.bool([KUBERNETES_ENABLED], True):
        result["manage_cluster_templates"] = True
        capi = capi_chains()
        result["deprecated_annotations"] = deprecated_annotations(variables, capi)
    check_names(names, prefixes | known_prefixes())
    read = variables.known | builtin_names(prefixes | known_prefixes())
    check_spelling(names, read)
    result["unsupported"] = unsupported(names, read)
    check_regexes(result, tenancy_names)
    return result


def deprecated_annotations(variables, capi):
    """What templates dropped from the catalog get: azimuth_capi_operator_cluster_template_annotations when set
    (as upstream), else the cluster templates' ACL and lifetime chains."""
    annotations = variables.dict(CLUSTER_TEMPLATE_ANNOTATIONS)
    if annotations:
        split_entry(CLUSTER_TEMPLATE, "(deprecated)", {"spec": {}, "annotations": annotations}, CLUSTER_TEMPLATE_ANNOTATIONS)
        return dict(annotations)
    result = acl_annotations(acl_settings(variables, capi))
    result[LIFETIME_ANNOTATION] = lifetime_annotation(variables, capi)[0]
    return result


def check_regexes(result, tenancy_names):
    """Every regex of the run, bounded, on every tenancy name and on backtracking probes; CatalogError names the type."""
    names = [name for name in tenancy_names or () if isinstance(name, str)]
    try:
        for obj in result["platform_types"]:
            check_acl_regexes("%s '%s'" % (obj["kind"], obj["name"]), obj["annotations"], names,
                              result["sources"]["%s/%s" % (obj["kind"], obj["name"])])
        for key, variable in (("allow_regex", CAPI_ACL + "_tenancy_allow_regex"), ("deny_regex", CAPI_ACL + "_tenancy_deny_regex")):
            pattern = result["deprecated_annotations"].get(CONFIG_KEYS[key])
            if pattern:
                check_regex_speed("the deprecated ClusterTemplates' %s (%s)" % (key, variable), pattern, names)
    except AclError as exc:
        raise CatalogError(str(exc))


def known_prefixes():
    """Every prefix a built-in platform type's ACL variables may have, switched on or not."""
    prefixes = {CAPI_ACL, GLOBAL_ACL}
    prefixes.update(app_chains(name).acl[0] for name in BUILTIN_APPS)
    for name in BUILTIN_CLUSTER_TYPES:
        prefixes.update(cluster_type_prefixes(name))
    return prefixes


# Every name under these prefixes is the run's: any other is misspelt.
OWN_PREFIXES = ("platforms_",)
# Prefixes azimuth-ops shares with variables this collection does not read (chart versions, ...):
# a name under them is misspelt only when it is close to a name the run reads.
WATCHED_PREFIXES = OWN_PREFIXES + (CAPI + "_", CAAS + "_", "azimuth_max_platform_", "azimuth_kubernetes_",
                                   "azimuth_clusters_", "community_images")
MAX_TYPO = 2
_PER_TYPE_SUFFIXES = ("enabled", "max_lifetime_hours", "spec", "template", "image", "git_url", "git_version", "playbook",
                      "job_timeout_seconds", "metadata_url", "annotations", "default_git_version", "default_metadata_url",
                      "extra_vars", "extra_vars_defaults", "extra_vars_overrides", "init_collections", "init_collections_default",
                      "init_collections_extra", "init_playbooks", "init_playbooks_default", "init_playbooks_extra")

# The one list of the azimuth-ops variables this collection does not read: (pattern, why).  A defined variable
# that the run does not read and that matches one is reported by name (a warning, and the lookup's
# ``unsupported``), never silently ignored.  tests/unit checks every azimuth-ops variable is read or listed here.
UNSUPPORTED = (
    (r"^community_images_(azimuth_images\w*|slurm\w*)$",
     "the collection reads no azimuth-images manifest: give the images as community_images (or community_images_extra)"),
    (r"^community_images_\w+$",
     "the collection uploads no images: upload them (azimuth-ops' community_images role) and give their IDs as "
     "community_images_image_ids"),
    (r"^%s_(chart|release|capi_helm|zenith|trust_bundle|wait_timeout|timer_interval|metrics|external_network_id|ansible_init)"
     % CAPI, "the collection does not install azimuth-capi-operator nor set its Helm values"),
    (r"^%s_operator_" % CAAS, "the collection does not install azimuth-caas-operator nor set its Helm values"),
)


def unsupported(names, read):
    """The defined variables of ``names`` that the run does not read (``read``) and UNSUPPORTED lists, with why."""
    found = []
    for name in sorted(names):
        if name in read:
            continue
        for pattern, why in UNSUPPORTED:
            if re.match(pattern, name):
                found.append({"variable": name, "reason": why})
                break
    return found


def builtin_names(prefixes):
    """The names of the per-type variables of ``prefixes`` (ACL keys, switches, definitions), read or not."""
    names = set()
    for prefix in prefixes:
        names.update("%s_tenancy_%s" % (prefix, key) for key in ACL_KEYS)
        names.update("%s_%s" % (prefix, suffix) for suffix in _PER_TYPE_SUFFIXES if prefix != GLOBAL_ACL)
    names.update(builtin.entry for builtin in BUILTIN_CLUSTER_TYPES.values())
    names.update(image for builtin in BUILTIN_CLUSTER_TYPES.values() for image in builtin.legacy_images)
    names.update(variable for name in BUILTIN_CLUSTER_TYPES for variable in builtins.metadata_url_variables(name))
    names.update(variable for name in BUILTIN_APPS for variable in builtins.app_variables(name))
    names.update(GLOBAL_LIFETIME)
    names.update((KUBERNETES_ENABLED, CLUSTERS_ENABLED, CAPI_LIFETIME, LABELS, builtins.SLURM_MANILA_HOME,
                  builtins.SLURM_METADATA_FILE))
    names.update(CATALOG_VARIABLES)
    return names


def differences(name, other):
    """How many characters differ between two names (inserted, deleted or replaced)."""
    opcodes = difflib.SequenceMatcher(None, name, other).get_opcodes()
    return sum(max(i2 - i1, j2 - j1) for tag, i1, i2, j1, j2 in opcodes if tag != "equal")


def nearest(name, known):
    """The known name ``name`` most likely misspells (at most two characters apart), or None.

    ``..._enable`` is two characters from nothing but ``..._enabled``; azimuth-ops variables this
    collection does not read (``..._jupyterhub_label``, ``..._chart_version``) are further from
    every name it reads.  Under a prefix of the run's own, the closest name is always given.
    """
    for candidate in difflib.get_close_matches(name, known, n=5, cutoff=0.75):
        if differences(name, candidate) <= MAX_TYPO:
            return candidate
    if name.startswith(OWN_PREFIXES):
        own = [known_name for known_name in known if known_name.startswith(OWN_PREFIXES)]
        return (difflib.get_close_matches(name, own, n=1, cutoff=0) or [None])[0]
    return None


def check_spelling(names, known):
    """Reject defined variables with a watched prefix that the run does not read, naming the nearest it does."""
    misspelt = []
    for name in sorted(names):
        if name in known or not name.startswith(WATCHED_PREFIXES):
            continue
        guess = nearest(name, known)
        if guess:
            misspelt.append("%s (did you mean %s?)" % (name, guess))
        elif name.startswith(OWN_PREFIXES):
            misspelt.append(name)
    if misspelt:
        raise CatalogError("unknown variable%s %s: the run does not read %s"
                           % ("s" if len(misspelt) > 1 else "", ", ".join(misspelt), "them" if len(misspelt) > 1 else "it"))


def check_names(names, prefixes):
    """Reject ACL and lifetime variables that belong to no platform type (most likely misspelt)."""
    lifetimes = set("%s_max_lifetime_hours" % prefix for prefix in prefixes)
    unknown = []
    for name in sorted(names):
        match = _ACL_VARIABLE.match(name)
        if match and match.group("prefix").startswith((CAPI + "_", CAAS + "_")):
            if match.group("prefix") not in prefixes:
                unknown.append(name)
        elif _LIFETIME_VARIABLE.match(name) and name not in lifetimes:
            unknown.append(name)
    if unknown:
        raise CatalogError("%s name%s no platform type in the catalog (misspelt?)"
                           % (", ".join(unknown), "" if len(unknown) > 1 else "s"))
