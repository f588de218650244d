"""azimuth.ops.tenancy through real ansible-playbook runs against the sandbox's kube-apiserver.

The module goes through this test's recording proxy (``kube_env``, ``kube_requests``); every
namespace is named after the test's ``unique_name``, and prune is scoped by a label carrying it.
"""

import base64
import socket

import pytest

from sandbox.proxy import dry_runs, writes

from .conftest import localhost_play, save_results

ID_LABEL = "tenant.azimuth-cloud.io/id"
MANAGED = {"app.kubernetes.io/managed-by": "azimuth-ops"}
SECRET = "default-openstack-credential"


def tenancy(run_playbook, env, tenancies, *args, ignore_errors=False, **options):
    """Run the module once; return (run, module result)."""
    task = {"name": "Tenancies", "azimuth.ops.tenancy": dict(tenancies=tenancies, **options), "register": "result"}
    if ignore_errors:
        task["ignore_errors"] = True
    run = run_playbook([localhost_play([task, dict(save_results("result"), check_mode=False)])], *args, env=env)
    return run, run.results


def namespace(kube_core, name):
    from kubernetes.client.rest import ApiException
    try:
        return kube_core.read_namespace(name)
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise


def gone(kube_core, name):
    """Whether the namespace is deleted or being deleted (the namespace controller empties it first)."""
    found = namespace(kube_core, name)
    return found is None or found.metadata.deletion_timestamp is not None


def secret_data(kube_core, ns):
    secret = kube_core.read_namespaced_secret(SECRET, ns)
    return dict((k, base64.b64decode(v).decode()) for k, v in secret.data.items())


@pytest.fixture
def names(unique_name):
    """Tenancy names and IDs unique to the test."""

    def make(suffix):
        name = "%s-%s" % (unique_name, suffix)
        return {"id": "id-" + name, "name": name}

    return make


def credential(secret):
    return {"auth_url": "http://127.0.0.1:5000/v3", "application_credential_id": "cred-id",
            "application_credential_secret": secret, "region_name": "RegionOne"}


def test_create_recreate_modify_delete_with_and_without_check_mode(run_playbook, kube_env, kube_requests, kube_core, names):
    one, two = names("one"), names("two")
    ns_one = "az-" + one["name"]

    def step(tenancies, *args, **options):
        run, result = tenancy(run_playbook, kube_env, tenancies, *args, **options)
        assert run.ok, run.output
        return result

    # create
    result = step([one, two], "--check")
    assert result["changed"] and result["totals"]["created"] == 2
    assert namespace(kube_core, ns_one) is None
    result = step([one, two])
    assert result["changed"] and [r["created"] for r in result["tenancies"]] == [True, True]
    ns = namespace(kube_core, ns_one)
    assert ns.metadata.labels[ID_LABEL] == one["id"] and ns.metadata.labels["app.kubernetes.io/managed-by"] == "azimuth-ops"
    assert ns.metadata.annotations == {"tenant.azimuth-cloud.io/name": one["name"]}
    # re-create
    result = step([one, two], "--check")
    assert not result["changed"] and result["totals"]["unchanged"] == 2
    result = step([one, two])
    assert not result["changed"]
    # modify
    changed = dict(one, oidc_group="/physics", labels={"example.org/team": "a"}, credential=credential("s3cret-one"))
    result = step([changed, two], "--check")
    assert result["changed"] and result["totals"] == dict(tenancies=2, created=0, updated=1, deleted=0, unchanged=1, pruned=0)
    assert "example.org/team" not in namespace(kube_core, ns_one).metadata.labels
    result = step([changed, two])
    assert result["changed"] and result["tenancies"][0]["changed"] and not result["tenancies"][1]["changed"]
    ns = namespace(kube_core, ns_one)
    assert ns.metadata.labels["example.org/team"] == "a"
    assert ns.metadata.annotations["tenant.azimuth-cloud.io/oidc-group"] == "/physics"
    assert "application_credential_secret: s3cret-one" in secret_data(kube_core, ns_one)["clouds.yaml"]
    # delete
    result = step([changed, two], "--check", state="absent")
    assert result["changed"] and result["totals"]["deleted"] == 2
    assert namespace(kube_core, ns_one) is not None
    result = step([changed, two], state="absent")
    assert result["changed"] and [r["deleted"] for r in result["tenancies"]] == [True, True]
    assert gone(kube_core, ns_one)
    result = step([changed, two], "--check", state="absent")
    assert not result["changed"]
    result = step([changed, two], state="absent")
    assert not result["changed"]


