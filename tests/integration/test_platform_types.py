"""azimuth.ops.platform_types and the platform_types role, through ansible-playbook, against the sandbox's kube-apiserver.

Platform types are cluster-scoped and the server is shared by tests running in parallel: every
object here has a name starting with this test's ``unique_name`` and the label ``TEST_LABEL`` with
it, and deprecation is always scoped with ``deprecate_selector`` to that label, so one test never
deprecates another's templates.  The ``platform_objects`` fixture deletes them (by name) afterwards.
"""

import json
import re

import pytest

from sandbox.proxy import dry_runs, writes

from .conftest import localhost_play, save_results as save_task


def save_results(expression):
    """Hand ``expression`` back to the test, in check mode too."""
    return dict(save_task(expression), check_mode=False)


TEST_LABEL = "azimuth-ops.azimuth-cloud.io/test"
KINDS = {"ClusterTemplate": ("azimuth.stackhpc.com", "clustertemplates"), "AppTemplate": ("azimuth.stackhpc.com", "apptemplates"),
         "ClusterType": ("caas.azimuth.stackhpc.com", "clustertypes")}
ALLOW_LIST = "acl.azimuth.stackhpc.com/allow-list"
DENY_LIST = "acl.azimuth.stackhpc.com/deny-list"
ALLOW_REGEX = "acl.azimuth.stackhpc.com/allow-regex"
DENY_REGEX = "acl.azimuth.stackhpc.com/deny-regex"
LIFETIME = "scheduling.azimuth.stackhpc.com/max-lifetime-hours"
MANAGED = "app.kubernetes.io/managed-by"
LAST_APPLIED = "azimuth-ops.azimuth-cloud.io/last-applied"
PORTAL = "azimuth-ops.azimuth-cloud.io/portal"
DENY_ALL = {ALLOW_LIST: "", DENY_LIST: "", ALLOW_REGEX: "", DENY_REGEX: ".*"}

CHART = {"repo": "https://charts.example.org", "name": "notebooks"}
APPLIANCE = {"gitUrl": "https://git.example.org/appliance.git", "gitVersion": "1.0.0", "playbook": "site.yml",
             "uiMetaUrl": "https://git.example.org/ui-meta.yml"}


class PlatformObjects:
    """Reads (and finally deletes) this test's platform-type objects, straight from the API server."""

    def __init__(self, api, unique_name):
        from kubernetes import client  # pylint: disable=import-outside-toplevel
        self.custom = client.CustomObjectsApi(api)
        self.unique = unique_name

    def get(self, kind, name):
        from kubernetes.client.rest import ApiException  # pylint: disable=import-outside-toplevel
        group, plural = KINDS[kind]
        try:
            return self.custom.get_cluster_custom_object(group, "v1alpha1", plural, name)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise

    def create(self, kind, name, spec, labels=None, annotations=None):
        group, plural = KINDS[kind]
        labels = dict({TEST_LABEL: self.unique}, **(labels or {}))
        body = {"apiVersion": group + "/v1alpha1", "kind": kind, "metadata": {"name": name, "labels": labels, "annotations": annotations or {}}, "spec": spec}
        return self.custom.create_cluster_custom_object(group, "v1alpha1", plural, body)

    def patch(self, kind, name, patch):
        group, plural = KINDS[kind]
        return self.custom.patch_cluster_custom_object(group, "v1alpha1", plural, name, patch)

    def delete_all(self):
        """Delete every object whose name starts with this test's unique name."""
        for group, plural in KINDS.values():
            for obj in self.custom.list_cluster_custom_object(group, "v1alpha1", plural)["items"]:
                if obj["metadata"]["name"].startswith(self.unique):
                    self.custom.delete_cluster_custom_object(group, "v1alpha1", plural, obj["metadata"]["name"])


@pytest.fixture
def platform_objects(sandbox_env, unique_name):
    from kubernetes import client, config  # pylint: disable=import-outside-toplevel
    configuration = client.Configuration()
    config.load_kube_config(config_file=sandbox_env["KUBECONFIG"], client_configuration=configuration)
    with client.ApiClient(configuration) as api:
        objects = PlatformObjects(api, unique_name)
        yield objects
        objects.delete_all()


@pytest.fixture
def scope(unique_name):
    """What every module call of a test shares: its label on each object, and deprecation scoped to it."""
    return {"labels": {TEST_LABEL: unique_name}, "selector": "%s=%s" % (TEST_LABEL, unique_name)}


def platform_types(run_playbook, env, scope, items, *args, **options):
    """Run azimuth.ops.platform_types once; returns the run (``run.results``: the module's result)."""
    items = [dict(item, labels=dict(item.get("labels") or {}, **scope["labels"])) for item in items]
    task = {"azimuth.ops.platform_types": dict({"platform_types": items, "deprecate_selector": scope["selector"]}, **options),
            "register": "result"}
    return run_playbook([localhost_play([task, save_results("result")])], *args, env=env)


# upstream's CRD requires a description and the machine image
KUBE_VALUES = {"kubernetesVersion": "1.33.10", "machineImageId": "img-133"}


def template(name, label="Kubernetes 1.33", **annotations):
    return {"kind": "ClusterTemplate", "name": name, "annotations": annotations,
            "spec": {"label": label, "description": "A template", "values": KUBE_VALUES}}


