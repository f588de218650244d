# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The built-in platform types, as azimuth-ops ships them (ansible-collection-azimuth-ops 5899d3c).

Each built-in is named as upstream names it and switched on as upstream switches it on.  Its
definition can be replaced whole through its upstream variable (``..._spec`` for an app template,
``..._template`` for a cluster type), and its version through upstream's version variables; the
functions here take ``pick(names, default)``, the value of the first set variable of ``names``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

CAPI = "azimuth_capi_operator"
APP = CAPI + "_app_templates"
CAAS = "azimuth_caas"
CAAS_LEGACY = "azimuth_caas_stackhpc"

AZIMUTH_CHARTS = "https://azimuth-cloud.github.io/azimuth-charts"
AZIMUTH_CHARTS_VERSION = "0.14.0"
CHARTS_VERSION_VARIABLE = CAPI + "_azimuth_charts_version"
VERSION_RANGE_VARIABLE = APP + "_default_version_range"

# Kubernetes images of azimuth-images (one cluster template each) when community_images is unset.
COMMUNITY_IMAGES = {
    "kube_1_32": {"kubernetes_version": "v1.32.10"},
    "kube_1_33": {"kubernetes_version": "v1.33.10"},
    "kube_1_34": {"kubernetes_version": "v1.34.12"},
}
CLUSTER_TEMPLATE_TAGS = ["standard"]


def cluster_template_defaults(tags):
    """azimuth_capi_operator_cluster_template_defaults: the spec every built-in cluster template starts from."""
    return {
        "tags": list(tags),
        "values": {
            "clusterNetworking": {"internalNetwork": {"networkFilter": {"tags": "portal-internal"}}},
            "addons": {"ingress": {"nginx": {"enabled": False}, "traefik": {"enabled": True}}},
        },
    }


def app_defaults(repo, name, version_range=None, default_values=None, label=None, logo=None, description=None):
    """A built-in app's upstream defaults; ``version_range`` None: the azimuth-charts range."""
    return {"chart_repo": repo, "chart_name": name, "version_range": version_range, "keep_versions": 3,
            "sync_frequency": 86400, "default_values": default_values or {}, "label": label, "logo": logo,
            "description": description}


# App templates: name -> (variable key, on by default, upstream defaults of its per-app variables).
BUILTIN_APPS = {
    "jupyterhub": ("jupyterhub", True, app_defaults(AZIMUTH_CHARTS, "jupyterhub-azimuth")),
    "daskhub": ("daskhub", True, app_defaults(AZIMUTH_CHARTS, "daskhub-azimuth")),
    "kubeflow": ("kubeflow", True, app_defaults(AZIMUTH_CHARTS, "kubeflow-azimuth")),
    # defaultValues is built from the TLS switches (binderhub_default_values)
    "binderhub": ("binderhub", True, app_defaults(AZIMUTH_CHARTS, "binderhub-azimuth")),
    "argocd": ("argocd", True, app_defaults(AZIMUTH_CHARTS, "argocd-azimuth")),
    "huggingface-llm": ("huggingface_llm", True, app_defaults(
        "https://stackhpc.github.io/azimuth-llm", "azimuth-llm-chat", ">=0.0.0",
        logo="https://huggingface.co/datasets/huggingface/brand-assets/resolve/main/hf-logo.svg",
        # upstream writes it as a YAML literal block: two lines, and a trailing newline
        description="A generative AI chatbot service backed by a HuggingFace large language model\n"
                    "(requires a GPU node group on the target cluster).\n")),
    "danswer": ("danswer", False, app_defaults(
        "https://stackhpc.github.io/danswer", "danswer-stack", ">=0.0.0", label="Danswer",
        logo="https://raw.githubusercontent.com/danswer-ai/danswer/1fabd9372d66cd54238847197c33f091a724803b/DanswerWithName.png",
        description="A self-service platform for Retrieval-Augmented Generation.",
        default_values={
            "inferenceCapability": {"pvc": {"storage": "10Gi"}, "deployment": {"resources": {"requests": {"memory": "4Gi"}}}},
            "indexCapability": {"indexingModelPVC": {"storage": "10Gi"},
                                "deployment": {"resources": {"requests": {"memory": "4Gi"}}}},
            "background": {"resources": {"requests": {"memory": "4Gi"}}},
        })),
    "ragflow": ("ragflow", False, app_defaults("https://stackhpc.github.io/ragflow", "ragflow-azimuth", ">=0.1.0", label="RAGFlow")),
}

