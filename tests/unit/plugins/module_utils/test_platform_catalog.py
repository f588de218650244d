"""The operator's variables (azimuth-ops names) -> platform-type objects: catalogs, switches, fallback chains."""

from pathlib import Path

import pytest
import yaml

from ansible_collections.azimuth.ops.plugins.module_utils.platform import _platform_catalog as c

ROLE = Path(__file__).resolve().parents[4] / "roles" / "platform_types"
ALLOW_LIST = "acl.azimuth.stackhpc.com/allow-list"
DENY_LIST = "acl.azimuth.stackhpc.com/deny-list"
ALLOW_REGEX = "acl.azimuth.stackhpc.com/allow-regex"
DENY_REGEX = "acl.azimuth.stackhpc.com/deny-regex"
LIFETIME = "scheduling.azimuth.stackhpc.com/max-lifetime-hours"
EMPTY_ACL = {ALLOW_LIST: "", DENY_LIST: "", ALLOW_REGEX: "", DENY_REGEX: ""}

APP = {"spec": {"chart": {"repo": "https://charts.example.org", "name": "app"}}}
CAAS = {"spec": {"gitUrl": "https://git.example.org/a.git", "gitVersion": "1", "playbook": "a.yml", "uiMetaUrl": "https://x/ui.yml"}}


def builtins(**overrides):
    """Every built-in switched on with a minimal definition: the role defaults in miniature."""
    variables = {"community_images": {"kube_1_33": {"kubernetes_version": "v1.33.10"}}, "community_images_image_ids": {"kube_1_33": "img-133"}}
    for key, _enabled, _spec in c.BUILTIN_APPS.values():
        variables["%s_%s_spec" % (c.APP, key)] = APP
    for builtin in c.BUILTIN_CLUSTER_TYPES.values():
        variables[builtin.entry] = CAAS
    variables.update(overrides)
    return variables


def resolve(variables):
    return c.resolve(lambda name: variables.get(name, c.UNSET), list(variables))


def objects(variables):
    return dict(("%s/%s" % (o["kind"], o["name"]), o) for o in resolve(variables)["platform_types"])


def annotations(variables, key):
    return objects(variables)[key]["annotations"]


# --- the catalog ---------------------------------------------------------------------------------


def test_the_builtin_catalog_is_enabled_as_azimuth_ops_enables_it():
    names = list(objects(builtins()))
    assert names == [
        "ClusterTemplate/kube-1-33-10",
        "AppTemplate/jupyterhub", "AppTemplate/daskhub", "AppTemplate/kubeflow", "AppTemplate/binderhub",
        "AppTemplate/argocd", "AppTemplate/huggingface-llm",
        "ClusterType/slurm", "ClusterType/workstation", "ClusterType/workstation-ssh", "ClusterType/repo2docker",
        "ClusterType/rstudio",
    ]


def test_a_cluster_template_per_kubernetes_image_as_azimuth_ops_makes_it():
    variables = builtins(
        community_images={"kube_1_33": {"kubernetes_version": "v1.33.10"}, "workstation": {"name": "ws"}},
        community_images_image_ids={"kube_1_33": "img-133"},
        azimuth_capi_operator_cluster_template_defaults={"tags": ["standard"], "values": {"addons": {"x": 1}}},
    )
    template = objects(variables)["ClusterTemplate/kube-1-33-10"]
    assert template["spec"] == {
        "tags": ["standard"],
        "label": "v1.33.10 [Replace optional NGINX Ingress with Traefik]",
        "description": "Kubernetes 1.33.10 with HA control plane.",
        "values": {"addons": {"x": 1}, "kubernetesVersion": "1.33.10", "machineImageId": "img-133"},
    }
    assert [n for n in objects(variables) if n.startswith("ClusterTemplate/")] == ["ClusterTemplate/kube-1-33-10"]


def test_a_missing_image_fails_naming_the_key_and_the_variable_as_azimuth_ops_does():
    variables = builtins(community_images_image_ids={}, azimuth_caas_workstation_template=None)
    with pytest.raises(c.CatalogError) as error:
        resolve(variables)
    assert str(error.value) == (
        "ClusterTemplate 'kube-1-33-10' needs the image community_images_image_ids[kube_1_33]; "
        "ClusterType 'workstation' needs the image community_images_image_ids[workstation] (or azimuth_caas_workstation_image): "
        "set it, or leave the type out of the catalog (azimuth-ops fails here too)")
    # an image variable, an override giving the image, or the type switched off: no error
    assert objects(dict(variables, community_images={}, azimuth_caas_workstation_image="ws", azimuth_caas_workstation_ssh_template=None))[
        "ClusterType/workstation-ssh"]["spec"]["extraVars"]["cluster_image"] == "ws"
    overrides = {"azimuth_caas_workstation_extra_vars_overrides": {"cluster_image": "o"}, "community_images": {}}
    assert objects(dict(variables, **overrides))["ClusterType/workstation"]["spec"]["extraVars"]["cluster_image"] == "o"
    assert "ClusterType/workstation" not in objects(dict(variables, community_images={}, azimuth_caas_workstation_enabled=False))
    # a template removed by _extra, or given its image there, needs none
    extra = {"kube-1-33-10": {"spec": {"values": {"machineImageId": "e"}}}}
    found = objects(dict(variables, azimuth_capi_operator_cluster_templates_extra=extra, azimuth_caas_workstation_image="ws"))
    assert found["ClusterTemplate/kube-1-33-10"]["spec"]["values"]["machineImageId"] == "e"
    assert "ClusterTemplate/kube-1-33-10" not in objects(dict(variables, azimuth_caas_workstation_image="ws",
                                                              azimuth_capi_operator_cluster_templates_extra={"kube-1-33-10": None}))