def test_objects_are_created_predicted_exactly_then_left_alone(run_playbook, kube_env, kube_requests, platform_objects, scope, unique_name):
    items = [
        template(unique_name + "-kube", **{ALLOW_LIST: "p1,p2", DENY_REGEX: ""}),
        {"kind": "AppTemplate", "name": unique_name + "-app", "annotations": {DENY_REGEX: "-test$"}, "spec": {"chart": CHART}},
        {"kind": "ClusterType", "name": unique_name + "-type", "annotations": {LIFETIME: "24"}, "spec": dict(APPLIANCE, jobTimeout=600)},
    ]
    # check mode: the prediction, each create asked of the API server as a dry run, and not one write
    with kube_requests.measure() as served:
        predicted = run = platform_types(run_playbook, kube_env, scope, items, "--check", "--diff")
    assert run.ok, run.output
    assert writes(served) == {}
    assert dry_runs(served) == {"DRYRUN POST /apis/azimuth.stackhpc.com/v1alpha1/clustertemplates": 1,
                                "DRYRUN POST /apis/azimuth.stackhpc.com/v1alpha1/apptemplates": 1,
                                "DRYRUN POST /apis/caas.azimuth.stackhpc.com/v1alpha1/clustertypes": 1}
    assert predicted.results["changed"] is True
    assert [r["action"] for r in predicted.results["platform_types"]] == ["created"] * 3
    for item in items:
        assert platform_objects.get(item["kind"], item["name"]) is None

    applied = run = platform_types(run_playbook, kube_env, scope, items, "--diff")
    assert run.ok, run.output
    assert applied.results["platform_types"] == predicted.results["platform_types"]
    assert applied.results["totals"] == predicted.results["totals"] == {
        "platform_types": 3, "created": 3, "updated": 0, "deleted": 0, "unchanged": 0, "deprecated": 0, "retired": 0,
        "adopted": 0, "unmanaged": 0}
    assert applied.results["diff"] == predicted.results["diff"]

    # read back from the API server
    kube = platform_objects.get("ClusterTemplate", unique_name + "-kube")
    assert kube["metadata"]["labels"] == {MANAGED: "azimuth-ops", PORTAL: "azimuth", TEST_LABEL: unique_name}
    assert dict((k, v) for k, v in kube["metadata"]["annotations"].items() if k != LAST_APPLIED) == {ALLOW_LIST: "p1,p2", DENY_REGEX: ""}
    assert kube["spec"] == {"label": "Kubernetes 1.33", "description": "A template", "values": KUBE_VALUES, "deprecated": False}
    app = platform_objects.get("AppTemplate", unique_name + "-app")
    assert app["spec"]["chart"] == CHART
    assert app["spec"] == {"chart": CHART}  # upstream's CRD defaults nothing, and the module adds nothing
    assert app["metadata"]["annotations"][DENY_REGEX] == "-test$"
    assert platform_objects.get("ClusterType", unique_name + "-type")["spec"]["jobTimeout"] == 600

    # the second run: one list per kind (and one per kind for the deprecation scope's selector), no write
    with kube_requests.measure() as served:
        again = run = platform_types(run_playbook, kube_env, scope, items)
    assert run.ok, run.output
    assert again.results["changed"] is False
    assert writes(served) == {}
    assert sum(served.values()) == 3 + 3


def test_owned_fields_change_and_others_are_kept(run_playbook, kube_env, kube_requests, platform_objects, scope, unique_name):
    name = unique_name + "-app"
    first = {"kind": "AppTemplate", "name": name, "annotations": {ALLOW_LIST: "p1", "example.org/note": "x"},
             "spec": {"chart": CHART, "logo": "https://example.org/logo.svg", "defaultValues": {"a": 1, "b": 2}}}
    run = platform_types(run_playbook, kube_env, scope, [first])
    assert run.ok, run.output
    # another tool adds its own annotation, label and spec field
    platform_objects.patch("AppTemplate", name, {"metadata": {"annotations": {"other/tool": "keep"}, "labels": {"team": "ml"}},
                                                 "spec": {"description": "set by hand"}})
    second = {"kind": "AppTemplate", "name": name, "annotations": {ALLOW_LIST: "p1,p2"},
              "spec": {"chart": CHART, "defaultValues": {"a": 1}}}
    result = run = platform_types(run_playbook, kube_env, scope, [second], "--diff")
    assert run.ok, run.output
    assert result.results["platform_types"][0]["action"] == "updated"
    app = platform_objects.get("AppTemplate", name)
    annotations = app["metadata"]["annotations"]
    assert annotations[ALLOW_LIST] == "p1,p2"
    assert "example.org/note" not in annotations  # the module's, no longer wanted
    assert annotations["other/tool"] == "keep"
    assert app["metadata"]["labels"]["team"] == "ml"
    assert "logo" not in app["spec"]
    assert app["spec"]["defaultValues"] == {"a": 1}
    assert app["spec"]["description"] == "set by hand"
    with kube_requests.measure() as served:
        again = run = platform_types(run_playbook, kube_env, scope, [second])
    assert again.results["changed"] is False and writes(served) == {}


