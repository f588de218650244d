"""Tenancy namespaces: desired state, ownership rules, the plan, and the reconciler against a fake cluster."""

import base64

import pytest
import yaml

from ansible_collections.azimuth.ops.plugins.module_utils import _tenancy as t
from ansible_collections.azimuth.ops.plugins.module_utils._module import ModuleError

ID = "tenant.azimuth-cloud.io/id"
MANAGED = "app.kubernetes.io/managed-by"
CREDENTIAL = {"auth_url": "https://keystone.example.org/v3", "application_credential_id": "cid",
              "application_credential_secret": "TOPSECRET", "region_name": "RegionOne"}


def ns(name, labels=None, annotations=None, **meta):
    metadata = dict(name=name, labels=labels or {}, annotations=annotations or {}, uid="uid-" + name, resourceVersion="1")
    metadata.update(meta)
    return {"metadata": metadata}


def managed(name, tenancy_id, **annotations):
    return ns(name, {ID: tenancy_id, MANAGED: "azimuth-ops"}, dict({"tenant.azimuth-cloud.io/name": name[3:]}, **annotations))


def secret(namespace, data, labels=None):
    encoded = dict((k, base64.b64encode(v.encode()).decode()) for k, v in data.items())
    return {"metadata": {"name": "default-openstack-credential", "namespace": namespace, "resourceVersion": "1",
                         "labels": labels if labels is not None else {"credential.azimuth-cloud.io/provider": "openstack", MANAGED: "azimuth-ops"}},
            "type": "Opaque", "data": encoded}


def test_desired_state_of_a_tenancy():
    [item] = t.desired_tenancies([{"id": "ABC-123", "name": "Physics Lab", "oidc_group": "/physics", "labels": {"x": 1, "gone": None}}])
    assert item["namespace"] == "az-physics-lab"
    assert item["id_label"] == "abc-123"
    assert item["labels"] == {"x": "1", "gone": None, ID: "abc-123", MANAGED: "azimuth-ops"}
    assert item["annotations"] == {"tenant.azimuth-cloud.io/name": "Physics Lab", "tenant.azimuth-cloud.io/oidc-group": "/physics"}
    assert item["cloud"] is None


def test_without_oidc_group_the_annotation_is_removed():
    [item] = t.desired_tenancies([{"id": "a", "name": "a"}])
    assert item["annotations"]["tenant.azimuth-cloud.io/oidc-group"] is None


@pytest.mark.parametrize("tenancies, message", [
    ([{"id": "a", "name": "!!!"}], "tenancy !!! (a): the name cannot name a namespace"),
    ([{"id": "--", "name": "x"}], "tenancy x (--): the ID cannot be a label value"),
    ([{"id": "a", "name": "x"}, {"id": "b", "name": "X"}], "both map to namespace az-x"),
    ([{"id": "A", "name": "x"}, {"id": "a", "name": "y"}], "both map to ID label a"),
    ([{"id": "a", "name": "x", "labels": {ID: "b"}}], "label tenant.azimuth-cloud.io/id is set by the module"),
    ([{"id": "a", "name": "x", "annotations": {"tenant.azimuth-cloud.io/name": "b"}}], "annotation tenant.azimuth-cloud.io/name is set"),
    ([{"id": "a", "name": "x", "credential": {"auth_url": "u", "application_credential_id": "i"}}], "credential needs application_credential_secret"),
])
def test_bad_input_is_refused_before_reading(tenancies, message):
    with pytest.raises(ModuleError, match=message.replace("(", r"\(").replace(")", r"\)")):
        t.desired_tenancies(tenancies)


