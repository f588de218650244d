"""The azimuth.ops.provision playbook with an operator's configuration in azimuth-ops names, against the sandbox.

Each test but the example's keeps to names of its own (tenancies ``<unique_name>-*``, whose
namespaces the ``kube_requests`` fixture deletes; platform types ``<unique_name>-*``, labelled and
deprecated only within that label) so that tests can run in parallel on the shared servers.
"""

import pytest

from sandbox.proxy import writes

from .conftest import REPO, save_results as save_task
from .test_platform_types import ALLOW_LIST, DENY_ALL, DENY_REGEX, LAST_APPLIED, LIFETIME, TEST_LABEL, acl_of
# a fixture, used by name
from .test_platform_types import platform_objects  # noqa: F401  # pylint: disable=unused-import

EXAMPLE = REPO / "examples" / "sandbox.yml"
PROVISION = {"ansible.builtin.import_playbook": "azimuth.ops.provision"}

# What upstream's ClusterTemplate CRD requires of a template's values.
KUBE_VALUES = {"kubernetesVersion": "1.33.10", "machineImageId": "img-133"}


def provision(run_playbook, env, *args, variables=None):
    """Run the provisioning playbook; ``run.results`` is its summary (rows and lines)."""
    save = {"name": "Save the summary", "hosts": "localhost", "connection": "local", "gather_facts": False,
            "tasks": [dict(save_task("azimuth_provision_summary"), check_mode=False)]}
    extra = ["-e", "@%s" % variables] if variables else []
    return run_playbook([PROVISION, save], *extra, *args, env=env)


def configuration(tmp_path, unique_name, **more):
    """An operator configuration of this test's own: three tenancies, a small catalog with ACLs, OIDC mode."""
    import yaml  # pylint: disable=import-outside-toplevel
    key = unique_name.replace("-", "_")
    variables = {
        "azimuth_authentication_type": "oidc",
        "azimuth_tenancies": [
            {"id": unique_name + "-p1", "name": unique_name + "-physics"},
            {"id": unique_name + "-c1", "name": unique_name + "-chemistry", "oidc_group": "/chem"},
            {"id": unique_name + "-t1", "name": unique_name + "-training-test"},
        ],
        "azimuth_capi_operator_cluster_templates": {unique_name + "-kube": {"spec": {"label": "K", "description": "D", "values": KUBE_VALUES}}},
        "azimuth_capi_operator_app_templates": {unique_name + "-notebooks": {"spec": {"chart": {"repo": "https://c.example.org", "name": "n"}}}},
        "azimuth_caas_cluster_templates": {unique_name + "-desktop": {"spec": {
            "gitUrl": "https://g.example.org/a.git", "gitVersion": "1", "playbook": "a.yml", "uiMetaUrl": "https://g.example.org/ui.yml"}}},
        "platforms_tenancy_deny_regex": "-test$",
        "azimuth_capi_operator_cluster_template_tenancy_allow_list": [unique_name + "-p1"],
        "azimuth_caas_%s_desktop_tenancy_deny_regex" % key: "",
        "azimuth_max_platform_lifetime_hours": 48,
        "platform_types_labels": {TEST_LABEL: unique_name},
        "platform_types_deprecate_selector": "%s=%s" % (TEST_LABEL, unique_name),
    }
    variables.update(more)
    path = tmp_path / "portal.yml"
    path.write_text(yaml.safe_dump(variables))
    return path