def test_each_builtin_can_be_switched_off():
    off = dict(("%s_%s_enabled" % (c.APP, key), False) for key, _enabled, _spec in c.BUILTIN_APPS.values())
    off.update(azimuth_caas_workstation_enabled=False, azimuth_caas_stackhpc_slurm_appliance_enabled=False,
               azimuth_caas_repo2docker_enabled=False, azimuth_caas_rstudio_enabled=False, community_images={})
    assert list(objects(builtins(**off))) == []


def test_danswer_and_ragflow_are_off_unless_switched_on():
    variables = builtins(azimuth_capi_operator_app_templates_danswer_enabled=True)
    assert "AppTemplate/danswer" in objects(variables)
    assert "AppTemplate/ragflow" not in objects(variables)


def test_enabled_switches_follow_their_chains():
    # clusters off: every cluster type off, unless its own (or its legacy) switch is on
    variables = builtins(azimuth_clusters_enabled=False, azimuth_caas_stackhpc_workstation_enabled=True)
    assert [n for n in objects(variables) if n.startswith("ClusterType/")] == ["ClusterType/workstation", "ClusterType/workstation-ssh"]
    # workstation-ssh follows the workstation unless switched itself
    variables = builtins(azimuth_caas_workstation_enabled=False)
    assert "ClusterType/workstation-ssh" not in objects(variables)
    variables = builtins(azimuth_caas_workstation_enabled=False, azimuth_caas_workstation_ssh_enabled=True)
    assert "ClusterType/workstation-ssh" in objects(variables)
    # strings as Ansible writes booleans
    assert "ClusterType/slurm" not in objects(builtins(azimuth_caas_slurm_enabled="no"))


def test_kubernetes_off_manages_no_templates_and_deprecates_nothing():
    result = resolve(builtins(azimuth_kubernetes_enabled=False))
    assert [o["kind"] for o in result["platform_types"]] == ["ClusterType"] * 5
    assert result["manage_cluster_templates"] is False
    assert result["deprecated_annotations"] == {}


def test_extra_and_override_dicts_merge_recursively_and_null_removes():
    variables = builtins(
        azimuth_capi_operator_app_templates_extra={
            "jupyterhub": {"spec": {"defaultValues": {"a": 1}}},
            "daskhub": None,
            "my-app": APP,
        },
        azimuth_caas_cluster_templates_overrides={"slurm": {"spec": {"jobTimeout": 7200}}},
        azimuth_capi_operator_cluster_templates_extra={"gpu": {"spec": {"label": "GPU", "values": {}}}},
    )
    found = objects(variables)
    assert found["AppTemplate/jupyterhub"]["spec"] == {"chart": APP["spec"]["chart"], "defaultValues": {"a": 1}}
    assert "AppTemplate/daskhub" not in found
    assert found["AppTemplate/my-app"]["spec"] == APP["spec"]
    assert found["ClusterType/slurm"]["spec"]["jobTimeout"] == 7200
    assert found["ClusterType/slurm"]["spec"]["gitUrl"] == CAAS["spec"]["gitUrl"]
    assert "ClusterTemplate/gpu" in found and "ClusterTemplate/kube-1-33-10" in found


def test_the_combined_variable_replaces_the_builtins_and_the_extras():
    variables = builtins(
        azimuth_capi_operator_app_templates={"only": APP},
        azimuth_capi_operator_app_templates_extra={"ignored": APP},
        azimuth_capi_operator_cluster_templates={},
        azimuth_caas_cluster_templates={"mine": CAAS},
    )
    assert list(objects(variables)) == ["AppTemplate/only", "ClusterType/mine"]


def test_old_style_entries_are_the_spec_itself():
    variables = builtins(azimuth_caas_cluster_templates={"old": CAAS["spec"]})
    assert objects(variables)["ClusterType/old"]["spec"] == CAAS["spec"]


def test_null_spec_values_are_left_out():
    variables = builtins(azimuth_caas_cluster_templates={"t": {"spec": dict(CAAS["spec"], sshSharedSecretName=None)}})
    assert "sshSharedSecretName" not in objects(variables)["ClusterType/t"]["spec"]


def test_builtin_cluster_types_get_their_image():
    variables = builtins(community_images_image_ids={"workstation": "ws-img", "openhpc": "hpc-img", "kube_1_33": "i"},
                         azimuth_caas_stackhpc_repo2docker_image="r2d-legacy")
    found = objects(variables)
    assert found["ClusterType/workstation"]["spec"]["extraVars"] == {"cluster_image": "ws-img"}
    assert found["ClusterType/workstation-ssh"]["spec"]["extraVars"] == {"cluster_image": "ws-img"}
    assert found["ClusterType/slurm"]["spec"]["extraVars"] == {"cluster_image": "hpc-img"}
    assert found["ClusterType/repo2docker"]["spec"]["extraVars"] == {"cluster_image": "r2d-legacy"}
    assert "extraVars" not in found["ClusterType/rstudio"]["spec"]
    # a definition's own image wins
    own = {"spec": dict(CAAS["spec"], extraVars={"cluster_image": "mine"})}
    assert objects(builtins(azimuth_caas_workstation_template=own, azimuth_caas_workstation_image="x"))[
        "ClusterType/workstation"]["spec"]["extraVars"] == {"cluster_image": "mine"}