# The per-app variables (azimuth_capi_operator_app_templates_<app>_<suffix>) -> the spec field each sets.
APP_FIELDS = (("chart_repo", None), ("chart_name", None), ("version_range", "versionRange"),
              ("keep_versions", "keepVersions"), ("sync_frequency", "syncFrequency"), ("default_values", "defaultValues"))
APP_OPTIONAL_FIELDS = ("label", "logo", "description")  # set only when truthy, as upstream does
BINDERHUB_HTTPS = APP + "_binderhub_use_https_redirects"
INGRESS_TLS = "ingress_tls_enabled"


def app_prefix(name):
    return "%s_%s" % (APP, BUILTIN_APPS[name][0])


def binderhub_default_values(boolean):
    """Upstream: binderhub_oauth_use_https follows ..._use_https_redirects, else ingress_tls_enabled, else true."""
    return {"binderhub_oauth_use_https": boolean([BINDERHUB_HTTPS, INGRESS_TLS], True)}


def app_spec(name, pick, boolean):
    """The built-in definition of the app template ``name``, from its per-app variables as upstream renders it;
    ``boolean(names, default)`` the first set of ``names`` as a bool.

    ``{"spec": ...}``, with ``annotations`` when ``..._<app>_annotations`` is set (they then replace the ACL).
    """
    prefix, defaults = app_prefix(name), dict(BUILTIN_APPS[name][2])
    version = pick([CHARTS_VERSION_VARIABLE], AZIMUTH_CHARTS_VERSION)
    defaults["version_range"] = defaults["version_range"] or pick([VERSION_RANGE_VARIABLE], "<=%s" % version)
    if name == "binderhub":
        defaults["default_values"] = binderhub_default_values(boolean)
    value = dict((suffix, pick(["%s_%s" % (prefix, suffix)], defaults[suffix])) for suffix, _field in APP_FIELDS)
    spec = {"chart": {"repo": value["chart_repo"], "name": value["chart_name"]}}
    spec.update((field, value[suffix]) for suffix, field in APP_FIELDS if field)
    for field in APP_OPTIONAL_FIELDS:
        text = pick(["%s_%s" % (prefix, field)], defaults[field])
        if text:
            spec[field] = text
    entry = {"spec": spec}
    annotations = pick([prefix + "_annotations"], None)
    if annotations:
        entry["annotations"] = annotations
    return entry


def app_variables(name):
    """Every per-app variable of the built-in app ``name`` that app_spec reads."""
    prefix = app_prefix(name)
    names = ["%s_%s" % (prefix, suffix) for suffix, _field in APP_FIELDS]
    names += ["%s_%s" % (prefix, field) for field in APP_OPTIONAL_FIELDS] + [prefix + "_annotations"]
    return names + ([BINDERHUB_HTTPS, INGRESS_TLS] if name == "binderhub" else [])


class ClusterType:
    """A built-in cluster type: its variable prefixes, definition variable, parent, image key and appliance.

    ``image_variable`` is the variable upstream names when the image is missing; ``legacy_images`` older
    names of it that upstream still reads.
    """

    def __init__(self, prefixes, entry, image, git_url, git_version, playbook, ui_meta, parent=None, env_vars=None,
                 image_variable=None, legacy_images=()):
        self.prefixes, self.entry, self.image, self.parent = prefixes, entry, image, parent
        self.git_url, self.git_version, self.playbook, self.ui_meta, self.env_vars = git_url, git_version, playbook, ui_meta, env_vars
        self.image_variable = image_variable or prefixes[0] + "_image"
        self.legacy_images = tuple(legacy_images)


WORKSTATION_GIT = "https://github.com/azimuth-cloud/caas-workstation.git"
RAW = "https://raw.githubusercontent.com/"