def test_a_template_dropped_from_the_list_is_deprecated_with_the_current_acl(run_playbook, kube_env, kube_requests, platform_objects, scope, unique_name):
    old, new = unique_name + "-kube-old", unique_name + "-kube-new"
    first_acl = {ALLOW_LIST: "p1", DENY_LIST: "", ALLOW_REGEX: "", DENY_REGEX: "", LIFETIME: ""}
    run = platform_types(run_playbook, kube_env, scope, [template(old, **first_acl)], deprecated_annotations=first_acl)
    assert run.ok, run.output
    # another portal's template (its own label) that this one must never deprecate
    other = unique_name + "-other"
    platform_objects.create("ClusterTemplate", other, {"label": "other", "description": "o", "values": KUBE_VALUES},
                            labels={MANAGED: "azimuth-ops", TEST_LABEL: unique_name + "-elsewhere"})
    current_acl = {**first_acl, ALLOW_LIST: "p1,p2", DENY_REGEX: "-test$", LIFETIME: "720"}
    items = [template(new, **current_acl)]

    with kube_requests.measure() as served:
        predicted = run = platform_types(run_playbook, kube_env, scope, items, "--check", deprecated_annotations=current_acl)
    assert run.ok, run.output
    assert writes(served) == {}
    assert predicted.results["deprecated"] == [old]

    result = run = platform_types(run_playbook, kube_env, scope, items, deprecated_annotations=current_acl)
    assert run.ok, run.output
    assert result.results["deprecated"] == [old] and result.results["totals"] == predicted.results["totals"]
    deprecated = platform_objects.get("ClusterTemplate", old)
    assert deprecated is not None  # never deleted
    assert deprecated["spec"]["deprecated"] is True
    assert dict((k, v) for k, v in deprecated["metadata"]["annotations"].items() if k in current_acl) == current_acl
    assert "deprecated" not in platform_objects.get("ClusterTemplate", other)["spec"]  # left alone
    assert platform_objects.get("ClusterTemplate", new)["spec"]["deprecated"] is False

    with kube_requests.measure() as served:
        again = run = platform_types(run_playbook, kube_env, scope, items, deprecated_annotations=current_acl)
    assert run.ok and again.results["changed"] is False and again.results["deprecated"] == []
    assert writes(served) == {}

    # listed again, it is no longer deprecated
    result = run = platform_types(run_playbook, kube_env, scope, items + [template(old, **current_acl)], deprecated_annotations=current_acl)
    assert run.ok, run.output
    assert platform_objects.get("ClusterTemplate", old)["spec"]["deprecated"] is False


def test_state_absent_deletes_only_managed_objects(run_playbook, kube_env, platform_objects, scope, unique_name):
    ours, theirs = unique_name + "-ours", unique_name + "-theirs"
    run = platform_types(run_playbook, kube_env, scope, [{"kind": "ClusterType", "name": ours, "spec": APPLIANCE}])
    assert run.ok, run.output
    platform_objects.create("ClusterType", theirs, APPLIANCE)
    both = [{"kind": "ClusterType", "name": ours}, {"kind": "ClusterType", "name": theirs}]
    result = run = platform_types(run_playbook, kube_env, scope, both, state="absent")
    assert run.ok, run.output
    assert [r["action"] for r in result.results["platform_types"]] == ["deleted", "absent"]
    assert "ClusterType '%s' is not managed by azimuth-ops" % theirs in run.output
    assert platform_objects.get("ClusterType", theirs) is not None


# --- errors ----------------------------------------------------------------------------------------


def test_a_spec_the_api_server_rejects_names_the_object_and_the_field(run_playbook, kube_env, platform_objects, scope, unique_name):
    name = unique_name + "-bad"
    no_label = {"description": "d", "values": KUBE_VALUES}
    result = run = platform_types(run_playbook, kube_env, scope, [{"kind": "ClusterTemplate", "name": name, "spec": no_label}])
    assert not run.ok
    assert ("Could not create ClusterTemplate '%s': the API server rejected it: spec.label: Required value. "
            "Written before this failure: nothing" % name) in run.output
    result = run = platform_types(run_playbook, kube_env, scope, [{"kind": "ClusterType", "name": name, "spec": dict(APPLIANCE, jobTimout=5)}])
    assert not run.ok
    assert "Could not create ClusterType '%s': the API server rejected it" % name in run.output
    assert 'unknown field \\"spec.jobTimout\\"' in run.output
    assert platform_objects.get("ClusterType", name) is None


def test_check_mode_fails_on_what_the_api_server_would_reject_and_writes_nothing(
        run_playbook, kube_env, kube_requests, platform_objects, scope, unique_name):
    good, bad = unique_name + "-good", unique_name + "-bad"
    items = [{"kind": "ClusterType", "name": good, "spec": APPLIANCE},
             {"kind": "ClusterTemplate", "name": bad, "spec": {"description": "d", "values": KUBE_VALUES}}]
    with kube_requests.measure() as served:
        run = platform_types(run_playbook, kube_env, scope, items, "--check")
    assert not run.ok
    assert ("Could not create ClusterTemplate '%s': the API server rejected it: spec.label: Required value. "
            "Nothing was written (check mode asked the API server with a dry run)" % bad) in run.output
    assert '"changed": false' in run.output
    assert writes(served) == {} and sum(dry_runs(served).values()) == 2
    assert platform_objects.get("ClusterType", good) is None and platform_objects.get("ClusterTemplate", bad) is None
    # strict field validation in the dry run too: a misspelt field of an object that exists
    platform_types(run_playbook, kube_env, scope, items[:1])
    with kube_requests.measure() as served:
        run = platform_types(run_playbook, kube_env, scope, [dict(items[0], spec=dict(APPLIANCE, jobTimout=5))], "--check")
    assert not run.ok
    assert "Could not patch ClusterType '%s': the API server rejected it" % good in run.output
    assert 'unknown field \\"spec.jobTimout\\"' in run.output
    assert writes(served) == {} and list(dry_runs(served)) == [
        "DRYRUN PATCH /apis/caas.azimuth.stackhpc.com/v1alpha1/clustertypes/" + good]
    assert "jobTimout" not in platform_objects.get("ClusterType", good)["spec"]