def test_check_mode_asks_the_server_with_dry_runs_but_not_for_a_secret_in_a_namespace_still_to_create(
        run_playbook, kube_env, kube_requests, kube_core, names):
    old, new = names("old"), names("new")
    tenancy(run_playbook, kube_env, [old])
    wanted = [dict(old, credential=credential("s3cret-old")), dict(new, credential=credential("s3cret-new"))]
    with kube_requests.measure() as served:
        run, predicted = tenancy(run_playbook, kube_env, wanted, "--check", "--diff")
    assert run.ok, run.output
    assert writes(served) == {}
    assert dry_runs(served) == {"DRYRUN POST /api/v1/namespaces/az-%s/secrets" % old["name"]: 1, "DRYRUN POST /api/v1/namespaces": 1}
    assert namespace(kube_core, "az-" + new["name"]) is None
    assert kube_core.list_namespaced_secret("az-" + old["name"], field_selector="metadata.name=" + SECRET).items == []
    run, done = tenancy(run_playbook, kube_env, wanted, "--diff")
    assert run.ok, run.output
    assert [predicted[key] for key in ("tenancies", "totals", "changed")] == [done[key] for key in ("tenancies", "totals", "changed")]
    assert predicted["diff"] == done["diff"]


def test_second_run_sends_no_write_request_and_diff_masks_the_secret(run_playbook, kube_env, kube_requests, kube_core, names):
    one, two = names("one"), names("two")
    one["credential"] = credential("a-very-private-secret-1")
    run, result = tenancy(run_playbook, kube_env, [one, two], "--diff")
    assert run.ok, run.output
    after = result["diff"]["after"]
    key = "az-%s/%s" % (one["name"], SECRET)
    cloud = after["secrets"][key]["data"]["clouds.yaml"]["clouds"]["openstack"]
    assert cloud["auth"] == {"auth_url": "http://127.0.0.1:5000/v3", "application_credential_id": "cred-id",
                             "application_credential_secret": "********"}
    assert cloud["auth_type"] == "v3applicationcredential" and cloud["identity_api_version"] == 3
    assert cloud["interface"] == "public" and cloud["region_name"] == "RegionOne"
    assert after["secrets"][key]["labels"]["credential.azimuth-cloud.io/provider"] == "openstack"
    assert list(secret_data(kube_core, "az-" + one["name"])) == ["clouds.yaml"]

    expected = {"GET /api/v1/namespaces": 1, "GET /api/v1/secrets": 1}  # one list per kind, nothing else
    with kube_requests.measure() as served:
        run, result = tenancy(run_playbook, kube_env, [one, two], "--diff")
    assert run.ok, run.output
    assert not result["changed"] and result["diff"]["after"] == {"namespaces": {}, "secrets": {}}
    assert writes(served) == {}
    assert served == expected, served

    one["credential"] = credential("a-very-private-secret-2")
    run, result = tenancy(run_playbook, kube_env, [one, two], "--diff")
    assert run.ok, run.output
    assert result["diff"]["after"]["secrets"][key]["data"]["clouds.yaml"]["clouds"]["openstack"]["auth"][
        "application_credential_secret"] == "******** (changed)"
    assert "a-very-private-secret" not in run.output


