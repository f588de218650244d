"""Platform types in Kubernetes: desired state, three-way merge patches, the plan, and the reconciler on a fake cluster."""

import copy
import json

import pytest

from ansible_collections.azimuth.ops.plugins.module_utils.platform import _platform_types as p
from ansible_collections.azimuth.ops.plugins.module_utils.common._module import ModuleError

PORTAL = "azimuth-ops.azimuth-cloud.io/portal"
MANAGED = {"app.kubernetes.io/managed-by": "azimuth-ops", PORTAL: "azimuth"}
ACL = {"acl.azimuth.stackhpc.com/allow-list": "t1", "acl.azimuth.stackhpc.com/deny-list": ""}


def item(kind="AppTemplate", name="jupyterhub", spec=None, annotations=None, labels=None):
    return {"kind": kind, "name": name, "spec": {"chart": {"repo": "r", "name": "n"}} if spec is None else spec,
            "annotations": annotations or {}, "labels": labels or {}}


class FakeCluster:
    """An in-memory API server for the reconciler: defaults, resourceVersions, conflicts on demand; with
    ``dry_run`` its writes are judged and recorded but change nothing."""

    def __init__(self, objects=(), defaults=None, dry_run=False):
        self.dry_run = dry_run
        self.objects = {}
        self.calls = []
        self.defaults = defaults or {}
        self.conflicts = 0
        self.reject = None
        for obj in objects:
            self.put(copy.deepcopy(obj))

    def put(self, obj):
        obj["metadata"].setdefault("resourceVersion", "1")
        obj["metadata"].setdefault("uid", "uid-" + obj["metadata"]["name"])
        self.objects[(obj["kind"], obj["metadata"]["name"])] = obj

    def list(self, kind, selector=None):
        self.calls.append(("list", kind, selector))
        found = [copy.deepcopy(o) for (k, _n), o in sorted(self.objects.items()) if k == kind]
        if selector:
            wanted = dict(term.split("=") for term in selector.split(","))
            found = [o for o in found if all(o["metadata"].get("labels", {}).get(k) == v for k, v in wanted.items())]
        return found

    def get(self, kind, name):
        self.calls.append(("get", kind, name))
        obj = self.objects.get((kind, name))
        return copy.deepcopy(obj) if obj else None

    def create(self, kind, body):
        self.calls.append(("create", kind, body["metadata"]["name"]))
        if self.reject:
            raise ModuleError(self.reject)
        if (kind, body["metadata"]["name"]) in self.objects:
            raise p.k8s.AlreadyExists()
        if self.dry_run:
            return
        obj = copy.deepcopy(body)
        obj["spec"] = dict(self.defaults.get(kind, {}), **obj["spec"])
        self.put(obj)

    def patch(self, kind, name, body):
        self.calls.append(("patch", kind, name))
        if self.conflicts:
            self.conflicts -= 1
            self.objects[(kind, name)]["metadata"]["resourceVersion"] += "x"
            raise p.k8s.Conflict()
        current = self.objects[(kind, name)]
        assert body["metadata"]["resourceVersion"] == current["metadata"]["resourceVersion"]
        if self.dry_run:
            return
        body = copy.deepcopy(body)
        del body["metadata"]["resourceVersion"]
        updated = p.apply_patch(current, body)
        updated["metadata"]["resourceVersion"] = str(int(current["metadata"]["resourceVersion"].rstrip("x") or 0) + 1)
        self.objects[(kind, name)] = updated

    def delete(self, kind, name, uid=None):
        self.calls.append(("delete", kind, name))
        if not self.dry_run:
            self.objects.pop((kind, name), None)

    def writes(self):
        return [call for call in self.calls if call[0] in ("create", "patch", "delete")]


def run(cluster, items, state="present", deprecate=True, selector=None, deprecated_annotations=None, check_mode=False,
        portal="azimuth", kinds=tuple(p.KINDS), all_portals=False):
    scope = p.Scope(kinds, None if all_portals else portal, selector) if deprecate else None
    return p.Reconciler(cluster).run(items, state, scope, deprecated_annotations or {}, check_mode, portal)