def test_a_failure_after_a_write_says_what_was_written(run_playbook, kube_env, platform_objects, scope, unique_name):
    good, bad = unique_name + "-good", unique_name + "-bad"
    run = platform_types(run_playbook, kube_env, scope, [
        {"kind": "ClusterType", "name": good, "spec": APPLIANCE},
        {"kind": "ClusterType", "name": bad, "spec": dict(APPLIANCE, jobTimeout="ten")}])
    assert not run.ok
    assert "Written before this failure: create ClusterType '%s'" % good in run.output
    assert '"changed": true' in run.output


def test_a_missing_crd_is_named_with_the_operator_that_installs_it(run_playbook, kube_env, kube_requests, scope, unique_name):
    # the API server answers 404 for a resource no CRD serves; the proxy gives that answer
    kube_requests.inject_fault(count=1, status=404, method="GET", path_regex="^/apis/caas.azimuth.stackhpc.com/v1alpha1/clustertypes$")
    with kube_requests.measure() as served:
        run = platform_types(run_playbook, kube_env, scope, [{"kind": "ClusterType", "name": unique_name, "spec": APPLIANCE}])
    assert not run.ok
    assert ("The ClusterType CRD (clustertypes.caas.azimuth.stackhpc.com, caas.azimuth.stackhpc.com/v1alpha1) is not installed "
            "in this cluster: install azimuth-caas-operator, which provides it, then run again") in run.output
    assert writes(served) == {}


def test_bad_annotations_and_foreign_objects_are_refused_before_any_write(run_playbook, kube_env, kube_requests, platform_objects, scope, unique_name):
    foreign = unique_name + "-helm"
    platform_objects.create("AppTemplate", foreign, {"chart": CHART}, labels={MANAGED: "Helm"})
    with kube_requests.measure() as served:
        run = platform_types(run_playbook, kube_env, scope, [template(unique_name + "-a", **{ALLOW_LIST: 123})])
    assert not run.ok
    assert "ClusterTemplate '%s-a': annotation %s must be a string, got an integer 123 (quote it in YAML)" % (unique_name, ALLOW_LIST) in run.output
    with kube_requests.measure() as more:
        run = platform_types(run_playbook, kube_env, scope, [
            {"kind": "AppTemplate", "name": unique_name + "-fine", "spec": {"chart": CHART}},
            {"kind": "AppTemplate", "name": foreign, "spec": {"chart": CHART}}])
    assert not run.ok
    assert "AppTemplate '%s' is managed by Helm (label %s); it is not the collection's to change" % (foreign, MANAGED) in run.output
    assert writes(served) == {} and writes(more) == {}
    assert platform_objects.get("AppTemplate", unique_name + "-fine") is None


# --- the role, with azimuth-ops variables -----------------------------------------------------------


def role_play(variables, entry="main"):
    task = {"ansible.builtin.include_role": {"name": "azimuth.ops.platform_types", "tasks_from": entry}}
    return localhost_play([task, save_results("platform_types_catalog")], vars=variables)


def role_variables(unique_name, **more):
    """A catalog of this test's own (the combined variables replace the built-ins), scoped to its label."""
    variables = {
        "azimuth_capi_operator_cluster_templates": {unique_name + "-kube": {"spec": {"label": "K", "description": "D", "values": KUBE_VALUES}}},
        "azimuth_capi_operator_app_templates": {unique_name + "-notebooks": {"spec": {"chart": CHART}}},
        "azimuth_caas_cluster_templates": {unique_name + "-desktop": {"spec": APPLIANCE}},
        "platform_types_labels": {TEST_LABEL: unique_name},
        "platform_types_deprecate_selector": "%s=%s" % (TEST_LABEL, unique_name),
    }
    variables.update(more)
    return variables


def test_the_role_applies_the_operators_acl_variables(run_playbook, kube_env, kube_requests, platform_objects, unique_name):
    key = unique_name.replace("-", "_")
    variables = role_variables(
        unique_name,
        platforms_tenancy_deny_list=["banned"],
        platforms_tenancy_allow_regex="^(physics|chemistry)$",
        azimuth_capi_operator_cluster_template_tenancy_allow_list=["p1"],
        azimuth_max_platform_lifetime_hours=720,
        **{"azimuth_capi_operator_app_templates_%s_notebooks_tenancy_allow_regex" % key: "",
           "azimuth_caas_stackhpc_%s_desktop_tenancy_deny_list" % key: [],
           "azimuth_caas_%s_desktop_max_lifetime_hours" % key: 24})
    with kube_requests.measure() as served:
        run = run_playbook([role_play(variables)], "--check", env=kube_env)
    assert run.ok, run.output
    assert writes(served) == {}
    run = run_playbook([role_play(variables)], env=kube_env)
    assert run.ok, run.output
    assert "platform types: 3 listed, 3 created, 0 updated, 0 unchanged, 0 deprecated" in run.output

    def acl(kind, name):
        annotations = platform_objects.get(kind, name)["metadata"]["annotations"]
        return dict((k, v) for k, v in annotations.items() if k != LAST_APPLIED)
    assert acl("ClusterTemplate", unique_name + "-kube") == {
        ALLOW_LIST: "p1", DENY_LIST: "banned", ALLOW_REGEX: "^(physics|chemistry)$", DENY_REGEX: "", LIFETIME: "720"}
    assert acl("AppTemplate", unique_name + "-notebooks") == {ALLOW_LIST: "", DENY_LIST: "banned", ALLOW_REGEX: "", DENY_REGEX: ""}
    assert acl("ClusterType", unique_name + "-desktop") == {
        ALLOW_LIST: "", DENY_LIST: "", ALLOW_REGEX: "^(physics|chemistry)$", DENY_REGEX: "", LIFETIME: "24"}
    assert run.results["sources"]["ClusterType/%s-desktop" % unique_name]["deny_list"] == "azimuth_caas_stackhpc_%s_desktop_tenancy_deny_list" % key

    with kube_requests.measure() as served:
        run = run_playbook([role_play(variables)], env=kube_env)
    assert run.ok, run.output
    assert writes(served) == {}
    assert "platform types: 3 listed, 0 created, 0 updated, 3 unchanged, 0 deprecated" in run.output