def test_create_when_nothing_exists():
    desired = t.desired_tenancies([{"id": "a", "name": "alpha", "credential": CREDENTIAL}])
    result = t.plan(desired, [], [])
    assert [a["kind"] for a in result["actions"]] == ["create_namespace", "create_secret"]
    body = result["actions"][0]["body"]
    assert body["metadata"] == {"name": "az-alpha", "labels": {ID: "a", MANAGED: "azimuth-ops"},
                                "annotations": {"tenant.azimuth-cloud.io/name": "alpha"}}
    data = result["actions"][1]["body"]["data"]
    assert list(data) == ["clouds.yaml"]
    clouds = yaml.safe_load(base64.b64decode(data["clouds.yaml"]))
    assert clouds == {"clouds": {"openstack": {
        "auth_type": "v3applicationcredential",
        "auth": {"auth_url": "https://keystone.example.org/v3", "application_credential_id": "cid", "application_credential_secret": "TOPSECRET"},
        "region_name": "RegionOne", "interface": "public", "identity_api_version": 3}}}
    assert result["results"] == [{"id": "a", "name": "alpha", "namespace": "az-alpha", "changed": True, "created": True, "deleted": False}]
    assert result["totals"] == {"tenancies": 1, "created": 1, "updated": 0, "deleted": 0, "unchanged": 0, "pruned": 0}
    assert "TOPSECRET" not in repr(result["diff"])
    assert result["diff"]["after"]["secrets"]["az-alpha/default-openstack-credential"]["data"]["clouds.yaml"]["clouds"][
        "openstack"]["auth"]["application_credential_secret"] == "********"


def test_nothing_to_do_when_everything_matches():
    desired = t.desired_tenancies([{"id": "a", "name": "alpha", "credential": CREDENTIAL}])
    text = yaml.safe_dump(desired[0]["cloud"], default_flow_style=True)  # another rendering, the same meaning
    result = t.plan(desired, [managed("az-alpha", "a")], [secret("az-alpha", {"clouds.yaml": text})])
    assert result["actions"] == [] and result["totals"]["unchanged"] == 1
    assert result["diff"] == {"before": {"namespaces": {}, "secrets": {}}, "after": {"namespaces": {}, "secrets": {}}}


def test_update_patches_only_what_differs_and_keeps_foreign_labels():
    desired = t.desired_tenancies([{"id": "a", "name": "alpha", "oidc_group": "/g", "labels": {"mine": "1"}}])
    existing = managed("az-alpha", "a", **{"tenant.azimuth-cloud.io/oidc-group": "/old"})
    existing["metadata"]["labels"]["other-tool"] = "keep"
    result = t.plan(desired, [existing], [])
    [action] = result["actions"]
    assert action["kind"] == "patch_namespace"
    assert t.namespace_patch(desired[0], existing) == {"labels": {"mine": "1"}, "annotations": {"tenant.azimuth-cloud.io/oidc-group": "/g"}}
    assert result["diff"]["after"]["namespaces"]["az-alpha"]["labels"]["other-tool"] == "keep"
    assert result["totals"]["updated"] == 1


def test_a_renamed_tenancy_keeps_its_namespace():
    desired = t.desired_tenancies([{"id": "a", "name": "beta"}])
    result = t.plan(desired, [managed("az-alpha", "a")], [])
    assert result["results"][0]["namespace"] == "az-alpha" and not result["results"][0]["created"]
    assert t.namespace_patch(desired[0], managed("az-alpha", "a")) == {"annotations": {"tenant.azimuth-cloud.io/name": "beta"}}


def test_an_unlabelled_namespace_of_the_name_is_adopted():
    desired = t.desired_tenancies([{"id": "a", "name": "alpha"}])
    assert t.names_to_read(desired, []) == ["az-alpha"]
    assert t.names_to_read(desired, [managed("az-alpha", "a")]) == []
    result = t.plan(desired, [ns("az-alpha", {"kubernetes.io/metadata.name": "az-alpha"})], [])
    assert [a["kind"] for a in result["actions"]] == ["patch_namespace"] and not result["results"][0]["created"]


@pytest.mark.parametrize("namespaces, message", [
    ([managed("az-one", "a"), managed("az-two", "a")], "namespaces az-one and az-two are all labelled tenant.azimuth-cloud.io/id=a"),
    ([managed("az-alpha", "b")], "namespace az-alpha belongs to another tenancy (tenant.azimuth-cloud.io/id=b)"),
    ([ns("az-alpha", {MANAGED: "Helm"})], "namespace az-alpha is managed by Helm"),
    ([ns("az-alpha", {ID: "a", MANAGED: "azimuth-ops"}, deletionTimestamp="2026-01-01T00:00:00Z")], "namespace az-alpha is being deleted"),
])
def test_ownership_conflicts(namespaces, message):
    desired = t.desired_tenancies([{"id": "a", "name": "alpha"}])
    with pytest.raises(ModuleError) as error:
        t.plan(desired, namespaces, [])
    assert message in str(error.value)


