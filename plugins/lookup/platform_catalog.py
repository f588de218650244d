# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: platform_catalog
short_description: The platform types, with their ACL annotations, that the operator's azimuth-ops variables describe
version_added: 1.0.0
author: azimuth.ops contributors (@azimuth-cloud)
description:
  - Reads the operator's variables by their azimuth-ops names (the catalogs
    C(azimuth_capi_operator_cluster_templates), C(azimuth_capi_operator_app_templates) and
    C(azimuth_caas_cluster_templates) with their C(_extra) / C(_overrides) dicts, the built-in types'
    switches and definitions, C(platforms_tenancy_*), the per-kind and per-type C(*_tenancy_*) variables and
    the C(*_max_lifetime_hours) variables) and returns the platform-type objects they describe, ready for
    M(azimuth.ops.platform_types).
  - The fallback chains (which variable wins when several are set) are those of azimuth-ops; the
    C(azimuth.ops.platform_types) role's documentation lists them.
  - Only the variables it needs are templated. Takes no terms.
  - Fails, naming the variable, on a value of the wrong type, an invalid regular expression, an
    ACL or lifetime variable that belongs to no platform type in the catalog, and a variable with a prefix of
    the platform-type variables (C(platforms_), C(azimuth_capi_operator_), C(azimuth_caas_), ...) that it does not
    read but that is at most two characters from one it reads (the message names that one); under C(platforms_)
    every unknown name is an error.
  - An entry of a catalog with an ACL annotation of its own gets that ACL whole; the inherited ACL
    variables do not apply to it.
  - The built-in types are rendered from azimuth-ops' finer variables as azimuth-ops renders them (per app
    C(_label), C(_logo), C(_description), C(_chart_name), C(_chart_repo), C(_version_range), C(_keep_versions),
    C(_sync_frequency), C(_default_values), C(_annotations); per cluster type C(_extra_vars_overrides) and the
    ansible-init lists; C(binderhub_oauth_use_https) from C(ingress_tls_enabled); C(community_images_extra)).
  - Fails, before anything is written and as azimuth-ops does, when a built-in ClusterTemplate or ClusterType
    still in the catalog needs an image that C(community_images_image_ids) (or the type's C(_image) variable)
    does not give; the message names the image key and the variable.
  - An azimuth-ops variable that is defined but not read (the operators' Helm values, image uploads, ...) is
    reported by name with a warning, and listed in C(unsupported).
  - Every allow-regex and deny-regex is searched, with a time bound, in each of O(tenancy_names) and in strings
    built to make a pattern backtrack (each character the pattern names, 64 times, then one it does not name). A
    pattern that takes longer than half a second is refused, naming the platform type and the variable, as Azimuth
    searches these patterns without a time limit whenever it lists platform types.
options:
  tenancy_names:
    description: The names of the run's tenancies, in which every regex is searched.
    type: list
    elements: str
    default: []
notes:
  - Use it with C(wantlist=false) (the default of the C(lookup) function), which gives the dict itself.
seealso:
  - module: azimuth.ops.platform_types
"""

EXAMPLES = r"""
- name: Apply the platform types of the configuration
  vars:
    catalog: "{{ lookup('azimuth.ops.platform_catalog') }}"
  azimuth.ops.platform_types:
    platform_types: "{{ catalog.platform_types }}"
    deprecate_missing: "{{ catalog.manage_cluster_templates }}"
    deprecated_annotations: "{{ catalog.deprecated_annotations }}"

- name: Check every regex against the tenancies' names too
  ansible.builtin.set_fact:
    catalog: "{{ lookup('azimuth.ops.platform_catalog', tenancy_names=['physics', 'chemistry']) }}"

- name: Which variable decided the ACL of the workstation?
  ansible.builtin.debug:
    msg: "{{ lookup('azimuth.ops.platform_catalog').sources['ClusterType/workstation'] }}"
"""

RETURN = r"""
_raw:
  description: One dict.
  type: list
  elements: dict
  contains:
    platform_types:
      description:
        - The objects, C({kind, name, spec, annotations, labels}), cluster templates first, then app templates,
          then cluster types, each in catalog order.
        - C(annotations) always hold the four C(acl.azimuth.stackhpc.com/*) keys (V("") when unset, lists joined
          with commas) and, on ClusterTemplates and ClusterTypes, C(scheduling.azimuth.stackhpc.com/max-lifetime-hours);
          an entry's own C(annotations) win over them.
      type: list
      elements: dict
    deprecated_annotations:
      description: The current ACL and lifetime annotations of cluster templates, for those dropped from the catalog.
      type: dict
    manage_cluster_templates:
      description: Whether cluster templates are managed (and so deprecated); false when C(azimuth_kubernetes_enabled) is false.
      type: bool
    kinds:
      description:
        - The kinds the configuration manages, for the module's O(azimuth.ops.platform_types#module:deprecate_kinds), that
          is C(ClusterTemplate) and C(AppTemplate) unless C(azimuth_kubernetes_enabled) is false, and C(ClusterType).
      type: list
      elements: str
    unsupported:
      description:
        - The defined azimuth-ops variables the collection does not read, C({variable, reason}), sorted by name (each
          is also a warning).
      type: list
      elements: dict
    sources:
      description: C(kind/name) -> for each ACL key and C(max_lifetime_hours), the variable that decided it (V(null) when none was set).
      type: dict
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase
from ansible.utils.display import Display

from ansible_collections.azimuth.ops.plugins.module_utils.platform._platform_catalog import UNSET, CatalogError, resolve


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        if terms:
            raise AnsibleLookupError("azimuth.ops.platform_catalog takes no terms, got %r" % (terms,))
        self.set_options(var_options=variables, direct=kwargs)
        variables = variables or {}

        def get(name):
            if name not in variables:
                return UNSET
            return self._templar.template(variables[name])

        try:
            result = resolve(get, list(variables), self.get_option("tenancy_names"))
        except CatalogError as exc:
            raise AnsibleLookupError("azimuth.ops.platform_catalog: %s" % exc)
        warn_unsupported(result["unsupported"])
        return [result]


def warn_unsupported(unsupported):
    """One warning per reason, naming the variables: set, but not read by the collection."""
    by_reason = {}
    for item in unsupported:
        by_reason.setdefault(item["reason"], []).append(item["variable"])
    for reason, names in sorted(by_reason.items()):
        Display().warning("azimuth.ops.platform_catalog does not read the azimuth-ops variable%s %s: %s"
                          % ("s" if len(names) > 1 else "", ", ".join(names), reason))