def test_provision_predicts_then_does_then_leaves_alone(run_playbook, kube_env, kube_requests, kube_core, platform_objects, tmp_path, unique_name):  # noqa: F811
    config = configuration(tmp_path, unique_name)
    with kube_requests.measure() as served:
        predicted = provision(run_playbook, kube_env, "--check", variables=config)
    assert predicted.ok, predicted.output
    assert writes(served) == {}
    rows = predicted.results["rows"]
    assert predicted.results["lines"][0] == "Prediction (check mode, nothing was written): 3 tenancies"
    assert [(r["tenancy"], r["namespace"], r["allowed"], r["changes"]) for r in rows] == [
        (unique_name + "-physics", "az-%s-physics" % unique_name, [unique_name + "-kube", unique_name + "-notebooks", unique_name + "-desktop"],
         "namespace would be created"),
        (unique_name + "-chemistry", "az-%s-chemistry" % unique_name, [unique_name + "-notebooks", unique_name + "-desktop"],
         "namespace would be created"),
        # the default deny-regex keeps training-test from the app; the desktop's own (empty) one lets it in
        (unique_name + "-training-test", "az-%s-training-test" % unique_name, [unique_name + "-desktop"], "namespace would be created"),
    ]
    assert predicted.results["lines"][-1] == "platform types (predicted): 3 listed, 3 created, 0 updated, 0 unchanged, 0 deprecated, 0 retired"

    done = provision(run_playbook, kube_env, variables=config)
    assert done.ok, done.output
    assert [dict(r, changes=r["changes"].replace("would be ", "")) for r in rows] == done.results["rows"]
    assert done.results["lines"][-1] == "platform types: 3 listed, 3 created, 0 updated, 0 unchanged, 0 deprecated, 0 retired"
    # read back: the namespaces (OIDC mode: each with its group) and the platform types with their ACLs
    annotations = kube_core.read_namespace("az-%s-chemistry" % unique_name).metadata.annotations
    assert annotations["tenant.azimuth-cloud.io/oidc-group"] == "/chem"
    annotations = kube_core.read_namespace("az-%s-physics" % unique_name).metadata.annotations
    assert annotations["tenant.azimuth-cloud.io/oidc-group"] == "/%s-physics" % unique_name
    kube = platform_objects.get("ClusterTemplate", unique_name + "-kube")["metadata"]["annotations"]
    assert (kube[ALLOW_LIST], kube[DENY_REGEX], kube[LIFETIME]) == (unique_name + "-p1", "-test$", "48")
    desktop = platform_objects.get("ClusterType", unique_name + "-desktop")["metadata"]["annotations"]
    assert desktop[DENY_REGEX] == "" and LAST_APPLIED in desktop

    with kube_requests.measure() as served:
        again = provision(run_playbook, kube_env, variables=config)
    assert again.ok, again.output
    assert writes(served) == {}
    assert [r["changes"] for r in again.results["rows"]] == ["none"] * 3
    assert "changed: [" not in again.output.split("Save the summary")[0]  # no task of the run changed anything


def test_a_template_dropped_from_the_configuration_is_deprecated(run_playbook, kube_env, platform_objects, tmp_path, unique_name):  # noqa: F811
    extra = {unique_name + "-kube-old": {"spec": {"label": "old", "description": "D", "values": KUBE_VALUES}}}
    templates = {unique_name + "-kube": {"spec": {"label": "K", "description": "D", "values": KUBE_VALUES}}}
    run = provision(run_playbook, kube_env, variables=configuration(
        tmp_path, unique_name, azimuth_capi_operator_cluster_templates=dict(templates, **extra)))
    assert run.ok, run.output
    run = provision(run_playbook, kube_env, variables=configuration(
        tmp_path, unique_name, azimuth_capi_operator_cluster_templates=templates,
        azimuth_capi_operator_cluster_template_tenancy_allow_list=[unique_name + "-c1"]))
    assert run.ok, run.output
    assert run.results["lines"][-1] == "platform types: 3 listed, 0 created, 1 updated, 2 unchanged, 1 deprecated, 0 retired"
    old = platform_objects.get("ClusterTemplate", unique_name + "-kube-old")
    assert old["spec"]["deprecated"] is True
    assert old["metadata"]["annotations"][ALLOW_LIST] == unique_name + "-c1"  # the current ACL of cluster templates


def refused_before_any_write(run_playbook, kube_env, kube_requests, openstack_requests, config, message):
    """Run the provisioning with ``config``: it must fail with ``message`` having sent no write and no OpenStack request."""
    env = dict(kube_env, OS_CLIENT_CONFIG_FILE=openstack_requests.clouds_yaml)
    with kube_requests.measure() as kube, openstack_requests.measure() as cloud:
        run = provision(run_playbook, env, variables=config)
    assert not run.ok
    assert message in run.output
    assert writes(kube) == {}
    assert cloud == {"keystone": {}, "neutron": {}}  # step 2 never started
    return run