def test_no_secret_in_any_output_at_vvv_with_diff(run_playbook, kube_env, kube_requests, kube_core, names):
    one = names("one")
    first, second = "first-secret-Xq7vR2pL9", "second-secret-Kz3mW8nB4"
    outputs = []
    for value in (first, second):
        one["credential"] = credential(value)
        run = tenancy(run_playbook, kube_env, [one], "-vvv", "--diff")[0]
        assert run.ok, run.output
        outputs.append(run.output)
        data = kube_core.read_namespaced_secret(SECRET, "az-" + one["name"]).data["clouds.yaml"]
        forbidden = [value, base64.b64encode(value.encode()).decode(), data]
        for text in outputs:
            for needle in forbidden:
                assert needle not in text
    # a failure message (the Secret write refused) does not carry it either
    one["credential"] = credential("third-secret-Hy6tQ1wE5")
    kube_requests.inject_fault(count=1, status=422, method="PATCH", path_regex="/namespaces/az-%s/secrets/" % one["name"])
    run = tenancy(run_playbook, kube_env, [one], "-vvv", "--diff")[0]
    assert not run.ok
    assert "third-secret-Hy6tQ1wE5" not in run.output
    assert base64.b64encode(b"third-secret-Hy6tQ1wE5").decode() not in run.output


def test_a_renamed_tenancy_keeps_its_namespace_and_foreign_labels_survive(run_playbook, kube_env, kube_requests, kube_core, names):
    one = names("one")
    run = tenancy(run_playbook, kube_env, [one])[0]
    assert run.ok, run.output
    ns = "az-" + one["name"]
    kube_core.patch_namespace(ns, {"metadata": {"labels": {"example.org/other-tool": "x"}}})
    renamed = dict(one, name=one["name"] + "-renamed")
    run, result = tenancy(run_playbook, kube_env, [renamed])
    assert run.ok, run.output
    assert result["tenancies"][0]["namespace"] == ns and not result["tenancies"][0]["created"]
    got = namespace(kube_core, ns)
    assert got.metadata.annotations["tenant.azimuth-cloud.io/name"] == renamed["name"]
    assert got.metadata.labels["example.org/other-tool"] == "x"
    assert namespace(kube_core, "az-" + renamed["name"]) is None


def test_an_unlabelled_namespace_is_adopted(run_playbook, kube_env, kube_requests, kube_core, names):
    one = names("one")
    kube_core.create_namespace({"metadata": {"name": "az-" + one["name"]}})
    run, result = tenancy(run_playbook, kube_env, [one], "--check")
    assert run.ok and result["changed"] and not result["tenancies"][0]["created"]
    run, result = tenancy(run_playbook, kube_env, [one])
    assert run.ok and result["totals"]["updated"] == 1
    assert namespace(kube_core, "az-" + one["name"]).metadata.labels[ID_LABEL] == one["id"]


def test_ownership_conflicts_stop_before_any_write(run_playbook, kube_env, kube_requests, kube_core, names):
    one, two, three = names("one"), names("two"), names("three")
    # az-<one> belongs to another tenancy
    other = "other-" + one["id"]
    kube_core.create_namespace({"metadata": {"name": "az-" + one["name"], "labels": {ID_LABEL: other}}})
    run = tenancy(run_playbook, kube_env, [three, one])[0]
    assert not run.ok
    assert "namespace az-%s belongs to another tenancy (%s=%s)" % (one["name"], ID_LABEL, other) in run.output
    assert namespace(kube_core, "az-" + three["name"]) is None  # nothing written
    # two namespaces labelled with the same ID
    for suffix in ("a", "b"):
        kube_core.create_namespace({"metadata": {"name": "az-%s-%s" % (two["name"], suffix), "labels": {ID_LABEL: two["id"]}}})
    names("two-a"), names("two-b")  # cleaned up afterwards
    run = tenancy(run_playbook, kube_env, [two])[0]
    assert not run.ok
    assert "namespaces az-{0}-a and az-{0}-b are all labelled".format(two["name"]) in run.output
    # two listed tenancies with one namespace, or one ID
    run = tenancy(run_playbook, kube_env, [three, dict(three, id="other")])[0]
    assert not run.ok and "both map to namespace az-" + three["name"] in run.output
    run = tenancy(run_playbook, kube_env, [three, dict(three, name="x" + three["name"])])[0]
    assert not run.ok and "both map to ID label" in run.output
    assert namespace(kube_core, "az-" + three["name"]) is None
    # a namespace another tool manages
    kube_core.create_namespace({"metadata": {"name": "az-" + three["name"], "labels": {"app.kubernetes.io/managed-by": "Helm"}}})
    run = tenancy(run_playbook, kube_env, [three])[0]
    assert not run.ok and "is managed by Helm" in run.output
    # state=absent leaves a namespace that is not managed by the collection
    run, result = tenancy(run_playbook, kube_env, [dict(id=other, name=one["name"])], state="absent")
    assert run.ok and not result["changed"]
    assert "is not managed by azimuth-ops; left alone" in run.output
    assert namespace(kube_core, "az-" + one["name"]) is not None