@pytest.mark.parametrize("bad, message", [
    ({"azimuth_caas_workstaton_tenancy_allow_list": ["p1"]}, "azimuth_caas_workstaton_tenancy_allow_list names no platform type in the catalog (misspelt?)"),
    ({"platforms_tenancy_allow_regex": "(physics"}, "platforms_tenancy_allow_regex: allow_regex is not a valid regular expression '(physics'"),
    ({"azimuth_capi_operator_cluster_template_tenancy_deny_list": {"p1": True}}, "azimuth_capi_operator_cluster_template_tenancy_deny_list"),
    ({"platform_types_kubernetes": {"kubeconfg": "/x"}}, "kubeconfg"),
    # issue 16: misspelt variables name the nearest known one; catastrophic regexes; types in words
    ({"platforms_tenancy_deny_lists": ["p1"]}, "unknown variable platforms_tenancy_deny_lists (did you mean platforms_tenancy_deny_list?)"),
    ({"platforms_tenancy_deny_regexp": "-test$"}, "unknown variable platforms_tenancy_deny_regexp (did you mean platforms_tenancy_deny_regex?)"),
    ({"azimuth_capi_operator_app_templates_jupyterhub_enable": False},
     "unknown variable azimuth_capi_operator_app_templates_jupyterhub_enable (did you mean azimuth_capi_operator_app_templates_jupyterhub_enabled?)"),
    ({"azimuth_max_platform_lifetime_hour": 24},
     "unknown variable azimuth_max_platform_lifetime_hour (did you mean azimuth_max_platform_lifetime_hours?)"),
    ({"platforms_tenancy_deny_regex": "(a+)+$"}, "annotation acl.azimuth.stackhpc.com/deny-regex (from platforms_tenancy_deny_regex): "
                                                 "the regular expression '(a+)+$' took longer than 0.5s on 64 x 'a' then '!' (catastrophic backtracking)"),
    ({"platform_types_labels": {"team": ["ml"]}}, "platform_types_labels: label team must be a string, got a list"),
])
def test_the_role_rejects_bad_variables_before_any_write(run_playbook, kube_env, kube_requests, platform_objects, unique_name, bad, message):
    with kube_requests.measure() as served:
        run = run_playbook([role_play(role_variables(unique_name, **bad))], env=kube_env)
    assert not run.ok
    assert message in run.output
    assert writes(served) == {}


# --- issue 16: the portal's own objects, types out of the catalog, regexes, inherited ACLs -----------------


def acl_of(platform_objects, kind, name):
    annotations = platform_objects.get(kind, name)["metadata"]["annotations"]
    return dict((k, v) for k, v in annotations.items() if k.startswith("acl."))


def test_unlisted_app_templates_and_cluster_types_of_the_portal_get_an_acl_that_denies_all(
        run_playbook, kube_env, kube_requests, platform_objects, scope, unique_name):
    app, desktop, kube, other = unique_name + "-app", unique_name + "-type", unique_name + "-kube", unique_name + "-other"
    acl = {ALLOW_LIST: "p1", DENY_LIST: "", ALLOW_REGEX: "", DENY_REGEX: ""}
    items = [{"kind": "AppTemplate", "name": app, "annotations": acl, "spec": {"chart": CHART}},
             {"kind": "ClusterType", "name": desktop, "annotations": acl, "spec": APPLIANCE}, template(kube)]
    run = platform_types(run_playbook, kube_env, scope, items, portal=unique_name)
    assert run.ok, run.output
    # another portal's app template on the same cluster, managed by the collection too
    run = platform_types(run_playbook, kube_env, scope, [{"kind": "AppTemplate", "name": other, "spec": {"chart": CHART}}],
                         portal=unique_name + "-b")
    assert run.ok, run.output
    assert platform_objects.get("AppTemplate", other)["metadata"]["labels"][PORTAL] == unique_name + "-b"

    with kube_requests.measure() as served:
        predicted = run = platform_types(run_playbook, kube_env, scope, [template(kube)], "--check", portal=unique_name)
    assert run.ok, run.output
    assert writes(served) == {}
    assert predicted.results["retired"] == ["AppTemplate/" + app, "ClusterType/" + desktop]
    assert acl_of(platform_objects, "AppTemplate", app) == acl

    done = run = platform_types(run_playbook, kube_env, scope, [template(kube)], portal=unique_name)
    assert run.ok, run.output
    assert done.results["retired"] == predicted.results["retired"] and done.results["totals"]["retired"] == 2
    assert done.results["objects"] == predicted.results["objects"]
    assert acl_of(platform_objects, "AppTemplate", app) == DENY_ALL  # Azimuth offers it to no tenancy
    assert acl_of(platform_objects, "ClusterType", desktop) == DENY_ALL
    assert platform_objects.get("ClusterType", desktop) is not None  # never deleted: platforms may use it
    assert acl_of(platform_objects, "AppTemplate", other) == {}  # another portal's: left alone
    offered = dict((o["name"], o["offered"]) for o in done.results["objects"])
    assert offered == {kube: True, app: False, desktop: False}

    with kube_requests.measure() as served:
        again = run = platform_types(run_playbook, kube_env, scope, [template(kube)], portal=unique_name)
    assert run.ok and again.results["changed"] is False and writes(served) == {}

    # listed again, it gets its own ACL back
    run = platform_types(run_playbook, kube_env, scope, items, portal=unique_name)
    assert run.ok, run.output
    assert acl_of(platform_objects, "AppTemplate", app) == acl


