"""Tenancy namespaces: desired state, ownership rules, the plan, and the reconciler against a fake cluster."""

import base64

import pytest
import yaml

from ansible_collections.azimuth.ops.plugins.module_utils.kubernetes import _tenancy as t
from ansible_collections.azimuth.ops.plugins.module_utils.kubernetes._kubernetes import AlreadyExists, Conflict
from ansible_collections.azimuth.ops.plugins.module_utils.common._module import ModuleError, Secrets

ID = "tenant.azimuth-cloud.io/id"
MANAGED = "app.kubernetes.io/managed-by"
PORTAL = "azimuth-ops.azimuth-cloud.io/portal"
CREDENTIAL = {"auth_url": "https://keystone.example.org/v3", "application_credential_id": "cid",
              "application_credential_secret": "TOPSECRET", "region_name": "RegionOne"}


def ns(name, labels=None, annotations=None, **meta):
    metadata = dict(name=name, labels=labels or {}, annotations=annotations or {}, uid="uid-" + name, resourceVersion="1")
    metadata.update(meta)
    return {"metadata": metadata}


def managed(name, tenancy_id, **annotations):
    return ns(name, {ID: tenancy_id, MANAGED: "azimuth-ops", PORTAL: "azimuth"}, dict({"tenant.azimuth-cloud.io/name": name[3:]}, **annotations))


def secret(namespace, data, labels=None):
    encoded = dict((k, base64.b64encode(v.encode()).decode()) for k, v in data.items())
    return {"metadata": {"name": "default-openstack-credential", "namespace": namespace, "resourceVersion": "1",
                         "labels": labels if labels is not None else {
                             "credential.azimuth-cloud.io/provider": "openstack", MANAGED: "azimuth-ops", PORTAL: "azimuth"}},
            "type": "Opaque", "data": encoded}


def test_desired_state_of_a_tenancy():
    [item] = t.desired_tenancies([{"id": "ABC-123", "name": "Physics Lab", "oidc_group": "/physics", "labels": {"x": 1, "gone": None}}])
    assert item["namespace"] == "az-physics-lab"
    assert item["id_label"] == "abc-123"
    assert item["labels"] == {"x": "1", "gone": None, ID: "abc-123", MANAGED: "azimuth-ops", PORTAL: "azimuth"}
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
    assert [a["kind"] for a in result["actions"]] == ["create_namespace", "write_secret"]
    body = result["actions"][0]["body"]
    assert body["metadata"] == {"name": "az-alpha", "labels": {ID: "a", MANAGED: "azimuth-ops", PORTAL: "azimuth"},
                                "annotations": {"tenant.azimuth-cloud.io/name": "alpha"}}
    data = result["actions"][1]["spec"].body()["data"]
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
    patch = t.credential_secret(desired[0], "az-alpha").patch(current)
    assert patch["data"]["extra"] is None and "clouds.yaml" in patch["data"]
    assert patch["metadata"]["labels"] == {"credential.azimuth-cloud.io/provider": "openstack", MANAGED: "azimuth-ops", PORTAL: "azimuth"}
    diff = result["diff"]
    text = repr(diff)
    assert "TOPSECRET" not in text and "NEWSECRET" not in text
    for value in ("TOPSECRET", "NEWSECRET"):
        assert base64.b64encode(value.encode()).decode() not in text
    key = "az-alpha/default-openstack-credential"
    assert diff["before"]["secrets"][key]["data"]["extra"] == "********"
    assert diff["after"]["secrets"][key]["data"]["clouds.yaml"]["clouds"]["openstack"]["auth"]["application_credential_secret"] == "******** (changed)"


def test_the_registered_secrets_include_the_base64_of_the_secret_data():
    secrets = Secrets()
    t.register_secrets(secrets, [{"id": "a", "name": "alpha", "credential": CREDENTIAL}, {"id": "b", "name": "beta"}])
    [item] = t.desired_tenancies([{"id": "a", "name": "alpha", "credential": CREDENTIAL}])
    held = base64.b64encode(t.credential_secret(item, "az-alpha").data["clouds.yaml"].encode()).decode()
    assert "TOPSECRET" in secrets.values and held in secrets.values


