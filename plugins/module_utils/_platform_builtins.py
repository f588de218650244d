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


def _chart(repo, name, version_range, **extra):
    spec = {"chart": {"repo": repo, "name": name}, "versionRange": version_range, "keepVersions": 3,
            "syncFrequency": 86400, "defaultValues": {}}
    spec.update(extra)
    return spec


# App templates: name -> (variable key, on by default, spec builder taking the azimuth-charts version range).
BUILTIN_APPS = {
    "jupyterhub": ("jupyterhub", True, lambda r: _chart(AZIMUTH_CHARTS, "jupyterhub-azimuth", r)),
    "daskhub": ("daskhub", True, lambda r: _chart(AZIMUTH_CHARTS, "daskhub-azimuth", r)),
    "kubeflow": ("kubeflow", True, lambda r: _chart(AZIMUTH_CHARTS, "kubeflow-azimuth", r)),
    "binderhub": ("binderhub", True, lambda r: _chart(AZIMUTH_CHARTS, "binderhub-azimuth", r,
                                                      defaultValues={"binderhub_oauth_use_https": True})),
    "argocd": ("argocd", True, lambda r: _chart(AZIMUTH_CHARTS, "argocd-azimuth", r)),
    "huggingface-llm": ("huggingface_llm", True, lambda r: _chart(
        "https://stackhpc.github.io/azimuth-llm", "azimuth-llm-chat", ">=0.0.0",
        logo="https://huggingface.co/datasets/huggingface/brand-assets/resolve/main/hf-logo.svg",
        description="A generative AI chatbot service backed by a HuggingFace large language model "
                    "(requires a GPU node group on the target cluster).")),
    "danswer": ("danswer", False, lambda r: _chart(
        "https://stackhpc.github.io/danswer", "danswer-stack", ">=0.0.0", label="Danswer",
        logo="https://raw.githubusercontent.com/danswer-ai/danswer/1fabd9372d66cd54238847197c33f091a724803b/DanswerWithName.png",
        description="A self-service platform for Retrieval-Augmented Generation.",
        defaultValues={
            "inferenceCapability": {"pvc": {"storage": "10Gi"}, "deployment": {"resources": {"requests": {"memory": "4Gi"}}}},
            "indexCapability": {"indexingModelPVC": {"storage": "10Gi"},
                                "deployment": {"resources": {"requests": {"memory": "4Gi"}}}},
            "background": {"resources": {"requests": {"memory": "4Gi"}}},
        })),
    "ragflow": ("ragflow", False, lambda r: _chart("https://stackhpc.github.io/ragflow", "ragflow-azimuth", ">=0.1.0", label="RAGFlow")),
}


def app_spec(name, pick):
    """The built-in definition of the app template ``name``."""
    version = pick([CHARTS_VERSION_VARIABLE], AZIMUTH_CHARTS_VERSION)
    version_range = pick([VERSION_RANGE_VARIABLE], "<=%s" % version)
    return {"spec": BUILTIN_APPS[name][2](version_range)}


class ClusterType:
    """A built-in cluster type: its variable prefixes, definition variable, parent, image key and appliance."""

    def __init__(self, prefixes, entry, image, git_url, git_version, playbook, ui_meta, parent=None, env_vars=None):
        self.prefixes, self.entry, self.image, self.parent = prefixes, entry, image, parent
        self.git_url, self.git_version, self.playbook, self.ui_meta, self.env_vars = git_url, git_version, playbook, ui_meta, env_vars


WORKSTATION_GIT = "https://github.com/azimuth-cloud/caas-workstation.git"
RAW = "https://raw.githubusercontent.com/"

# The first prefix is azimuth_caas_<type>, the second the legacy azimuth_caas_stackhpc_<type>
# (for slurm, azimuth-ops' azimuth_caas_stackhpc_slurm_appliance).
BUILTIN_CLUSTER_TYPES = {
    "slurm": ClusterType(
        (CAAS + "_slurm", CAAS_LEGACY + "_slurm_appliance"), CAAS_LEGACY + "_slurm_appliance_template", "openhpc",
        "https://github.com/stackhpc/ansible-slurm-appliance.git", "v2.24.0", "ansible/site.yml",
        RAW + "stackhpc/ansible-slurm-appliance/{version}/environments/.caas/ui-meta/{meta}",
        env_vars={"ANSIBLE_INVENTORY": "environments/common/inventory,environments/site/inventory,environments/.caas/inventory"}),
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


def cluster_type_spec(name, prefixes, pick):
    """The built-in definition of the cluster type ``name``; ``prefixes`` its variable prefixes, parent's included.

    The git URL, version, playbook, job timeout and metadata URL come from ``<prefix>_git_url`` /
    ``_git_version`` / ``_playbook`` / ``_job_timeout_seconds`` / ``_metadata_url`` (the first set
    along the prefixes), else the built-in values.
    """
    builtin = BUILTIN_CLUSTER_TYPES[name]
    git_url = pick(["%s_git_url" % p for p in prefixes], builtin.git_url)
    version = pick(["%s_git_version" % p for p in prefixes], builtin.git_version)
    playbook = pick(["%s_playbook" % p for p in prefixes], builtin.playbook)
    timeout = pick(["%s_job_timeout_seconds" % p for p in prefixes], 3600)
    manila_home = pick([SLURM_MANILA_HOME], False)
    meta = "slurm-infra-manila-home.yml" if manila_home else "slurm-infra.yml"
    ui_meta = pick(["%s_metadata_url" % p for p in prefixes], builtin.ui_meta.format(version=version, meta=meta))
    collections = pick(["ansible_init_default_collections"], [])
    playbooks = pick(["ansible_init_default_playbooks"], [])
    extra_vars = {"ansible_init_collections": collections, "ansible_init_playbooks": playbooks}
    if name == "slurm":
        extra_vars["cluster_home_manila_share"] = manila_home
    spec = {"gitUrl": git_url, "gitVersion": str(version), "uiMetaUrl": ui_meta, "playbook": playbook,
            "jobTimeout": timeout, "extraVars": extra_vars}
    if builtin.env_vars:
        spec["envVars"] = dict(builtin.env_vars)
    return {"spec": spec}