def test_another_portals_platform_type_is_not_changed(run_playbook, kube_env, kube_requests, platform_objects, scope, unique_name):
    name = unique_name + "-app"
    item = {"kind": "AppTemplate", "name": name, "spec": {"chart": CHART}}
    run = platform_types(run_playbook, kube_env, scope, [item], portal=unique_name + "-b")
    assert run.ok, run.output
    with kube_requests.measure() as served:
        run = platform_types(run_playbook, kube_env, scope, [dict(item, annotations={ALLOW_LIST: "p1"})], portal=unique_name)
    assert not run.ok
    assert ("AppTemplate '%s' belongs to the portal %s-b (label %s=%s-b), not to %s; it is not this run's to change"
            % (name, unique_name, PORTAL, unique_name, unique_name)) in run.output
    assert writes(served) == {}


def test_a_catastrophic_regex_is_refused_before_any_write(run_playbook, kube_env, kube_requests, platform_objects, scope, unique_name):
    name = unique_name + "-app"
    with kube_requests.measure() as served:
        run = platform_types(run_playbook, kube_env, scope, [
            {"kind": "AppTemplate", "name": name, "annotations": {DENY_REGEX: "(a+)+$"}, "spec": {"chart": CHART}}])
    assert not run.ok
    assert "AppTemplate '%s', annotation %s: the regular expression '(a+)+$' took longer than" % (name, DENY_REGEX) in run.output
    assert "catastrophic backtracking" in run.output
    assert writes(served) == {}
    assert platform_objects.get("AppTemplate", name) is None


def test_the_role_gives_an_entry_with_its_own_acl_that_acl_whole(run_playbook, kube_env, platform_objects, unique_name):
    """An own allow-list must not keep the inherited allow-regex beside it (that would let biology in too)."""
    gpu = unique_name + "-gpu"
    variables = role_variables(
        unique_name, platforms_tenancy_allow_regex="^(physics|biology)$",
        azimuth_capi_operator_app_templates={unique_name + "-notebooks": {"spec": {"chart": CHART}}},
        azimuth_capi_operator_app_templates_extra={gpu: {"spec": {"chart": CHART}, "annotations": {ALLOW_LIST: "physics-id"}}})
    # the combined variable replaces the extras: put the GPU app in it
    variables["azimuth_capi_operator_app_templates"][gpu] = variables.pop("azimuth_capi_operator_app_templates_extra")[gpu]
    run = run_playbook([role_play(variables)], env=kube_env)
    assert run.ok, run.output
    assert acl_of(platform_objects, "AppTemplate", gpu) == {ALLOW_LIST: "physics-id", DENY_LIST: "", ALLOW_REGEX: "", DENY_REGEX: ""}
    assert acl_of(platform_objects, "AppTemplate", unique_name + "-notebooks")[ALLOW_REGEX] == "^(physics|biology)$"


# --- issue 19: upstream's variables as azimuth-ops renders them; adopting what azimuth-ops made ----------------

# The built-in types have fixed names that the sandbox's own portal uses: these tests render them from upstream's
# variables with the lookup, then apply them under this test's names (the spec is what the portal would get).
RENAMED = """{%- set out = [] -%}
{%- for obj in catalog.platform_types if obj.name in wanted -%}
{%- set ignored = out.append(obj | combine({'name': prefix ~ obj.name, 'labels': test_labels})) -%}
{%- endfor -%}
{{ out }}"""
IMAGE_IDS = {"kube_1_32": "img-132", "kube_1_33": "img-133", "kube_1_34": "img-134", "openhpc": "img-hpc",
             "workstation": "img-ws", "repo2docker": "img-r2d", "rstudio": "img-rs"}


def upstream_play(unique_name, scope, variables, wanted):
    """Work out the catalog from ``variables`` (upstream names), apply the ``wanted`` built-ins as ``<unique_name>-<name>``."""
    tasks = [
        {"ansible.builtin.set_fact": {"catalog": "{{ lookup('azimuth.ops.platform_catalog') }}"}},
        {"azimuth.ops.platform_types": {"platform_types": RENAMED, "deprecate_selector": scope["selector"]}, "register": "result"},
        save_results("{'catalog': catalog, 'result': result}"),
    ]
    play_vars = dict(variables, wanted=wanted, prefix=unique_name + "-", test_labels=scope["labels"])
    return localhost_play(tasks, vars=play_vars)


