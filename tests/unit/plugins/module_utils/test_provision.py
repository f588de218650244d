"""The provisioning run: one list of tenancies -> each step's input, and the summary table."""

import pytest

from ansible_collections.azimuth.ops.plugins.module_utils.common import _provision as pv

PHYSICS = {"id": "p1", "name": "physics"}
NETWORK = {"azimuth_openstack_create_internal_net": True, "azimuth_openstack_internal_net_cidr": "10.0.0.0/24",
           "azimuth_openstack_internal_net_template": None, "azimuth_openstack_internal_net_dns_nameservers": []}


def test_network_settings_map_to_module_options_and_nulls_are_left_out():
    assert pv.network_options(NETWORK) == {"create_internal_net": True, "internal_net_cidr": "10.0.0.0/24",
                                           "internal_net_dns_nameservers": []}
    with pytest.raises(pv.ProvisionError, match="unknown network settings azimuth_openstack_foo"):
        pv.network_options({"azimuth_openstack_foo": 1})


def test_openstack_mode_namespaces_and_networks_but_no_credentials():
    steps = pv.steps([dict(PHYSICS, cloud="physics", network={"internal_net_cidr": "10.1.0.0/24"}),
                      {"id": "c1", "name": "chemistry", "oidc_group": "/chem"}], "openstack", NETWORK)
    assert steps["tenancy_network_tenancies"] == [{"cloud": "physics", "options": {"internal_net_cidr": "10.1.0.0/24"}}]
    assert steps["tenancy_network_options"]["internal_net_cidr"] == "10.0.0.0/24"
    assert steps["tenancies_list"] == [PHYSICS, {"id": "c1", "name": "chemistry", "oidc_group": "/chem"}]
    assert steps["tenancies_app_credentials"] == []


def test_with_the_operators_connection_every_tenancy_with_an_id_goes_by_project():
    tenancies = [dict(PHYSICS, cloud="physics", network={"internal_net_cidr": "10.1.0.0/24"}),
                 {"id": "c1", "name": "chemistry"},
                 {"cloud": {"auth": {"project_name": "biology", "password": "p"}}, "app_credential": {"enabled": True}}]
    steps = pv.steps(tenancies, "openstack", NETWORK, operator_cloud="portal-admin")
    assert steps["tenancy_network_cloud"] == "portal-admin"
    assert steps["tenancy_network_tenancies"] == [
        {"project": "p1", "options": {"internal_net_cidr": "10.1.0.0/24"}}, {"project": "c1", "options": {}},
        {"cloud": tenancies[2]["cloud"], "options": {}}]  # no id: through its own cloud
    # without it, only the tenancies with a cloud, each through its own
    steps = pv.steps(tenancies, "openstack", NETWORK)
    assert steps["tenancy_network_cloud"] is None
    assert [list(entry) for entry in steps["tenancy_network_tenancies"]] == [["cloud", "options"]] * 2
    with pytest.raises(pv.ProvisionError, match="azimuth_openstack_operator_cloud must be a clouds.yaml cloud name or a dict"):
        pv.steps(tenancies, "openstack", NETWORK, operator_cloud=["portal-admin"])


def test_oidc_mode_adds_the_oidc_group_and_an_application_credential():
    credential = {"auth_url": "u", "application_credential_id": "i", "application_credential_secret": "s"}
    steps = pv.steps([dict(PHYSICS, cloud="physics"),
                      {"cloud": "demo", "app_credential": {"name": "portal", "roles": ["member"]}},
                      {"id": "b1", "name": "biology", "cloud": "bio", "credential": credential},
                      {"id": "t1", "name": "training", "cloud": "t", "app_credential": {"enabled": False}}], "oidc")
    assert steps["tenancies_list"] == [dict(PHYSICS, oidc_group="/physics"),
                                       {"id": "b1", "name": "biology", "credential": credential, "oidc_group": "/biology"},
                                       {"id": "t1", "name": "training", "oidc_group": "/training"}]
    assert steps["tenancies_app_credentials"] == [{"cloud": "physics"}, {"cloud": "demo", "name": "portal", "roles": ["member"]}]
    assert len(steps["tenancy_network_tenancies"]) == 4


def test_an_application_credential_can_be_asked_for_in_openstack_mode():
    steps = pv.steps([{"cloud": "demo", "app_credential": {"enabled": True}}], "openstack")
    assert steps["tenancies_app_credentials"] == [{"cloud": "demo"}]
    assert steps["tenancies_list"] == []