# --- desired state ---------------------------------------------------------------------------------


def test_desired_objects_get_the_managed_by_label_and_clustertemplates_are_not_deprecated():
    [template] = p.desired_objects([item("ClusterTemplate", "k", {"label": "K", "values": {"image": None}})])
    assert template["labels"] == MANAGED
    assert template["spec"] == {"label": "K", "values": {}, "deprecated": False}


@pytest.mark.parametrize("bad, message", [
    (item(annotations={"a": 1}), "AppTemplate 'jupyterhub': annotation a must be a string, got an integer 1 (quote it in YAML)"),
    (item(labels={"l": True}), "AppTemplate 'jupyterhub': label l must be a string, got true/false True"),
    (item(labels={"app.kubernetes.io/managed-by": "me"}), "the label app.kubernetes.io/managed-by is set by the module"),
    (item(annotations={p.LAST_APPLIED: "{}"}), "the annotation %s is set by the module" % p.LAST_APPLIED),
    (dict(item(), spec=None), "AppTemplate 'jupyterhub' has no spec"),
])
def test_bad_input_is_reported_by_object(bad, message):
    with pytest.raises(ModuleError) as error:
        p.desired_objects([bad])
    assert message in str(error.value)


def test_an_object_listed_twice_is_an_error():
    with pytest.raises(ModuleError, match="AppTemplate 'jupyterhub' is listed twice"):
        p.desired_objects([item(), item()])


# --- three-way merge patches -----------------------------------------------------------------------


def test_three_way_sets_what_differs_and_removes_only_what_was_applied_before():
    current = {"a": 1, "b": {"x": 1, "y": 2, "server": 0}, "theirs": 1, "old": 1}
    desired = {"a": 2, "b": {"x": 1}}
    last = {"a": 1, "b": {"x": 1, "y": 2}, "old": 1}
    assert p.three_way(current, desired, last) == {"a": 2, "b": {"y": None}, "old": None}


def test_three_way_replaces_lists_whole_and_nothing_for_equal():
    assert p.three_way({"l": [1, 2]}, {"l": [1]}, {}) == {"l": [1]}
    assert p.three_way({"l": [1], "d": {"k": 1}}, {"l": [1], "d": {"k": 1}}, {"l": [1]}) == {}


def test_apply_patch_follows_rfc_7386():
    assert p.apply_patch({"a": 1, "b": {"c": 1, "d": 2}}, {"a": None, "b": {"c": None, "e": 3}, "f": [1]}) == \
        {"b": {"d": 2, "e": 3}, "f": [1]}


def test_object_patch_ignores_server_defaults_and_others_fields():
    [desired] = p.desired_objects([item(annotations=ACL)])
    current = p.create_body(desired)
    current["spec"]["keepVersions"] = 5  # defaulted by the API server
    current["metadata"]["annotations"]["someone/else"] = "x"
    current["metadata"]["labels"]["team"] = "y"
    assert p.object_patch(desired, current) is None


def test_object_patch_removes_an_annotation_and_a_spec_field_the_module_set_before():
    [before] = p.desired_objects([item(spec={"chart": {"repo": "r", "name": "n"}, "logo": "l"}, annotations=dict(ACL, extra="1"))])
    current = p.create_body(before)
    [after] = p.desired_objects([item(annotations=ACL)])
    patch = p.object_patch(after, current)
    assert patch["spec"] == {"logo": None}
    assert patch["metadata"]["annotations"]["extra"] is None
    assert json.loads(patch["metadata"]["annotations"][p.LAST_APPLIED])["spec"] == after["spec"]