def test_a_name_without_letters_or_digits(run_playbook, kube_env):
    run = tenancy(run_playbook, kube_env, [{"id": "x1", "name": "!!! ---"}])[0]
    assert not run.ok
    assert "tenancy !!! --- (x1): the name cannot name a namespace" in run.output


def test_prune_deletes_only_managed_namespaces_of_unlisted_tenancies(run_playbook, kube_env, kube_requests, kube_core, names, unique_name):
    # The cluster is shared: this test's tenancies carry a label of their own, and prune_selector
    # keeps prune to them (other tests' namespaces are managed tenancies too).
    mine = {"test.azimuth-ops.io/run": unique_name}
    one, two, three, foreign = names("one"), names("two"), names("three"), names("foreign")
    one["labels"] = two["labels"] = mine
    run = tenancy(run_playbook, kube_env, [one, two, three])[0]
    assert run.ok, run.output
    kube_core.create_namespace({"metadata": {"name": "az-" + foreign["name"], "labels": dict(mine, **{ID_LABEL: foreign["id"]})}})
    selector = "test.azimuth-ops.io/run=" + unique_name
    run, result = tenancy(run_playbook, kube_env, [one], "--check", prune=True, prune_selector=selector)
    assert run.ok, run.output
    assert result["pruned"] == [{"namespace": "az-" + two["name"], "id": two["id"]}]
    assert namespace(kube_core, "az-" + two["name"]) is not None
    run, result = tenancy(run_playbook, kube_env, [one], prune=True, prune_selector=selector)
    assert run.ok, run.output
    assert result["pruned"] == [{"namespace": "az-" + two["name"], "id": two["id"]}]
    assert gone(kube_core, "az-" + two["name"])
    assert not gone(kube_core, "az-" + one["name"])
    assert not gone(kube_core, "az-" + three["name"])  # not matched by the selector
    assert not gone(kube_core, "az-" + foreign["name"])  # not managed: never pruned
    run, result = tenancy(run_playbook, kube_env, [one], prune=True, prune_selector=selector)
    assert run.ok and not result["changed"]


def test_a_conflict_is_retried_after_re_reading(run_playbook, kube_env, kube_requests, kube_core, names):
    one = names("one")
    run = tenancy(run_playbook, kube_env, [one])[0]
    assert run.ok, run.output
    kube_requests.inject_fault(count=2, status=409, method="PATCH", path_regex="/namespaces/az-%s$" % one["name"])
    run, result = tenancy(run_playbook, kube_env, [dict(one, oidc_group="/g")])
    assert run.ok, run.output
    assert namespace(kube_core, "az-" + one["name"]).metadata.annotations["tenant.azimuth-cloud.io/oidc-group"] == "/g"


def test_an_unreachable_api(run_playbook, kube_env, names):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    run = tenancy(run_playbook, kube_env, [names("one")], host="https://127.0.0.1:%d" % port)[0]
    assert not run.ok
    assert "Kubernetes request failed: could not reach the Kubernetes API" in run.output
    assert "Traceback" not in run.output


def test_a_refusing_api(run_playbook, kube_env, kube_requests, names):
    kube_requests.inject_fault(count=1, status=503, method="GET", path_regex="^/api/v1/namespaces$")
    run = tenancy(run_playbook, kube_env, [names("one")])[0]
    assert not run.ok
    assert "Kubernetes request failed: HTTP 503 ServiceUnavailable" in run.output