# --- the ACL chains ------------------------------------------------------------------------------


def test_nothing_set_gives_the_four_empty_annotations_and_an_empty_lifetime():
    found = objects(builtins())
    assert found["AppTemplate/jupyterhub"]["annotations"] == EMPTY_ACL
    assert found["ClusterTemplate/kube-1-33-10"]["annotations"] == dict(EMPTY_ACL, **{LIFETIME: ""})
    assert found["ClusterType/slurm"]["annotations"] == dict(EMPTY_ACL, **{LIFETIME: ""})


def test_the_defaults_apply_to_every_type():
    variables = builtins(platforms_tenancy_allow_list=["t1", "t2"], platforms_tenancy_deny_list=["t3"],
                         platforms_tenancy_allow_regex="^prod-", platforms_tenancy_deny_regex="-test$")
    expected = {ALLOW_LIST: "t1,t2", DENY_LIST: "t3", ALLOW_REGEX: "^prod-", DENY_REGEX: "-test$"}
    for name, obj in objects(variables).items():
        assert dict((k, v) for k, v in obj["annotations"].items() if k != LIFETIME) == expected, name


# Each chain, most specific first: (object, [variable prefixes in order]).
CHAINS = [
    ("ClusterTemplate/kube-1-33-10", ["azimuth_capi_operator_cluster_template", "platforms"]),
    ("AppTemplate/jupyterhub", ["azimuth_capi_operator_app_templates_jupyterhub", "platforms"]),
    ("AppTemplate/huggingface-llm", ["azimuth_capi_operator_app_templates_huggingface_llm", "platforms"]),
    ("ClusterType/slurm", ["azimuth_caas_slurm", "azimuth_caas_stackhpc_slurm_appliance", "platforms"]),
    ("ClusterType/workstation", ["azimuth_caas_workstation", "azimuth_caas_stackhpc_workstation", "platforms"]),
    ("ClusterType/workstation-ssh", ["azimuth_caas_workstation_ssh", "azimuth_caas_stackhpc_workstation_ssh",
                                     "azimuth_caas_workstation", "azimuth_caas_stackhpc_workstation", "platforms"]),
    ("ClusterType/repo2docker", ["azimuth_caas_repo2docker", "azimuth_caas_stackhpc_repo2docker", "platforms"]),
    ("ClusterType/rstudio", ["azimuth_caas_rstudio", "azimuth_caas_stackhpc_rstudio", "platforms"]),
]


@pytest.mark.parametrize("key, chain", CHAINS)
def test_each_acl_chain_falls_back_in_order(key, chain):
    for position in range(len(chain)):
        # every variable from this position on is set, each to its own value: the first one wins
        variables = builtins()
        for prefix in chain[position:]:
            variables["%s_tenancy_allow_list" % prefix] = [prefix]
            variables["%s_tenancy_deny_regex" % prefix] = "^%s$" % prefix
        found = annotations(variables, key)
        assert found[ALLOW_LIST] == chain[position], (key, position)
        assert found[DENY_REGEX] == "^%s$" % chain[position], (key, position)
        assert resolve(variables)["sources"][key]["allow_list"] == "%s_tenancy_allow_list" % chain[position]


@pytest.mark.parametrize("key, chain", CHAINS)
def test_an_empty_list_or_string_decides_but_unset_and_null_fall_back(key, chain):
    specific, default = chain[0], chain[-1]
    base = builtins(**{"%s_tenancy_allow_list" % default: ["d"], "%s_tenancy_allow_regex" % default: "d"})
    assert annotations(dict(base, **{"%s_tenancy_allow_list" % specific: []}), key)[ALLOW_LIST] == ""
    assert annotations(dict(base, **{"%s_tenancy_allow_regex" % specific: ""}), key)[ALLOW_REGEX] == ""
    assert annotations(dict(base, **{"%s_tenancy_allow_list" % specific: None}), key)[ALLOW_LIST] == "d"
    assert annotations(dict(base, **{"%s_tenancy_allow_regex" % specific: None}), key)[ALLOW_REGEX] == "d"
    assert annotations(base, key)[ALLOW_LIST] == "d"


def test_a_per_type_variable_replaces_the_default_for_that_type_only():
    variables = builtins(platforms_tenancy_allow_list=["all"], azimuth_caas_workstation_tenancy_allow_list=["ws"])
    found = objects(variables)
    assert found["ClusterType/workstation"]["annotations"][ALLOW_LIST] == "ws"
    assert found["ClusterType/workstation-ssh"]["annotations"][ALLOW_LIST] == "ws"  # falls back to workstation
    assert found["ClusterType/rstudio"]["annotations"][ALLOW_LIST] == "all"
    # each key has its own chain: a per-type allow-list leaves the default deny-list in place
    variables = builtins(platforms_tenancy_deny_list=["bad"], azimuth_caas_rstudio_tenancy_allow_list=["ok"])
    assert annotations(variables, "ClusterType/rstudio")[DENY_LIST] == "bad"