# The first prefix is azimuth_caas_<type>, the second the legacy azimuth_caas_stackhpc_<type>
# (for slurm, azimuth-ops' azimuth_caas_stackhpc_slurm_appliance).
BUILTIN_CLUSTER_TYPES = {
    "slurm": ClusterType(
        (CAAS + "_slurm", CAAS_LEGACY + "_slurm_appliance"), CAAS_LEGACY + "_slurm_appliance_template", "openhpc",
        "https://github.com/stackhpc/ansible-slurm-appliance.git", "v2.24.0", "ansible/site.yml",
        RAW + "stackhpc/ansible-slurm-appliance/{version}/environments/.caas/ui-meta/{meta}",
        env_vars={"ANSIBLE_INVENTORY": "environments/common/inventory,environments/site/inventory,environments/.caas/inventory"},
        image_variable=CAAS_LEGACY + "_slurm_appliance_image", legacy_images=[CAAS_LEGACY + "_slurm_appliance_rocky8_image"]),
    "workstation": ClusterType(
        (CAAS + "_workstation", CAAS_LEGACY + "_workstation"), CAAS + "_workstation_template", "workstation",
        WORKSTATION_GIT, "0.10.1", "workstation.yml", RAW + "azimuth-cloud/caas-workstation/{version}/ui-meta/workstation.yml"),
    "workstation-ssh": ClusterType(
        (CAAS + "_workstation_ssh", CAAS_LEGACY + "_workstation_ssh"), CAAS + "_workstation_ssh_template", "workstation",
        WORKSTATION_GIT, "0.10.1", "workstation.yml",
        RAW + "azimuth-cloud/caas-workstation/{version}/ui-meta/workstation-external-ssh.yml", parent="workstation"),
    "repo2docker": ClusterType(
        (CAAS + "_repo2docker", CAAS_LEGACY + "_repo2docker"), CAAS + "_repo2docker_template", "repo2docker",
        "https://github.com/azimuth-cloud/caas-repo2docker.git", "0.8.1", "repo2docker.yml",
        RAW + "azimuth-cloud/caas-repo2docker/{version}/ui-meta/repo2docker.yml"),
    "rstudio": ClusterType(
        (CAAS + "_rstudio", CAAS_LEGACY + "_rstudio"), CAAS + "_rstudio_template", "rstudio",
        "https://github.com/azimuth-cloud/caas-r-studio-server.git", "0.7.1", "rstudio.yml",
        RAW + "azimuth-cloud/caas-r-studio-server/{version}/ui-meta/rstudio.yml"),
}

SLURM_MANILA_HOME = CAAS_LEGACY + "_slurm_appliance_home_manila_share"
SLURM_METADATA_FILE = CAAS_LEGACY + "_slurm_appliance_metadata_file"
# upstream's default metadata URL variables, where they are not <first prefix>_default_metadata_url
DEFAULT_METADATA_URL = {"workstation-ssh": CAAS + "_workstation_default_ssh_metadata_url"}


def metadata_url_variables(name):
    """The variables that set a built-in type's uiMetaUrl, in order: its own prefixes (never the parent's), then the default."""
    builtin = BUILTIN_CLUSTER_TYPES[name]
    default = DEFAULT_METADATA_URL.get(name, builtin.prefixes[0] + "_default_metadata_url")
    return ["%s_metadata_url" % p for p in builtin.prefixes] + [default]


def cluster_type_spec(name, prefixes, pick):
    """The built-in definition of the cluster type ``name`` without its extraVars; ``prefixes`` its variable
    prefixes, parent's included.

    The git URL, version, playbook and job timeout come from ``<prefix>_git_url`` / ``_git_version``
    (then ``_default_git_version``) / ``_playbook`` / ``_job_timeout_seconds`` (the first set along the
    prefixes), the metadata URL from ``metadata_url_variables``, else the built-in values.
    """
    builtin = BUILTIN_CLUSTER_TYPES[name]
    git_url = pick(["%s_git_url" % p for p in prefixes], builtin.git_url)
    version = pick(["%s_git_version" % p for p in prefixes] + ["%s_default_git_version" % p for p in prefixes], builtin.git_version)
    playbook = pick(["%s_playbook" % p for p in prefixes], builtin.playbook)
    timeout = pick(["%s_job_timeout_seconds" % p for p in prefixes], 3600)
    meta = pick([SLURM_METADATA_FILE], "slurm-infra-manila-home.yml" if pick([SLURM_MANILA_HOME], False) else "slurm-infra.yml")
    ui_meta = pick(metadata_url_variables(name), builtin.ui_meta.format(version=version, meta=meta))
    spec = {"gitUrl": git_url, "gitVersion": str(version), "uiMetaUrl": ui_meta, "playbook": playbook, "jobTimeout": timeout}
    if builtin.env_vars:
        spec["envVars"] = dict(builtin.env_vars)
    return spec