class FakeKube:
    """Namespaces and Secrets in memory, counting calls.

    ``conflicts`` 409s the next patches; ``failing`` names calls that fail with a server error;
    ``meanwhile`` (call name -> function) runs just before that call, as a concurrent run would.
    """

    dry_run = False

    def __init__(self, namespaces=(), secrets=()):
        self.namespaces = dict((n["metadata"]["name"], n) for n in namespaces)
        self.secrets = dict(((s["metadata"]["namespace"], s["metadata"]["name"]), s) for s in secrets)
        self.calls = []
        self.conflicts = 0
        self.failing = set()
        self.meanwhile = {}

    def _call(self, name):
        self.calls.append(name)
        self.meanwhile.pop(name, lambda: None)()
        if name in self.failing:
            raise ServerError("%s refused" % name)

    def read_secret(self, namespace, name):
        self._call("read_secret")
        return self.secrets.get((namespace, name))

    def create_secret(self, namespace, body):
        self._call("create_secret")
        if (namespace, body["metadata"]["name"]) in self.secrets:
            raise AlreadyExists("secrets %r already exists" % body["metadata"]["name"])
        self.secrets[namespace, body["metadata"]["name"]] = dict(body, metadata=dict(body["metadata"], resourceVersion="1"))

    def patch_secret(self, namespace, name, patch):
        self._call("patch_secret")
        secret = self.secrets[namespace, name]
        for key, value in (patch.get("data") or {}).items():
            if value is None:
                secret["data"].pop(key, None)
            else:
                secret["data"][key] = value
        for key, value in ((patch.get("metadata") or {}).get("labels") or {}).items():
            secret["metadata"]["labels"][key] = value

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
        self._call("create_namespace")
        if body["metadata"]["name"] in self.namespaces:
            raise AlreadyExists("namespaces %r already exists" % body["metadata"]["name"])
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
        self._call("delete_namespace")
        del self.namespaces[name]


def describe(exc):
    return "HTTP 500: %s" % exc if isinstance(exc, ServerError) else None


class DryRunKube(FakeKube):
    """A FakeKube whose writes are dry runs: counted (and failed as ``failing`` says), nothing kept."""

    dry_run = True

    def create_namespace(self, body):
        self._call("create_namespace")

    def patch_namespace(self, name, patch):
        self._call("patch_namespace")

    def create_secret(self, namespace, body):
        self._call("create_secret")

    def patch_secret(self, namespace, name, patch):
        self._call("patch_secret")


def test_check_mode_dry_runs_what_the_server_can_judge_and_predicts_as_without():
    tenancies = [{"id": "id0", "name": "t0", "oidc_group": "/g", "credential": CREDENTIAL}, {"id": "id1", "name": "t1", "credential": CREDENTIAL}]
    kube = DryRunKube([managed("az-t0", "id0")])
    predicted = t.Reconciler(kube, describe).run(tenancies, "present", False, check_mode=True)
    # the new namespace az-t1 is a dry run, its Secret (in a namespace the server has not got) is not sent
    assert [c for c in kube.calls if c.startswith(("create", "patch"))] == ["patch_namespace", "create_secret", "create_namespace"]
    plain = t.Reconciler(FakeKube([managed("az-t0", "id0")]), describe).run(tenancies, "present", False, check_mode=True)
    assert [predicted[key] for key in ("results", "diff", "totals")] == [plain[key] for key in ("results", "diff", "totals")]


def test_a_dry_run_refused_fails_the_check_unchanged():
    kube = DryRunKube([managed("az-t0", "id0")])
    kube.failing = {"patch_namespace"}
    with pytest.raises(ModuleError) as error:
        t.Reconciler(kube, describe).run([{"id": "id0", "name": "t0", "oidc_group": "/g"}], "present", False, check_mode=True)
    assert str(error.value) == ("Could not patch namespace az-t0 of tenancy t0 (id0): HTTP 500: patch_namespace refused. "
                                "Nothing was written (check mode asked the API server with a dry run)")
    assert error.value.details == {"changed": False}


class ServerError(Exception):
    pass


def test_reconciler_reads_once_per_kind_and_a_second_run_writes_nothing():
    kube = FakeKube()
    tenancies = [{"id": "id%d" % i, "name": "t%d" % i} for i in range(50)]
    t.Reconciler(kube, describe).run(tenancies, "present", False, check_mode=False)
    assert kube.calls.count("create_namespace") == 50
    kube.calls = []
    result = t.Reconciler(kube, describe).run(tenancies, "present", False, check_mode=False)
    assert kube.calls == ["list_namespaces"] and not result["actions"]


def test_reconciler_check_mode_writes_nothing_and_predicts_exactly():
    kube = FakeKube([managed("az-t0", "id0")])
    tenancies = [{"id": "id0", "name": "t0", "oidc_group": "/g"}, {"id": "id1", "name": "t1"}]
    predicted = t.Reconciler(kube, describe).run(tenancies, "present", False, check_mode=True)
    assert [c for c in kube.calls if c not in ("list_namespaces", "read_namespace")] == []
    done = t.Reconciler(kube, describe).run(tenancies, "present", False, check_mode=False)
    assert predicted["results"] == done["results"] and predicted["diff"] == done["diff"]