def test_lists_are_joined_with_commas_and_regexes_are_kept_as_written():
    variables = builtins(platforms_tenancy_allow_list=[" a ", "b"], platforms_tenancy_deny_list="c, d",
                         platforms_tenancy_allow_regex=" ^x ")
    found = annotations(variables, "AppTemplate/jupyterhub")
    assert found[ALLOW_LIST] == "a,b"
    assert found[DENY_LIST] == "c,d"  # a comma-separated string is a list too
    assert found[ALLOW_REGEX] == " ^x "


def test_extra_types_have_chains_of_their_own_name():
    variables = builtins(
        azimuth_capi_operator_app_templates_extra={"my-app": APP},
        azimuth_caas_cluster_templates_overrides={"my-type": CAAS},
        azimuth_capi_operator_app_templates_my_app_tenancy_allow_list=["a"],
        azimuth_caas_stackhpc_my_type_tenancy_deny_regex="x",
        azimuth_caas_my_type_max_lifetime_hours=5,
        platforms_tenancy_deny_list=["z"],
    )
    assert annotations(variables, "AppTemplate/my-app") == dict(EMPTY_ACL, **{ALLOW_LIST: "a", DENY_LIST: "z"})
    assert annotations(variables, "ClusterType/my-type") == dict(EMPTY_ACL, **{DENY_REGEX: "x", DENY_LIST: "z", LIFETIME: "5"})


def test_an_entrys_own_annotations_win():
    variables = builtins(
        platforms_tenancy_allow_list=["all"],
        azimuth_capi_operator_app_templates_extra={"jupyterhub": {"annotations": {ALLOW_LIST: "mine", "x/y": "z"}}},
    )
    assert annotations(variables, "AppTemplate/jupyterhub") == dict(EMPTY_ACL, **{ALLOW_LIST: "mine", "x/y": "z"})


# --- lifetimes -----------------------------------------------------------------------------------


def test_lifetime_chains():
    variables = builtins(azimuth_max_platform_duration_hours=1)
    assert annotations(variables, "ClusterTemplate/kube-1-33-10")[LIFETIME] == "1"
    variables["azimuth_max_platform_lifetime_hours"] = 2
    assert annotations(variables, "ClusterType/rstudio")[LIFETIME] == "2"
    variables["azimuth_capi_operator_cluster_max_lifetime_hours"] = "3"
    variables["azimuth_caas_stackhpc_workstation_max_lifetime_hours"] = 4
    variables["azimuth_caas_workstation_max_lifetime_hours"] = 5
    found = objects(variables)
    assert found["ClusterTemplate/kube-1-33-10"]["annotations"][LIFETIME] == "3"
    assert found["ClusterType/workstation"]["annotations"][LIFETIME] == "5"
    # workstation-ssh's lifetime does not follow the workstation's (as in azimuth-ops)
    assert found["ClusterType/workstation-ssh"]["annotations"][LIFETIME] == "2"
    assert LIFETIME not in found["AppTemplate/jupyterhub"]["annotations"]
    assert resolve(variables)["deprecated_annotations"][LIFETIME] == "3"


def test_an_empty_lifetime_decides():
    variables = builtins(azimuth_max_platform_lifetime_hours=24, azimuth_caas_rstudio_max_lifetime_hours="")
    assert annotations(variables, "ClusterType/rstudio")[LIFETIME] == ""


@pytest.mark.parametrize("value", [True, "forever", [1], -1])
def test_a_lifetime_that_is_not_a_number_is_an_error(value):
    with pytest.raises(c.CatalogError, match="azimuth_max_platform_lifetime_hours must be a number of hours or empty"):
        resolve(builtins(azimuth_max_platform_lifetime_hours=value))


# --- deprecation annotations ---------------------------------------------------------------------


def test_deprecated_templates_get_the_current_cluster_template_annotations():
    variables = builtins(platforms_tenancy_deny_list=["d"], azimuth_capi_operator_cluster_template_tenancy_allow_list=["a"])
    assert resolve(variables)["deprecated_annotations"] == dict(EMPTY_ACL, **{ALLOW_LIST: "a", DENY_LIST: "d", LIFETIME: ""})


def test_labels_go_on_every_object():
    variables = builtins(platform_types_labels={"portal": "staging"})
    assert all(o["labels"] == {"portal": "staging"} for o in resolve(variables)["platform_types"])


# --- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name, value, message", [
    ("platforms_tenancy_allow_list", 7, "platforms_tenancy_allow_list: allow_list must be a list of tenancy IDs"),
    ("azimuth_caas_workstation_tenancy_deny_list", [1], "azimuth_caas_workstation_tenancy_deny_list: deny_list items must be strings"),
    ("azimuth_capi_operator_cluster_template_tenancy_allow_regex", "(",
     "azimuth_capi_operator_cluster_template_tenancy_allow_regex: allow_regex is not a valid regular expression"),
    ("platforms_tenancy_deny_regex", ["x"], "platforms_tenancy_deny_regex: deny_regex must be a string"),
    ("azimuth_clusters_enabled", "maybe", "azimuth_clusters_enabled must be true or false"),
    ("azimuth_capi_operator_app_templates_extra", [], "azimuth_capi_operator_app_templates_extra must be a dict"),
    ("azimuth_caas_cluster_templates", "x", "azimuth_caas_cluster_templates must be a dict of name -> definition"),
    ("platform_types_labels", {"a": 1}, "platform_types_labels: label a must be a string"),
])
def test_bad_values_name_their_variable(name, value, message):
    with pytest.raises(c.CatalogError) as error:
        resolve(builtins(**{name: value}))
    assert message in str(error.value)