def test_an_adopted_object_gets_the_label_and_the_record_and_keeps_the_rest():
    [desired] = p.desired_objects([item()])
    current = {"kind": "AppTemplate", "metadata": {"name": "jupyterhub", "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}},
               "spec": {"chart": {"repo": "r", "name": "n"}, "label": "by hand"}}
    patch = p.object_patch(desired, current)
    assert patch["metadata"]["labels"] == MANAGED
    assert set(patch["metadata"]["annotations"]) == {p.LAST_APPLIED}
    assert "spec" not in patch


# --- the plan ------------------------------------------------------------------------------------


def test_plan_creates_updates_and_leaves_alone():
    [new, same, changed] = p.desired_objects([item(name="new"), item(name="same"), item(name="changed", annotations=ACL)])
    existing = {("AppTemplate", "same"): p.create_body(same), ("AppTemplate", "changed"): p.create_body(dict(changed, annotations={}))}
    result = p.plan([new, same, changed], existing)
    assert [(r["name"], r["action"], r["changed"]) for r in result["results"]] == [
        ("new", "created", True), ("same", "unchanged", False), ("changed", "updated", True)]
    assert result["totals"] == {"platform_types": 3, "created": 1, "updated": 1, "deleted": 0, "unchanged": 1, "deprecated": 0, "retired": 0,
                                "adopted": 0, "unmanaged": 0}
    assert result["diff"]["before"]["AppTemplate/new"] is None
    assert result["diff"]["after"]["AppTemplate/changed"]["annotations"] == ACL  # the record is not shown


def test_plan_refuses_an_object_managed_by_another_tool_before_writing():
    [desired] = p.desired_objects([item()])
    foreign = p.create_body(desired)
    foreign["metadata"]["labels"] = {"app.kubernetes.io/managed-by": "Helm"}
    with pytest.raises(ModuleError, match="AppTemplate 'jupyterhub' is managed by Helm"):
        p.plan([desired], {("AppTemplate", "jupyterhub"): foreign})


def test_plan_deprecates_only_managed_unlisted_clustertemplates_with_the_current_acl():
    listed = item("ClusterTemplate", "kube-new", {"label": "new", "values": {}})
    [desired] = p.desired_objects([listed])
    old = p.create_body(p.desired_objects([item("ClusterTemplate", "kube-old", {"label": "old", "values": {}})])[0])
    foreign = {"kind": "ClusterTemplate", "metadata": {"name": "by-hand", "labels": {}}, "spec": {"label": "x", "values": {}}}
    result = p.plan([desired], {}, deprecation_candidates={"ClusterTemplate": [old, foreign]}, deprecated_annotations=ACL)
    assert result["deprecated"] == ["kube-old"]
    [action] = [a for a in result["actions"] if a["action"] == "deprecate"]
    annotations = dict(action["patch"]["metadata"]["annotations"])
    record = json.loads(annotations.pop(p.LAST_APPLIED))  # so that listing it again removes them
    assert annotations == ACL and set(ACL) <= set(record["annotations"])
    assert action["patch"]["spec"] == {"deprecated": True}
    # done once: a second plan on the deprecated template does nothing
    deprecated = p.apply_patch(old, action["patch"])
    assert p.plan([desired], {}, deprecation_candidates={"ClusterTemplate": [deprecated]}, deprecated_annotations=ACL)["deprecated"] == []
    # a new ACL reaches the deprecated template too
    again = p.plan([desired], {}, deprecation_candidates={"ClusterTemplate": [deprecated]},
                   deprecated_annotations=dict(ACL, **{"acl.azimuth.stackhpc.com/allow-list": "t2"}))
    assert again["deprecated"] == ["kube-old"]
    assert again["actions"][-1]["patch"] == {"metadata": {"annotations": {"acl.azimuth.stackhpc.com/allow-list": "t2"}}}


def test_a_listed_again_template_is_no_longer_deprecated():
    [desired] = p.desired_objects([item("ClusterTemplate", "k", {"label": "k", "values": {}})])
    current = p.create_body(desired)
    current["spec"]["deprecated"] = True
    assert p.object_patch(desired, current) == {"spec": {"deprecated": False}}


def test_plan_absent_deletes_only_managed_objects():
    [ours, theirs, gone] = p.desired_objects([item(name="ours"), item(name="theirs"), item(name="gone")], "absent")
    foreign = p.create_body(theirs)
    foreign["metadata"]["labels"] = {}
    result = p.plan([ours, theirs, gone], {("AppTemplate", "ours"): p.create_body(ours), ("AppTemplate", "theirs"): foreign}, "absent")
    assert [r["action"] for r in result["results"]] == ["deleted", "absent", "absent"]
    assert "AppTemplate 'theirs' is not managed by azimuth-ops" in result["warnings"][0]


# --- the reconciler ------------------------------------------------------------------------------


def test_first_run_creates_second_run_reads_only():
    cluster = FakeCluster(defaults={"AppTemplate": {"keepVersions": 5, "versionRange": ">=0.0.0"}, "ClusterTemplate": {"deprecated": False}})
    items = [item(annotations=ACL), item("ClusterTemplate", "kube", {"label": "K", "values": {}}), item("ClusterType", "ws", {"gitUrl": "g"})]
    first = run(cluster, items)
    assert first["totals"]["created"] == 3
    cluster.calls = []
    second = run(cluster, items)
    assert second["totals"]["unchanged"] == 3 and not second["actions"]
    assert cluster.calls == [("list", "ClusterTemplate", None), ("list", "AppTemplate", None), ("list", "ClusterType", None)]


def test_check_mode_predicts_and_writes_nothing():
    cluster = FakeCluster()
    predicted = run(cluster, [item()], check_mode=True)
    assert cluster.writes() == []
    real = run(cluster, [item()])
    assert predicted["results"] == real["results"] and predicted["diff"] == real["diff"]


def test_check_mode_sends_the_planned_writes_as_dry_runs_and_predicts_as_without():
    existing = p.create_body(p.desired_objects([item(name="old", spec={"chart": {"repo": "r", "name": "old"}})])[0])
    plain, dry = FakeCluster([existing]), FakeCluster([existing], dry_run=True)
    items = [item(), item(name="old")]
    predicted = run(dry, items, check_mode=True)
    assert dry.writes() == [("create", "AppTemplate", "jupyterhub"), ("patch", "AppTemplate", "old")]
    assert sorted(dry.objects) == [("AppTemplate", "old")] and dry.objects[("AppTemplate", "old")] == plain.objects[("AppTemplate", "old")]
    assert predicted == run(plain, items, check_mode=True) and plain.writes() == []


def test_a_dry_run_refused_fails_the_check_unchanged_naming_the_object():
    cluster = FakeCluster(dry_run=True)
    cluster.reject = "the API server rejected it: spec.chart: Required value"
    with pytest.raises(ModuleError) as error:
        run(cluster, [item()], check_mode=True)
    assert str(error.value) == ("Could not create AppTemplate 'jupyterhub': the API server rejected it: spec.chart: Required value. "
                                "Nothing was written (check mode asked the API server with a dry run)")
    assert error.value.details == {"changed": False} and cluster.objects == {}


def test_deprecation_with_a_selector_lists_only_its_scope():
    mine = dict(p.create_body(p.desired_objects([item("ClusterTemplate", "mine", {"label": "m", "values": {}}, labels={"portal": "a"})])[0]))
    other = dict(p.create_body(p.desired_objects([item("ClusterTemplate", "other", {"label": "o", "values": {}}, labels={"portal": "b"})])[0]))
    cluster = FakeCluster([mine, other])
    result = run(cluster, [item()], selector="portal=a", deprecated_annotations=ACL)
    assert result["deprecated"] == ["mine"]
    assert ("list", "ClusterTemplate", "portal=a") in cluster.calls  # this portal's and unlabelled ones, told apart here
    assert cluster.objects[("ClusterTemplate", "mine")]["spec"]["deprecated"] is True
    assert cluster.objects[("ClusterTemplate", "other")]["spec"]["deprecated"] is False


def test_a_conflict_is_retried_from_a_fresh_read():
    [desired] = p.desired_objects([item()])
    cluster = FakeCluster([p.create_body(desired)])
    cluster.conflicts = 2
    run(cluster, [item(annotations=ACL)], deprecate=False)
    assert [c[0] for c in cluster.calls] == ["list", "patch", "get", "patch", "get", "patch"]
    assert cluster.objects[("AppTemplate", "jupyterhub")]["metadata"]["annotations"]["acl.azimuth.stackhpc.com/allow-list"] == "t1"


def test_an_object_created_meanwhile_is_patched():
    class Racing(FakeCluster):
        def list(self, kind, selector=None):
            found = super().list(kind, selector)
            other = p.create_body(p.desired_objects([item()])[0])
            self.put(other)  # another run creates it right after our list
            return found
    cluster = Racing()
    run(cluster, [item(annotations=ACL)], deprecate=False)
    assert [c[0] for c in cluster.calls] == ["list", "create", "get", "patch"]


def test_a_failed_write_says_what_was_already_written():
    cluster = FakeCluster()
    original = cluster.create

    def create(kind, body):
        if body["metadata"]["name"] == "b":
            raise ModuleError("the API server rejected it: spec.chart: Required value")
        original(kind, body)
    cluster.create = create
    with pytest.raises(ModuleError) as error:
        run(cluster, [item(name="a"), item(name="b")], deprecate=False)
    assert str(error.value) == ("Could not create AppTemplate 'b': the API server rejected it: spec.chart: Required value. "
                                "Written before this failure: create AppTemplate 'a'")
    assert error.value.details == {"changed": True, "written": [{"action": "create", "kind": "AppTemplate", "name": "a"}]}


def test_the_missing_crd_message_names_the_crd_and_the_operator():
    assert p.missing_crd("ClusterType") == (
        "The ClusterType CRD (clustertypes.caas.azimuth.stackhpc.com, caas.azimuth.stackhpc.com/v1alpha1) is not "
        "installed in this cluster: install azimuth-caas-operator, which provides it, then run again")


def test_rejected_names_the_fields():
    class Exc:
        status, reason = 422, "Unprocessable Entity"
        body = json.dumps({"kind": "Status", "reason": "Invalid", "message": "ClusterTemplate.azimuth.stackhpc.com \"x\" is invalid",
                           "details": {"causes": [{"reason": "FieldValueRequired", "message": "Required value", "field": "spec.label"},
                                                  {"reason": "FieldValueInvalid", "message": "spec.values: Invalid value", "field": "spec.values"}]}})
    assert p.rejected(Exc()) == "spec.label: Required value; spec.values: Invalid value"


# --- the portal's own objects, and what leaves the catalog (issue 16) -------------------------------


def app(name, portal="azimuth", annotations=None):
    return p.create_body(p.desired_objects([item(name=name, annotations=annotations)], portal=portal)[0])


def test_an_unlisted_app_template_or_cluster_type_of_this_portal_is_retired_with_an_acl_that_denies_all():
    kept, dropped, elsewhere = app("kept"), app("dropped", annotations=ACL), app("elsewhere", portal="staging")
    cluster = FakeCluster([kept, dropped, elsewhere])
    predicted = run(cluster, [item(name="kept")], check_mode=True)
    assert cluster.writes() == []
    result = run(cluster, [item(name="kept")])
    assert result["retired"] == predicted["retired"] == ["AppTemplate/dropped"]
    assert result["totals"]["retired"] == 1
    annotations = cluster.objects[("AppTemplate", "dropped")]["metadata"]["annotations"]
    assert dict((k, v) for k, v in annotations.items() if k.startswith("acl.")) == p.DENY_ALL
    assert cluster.objects[("AppTemplate", "elsewhere")]["metadata"]["annotations"] == elsewhere["metadata"]["annotations"]
    # what the cluster holds after the run: the retired one is not offered
    held = dict((o["name"], o) for o in result["objects"])
    assert held["kept"]["offered"] is True and held["dropped"]["offered"] is False and "elsewhere" not in held
    assert result["objects"] == predicted["objects"]
    cluster.calls = []
    again = run(cluster, [item(name="kept")])
    assert again["retired"] == [] and cluster.writes() == []
    # listed again: its own ACL comes back, the deny-all regex goes
    run(cluster, [item(name="dropped", annotations={"acl.azimuth.stackhpc.com/allow-list": "t1"}), item(name="kept")])
    annotations = cluster.objects[("AppTemplate", "dropped")]["metadata"]["annotations"]
    assert annotations["acl.azimuth.stackhpc.com/allow-list"] == "t1" and "acl.azimuth.stackhpc.com/deny-regex" not in annotations


def test_deprecation_touches_only_this_portals_objects_unless_all_portals():
    old, other, unlabelled = app("old"), app("other", portal="staging"), app("unlabelled")
    del unlabelled["metadata"]["labels"][PORTAL]  # written before the collection had portals
    cluster = FakeCluster([old, other, unlabelled])
    assert run(cluster, [item(name="new")])["retired"] == ["AppTemplate/old"]
    assert run(cluster, [item(name="new")], all_portals=True)["retired"] == ["AppTemplate/other", "AppTemplate/unlabelled"]


def test_only_the_kinds_asked_are_deprecated_and_listed():
    cluster = FakeCluster([app("old")])
    result = run(cluster, [item("ClusterType", "ws", {"gitUrl": "g"})], kinds=["ClusterType"])
    assert result["retired"] == [] and [c[1] for c in cluster.calls if c[0] == "list"] == ["ClusterType"]


def test_another_portals_object_is_not_changed():
    cluster = FakeCluster([app("jupyterhub", portal="staging")])
    with pytest.raises(ModuleError, match="AppTemplate 'jupyterhub' belongs to the portal staging .* not to azimuth"):
        run(cluster, [item(annotations=ACL)])
    assert cluster.writes() == []


def test_the_portal_label_is_the_modules():
    [desired] = p.desired_objects([item(labels={PORTAL: "sandbox"})], portal="sandbox")
    assert desired["labels"][PORTAL] == "sandbox"
    with pytest.raises(ModuleError, match="the label %s is set by the module from portal" % PORTAL):
        p.desired_objects([item(labels={PORTAL: "other"})], portal="sandbox")
    with pytest.raises(ModuleError, match="portal: label"):
        p.desired_objects([item()], portal="not a label value")


def test_a_catastrophic_regex_annotation_is_refused_before_any_write():
    cluster = FakeCluster()
    with pytest.raises(ModuleError, match=r"AppTemplate 'jupyterhub', annotation acl.azimuth.stackhpc.com/allow-regex: .*catastrophic"):
        run(cluster, [item(annotations={"acl.azimuth.stackhpc.com/allow-regex": "(a+)+$"})])
    assert cluster.calls == []


# --- objects made by azimuth-ops (or anyone) without the managed-by label: adopt (issue 19) -------------------


def upstream_made(kind="AppTemplate", name="jupyterhub", spec=None, acl=None, labels=None):
    """An object as azimuth-ops' roles leave it: applied with kubectl, no managed-by label, an open ACL."""
    annotations = dict({"kubectl.kubernetes.io/last-applied-configuration": "{}"}, **(acl or {"acl.azimuth.stackhpc.com/allow-list": ""}))
    return {"kind": kind, "metadata": {"name": name, "labels": dict(labels or {}), "annotations": annotations},
            "spec": {"chart": {"repo": "r", "name": "n"}} if spec is None else spec}


def test_a_listed_unlabelled_object_is_refused_without_adopt_naming_the_tool_and_the_option():
    cluster = FakeCluster([upstream_made(), upstream_made(name="by-hand", acl={})])
    del cluster.objects[("AppTemplate", "by-hand")]["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
    with pytest.raises(ModuleError) as error:
        run(cluster, [item(), item(name="by-hand")])
    assert str(error.value).startswith(
        "AppTemplate 'jupyterhub' (made by azimuth-ops); AppTemplate 'by-hand' (made by an unknown tool) exist without the label "
        "app.kubernetes.io/managed-by")
    assert "adopt=true (role variable platform_types_adopt)" in str(error.value) and str(error.value).endswith("nothing was written")
    assert cluster.writes() == []


def test_adopt_takes_an_unlabelled_object_over_recording_when_and_what_it_was_then_leaves_it_alone():
    cluster = FakeCluster([upstream_made(acl={"acl.azimuth.stackhpc.com/allow-list": "old"})])
    predicted = p.Reconciler(cluster, adopt=True).run([item(annotations=ACL)], "present", None, {}, True)
    assert cluster.writes() == [] and predicted["adopted"] == ["AppTemplate/jupyterhub"]
    result = p.Reconciler(cluster, adopt=True).run([item(annotations=ACL)], "present", None, {}, False)
    assert result["adopted"] == predicted["adopted"] and result["results"] == predicted["results"]
    obj = cluster.objects[("AppTemplate", "jupyterhub")]
    assert obj["metadata"]["labels"] == MANAGED
    record = json.loads(obj["metadata"]["annotations"][p.ADOPTED])
    assert record["from"] == "azimuth-ops" and record["acl"] == {"acl.azimuth.stackhpc.com/allow-list": "old"}
    assert record["at"].endswith("Z")
    assert obj["metadata"]["annotations"]["acl.azimuth.stackhpc.com/allow-list"] == "t1"
    cluster.calls = []
    again = p.Reconciler(cluster, adopt=True).run([item(annotations=ACL)], "present", None, {}, False)
    assert again["adopted"] == [] and cluster.writes() == []


def test_an_unlisted_unlabelled_object_is_reported_without_adopt_and_deprecated_with_it():
    cluster = FakeCluster([upstream_made("ClusterTemplate", "kube-old", {"label": "old", "values": {}}),
                           upstream_made("ClusterType", "old-type", {"gitUrl": "g"})])
    result = run(cluster, [item()], deprecated_annotations=ACL)
    assert result["unmanaged"] == ["ClusterTemplate/kube-old", "ClusterType/old-type"] and cluster.writes()[1:] == []
    assert "ClusterTemplate 'kube-old' is not in the catalog but was made by azimuth-ops" in result["warnings"][0]
    assert "still selectable" in result["warnings"][0] and "platform_types_adopt" in result["warnings"][0]
    adopted = p.Reconciler(cluster, adopt=True).run([item()], "present", p.Scope(list(p.KINDS)), ACL, False)
    assert adopted["deprecated"] == ["kube-old"] and adopted["retired"] == ["ClusterType/old-type"]
    template = cluster.objects[("ClusterTemplate", "kube-old")]
    assert template["spec"]["deprecated"] is True and template["metadata"]["labels"] == MANAGED
    assert json.loads(template["metadata"]["annotations"][p.ADOPTED])["from"] == "azimuth-ops"
    assert cluster.objects[("ClusterType", "old-type")]["metadata"]["annotations"]["acl.azimuth.stackhpc.com/deny-regex"] == ".*"
    cluster.calls = []
    assert p.Reconciler(cluster, adopt=True).run([item()], "present", p.Scope(list(p.KINDS)), ACL, False)["actions"] == []


def test_another_tools_object_is_refused_even_with_adopt():
    cluster = FakeCluster([upstream_made(labels={"app.kubernetes.io/managed-by": "Helm"})])
    with pytest.raises(ModuleError, match="AppTemplate 'jupyterhub' is managed by Helm"):
        p.Reconciler(cluster, adopt=True).run([item()], "present", None, {}, False)
    assert cluster.writes() == []