@pytest.mark.parametrize("tenancies, mode, message", [
    ([{"id": "x"}], "oidc", "azimuth_tenancies[0] (x): give both id and name, or neither"),
    ([{"cloud": "demo"}], "openstack", "azimuth_tenancies[0] (demo): give id and name; only a tenancy that gets an application credential"),
    ([{"cloud": {"auth": {"password": "TOPSECRET"}}}], "openstack", "azimuth_tenancies[0] (no name): give id and name"),
    ([dict(PHYSICS, app_credential={"enabled": True})], "oidc", "azimuth_tenancies[0] (physics): app_credential needs a cloud"),
    ([PHYSICS], "keystone", "azimuth_authentication_type must be one of openstack, oidc, got 'keystone'"),
])
def test_bad_tenancies_are_named(tenancies, mode, message):
    with pytest.raises(pv.ProvisionError) as error:
        pv.steps(tenancies, mode)
    assert message in str(error.value)
    assert "TOPSECRET" not in str(error.value)


# --- the summary ---------------------------------------------------------------------------------

PLATFORM_TYPES = [
    {"kind": "ClusterTemplate", "name": "kube", "annotations": {"acl.azimuth.stackhpc.com/allow-list": "p1"}},
    {"kind": "AppTemplate", "name": "jupyterhub", "annotations": {"acl.azimuth.stackhpc.com/deny-regex": "-test$"}},
    {"kind": "ClusterType", "name": "jupyterhub", "annotations": {}},
]
TENANCIES = [dict(PHYSICS, namespace="az-physics", created=True, changed=True),
             {"id": "t1", "name": "training-test", "namespace": "az-training-test", "created": False, "changed": False}]
NETWORKS = {"p1": {"internal_network": {"name": "portal-internal"}, "created": [{"type": "network"}, {"type": "router"}]}}


def test_summary_rows():
    rows = pv.summary_rows(TENANCIES, NETWORKS, {"p1": "az-physics"}, PLATFORM_TYPES)
    assert rows[0] == {"tenancy": "physics", "id": "p1", "network": "portal-internal", "namespace": "az-physics", "realm": "az-physics",
                       "allowed": ["kube", "AppTemplate/jupyterhub", "ClusterType/jupyterhub"],
                       "platform types": "kube, AppTemplate/jupyterhub, ClusterType/jupyterhub",
                       "changes": "network created, router created, namespace created"}
    assert rows[1]["allowed"] == ["ClusterType/jupyterhub"]
    assert rows[1]["network"] == "-" and rows[1]["realm"] == "-" and rows[1]["changes"] == "none"


def test_summary_lines_are_a_table_and_check_mode_is_a_prediction():
    result = pv.summary(TENANCIES, NETWORKS, None, PLATFORM_TYPES, {"platform_types": 3, "created": 3}, check_mode=True)
    lines = result["lines"]
    assert lines[0] == "Prediction (check mode, nothing was written): 2 tenancies"
    assert lines[1].split() == ["tenancy", "network", "namespace", "realm", "platform", "types", "changes"]
    assert lines[2].startswith("physics ") and lines[2].endswith("network would be created, router would be created, namespace would be created")
    assert lines[1].index("namespace") == lines[2].index("az-physics")
    assert lines[-1] == "platform types (predicted): 3 listed, 3 created, 0 updated, 0 unchanged, 0 deprecated, 0 retired"
    assert result["warnings"] == []


def test_summary_reports_a_bad_acl_by_tenancy():
    with pytest.raises(pv.ProvisionError, match="tenancy physics \\(p1\\): ClusterTemplate 'x': annotation acl.azimuth.stackhpc.com/allow-regex"):
        bad = {"kind": "ClusterTemplate", "name": "x", "annotations": {"acl.azimuth.stackhpc.com/allow-regex": "("}}
        pv.summary_rows(TENANCIES[:1], platform_types=[bad])


# --- the summary follows what the cluster holds; ACLs that deny everyone (issue 16) -----------------


def test_types_out_of_the_catalog_are_usable_by_no_tenancy():
    held = [dict(obj, offered=True) for obj in PLATFORM_TYPES]
    held.append({"kind": "ClusterType", "name": "rstudio", "annotations": {}, "offered": False})  # retired
    rows = pv.summary_rows(TENANCIES, platform_types=held)
    assert rows[0]["allowed"] == ["kube", "AppTemplate/jupyterhub", "ClusterType/jupyterhub"]
    assert pv.summary(TENANCIES, platform_types=held)["warnings"] == []


def test_a_type_no_tenancy_of_the_run_may_use_is_warned_about():
    denied = {"kind": "AppTemplate", "name": "gpu", "annotations": {"acl.azimuth.stackhpc.com/allow-list": "nobody"}}
    result = pv.summary(TENANCIES, platform_types=PLATFORM_TYPES + [denied])
    assert result["warnings"] == [
        "AppTemplate 'gpu': its ACL denies every tenancy of the run (physics, training-test); no tenancy can use it"]
    assert pv.summary([], platform_types=[denied])["warnings"] == []