def test_bad_entries_name_the_variable_and_the_type():
    with pytest.raises(c.CatalogError, match=r"azimuth_capi_operator_app_templates_extra: AppTemplate 'x' must be a dict"):
        resolve(builtins(azimuth_capi_operator_app_templates_extra={"x": "oops"}))
    with pytest.raises(c.CatalogError, match=r"ClusterType 'y': unknown keys sepc beside spec"):
        resolve(builtins(azimuth_caas_cluster_templates_overrides={"y": {"spec": {}, "sepc": {}}}))
    with pytest.raises(c.CatalogError, match=r"AppTemplate 'z': annotation a must be a string, got an integer"):
        resolve(builtins(azimuth_capi_operator_app_templates_extra={"z": {"spec": {}, "annotations": {"a": 1}}}))


@pytest.mark.parametrize("name", [
    "azimuth_caas_workstaton_tenancy_allow_list",
    "azimuth_capi_operator_app_templates_jupyter_hub_tenancy_deny_regex",
    "azimuth_capi_operator_cluster_templates_tenancy_allow_list",
    "azimuth_caas_workstaton_max_lifetime_hours",
])
def test_a_misspelt_acl_variable_is_an_error(name):
    with pytest.raises(c.CatalogError, match="%s names no platform type in the catalog" % name):
        resolve(builtins(**{name: ["x"]}))


def test_acl_variables_of_builtins_switched_off_are_not_errors():
    variables = builtins(azimuth_capi_operator_app_templates_ragflow_tenancy_allow_list=["x"],
                         azimuth_caas_stackhpc_rstudio_tenancy_allow_list=["x"], azimuth_caas_rstudio_enabled=False)
    resolve(variables)


# --- the role -----------------------------------------------------------------------------------


def builtin_variables():
    """The names of every built-in type's ACL, lifetime and switch variables."""
    names = set("platforms_tenancy_" + key for key in c.ACL_KEYS) | set(c.GLOBAL_LIFETIME) | {c.CAPI_LIFETIME}
    chains = [c.capi_chains()] + [c.app_chains(n) for n in c.BUILTIN_APPS] + [c.cluster_type_chains(n) for n in c.BUILTIN_CLUSTER_TYPES]
    for chain in chains:
        names.update(v for key in c.ACL_KEYS for v in chain.acl_variables(key))
        names.update(chain.lifetime or ())
        names.update(chain.enabled)
    return names


def test_the_role_argument_specs_list_every_builtin_variable():
    specs = yaml.safe_load((ROLE / "meta" / "argument_specs.yml").read_text())["argument_specs"]
    options = specs["main"]["options"]
    assert builtin_variables() <= set(options)
    assert specs["plan"]["options"] == options and specs["apply"]["options"] == options


def test_the_role_defaults_hold_no_operator_variable():
    """The operator's variables fall back along their chains, so the role must not define them."""
    defaults = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
    assert all(name.startswith("platform_types_") for name in defaults)


# --- the built-in definitions ----------------------------------------------------------------------


IMAGE_IDS = {"kube_1_32": "i32", "kube_1_33": "i33", "kube_1_34": "i34", "openhpc": "hpc", "workstation": "ws",
             "repo2docker": "r2d", "rstudio": "rs"}


def test_with_only_the_image_ids_the_builtins_are_those_of_azimuth_ops():
    found = objects({"community_images_image_ids": IMAGE_IDS})
    assert [n for n in found if n.startswith("ClusterTemplate/")] == [
        "ClusterTemplate/kube-1-32-10", "ClusterTemplate/kube-1-33-10", "ClusterTemplate/kube-1-34-12"]
    assert found["ClusterTemplate/kube-1-33-10"]["spec"] == {
        "tags": ["standard"],
        "values": {"clusterNetworking": {"internalNetwork": {"networkFilter": {"tags": "portal-internal"}}},
                   "addons": {"ingress": {"nginx": {"enabled": False}, "traefik": {"enabled": True}}},
                   "kubernetesVersion": "1.33.10", "machineImageId": "i33"},
        "label": "v1.33.10 [Replace optional NGINX Ingress with Traefik]",
        "description": "Kubernetes 1.33.10 with HA control plane.",
    }
    assert found["AppTemplate/jupyterhub"]["spec"] == {
        "chart": {"repo": "https://azimuth-cloud.github.io/azimuth-charts", "name": "jupyterhub-azimuth"},
        "versionRange": "<=0.14.0", "keepVersions": 3, "syncFrequency": 86400, "defaultValues": {}}
    assert found["AppTemplate/huggingface-llm"]["spec"]["chart"]["name"] == "azimuth-llm-chat"
    assert found["ClusterType/workstation-ssh"]["spec"] == {
        "gitUrl": "https://github.com/azimuth-cloud/caas-workstation.git", "gitVersion": "0.10.1",
        "uiMetaUrl": "https://raw.githubusercontent.com/azimuth-cloud/caas-workstation/0.10.1/ui-meta/workstation-external-ssh.yml",
        "playbook": "workstation.yml", "jobTimeout": 3600,
        "extraVars": {"cluster_image": "ws", "ansible_init_collections": [], "ansible_init_playbooks": []}}
    slurm = found["ClusterType/slurm"]["spec"]
    assert slurm["uiMetaUrl"].endswith("/v2.24.0/environments/.caas/ui-meta/slurm-infra.yml")
    assert slurm["envVars"] == {"ANSIBLE_INVENTORY": "environments/common/inventory,environments/site/inventory,environments/.caas/inventory"}
    assert slurm["extraVars"]["cluster_home_manila_share"] is False