def test_a_bad_token(run_playbook, kube_env, kube_requests, names):
    run = tenancy(run_playbook, kube_env, [names("one")], api_key="not-the-token")[0]
    assert not run.ok
    assert "Kubernetes request failed: HTTP 401 Unauthorized" in run.output
    assert "not-the-token" not in run.output


# --- the portal's own namespaces (issue 16) ------------------------------------------------------------

PORTAL_LABEL = "azimuth-ops.azimuth-cloud.io/portal"


def test_prune_without_a_selector_deletes_only_this_portals_namespaces(run_playbook, kube_env, kube_requests, kube_core, names, unique_name):
    """Each test is a portal of its own here, so prune needs no selector to keep off other tests' namespaces."""
    one, two, old, other = names("one"), names("two"), names("old"), names("other")
    run = tenancy(run_playbook, kube_env, [one, two, old], portal=unique_name)[0]
    assert run.ok, run.output
    run = tenancy(run_playbook, kube_env, [other], portal=unique_name + "-b")[0]
    assert run.ok, run.output
    labels = namespace(kube_core, "az-" + one["name"]).metadata.labels
    assert labels[PORTAL_LABEL] == unique_name and labels["app.kubernetes.io/managed-by"] == "azimuth-ops"
    # a namespace written before the collection labelled its portal has no portal label
    kube_core.patch_namespace("az-" + old["name"], {"metadata": {"labels": {PORTAL_LABEL: None}}})

    run, predicted = tenancy(run_playbook, kube_env, [one], "--check", prune=True, portal=unique_name)
    assert run.ok, run.output
    assert predicted["pruned"] == [{"namespace": "az-" + two["name"], "id": two["id"]}]
    with kube_requests.measure() as served:
        run, result = tenancy(run_playbook, kube_env, [one], prune=True, portal=unique_name)
    assert run.ok, run.output
    assert result["pruned"] == predicted["pruned"]
    assert list(route for route in writes(served) if route.startswith("DELETE")) == ["DELETE /api/v1/namespaces/az-%s" % two["name"]]
    assert gone(kube_core, "az-" + two["name"])
    assert not gone(kube_core, "az-" + other["name"])  # another portal's
    assert not gone(kube_core, "az-" + old["name"])  # no portal label yet: never pruned until a run labels it
    # a run that lists the old tenancy labels it (the migration); from then on it is this portal's
    run, result = tenancy(run_playbook, kube_env, [one, old], portal=unique_name)
    assert run.ok and result["totals"]["updated"] == 1
    assert namespace(kube_core, "az-" + old["name"]).metadata.labels[PORTAL_LABEL] == unique_name
    with kube_requests.measure() as served:
        run, result = tenancy(run_playbook, kube_env, [one, old], prune=True, portal=unique_name)
    assert run.ok and not result["changed"] and writes(served) == {}


def test_another_portals_namespace_is_neither_changed_nor_deleted(run_playbook, kube_env, kube_requests, kube_core, names, unique_name):
    theirs = dict(names("theirs"), credential=credential("s3cret"))
    run = tenancy(run_playbook, kube_env, [theirs], portal=unique_name + "-b")[0]
    assert run.ok, run.output
    assert kube_core.read_namespaced_secret(SECRET, "az-" + theirs["name"]).metadata.labels[PORTAL_LABEL] == unique_name + "-b"
    with kube_requests.measure() as served:
        run, _result = tenancy(run_playbook, kube_env, [theirs], portal=unique_name)
    assert not run.ok
    assert ("namespace az-%s belongs to the portal %s-b (label %s=%s-b), not to %s; it is not this run's to change"
            % (theirs["name"], unique_name, PORTAL_LABEL, unique_name, unique_name)) in run.output
    assert writes(served) == {}
    run, result = tenancy(run_playbook, kube_env, [theirs], portal=unique_name, state="absent")
    assert run.ok and not result["changed"]
    assert "belongs to the portal %s-b" % unique_name in run.output
    assert not gone(kube_core, "az-" + theirs["name"])