@pytest.mark.parametrize("bad, message", [
    ({"azimuth_capi_operator_app_templates_notebok_tenancy_allow_list": ["x"]},
     "azimuth_capi_operator_app_templates_notebok_tenancy_allow_list names no platform type in the catalog (misspelt?)"),
    ({"platforms_tenancy_deny_regex": "(-test"}, "platforms_tenancy_deny_regex: deny_regex is not a valid regular expression"),
    ({"azimuth_authentication_type": "saml"}, "value of azimuth_authentication_type must be one of: openstack, oidc, got: saml"),
    ({"azimuth_openstack_create_internal_net": "perhaps"}, "azimuth_openstack_create_internal_net"),
    ({"azimuth_tenancies": [{"cloud": "sandbox-demo", "nme": "demo"}]}, "nme"),
    ({"azimuth_tenancies": [{"cloud": "sandbox-demo", "id": "only-an-id"}]}, "azimuth_tenancies[0] (only-an-id): give both id and name, or neither"),
    # issue 16: a misspelt variable, a regex that would hang the portal
    ({"platforms_tenancy_deny_lists": ["x"]}, "unknown variable platforms_tenancy_deny_lists (did you mean platforms_tenancy_deny_list?)"),
    ({"platforms_tenancy_deny_regex": "(a+)+$"}, "(from platforms_tenancy_deny_regex): the regular expression '(a+)+$' took longer than"),
])
def test_bad_variables_are_rejected_before_any_write(run_playbook, kube_env, kube_requests, openstack_requests, tmp_path, unique_name, bad, message):
    # with the demo project's cloud the run would write networks and a credential, were it to start
    config = configuration(tmp_path, unique_name, **dict({"azimuth_tenancies": [{"cloud": "sandbox-demo"}]}, **bad))
    refused_before_any_write(run_playbook, kube_env, kube_requests, openstack_requests, config, message)


def test_the_example_configuration(run_playbook, kube_env, kube_requests, platform_objects):  # noqa: F811
    """examples/sandbox.yml, as scripts/provision.sh runs it (its objects are the sandbox's own, kept)."""
    predicted = provision(run_playbook, kube_env, "--check", variables=EXAMPLE)
    assert predicted.ok, predicted.output
    done = provision(run_playbook, kube_env, variables=EXAMPLE)
    assert done.ok, done.output
    rows = dict((row["tenancy"], row) for row in done.results["rows"])
    assert [(r["tenancy"], r["allowed"]) for r in predicted.results["rows"]] == [(r["tenancy"], r["allowed"]) for r in done.results["rows"]]
    kube = ["kube-1-32-10", "kube-1-33-10", "kube-1-34-12"]
    apps = ["jupyterhub", "daskhub", "kubeflow", "binderhub", "argocd", "huggingface-llm"]
    assert rows["physics"]["allowed"] == kube + apps + ["slurm", "workstation", "workstation-ssh", "repo2docker", "rstudio"]
    assert rows["chemistry"]["allowed"] == kube + apps + ["repo2docker", "rstudio"]  # denied the workstations
    assert rows["training-test"]["allowed"] == apps[1:] + ["workstation", "workstation-ssh", "repo2docker", "rstudio"]
    assert rows["demo"]["namespace"] == "az-demo" and rows["demo"]["network"] == "portal-internal"
    slurm = platform_objects.get("ClusterType", "slurm")
    assert slurm["metadata"]["labels"]["azimuth-ops.azimuth-cloud.io/portal"] == "sandbox"
    assert slurm["metadata"]["annotations"][ALLOW_LIST] == "6b2f0c1e9a7d4f0e8c3b5a1d2e4f6a7b"
    assert slurm["metadata"]["annotations"][LIFETIME] == "720"
    with kube_requests.measure() as served:
        again = provision(run_playbook, kube_env, variables=EXAMPLE)
    assert again.ok, again.output
    assert not [route for route in writes(served) if "azimuth.stackhpc.com" in route]
    assert "platform types: 14 listed, 0 created, 0 updated, 14 unchanged, 0 deprecated" in again.output


# --- issue 16: conflicts found in step 1, types out of the catalog, ACLs that deny everyone ---------------