def test_upstream_variables_reach_the_objects_as_azimuth_ops_renders_them(run_playbook, kube_env, kube_requests, platform_objects, scope, unique_name):
    variables = {
        "community_images_image_ids": IMAGE_IDS,
        "ingress_tls_enabled": False,
        "azimuth_capi_operator_app_templates_jupyterhub_label": "Jupyter notebooks",
        "azimuth_capi_operator_app_templates_jupyterhub_default_values": {"jupyterhub": {"singleuser": {"memory": {"guarantee": "4G"}}}},
        "azimuth_capi_operator_app_templates_daskhub_annotations": {ALLOW_LIST: "p1"},
        "azimuth_caas_workstation_extra_vars_overrides": {"cluster_volume_size": 50},
        "azimuth_caas_stackhpc_workstation_extra_vars_overrides": {"cluster_flavor": "m1.large", "cluster_volume_size": 10},
        "community_images_extra": {"kube_1_35": {"kubernetes_version": "v1.35.0"}},
        "azimuth_capi_operator_cluster_template_annotations": {ALLOW_LIST: "p2", LIFETIME: "12"},
        # set, but not read: reported by name
        "azimuth_capi_operator_chart_version": "0.20.0",
    }
    variables["community_images_image_ids"] = dict(IMAGE_IDS, kube_1_35="img-135")
    wanted = ["jupyterhub", "daskhub", "binderhub", "huggingface-llm", "workstation", "workstation-ssh", "kube-1-35-0"]
    with kube_requests.measure() as served:
        predicted = run_playbook([upstream_play(unique_name, scope, variables, wanted)], "--check", env=kube_env)
    assert predicted.ok, predicted.output
    assert writes(served) == {}
    run = run_playbook([upstream_play(unique_name, scope, variables, wanted)], env=kube_env)
    assert run.ok, run.output
    assert run.results["result"]["platform_types"] == predicted.results["result"]["platform_types"]

    def spec(kind, name):
        return platform_objects.get(kind, unique_name + "-" + name)["spec"]
    jupyterhub = spec("AppTemplate", "jupyterhub")
    assert jupyterhub["label"] == "Jupyter notebooks"
    assert jupyterhub["defaultValues"] == {"jupyterhub": {"singleuser": {"memory": {"guarantee": "4G"}}}}
    assert spec("AppTemplate", "binderhub")["defaultValues"] == {"binderhub_oauth_use_https": False}
    assert spec("AppTemplate", "huggingface-llm")["description"].endswith("large language model\n(requires a GPU node group on the target cluster).\n")
    assert acl_of(platform_objects, "AppTemplate", unique_name + "-daskhub") == {ALLOW_LIST: "p1", DENY_LIST: "", ALLOW_REGEX: "", DENY_REGEX: ""}
    workstation = {"cluster_image": "img-ws", "ansible_init_collections": [], "ansible_init_playbooks": [],
                   "cluster_flavor": "m1.large", "cluster_volume_size": 50}
    assert spec("ClusterType", "workstation")["extraVars"] == workstation
    assert spec("ClusterType", "workstation-ssh")["extraVars"] == workstation
    kube = platform_objects.get("ClusterTemplate", unique_name + "-kube-1-35-0")
    assert kube["spec"]["values"]["machineImageId"] == "img-135" and kube["spec"]["label"] == "v1.35.0 [Replace optional NGINX Ingress with Traefik]"
    assert kube["metadata"]["annotations"][ALLOW_LIST] == "p2" and kube["metadata"]["annotations"][LIFETIME] == "12"
    # the variable the collection does not read is named, in a warning and in the lookup's result
    assert run.results["catalog"]["unsupported"] == [{"variable": "azimuth_capi_operator_chart_version",
                                                      "reason": "the collection does not install azimuth-capi-operator nor set its Helm values"}]
    assert "does not read the azimuth-ops variable azimuth_capi_operator_chart_version" in run.output
    # again: nothing to write
    with kube_requests.measure() as served:
        again = run_playbook([upstream_play(unique_name, scope, variables, wanted)], env=kube_env)
    assert again.ok and again.results["result"]["changed"] is False and writes(served) == {}


def test_a_missing_image_stops_the_role_before_any_write_naming_the_key_and_the_variable(run_playbook, kube_env, kube_requests, unique_name):
    variables = {"community_images_image_ids": dict((k, v) for k, v in IMAGE_IDS.items() if k != "workstation"),
                 "platform_types_portal": unique_name}
    with kube_requests.measure() as served:
        run = run_playbook([role_play(variables)], env=kube_env)
    assert not run.ok
    assert ("ClusterType 'workstation' needs the image community_images_image_ids[workstation] (or azimuth_caas_workstation_image)"
            in run.output)
    assert writes(served) == {}


def made_by_azimuth_ops(platform_objects, kind, name, spec, acl=None):
    """An object as azimuth-ops' roles leave it: applied with kubectl apply, no managed-by label, an open ACL."""
    annotations = dict({"kubectl.kubernetes.io/last-applied-configuration": "{}", ALLOW_LIST: "", DENY_LIST: ""}, **(acl or {}))
    platform_objects.create(kind, name, spec, annotations=annotations)


ADOPTED = "azimuth-ops.azimuth-cloud.io/adopted"


def test_without_adopt_a_listed_object_azimuth_ops_made_is_refused_before_any_write(
        run_playbook, kube_env, kube_requests, platform_objects, scope, unique_name):
    name = unique_name + "-kube"
    made_by_azimuth_ops(platform_objects, "ClusterTemplate", name, {"label": "old", "description": "old", "values": KUBE_VALUES})
    items = [template(unique_name + "-new"), template(name)]
    for args in (["--check"], []):
        with kube_requests.measure() as served:
            run = platform_types(run_playbook, kube_env, scope, items, *args)
        assert not run.ok
        assert ("ClusterTemplate '%s' (made by azimuth-ops) exists without the label app.kubernetes.io/managed-by" % name) in run.output
        assert "adopt=true (role variable platform_types_adopt)" in run.output and "nothing was written" in run.output
        assert writes(served) == {}
    assert platform_objects.get("ClusterTemplate", unique_name + "-new") is None
    assert MANAGED not in platform_objects.get("ClusterTemplate", name)["metadata"]["labels"]