def test_a_conflict_is_retried_after_re_reading():
    kube = FakeKube([managed("az-t0", "id0")])
    kube.conflicts = 2
    t.Reconciler(kube, describe).run([{"id": "id0", "name": "t0", "oidc_group": "/g"}], "present", False, check_mode=False)
    assert kube.calls == ["list_namespaces", "patch_namespace", "read_namespace", "patch_namespace", "read_namespace", "patch_namespace"]
    assert kube.namespaces["az-t0"]["metadata"]["annotations"]["tenant.azimuth-cloud.io/oidc-group"] == "/g"


def test_reconciler_prunes_only_what_prune_selector_matches():
    portal = {"example.org/portal": "a"}
    kube = FakeKube([managed("az-t0", "id0"), managed("az-old", "old"), managed("az-other", "other")])
    kube.namespaces["az-old"]["metadata"]["labels"].update(portal)
    result = t.Reconciler(kube, describe).run([{"id": "id0", "name": "t0"}], "present", True, check_mode=False,
                                              prune_selector="example.org/portal=a")
    assert result["pruned"] == [{"namespace": "az-old", "id": "old"}]
    assert sorted(kube.namespaces) == ["az-other", "az-t0"]
    assert kube.calls == ["list_namespaces", "list_namespaces", "delete_namespace"]


@pytest.mark.parametrize("tenancy, message", [
    ({"labels": {"example.org/owner": "Physics Lab"}},
     "tenancy alpha (a), namespace az-alpha: label example.org/owner: the value 'Physics Lab' is not valid"),
    ({"labels": {"Example.org/x": "1"}}, "tenancy alpha (a), namespace az-alpha: label key 'Example.org/x' is not valid"),
    ({"annotations": {"bad key": "x"}}, "tenancy alpha (a), namespace az-alpha: annotation key 'bad key' is not valid"),
])
def test_labels_kubernetes_would_refuse_are_refused_before_reading(tenancy, message):
    kube = FakeKube()
    with pytest.raises(ModuleError) as error:
        t.Reconciler(kube, describe).run([dict({"id": "a", "name": "alpha"}, **tenancy)], "present", False, check_mode=True)
    assert str(error.value).startswith(message)
    assert kube.calls == []


@pytest.mark.parametrize("labels, secret_type, message", [
    ({MANAGED: "Helm"}, "Opaque", "the Secret az-alpha/default-openstack-credential is managed by Helm "
                                  "(label app.kubernetes.io/managed-by=Helm), not by azimuth-ops; it is not the collection's to change"),
    ({}, "kubernetes.io/tls", "the Secret az-alpha/default-openstack-credential has type kubernetes.io/tls, not Opaque"),
])
def test_a_secret_another_tool_manages_is_refused_before_anything_is_written(labels, secret_type, message):
    foreign = secret("az-alpha", {"values.yaml": "x: 1"}, labels=labels)
    foreign["type"] = secret_type
    kube = FakeKube([managed("az-alpha", "a")], [foreign])
    for check_mode in (True, False):
        with pytest.raises(ModuleError) as error:
            t.Reconciler(kube, describe).run([{"id": "a", "name": "alpha", "credential": CREDENTIAL}], "present", False, check_mode)
        assert message in str(error.value)
    assert [c for c in kube.calls if not c.startswith(("list", "read"))] == []
    assert kube.secrets["az-alpha", "default-openstack-credential"] is foreign


def test_a_failed_run_says_what_it_wrote_before_the_failure():
    kube = FakeKube([managed("az-t0", "id0")], [])
    kube.failing.add("create_namespace")
    tenancies = [{"id": "id0", "name": "t0", "oidc_group": "/g"}, {"id": "id1", "name": "t1"}]
    with pytest.raises(ModuleError) as error:
        t.Reconciler(kube, describe).run(tenancies, "present", False, check_mode=False)
    assert str(error.value) == ("Could not create namespace az-t1 of tenancy t1 (id1): HTTP 500: create_namespace refused. "
                                "Written before this failure: patch namespace az-t0 of tenancy t0 (id0)")
    details = error.value.details
    assert details["changed"] is True and details["pruned"] == []
    assert [(r["namespace"], r["changed"], r["created"]) for r in details["tenancies"]] == [("az-t0", True, False), ("az-t1", False, False)]


def test_a_failure_before_any_write_reports_no_change():
    kube = FakeKube()
    kube.failing.add("create_namespace")
    with pytest.raises(ModuleError) as error:
        t.Reconciler(kube, describe).run([{"id": "id0", "name": "t0"}], "present", False, check_mode=False)
    assert error.value.details["changed"] is False
    assert str(error.value).endswith("Written before this failure: nothing")