def foreign_app(platform_objects, unique_name):
    platform_objects.create("AppTemplate", unique_name + "-notebooks", {"chart": {"repo": "https://c.example.org", "name": "n"}},
                            labels={"app.kubernetes.io/managed-by": "Helm"})
    return "AppTemplate '%s-notebooks' is managed by Helm (label app.kubernetes.io/managed-by); it is not the collection's to change" % unique_name


def foreign_namespace(kube_core, unique_name):
    kube_core.create_namespace({"metadata": {"name": "az-%s-physics" % unique_name, "labels": {"app.kubernetes.io/managed-by": "Helm"}}})
    return "namespace az-%s-physics is managed by Helm (label app.kubernetes.io/managed-by); it is not the collection's to change" % unique_name


@pytest.mark.parametrize("conflict", [foreign_app, foreign_namespace])
def test_an_ownership_conflict_stops_the_run_in_step_one_before_networks_and_namespaces(
        run_playbook, kube_env, kube_requests, kube_core, openstack_requests, platform_objects, tmp_path, unique_name, conflict):  # noqa: F811
    message = conflict(platform_objects if conflict is foreign_app else kube_core, unique_name)
    config = configuration(tmp_path, unique_name)
    import yaml  # pylint: disable=import-outside-toplevel
    variables = yaml.safe_load(config.read_text())
    variables["azimuth_tenancies"].append({"cloud": "sandbox-demo"})  # the run would find or create its networks
    config.write_text(yaml.safe_dump(variables))
    run = refused_before_any_write(run_playbook, kube_env, kube_requests, openstack_requests, config, message)
    assert "Find or create each tenancy's networks" not in run.output


def test_a_type_dropped_from_the_configuration_leaves_the_catalog_and_the_summary(run_playbook, kube_env, platform_objects, tmp_path, unique_name):  # noqa: F811
    extra = unique_name + "-extra"
    apps = {unique_name + "-notebooks": {"spec": {"chart": {"repo": "https://c.example.org", "name": "n"}}}}
    run = provision(run_playbook, kube_env, variables=configuration(
        tmp_path, unique_name, azimuth_capi_operator_app_templates=dict(apps, **{extra: {"spec": {"chart": {"repo": "https://c.example.org", "name": "x"}}}})))
    assert run.ok, run.output
    assert {unique_name + "-notebooks", extra} <= set(run.results["rows"][0]["allowed"])
    # dropped, and the cluster templates now allowed to nobody of the run
    config = configuration(tmp_path, unique_name, azimuth_capi_operator_app_templates=apps,
                           azimuth_capi_operator_cluster_template_tenancy_allow_list=["nobody"])
    predicted = provision(run_playbook, kube_env, "--check", variables=config)
    assert predicted.ok, predicted.output
    run = provision(run_playbook, kube_env, variables=config)
    assert run.ok, run.output
    assert run.results["lines"][-1] == "platform types: 3 listed, 0 created, 1 updated, 2 unchanged, 0 deprecated, 1 retired"
    assert predicted.results["lines"][-1] == "platform types (predicted): 3 listed, 0 created, 1 updated, 2 unchanged, 0 deprecated, 1 retired"
    # the cluster holds what the configuration says: Azimuth offers the dropped app to no tenancy
    assert acl_of(platform_objects, "AppTemplate", extra) == DENY_ALL
    for row in run.results["rows"] + predicted.results["rows"]:
        assert extra not in row["allowed"] and unique_name + "-kube" not in row["allowed"]
    warning = ("ClusterTemplate '%s-kube': its ACL denies every tenancy of the run (%s-physics, %s-chemistry, %s-training-test)"
               % ((unique_name,) * 4))
    assert warning in " ".join(run.output.split())
    assert run.results["warnings"] == [warning + "; no tenancy can use it"]


# --- issue 18: the networks step in one module call, through the operator's connection or each tenancy's cloud ---------