def test_builtin_definitions_follow_the_version_variables():
    found = objects({
        "community_images_image_ids": IMAGE_IDS,
        "azimuth_capi_operator_azimuth_charts_version": "0.15.0",
        "azimuth_caas_stackhpc_workstation_git_version": "0.11.0",  # legacy name, read as azimuth-ops reads it
        "azimuth_caas_stackhpc_slurm_appliance_home_manila_share": True,
        "azimuth_caas_rstudio_job_timeout_seconds": 60,
        "ansible_init_default_collections": [{"name": "c"}],
    })
    assert found["AppTemplate/daskhub"]["spec"]["versionRange"] == "<=0.15.0"
    assert found["ClusterType/workstation"]["spec"]["gitVersion"] == "0.11.0"
    assert found["ClusterType/workstation-ssh"]["spec"]["uiMetaUrl"].endswith("/0.11.0/ui-meta/workstation-external-ssh.yml")
    assert found["ClusterType/slurm"]["spec"]["uiMetaUrl"].endswith("/slurm-infra-manila-home.yml")
    assert found["ClusterType/rstudio"]["spec"]["jobTimeout"] == 60
    assert found["ClusterType/repo2docker"]["spec"]["extraVars"]["ansible_init_collections"] == [{"name": "c"}]


def test_a_definition_variable_replaces_the_builtin_definition():
    found = objects({"azimuth_caas_rstudio_template": CAAS, "azimuth_capi_operator_app_templates_argocd_spec": APP,
                     "community_images_image_ids": IMAGE_IDS})
    assert found["ClusterType/rstudio"]["spec"] == dict(CAAS["spec"], extraVars={"cluster_image": "rs"})
    assert found["AppTemplate/argocd"]["spec"] == APP["spec"]


# --- operator input cannot widen access or hang the portal (issue 16) ---------------------------------


def test_an_entrys_own_acl_replaces_the_inherited_one_whole():
    """An own allow-list must not keep the global allow-regex beside it: that would let more tenancies in."""
    variables = builtins(
        platforms_tenancy_allow_regex="^bio",
        platforms_tenancy_deny_list=["banned"],
        azimuth_capi_operator_app_templates_extra={"gpu": dict(APP, annotations={ALLOW_LIST: "physics-id"})},
    )
    assert annotations(variables, "AppTemplate/gpu") == dict(EMPTY_ACL, **{ALLOW_LIST: "physics-id"})
    assert resolve(variables)["sources"]["AppTemplate/gpu"]["allow_regex"] == "azimuth_capi_operator_app_templates_extra: AppTemplate 'gpu' annotations"
    # without an own ACL, the inherited one stays
    assert annotations(variables, "AppTemplate/jupyterhub")[ALLOW_REGEX] == "^bio"


def test_an_own_non_acl_annotation_keeps_the_inherited_acl():
    variables = builtins(platforms_tenancy_allow_regex="^bio",
                         azimuth_caas_cluster_templates_overrides={"desk": dict(CAAS, annotations={LIFETIME: "3", "x/y": "z"})})
    assert annotations(variables, "ClusterType/desk")[ALLOW_REGEX] == "^bio"
    assert annotations(variables, "ClusterType/desk")[LIFETIME] == "3"


@pytest.mark.parametrize("name, value, guess", [
    ("platforms_tenancy_deny_lists", ["x"], "platforms_tenancy_deny_list"),
    ("platforms_tenancy_deny_regexp", "-test$", "platforms_tenancy_deny_regex"),
    ("azimuth_capi_operator_app_templates_jupyterhub_enable", False, "azimuth_capi_operator_app_templates_jupyterhub_enabled"),
    ("azimuth_caas_workstation_max_lifetime_hour", 3, "azimuth_caas_workstation_max_lifetime_hours"),
    ("azimuth_max_platform_lifetime_hour", 3, "azimuth_max_platform_lifetime_hours"),
    ("azimuth_clusters_enable", False, "azimuth_clusters_enabled"),
    ("azimuth_caas_workstaton_enabled", False, "azimuth_caas_workstation_enabled"),
])
def test_a_misspelt_variable_names_the_nearest_known_one(name, value, guess):
    with pytest.raises(c.CatalogError) as error:
        resolve(builtins(**{name: value}))
    assert "unknown variable %s (did you mean %s?)" % (name, guess) in str(error.value)


def test_any_unknown_platforms_variable_is_an_error():
    with pytest.raises(c.CatalogError, match=r"unknown variable platforms_whatever \(did you mean platforms_tenancy_"):
        resolve(builtins(platforms_whatever=1))