def test_a_namespace_a_concurrent_run_created_is_settled_on():
    kube = FakeKube()
    kube.meanwhile["create_namespace"] = lambda: kube.namespaces.update({"az-t0": managed("az-t0", "id0")})
    result = t.Reconciler(kube, describe).run([{"id": "id0", "name": "t0", "oidc_group": "/g"}], "present", False, check_mode=False)
    assert result["results"][0]["created"]
    assert kube.calls == ["list_namespaces", "read_namespace", "create_namespace", "read_namespace", "patch_namespace"]
    assert kube.namespaces["az-t0"]["metadata"]["annotations"]["tenant.azimuth-cloud.io/oidc-group"] == "/g"


def test_a_namespace_created_meanwhile_for_another_tenancy_is_not_taken():
    kube = FakeKube()
    kube.meanwhile["create_namespace"] = lambda: kube.namespaces.update({"az-t0": managed("az-t0", "other")})
    with pytest.raises(ModuleError) as error:
        t.Reconciler(kube, describe).run([{"id": "id0", "name": "t0"}], "present", False, check_mode=False)
    assert "namespace az-t0 is now labelled tenant.azimuth-cloud.io/id=other, another tenancy's ID" in str(error.value)
    assert error.value.details["changed"] is False
    assert kube.namespaces["az-t0"]["metadata"]["labels"][ID] == "other"


def test_a_secret_a_concurrent_run_created_is_re_read_and_patched():
    kube = FakeKube([managed("az-t0", "id0")])
    created_meanwhile = secret("az-t0", {"clouds.yaml": "clouds: {}"})
    kube.meanwhile["create_secret"] = lambda: kube.secrets.update({("az-t0", "default-openstack-credential"): created_meanwhile})
    t.Reconciler(kube, describe).run([{"id": "id0", "name": "t0", "credential": CREDENTIAL}], "present", False, check_mode=False)
    assert kube.calls == ["list_namespaces", "list_secrets", "create_secret", "read_secret", "patch_secret"]
    stored = yaml.safe_load(base64.b64decode(created_meanwhile["data"]["clouds.yaml"]))
    assert stored["clouds"]["openstack"]["auth"]["application_credential_id"] == "cid"


# --- the portal's own namespaces (issue 16) ---------------------------------------------------------


def test_prune_deletes_only_this_portals_namespaces_unless_all_portals():
    ours, other = managed("az-old", "z"), managed("az-staging", "s")
    other["metadata"]["labels"][PORTAL] = "staging"
    unlabelled = managed("az-older", "y")
    del unlabelled["metadata"]["labels"][PORTAL]  # written before the collection labelled its portal
    namespaces = [ours, other, unlabelled]
    desired = t.desired_tenancies([{"id": "a", "name": "alpha"}])
    assert t.plan(desired, namespaces, [], prune=True)["pruned"] == [{"namespace": "az-old", "id": "z"}]
    everyone = t.plan(desired, namespaces, [], prune=True, prune_portal=None)["pruned"]
    assert [p["namespace"] for p in everyone] == ["az-old", "az-staging", "az-older"]
    staging = t.desired_tenancies([{"id": "a", "name": "alpha"}], portal="staging")
    assert t.plan(staging, namespaces, [], prune=True, prune_portal="staging")["pruned"] == [{"namespace": "az-staging", "id": "s"}]


def test_the_portal_label_is_written_and_another_portals_namespace_is_refused():
    desired = t.desired_tenancies([{"id": "a", "name": "alpha", "credential": CREDENTIAL}], portal="staging")
    assert desired[0]["labels"][PORTAL] == "staging"
    assert t.credential_secret(desired[0], "az-alpha").labels[PORTAL] == "staging"
    # an unlabelled namespace of the tenancy is labelled (the migration); another portal's is not taken
    unlabelled = ns("az-alpha", {ID: "a", MANAGED: "azimuth-ops"})
    [action, _secret] = t.plan(desired, [unlabelled], [])["actions"]
    assert action["kind"] == "patch_namespace"
    other = managed("az-alpha", "a")
    with pytest.raises(ModuleError, match="namespace az-alpha belongs to the portal azimuth .* not to staging"):
        t.plan(desired, [other], [])
    absent = t.plan(t.desired_tenancies([{"id": "a", "name": "alpha"}], portal="staging"), [other], [], state="absent")
    assert absent["actions"] == [] and "belongs to the portal azimuth" in absent["warnings"][0]


def test_the_portal_label_cannot_be_given_and_the_portal_must_be_a_label_value():
    with pytest.raises(ModuleError, match="label %s is set by the module" % PORTAL):
        t.desired_tenancies([{"id": "a", "name": "x", "labels": {PORTAL: "b"}}])
    with pytest.raises(ModuleError, match="portal: label"):
        t.desired_tenancies([{"id": "a", "name": "x"}], portal="no spaces allowed")