def test_absent_deletes_only_managed_namespaces_found_by_id():
    desired = t.desired_tenancies([{"id": "a", "name": "alpha"}, {"id": "b", "name": "beta"}, {"id": "c", "name": "gamma"}])
    namespaces = [managed("az-renamed", "a"), ns("az-beta", {ID: "b"}), ns("az-gamma")]
    result = t.plan(desired, namespaces, [], state="absent")
    assert [(a["kind"], a["name"], a["uid"]) for a in result["actions"]] == [("delete_namespace", "az-renamed", "uid-az-renamed")]
    assert [r["deleted"] for r in result["results"]] == [True, False, False]
    assert result["warnings"] == ["namespace az-beta carries the ID of tenancy beta but is not managed by azimuth-ops; left alone"]


def test_prune_deletes_managed_namespaces_of_unlisted_tenancies_only():
    desired = t.desired_tenancies([{"id": "a", "name": "alpha"}])
    namespaces = [managed("az-alpha", "a"), managed("az-old", "z"), ns("az-foreign", {ID: "y"})]
    assert t.plan(desired, namespaces, [])["actions"] == []
    result = t.plan(desired, namespaces, [], prune=True)
    assert [(a["kind"], a["name"]) for a in result["actions"]] == [("delete_namespace", "az-old")]
    assert result["pruned"] == [{"namespace": "az-old", "id": "z"}] and result["totals"]["pruned"] == 1


def test_prune_deletes_only_prunable_namespaces():
    desired = t.desired_tenancies([{"id": "a", "name": "alpha"}])
    namespaces = [managed("az-alpha", "a"), managed("az-old", "z"), managed("az-other-portal", "o")]
    result = t.plan(desired, namespaces, [], prune=True, prunable=namespaces[:2])
    assert result["pruned"] == [{"namespace": "az-old", "id": "z"}]


def test_secret_changes_are_masked_in_the_diff():
    desired = t.desired_tenancies([{"id": "a", "name": "alpha", "credential": dict(CREDENTIAL, application_credential_secret="NEWSECRET")}])
    old = yaml.safe_dump(t.desired_tenancies([{"id": "a", "name": "alpha", "credential": CREDENTIAL}])[0]["cloud"])
    current = secret("az-alpha", {"clouds.yaml": old, "extra": "x"}, labels={})
    result = t.plan(desired, [managed("az-alpha", "a")], [current])
    [action] = result["actions"]
    patch = t.secret_patch(desired[0], current)
    assert patch["data"]["extra"] is None and "clouds.yaml" in patch["data"]
    assert patch["metadata"]["labels"] == {"credential.azimuth-cloud.io/provider": "openstack", MANAGED: "azimuth-ops"}
    diff = result["diff"]
    text = repr(diff)
    assert "TOPSECRET" not in text and "NEWSECRET" not in text
    for value in ("TOPSECRET", "NEWSECRET"):
        assert base64.b64encode(value.encode()).decode() not in text
    key = "az-alpha/default-openstack-credential"
    assert diff["before"]["secrets"][key]["data"]["extra"] == "********"
    assert diff["after"]["secrets"][key]["data"]["clouds.yaml"]["clouds"]["openstack"]["auth"]["application_credential_secret"] == "******** (changed)"


def test_sensitive_values_include_the_base64_of_the_secret_data():
    values = t.sensitive_values([{"id": "a", "name": "alpha", "credential": CREDENTIAL}, {"id": "b", "name": "beta"}])
    assert values[0] == "TOPSECRET"
    [item] = t.desired_tenancies([{"id": "a", "name": "alpha", "credential": CREDENTIAL}])
    assert values[1] == base64.b64encode(t.secret_desired_data(item)["clouds.yaml"].encode()).decode()