def test_with_adopt_an_object_azimuth_ops_made_is_taken_over_and_recorded_once(
        run_playbook, kube_env, kube_requests, platform_objects, scope, unique_name):
    name = unique_name + "-app"
    made_by_azimuth_ops(platform_objects, "AppTemplate", name, {"chart": CHART}, acl={ALLOW_REGEX: "^old$"})
    items = [{"kind": "AppTemplate", "name": name, "annotations": {ALLOW_LIST: "p1"}, "spec": {"chart": CHART, "label": "Notebooks"}}]
    with kube_requests.measure() as served:
        predicted = platform_types(run_playbook, kube_env, scope, items, "--check", adopt=True)
    assert predicted.ok, predicted.output
    assert writes(served) == {} and predicted.results["adopted"] == ["AppTemplate/" + name]
    done = platform_types(run_playbook, kube_env, scope, items, adopt=True)
    assert done.ok, done.output
    assert done.results["adopted"] == predicted.results["adopted"] and done.results["platform_types"] == predicted.results["platform_types"]
    obj = platform_objects.get("AppTemplate", name)
    assert obj["metadata"]["labels"][MANAGED] == "azimuth-ops" and obj["metadata"]["labels"][PORTAL] == "azimuth"
    record = json.loads(obj["metadata"]["annotations"][ADOPTED])
    assert record["from"] == "azimuth-ops" and record["acl"] == {ALLOW_LIST: "", DENY_LIST: "", ALLOW_REGEX: "^old$"}
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", record["at"])
    assert obj["spec"]["label"] == "Notebooks" and obj["metadata"]["annotations"][ALLOW_LIST] == "p1"
    with kube_requests.measure() as served:
        again = platform_types(run_playbook, kube_env, scope, items, adopt=True)
    assert again.ok and again.results["changed"] is False and writes(served) == {}
    assert json.loads(platform_objects.get("AppTemplate", name)["metadata"]["annotations"][ADOPTED]) == record


def test_an_unlisted_object_azimuth_ops_made_is_reported_then_deprecated_with_adopt(
        run_playbook, kube_env, kube_requests, platform_objects, scope, unique_name):
    old, app, kube = unique_name + "-kube-old", unique_name + "-kubeflow", unique_name + "-kube"
    old_values = dict(KUBE_VALUES, kubernetesVersion="1.29.7")
    made_by_azimuth_ops(platform_objects, "ClusterTemplate", old, {"label": "old", "description": "old", "values": old_values})
    made_by_azimuth_ops(platform_objects, "AppTemplate", app, {"chart": CHART})
    deprecated = {ALLOW_LIST: "p1", DENY_LIST: "", ALLOW_REGEX: "", DENY_REGEX: "", LIFETIME: "24"}
    with kube_requests.measure() as served:
        run = platform_types(run_playbook, kube_env, scope, [template(kube)], deprecated_annotations=deprecated)
    assert run.ok, run.output
    assert run.results["unmanaged"] == ["AppTemplate/" + app, "ClusterTemplate/" + old]
    assert ("ClusterTemplate '%s' is not in the catalog but was made by azimuth-ops" % old) in run.output
    assert "still selectable" in run.output and "platform_types_adopt" in run.output
    assert [route for route in writes(served) if old in route or app in route] == []
    assert platform_objects.get("ClusterTemplate", old)["spec"].get("deprecated") is not True

    with kube_requests.measure() as served:
        predicted = platform_types(run_playbook, kube_env, scope, [template(kube)], "--check", adopt=True, deprecated_annotations=deprecated)
    assert predicted.ok and writes(served) == {}
    done = platform_types(run_playbook, kube_env, scope, [template(kube)], adopt=True, deprecated_annotations=deprecated)
    assert done.ok, done.output
    for key in ("adopted", "deprecated", "retired"):
        assert done.results[key] == predicted.results[key], key
    assert done.results["deprecated"] == [old] and done.results["retired"] == ["AppTemplate/" + app]
    template_ = platform_objects.get("ClusterTemplate", old)
    assert template_["spec"]["deprecated"] is True and acl_of(platform_objects, "ClusterTemplate", old) == dict(
        (k, v) for k, v in deprecated.items() if k != LIFETIME)
    assert template_["metadata"]["labels"][MANAGED] == "azimuth-ops" and ADOPTED in template_["metadata"]["annotations"]
    assert acl_of(platform_objects, "AppTemplate", app) == DENY_ALL
    with kube_requests.measure() as served:
        again = platform_types(run_playbook, kube_env, scope, [template(kube)], adopt=True, deprecated_annotations=deprecated)
    assert again.ok and again.results["changed"] is False and writes(served) == {}


def test_a_helm_managed_object_is_refused_even_with_adopt(run_playbook, kube_env, kube_requests, platform_objects, scope, unique_name):
    name = unique_name + "-helm"
    platform_objects.create("AppTemplate", name, {"chart": CHART}, labels={MANAGED: "Helm"})
    with kube_requests.measure() as served:
        run = platform_types(run_playbook, kube_env, scope, [{"kind": "AppTemplate", "name": name, "spec": {"chart": CHART}}], adopt=True)
    assert not run.ok
    assert "AppTemplate '%s' is managed by Helm (label %s); it is not the collection's to change" % (name, MANAGED) in run.output
    assert writes(served) == {}
    assert platform_objects.get("AppTemplate", name)["metadata"]["labels"][MANAGED] == "Helm"