def test_the_variables_of_azimuth_ops_are_not_taken_for_misspellings():
    """Every azimuth-ops variable with a watched prefix (those the collection does not read included) passes."""
    listed = (Path(__file__).parent / "data" / "azimuth_ops_variables.txt").read_text().split("\n")
    names = [line.strip() for line in listed if line.strip() and not line.startswith("#")]
    assert len(names) > 300
    for switch in ({}, {"azimuth_kubernetes_enabled": False}):
        variables = dict(builtins(), **switch)
        c.resolve(lambda name, variables=variables: variables.get(name, c.UNSET), names + list(variables))


def test_differences_count_characters():
    assert c.differences("deny_lists", "deny_list") == 1
    assert c.differences("label", "enabled") > c.MAX_TYPO


@pytest.mark.parametrize("name, pattern", [
    ("platforms_tenancy_deny_regex", "(a+)+$"),
    ("azimuth_capi_operator_app_templates_jupyterhub_tenancy_allow_regex", r"^(\w+\s?)*$"),
    ("azimuth_capi_operator_cluster_template_tenancy_deny_regex", "(x+x+)+y"),
])
def test_a_catastrophic_regex_is_refused_naming_its_variable(name, pattern):
    with pytest.raises(c.CatalogError) as error:
        resolve(builtins(**{name: pattern}))
    assert "catastrophic backtracking" in str(error.value)
    assert "(from %s)" % name in str(error.value) or "(%s)" % name in str(error.value)


def test_a_catastrophic_own_annotation_is_refused_naming_the_type():
    variables = builtins(azimuth_capi_operator_app_templates_extra={"gpu": dict(APP, annotations={DENY_REGEX: "(a|aa)+$"})})
    with pytest.raises(c.CatalogError, match=r"AppTemplate 'gpu', annotation acl.azimuth.stackhpc.com/deny-regex .*catastrophic"):
        resolve(variables)


def test_regexes_are_searched_in_every_tenancy_name_of_the_run():
    variables = builtins(platforms_tenancy_allow_regex="^(physics|chemistry)$")
    result = c.resolve(lambda name: variables.get(name, c.UNSET), list(variables), ["physics", "x" * 64])
    assert result["platform_types"]
    evil = builtins(platforms_tenancy_deny_regex="^(b|bb)+$")  # backtracks on a name of b's
    with pytest.raises(c.CatalogError, match="catastrophic"):
        c.resolve(lambda name: evil.get(name, c.UNSET), list(evil), ["b" * 40 + "!"])


def test_the_kinds_the_run_manages():
    assert resolve(builtins())["kinds"] == ["ClusterTemplate", "AppTemplate", "ClusterType"]
    assert resolve(builtins(azimuth_kubernetes_enabled=False))["kinds"] == ["ClusterType"]


# --- upstream's finer variables, read as azimuth-ops renders them (issue 19) -------------------------------


def upstream(**variables):
    """No variables but the image IDs and ``variables``: the built-ins as upstream defines them."""
    return objects(dict({"community_images_image_ids": IMAGE_IDS}, **variables))


def test_the_per_app_variables_make_the_spec_as_upstream_renders_it():
    prefix = "azimuth_capi_operator_app_templates_jupyterhub_"
    found = upstream(**{prefix + "label": "Jupyter notebooks", prefix + "logo": "https://l/x.svg", prefix + "description": "Notebooks",
                        prefix + "chart_name": "jh", prefix + "chart_repo": "https://c", prefix + "version_range": ">=1",
                        prefix + "keep_versions": 5, prefix + "sync_frequency": 60, prefix + "default_values": {"a": 1}})
    assert found["AppTemplate/jupyterhub"]["spec"] == {
        "chart": {"repo": "https://c", "name": "jh"}, "versionRange": ">=1", "keepVersions": 5, "syncFrequency": 60,
        "defaultValues": {"a": 1}, "label": "Jupyter notebooks", "logo": "https://l/x.svg", "description": "Notebooks"}
    # unset (or empty) label, logo and description are left out, as upstream leaves them out
    assert "label" not in upstream(**{prefix + "label": ""})["AppTemplate/jupyterhub"]["spec"]
    # upstream's own values: the two-line description of huggingface-llm, danswer's label
    assert upstream()["AppTemplate/huggingface-llm"]["spec"]["description"] == (
        "A generative AI chatbot service backed by a HuggingFace large language model\n"
        "(requires a GPU node group on the target cluster).\n")
    assert upstream(azimuth_capi_operator_app_templates_danswer_enabled=True)["AppTemplate/danswer"]["spec"]["label"] == "Danswer"


def test_per_app_annotations_replace_its_acl_as_upstream():
    found = upstream(platforms_tenancy_allow_regex="^x", azimuth_capi_operator_app_templates_argocd_annotations={ALLOW_LIST: "p1"})
    assert found["AppTemplate/argocd"]["annotations"] == dict(EMPTY_ACL, **{ALLOW_LIST: "p1"})
    assert found["AppTemplate/daskhub"]["annotations"][ALLOW_REGEX] == "^x"


@pytest.mark.parametrize("variables, https", [
    ({}, True),
    ({"ingress_tls_enabled": False}, False),
    ({"ingress_tls_enabled": False, "azimuth_capi_operator_app_templates_binderhub_use_https_redirects": True}, True),
])
def test_binderhub_uses_https_only_when_the_portal_has_tls(variables, https):
    spec = upstream(**variables)["AppTemplate/binderhub"]["spec"]
    assert spec["defaultValues"] == {"binderhub_oauth_use_https": https}