class FakeKube:
    """Namespaces and Secrets in memory, counting calls; ``conflicts`` 409s the next patches."""

    def __init__(self, namespaces=(), secrets=()):
        self.namespaces = dict((n["metadata"]["name"], n) for n in namespaces)
        self.secrets = dict(((s["metadata"]["namespace"], s["metadata"]["name"]), s) for s in secrets)
        self.calls = []
        self.conflicts = 0

    def list_namespaces(self, selector):
        """Namespaces matching ``selector`` (``key`` and ``key=value`` terms, comma-separated)."""
        self.calls.append("list_namespaces")
        terms = [term.partition("=") for term in selector.split(",")]
        return [n for n in self.namespaces.values()
                if all(key in n["metadata"]["labels"] and (not eq or n["metadata"]["labels"][key] == value)
                       for key, eq, value in terms)]

    def read_namespace(self, name):
        self.calls.append("read_namespace")
        return self.namespaces.get(name)

    def list_secrets(self, name):
        self.calls.append("list_secrets")
        return [s for key, s in self.secrets.items() if key[1] == name]

    def create_namespace(self, body):
        self.calls.append("create_namespace")
        self.namespaces[body["metadata"]["name"]] = body

    def patch_namespace(self, name, patch):
        self.calls.append("patch_namespace")
        if self.conflicts:
            self.conflicts -= 1
            raise Conflict()
        metadata = self.namespaces[name]["metadata"]
        for field in ("labels", "annotations"):
            for key, value in (patch["metadata"].get(field) or {}).items():
                if value is None:
                    metadata[field].pop(key, None)
                else:
                    metadata[field][key] = value

    def delete_namespace(self, name, uid):
        self.calls.append("delete_namespace")
        del self.namespaces[name]


class Conflict(Exception):
    pass


def retry(attempt):
    for _attempt in range(5):
        try:
            return attempt()
        except Conflict:
            continue
    raise AssertionError("still conflicting")


def test_reconciler_reads_once_per_kind_and_a_second_run_writes_nothing():
    kube = FakeKube()
    tenancies = [{"id": "id%d" % i, "name": "t%d" % i} for i in range(50)]
    t.Reconciler(kube, retry).run(tenancies, "present", False, check_mode=False)
    assert kube.calls.count("create_namespace") == 50
    kube.calls = []
    result = t.Reconciler(kube, retry).run(tenancies, "present", False, check_mode=False)
    assert kube.calls == ["list_namespaces"] and not result["actions"]


def test_reconciler_check_mode_writes_nothing_and_predicts_exactly():
    kube = FakeKube([managed("az-t0", "id0")])
    tenancies = [{"id": "id0", "name": "t0", "oidc_group": "/g"}, {"id": "id1", "name": "t1"}]
    predicted = t.Reconciler(kube, retry).run(tenancies, "present", False, check_mode=True)
    assert [c for c in kube.calls if c not in ("list_namespaces", "read_namespace")] == []
    done = t.Reconciler(kube, retry).run(tenancies, "present", False, check_mode=False)
    assert predicted["results"] == done["results"] and predicted["diff"] == done["diff"]


def test_a_conflict_is_retried_after_re_reading():
    kube = FakeKube([managed("az-t0", "id0")])
    kube.conflicts = 2
    t.Reconciler(kube, retry).run([{"id": "id0", "name": "t0", "oidc_group": "/g"}], "present", False, check_mode=False)
    assert kube.calls == ["list_namespaces", "patch_namespace", "read_namespace", "patch_namespace", "read_namespace", "patch_namespace"]
    assert kube.namespaces["az-t0"]["metadata"]["annotations"]["tenant.azimuth-cloud.io/oidc-group"] == "/g"


def test_reconciler_prunes_only_what_prune_selector_matches():
    portal = {"example.org/portal": "a"}
    kube = FakeKube([managed("az-t0", "id0"), managed("az-old", "old"), managed("az-other", "other")])
    kube.namespaces["az-old"]["metadata"]["labels"].update(portal)
    result = t.Reconciler(kube, retry).run([{"id": "id0", "name": "t0"}], "present", True, check_mode=False,
                                           prune_selector="example.org/portal=a")
    assert result["pruned"] == [{"namespace": "az-old", "id": "old"}]
    assert sorted(kube.namespaces) == ["az-other", "az-t0"]
    assert kube.calls == ["list_namespaces", "list_namespaces", "delete_namespace"]