def test_networks_in_one_call_through_the_operators_connection_or_each_tenancys_cloud(
        run_playbook, kube_env, openstack_admin, openstack_demo, tmp_path, unique_name):
    from .test_tenancy_network import EXTERNAL, Cloud, Names  # pylint: disable=import-outside-toplevel
    from .test_tenancy_network_batch import member_cloud  # pylint: disable=import-outside-toplevel
    names, cloud = Names(unique_name), Cloud(openstack_admin, openstack_demo)
    try:
        by_id, with_cloud = [cloud.project_with_member("%s-%d" % (unique_name, n)) for n in (1, 2)]
        own = names.options()
        del own["cloud"]
        tenancies = [{"id": by_id.id, "name": by_id.name, "network": own},
                     {"id": with_cloud.id, "name": with_cloud.name, "cloud": member_cloud(cloud, with_cloud.name, with_cloud.name),
                      "network": dict(own, internal_net_cidr="10.84.0.0/24")}]
        config = configuration(tmp_path, unique_name, azimuth_authentication_type="openstack", azimuth_tenancies=tenancies,
                               azimuth_openstack_operator_cloud="sandbox-admin", azimuth_openstack_external_net_template=EXTERNAL)
        step = "TASK [azimuth.ops.tenancy_network : Find or create the tenancies' networks, in one call]"

        predicted = provision(run_playbook, kube_env, "--check", variables=config)
        assert predicted.ok, predicted.output
        assert [r["changes"] for r in predicted.results["rows"]] == [
            "network would be created, subnet would be created, router would be created, namespace would be created"] * 2
        done = provision(run_playbook, kube_env, variables=config)
        assert done.ok, done.output
        assert predicted.output.count(step) == done.output.count(step) == 1
        assert [r["network"] for r in done.results["rows"]] == [names.net] * 2
        for project in (by_id, with_cloud):
            (network,) = cloud.find(names.net, project_id=project.id)  # owned by the tenancy's project
        assert [s.cidr for s in openstack_admin.network.subnets(network_id=network.id)] == ["10.84.0.0/24"]
        assert "sandbox-admin-pass" not in done.output and with_cloud.name + "-pass" not in done.output

        # Without the operator's connection: the tenancy with a cloud through its own (nothing to do), the other none.
        config = configuration(tmp_path, unique_name, azimuth_authentication_type="openstack", azimuth_tenancies=tenancies,
                               azimuth_openstack_external_net_template=EXTERNAL)
        again = provision(run_playbook, kube_env, variables=config)
        assert again.ok, again.output
        assert [(r["network"], r["changes"]) for r in again.results["rows"]] == [("-", "none"), (names.net, "none")]
    finally:
        cloud.clean(names)


def test_each_tenancy_cloud_authenticates_once_per_run_and_the_tokens_go_with_the_run(
        run_playbook, kube_env, kube_requests, openstack_admin, openstack_demo, openstack_requests, tmp_path, unique_name):
    """Checks, networks, project_info and app_credential share each cloud's token through the run's private directory."""
    from .test_tenancy_network import Cloud, Names  # pylint: disable=import-outside-toplevel
    from .test_tenancy_network_batch import member_cloud  # pylint: disable=import-outside-toplevel
    names, cloud = Names(unique_name), Cloud(openstack_admin, openstack_demo)
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = dict(kube_env, TMPDIR=str(temporary))  # where ansible.builtin.tempfile makes the run's token directory
    try:
        tenancies = []
        for n in (1, 2):
            project = cloud.project_with_member("%s-%d" % (unique_name, n))
            own = member_cloud(cloud, project.name, project.name)
            own["auth"]["auth_url"] = openstack_requests.keystone.url + "/v3"
            tenancies.append({"cloud": own, "network": {"internal_net_name": names.net, "router_name": names.router}})
        config = configuration(tmp_path, unique_name, azimuth_tenancies=tenancies)  # OIDC: each gets an application credential
        for args in (["--check"], [], []):  # predicted, first, no-op
            with openstack_requests.measure() as served:
                run = provision(run_playbook, env, *args, variables=config)
            assert run.ok, run.output
            assert served["keystone"].get("POST /v3/auth/tokens") == len(tenancies), (args, served["keystone"])
            assert list(temporary.iterdir()) == []  # the tokens went with the run
        assert [r["changes"] for r in run.results["rows"]] == ["none"] * 2
        assert all(project.name + "-pass" not in run.output for project in cloud.projects)
    finally:
        cloud.clean(names)