def test_extra_vars_overrides_are_merged_into_the_cluster_types_as_upstream():
    found = upstream(
        azimuth_caas_stackhpc_workstation_extra_vars_overrides={"a": "legacy", "b": {"x": 1}},
        azimuth_caas_workstation_extra_vars_overrides={"a": "new", "b": {"y": 2}},
        azimuth_caas_stackhpc_slurm_appliance_extra_vars_overrides={"cluster_home_manila_share": True},
        azimuth_caas_workstation_init_collections_extra=[{"name": "c"}],
        ansible_init_default_playbooks=[{"name": "p"}],
    )
    # azimuth_caas_<type>_... wins over azimuth_caas_stackhpc_<type>_...; upstream's combine is flat (b replaced)
    workstation = {"cluster_image": "ws", "ansible_init_collections": [{"name": "c"}], "ansible_init_playbooks": [{"name": "p"}],
                   "a": "new", "b": {"y": 2}}
    assert found["ClusterType/workstation"]["spec"]["extraVars"] == workstation
    assert found["ClusterType/workstation-ssh"]["spec"]["extraVars"] == workstation  # the workstation's, as upstream
    assert found["ClusterType/slurm"]["spec"]["extraVars"]["cluster_home_manila_share"] is True
    assert found["ClusterType/rstudio"]["spec"]["extraVars"] == {"cluster_image": "rs", "ansible_init_collections": [],
                                                                 "ansible_init_playbooks": [{"name": "p"}]}
    # the whole variable replaces them; workstation-ssh's own replaces the workstation's
    found = upstream(azimuth_caas_workstation_extra_vars={"only": 1}, azimuth_caas_stackhpc_workstation_ssh_extra_vars={"ssh": 1})
    assert found["ClusterType/workstation"]["spec"]["extraVars"] == {"only": 1}
    assert found["ClusterType/workstation-ssh"]["spec"]["extraVars"] == {"ssh": 1}


def test_the_legacy_slurm_image_and_the_ssh_metadata_url_as_upstream():
    ids = dict(IMAGE_IDS)
    del ids["openhpc"]
    found = upstream(community_images_image_ids=ids, azimuth_caas_stackhpc_slurm_appliance_rocky8_image="r8",
                     azimuth_caas_workstation_metadata_url="https://m/ws.yml")
    assert found["ClusterType/slurm"]["spec"]["extraVars"]["cluster_image"] == "r8"
    assert found["ClusterType/workstation"]["spec"]["uiMetaUrl"] == "https://m/ws.yml"
    assert found["ClusterType/workstation-ssh"]["spec"]["uiMetaUrl"].endswith("/ui-meta/workstation-external-ssh.yml")


def test_cluster_template_annotations_replace_the_templates_and_the_deprecated_ones_acl():
    own = {ALLOW_LIST: "p1", LIFETIME: "9"}
    variables = dict({"community_images_image_ids": IMAGE_IDS}, platforms_tenancy_deny_regex="-test$",
                     azimuth_capi_operator_cluster_template_annotations=own)
    found = objects(variables)
    assert found["ClusterTemplate/kube-1-33-10"]["annotations"] == dict(EMPTY_ACL, **own)
    assert resolve(variables)["deprecated_annotations"] == own


def test_community_images_extra_and_the_default_catalogs():
    found = upstream(community_images_extra={"kube_1_35": {"kubernetes_version": "v1.35.1"}},
                     community_images_image_ids=dict(IMAGE_IDS, kube_1_35="i35"))
    assert found["ClusterTemplate/kube-1-35-1"]["spec"]["values"]["machineImageId"] == "i35"
    assert "ClusterTemplate/kube-1-33-10" in found
    # a *_default catalog replaces the built-in one; _extra still merges into it
    found = upstream(azimuth_capi_operator_app_templates_default={"mine": APP},
                     azimuth_capi_operator_app_templates_extra={"more": APP})
    assert [n for n in found if n.startswith("AppTemplate/")] == ["AppTemplate/mine", "AppTemplate/more"]


def test_unsupported_upstream_variables_are_reported_by_name():
    variables = dict(builtins(), azimuth_capi_operator_chart_version="0.1", community_images_azimuth_images_version="0.34.0",
                     azimuth_caas_operator_release_overrides={}, azimuth_capi_operator_app_templates_jupyterhub_label="J")
    reported = resolve(variables)["unsupported"]
    assert [item["variable"] for item in reported] == [
        "azimuth_caas_operator_release_overrides", "azimuth_capi_operator_chart_version", "community_images_azimuth_images_version"]
    assert "azimuth-images manifest" in reported[2]["reason"]
    assert resolve(builtins())["unsupported"] == []


def test_every_azimuth_ops_variable_is_read_or_reported():
    """One list: each upstream variable with a watched prefix is one the catalog reads, or one UNSUPPORTED names."""
    listed = (Path(__file__).parent / "data" / "azimuth_ops_variables.txt").read_text().split("\n")
    names = [line.strip() for line in listed if line.strip() and not line.startswith("#")]
    read = c.builtin_names(c.known_prefixes())
    reported = set(item["variable"] for item in c.unsupported(names, read))
    assert sorted(name for name in names if name not in read and name not in reported) == []
    assert not read & reported
