"""The Realm and Platform objects the collection answers: what the portal reads, whose object is whose, adoption from the
identity operator, the collection's finalizer."""

import pytest

from ansible_collections.azimuth.ops.plugins.module_utils.kubernetes import _kubernetes as kube
from ansible_collections.azimuth.ops.plugins.module_utils.kubernetes import _answered_object as ao
from ansible_collections.azimuth.ops.plugins.module_utils.keycloak import _tenancy_realm as tr
from ansible_collections.azimuth.ops.plugins.module_utils.common._module import ModuleError
from ansible_collections.azimuth.ops.plugins.module_utils.common._naming import ADOPTED_ANNOTATION
from ansible_collections.azimuth.ops.plugins.module_utils.keycloak._tenancy_realm_batch import TenancyRealms

from ansible_collections.azimuth.ops.tests.unit.plugins.module_utils.kube_fakes import Kube, namespace
from ansible_collections.azimuth.ops.tests.unit.plugins.module_utils.test_tenancy_realm_batch import Calls

READY = ao.realm_status("https://kc.example.org/", "az-physics")
PARAMS = {"azimuth_idp": {"issuer": "https://portal.example.org/{tenancy_id}", "client_id": "kc", "client_secret": "s",
                          "client_secret_scope": "shared"}, "realm_objects": True, "finalizer": False}


def realm_object(name="az-physics", ns=None, labels=None, finalizers=None, annotations=None, status=None, tenancy="t-1"):
    metadata = dict(name=name, namespace=ns or name, labels=labels or {}, finalizers=finalizers or [], annotations=annotations or {},
                    resourceVersion="7", uid="u-1")
    return dict(metadata=metadata, spec=dict(tenancyId=tenancy), status=status or {})


def operator_object(**kwargs):
    return realm_object(labels={"app.kubernetes.io/managed-by": "azimuth"}, finalizers=[ao.OPERATOR_FINALIZER],
                        annotations={ao.GROUP + "/last-handled-configuration": "{}", "other/annotation": "kept"}, **kwargs)


class Objects:
    def __init__(self, found=(), missing_crd=False):
        self.found, self.missing_crd, self.writes = list(found), missing_crd, []

    def read(self, ns, name):
        return next((o for o in self.found if (o["metadata"]["namespace"], o["metadata"]["name"]) == (ns, name)), None)

    def list_all(self, label_selector=None):
        if self.missing_crd:
            raise kube.NotInstalled("the cluster does not serve identity.azimuth.stackhpc.com/v1alpha1 realms")
        return self.found

    def create(self, ns, body):
        self.writes.append(("create", ns, body))

    def patch(self, ns, name, patch):
        self.writes.append(("patch", ns, name, patch))

    def patch_status(self, ns, name, status):
        self.writes.append(("status", ns, name, status))

    def delete(self, ns, name, uid=None):
        self.writes.append(("delete", ns, name, uid))


def objects(*found, **options):
    job = ao.AnsweredObjects(Objects(found), "Realm", "realm_objects: false", **options)
    job.read_all()
    return job


def plan(job, adopt=False):
    return job.plan("az-physics", "az-physics", READY, adopt, create={"tenancyId": "t-1"})


def test_the_status_is_the_identity_operator_s():
    assert READY == {"phase": "Ready", "oidcIssuerUrl": "https://kc.example.org/realms/az-physics",
                     "adminUrl": "https://kc.example.org/admin/az-physics/console", "platformUsersGroup": "/platform-users"}


def test_a_missing_object_is_made_then_given_its_status():
    job = objects()
    planned = plan(job)
    assert planned["changed"] and planned["create"]["metadata"] == {
        "name": "az-physics", "namespace": "az-physics", "labels": {"app.kubernetes.io/managed-by": "azimuth-ops"}}
    assert planned["create"]["spec"] == {"tenancyId": "t-1"} and planned["create"]["kind"] == "Realm"
    job.write(planned)
    assert [w[0] for w in job.calls.writes] == ["create", "status"]
    assert job.view(planned) == (None, {"spec": {"tenancyId": "t-1"}, "status": READY})


def test_the_portal_s_object_is_answered_not_relabelled():
    job = objects(realm_object(labels={"app.kubernetes.io/managed-by": "azimuth"}, status={"phase": "Pending"}))
    planned = plan(job)
    assert planned["create"] is None and planned["patch"] is None and planned["status"] == READY
    job.write(planned)
    assert job.calls.writes == [("status", "az-physics", "az-physics", READY)]


def test_an_answered_object_needs_nothing():
    job = objects(realm_object(labels={"app.kubernetes.io/managed-by": "azimuth"}, status=dict(READY, failureMessage="")))
    assert not plan(job)["changed"]


def test_another_tool_s_object_is_refused_even_when_adopting():
    job = objects(realm_object(labels={"app.kubernetes.io/managed-by": "Helm"}))
    with pytest.raises(ModuleError, match="managed by Helm"):
        plan(job, adopt=True)


def test_the_operator_s_object_is_refused_without_adopt_naming_the_tool_and_the_option():
    job = objects(operator_object())
    with pytest.raises(ModuleError, match="handled by the azimuth-identity-operator .*set adopt: true"):
        plan(job)


def test_adopting_takes_the_operator_s_marks_off_and_records_the_takeover():
    job = objects(operator_object(status=READY))
    planned = plan(job, adopt=True)
    patch = planned["patch"]["metadata"]
    assert patch["finalizers"] == [] and patch["resourceVersion"] == "7"
    assert patch["annotations"][ao.GROUP + "/last-handled-configuration"] is None
    assert "other/annotation" not in patch["annotations"]
    assert patch["annotations"][ADOPTED_ANNOTATION].startswith("azimuth-identity-operator at ")
    assert planned["status"] is None and planned["changed"]


def test_only_the_collection_s_own_object_is_deleted():
    assert objects(realm_object(labels={"app.kubernetes.io/managed-by": "azimuth"})).plan_release("az-physics", "az-physics") is None
    job = objects(realm_object(labels={"app.kubernetes.io/managed-by": "azimuth-ops"}))
    planned = job.plan_release("az-physics", "az-physics")
    job.write(planned)
    assert job.calls.writes == [("delete", "az-physics", "az-physics", "u-1")]


def test_the_finalizer_holds_the_object_until_its_release_takes_it_off():
    job = objects(finalizer=True)
    assert plan(job)["create"]["metadata"]["finalizers"] == [ao.FINALIZER]
    portal_s = realm_object(labels={"app.kubernetes.io/managed-by": "azimuth"}, finalizers=["someone/else"], status=READY)
    job = objects(portal_s, finalizer=True)
    assert plan(job)["patch"]["metadata"] == {"finalizers": ["someone/else", ao.FINALIZER], "resourceVersion": "7"}
    # the portal deletes it: the release takes the collection's finalizer off and leaves the object to the portal
    held = realm_object(labels={"app.kubernetes.io/managed-by": "azimuth"}, finalizers=["someone/else", ao.FINALIZER])
    held["metadata"]["deletionTimestamp"] = "2026-12-07T01:00:00Z"
    job = objects(held, finalizer=True)
    with pytest.raises(ModuleError, match="is being deleted; run with state absent"):
        plan(job)
    release = job.plan_release("az-physics", "az-physics")
    assert release["finalizers"] == ["someone/else"] and not release["delete"]
    job.write(release)
    assert job.calls.writes == [("patch", "az-physics", "az-physics", {"metadata": {"finalizers": ["someone/else"], "resourceVersion": "7"}})]


def test_a_platform_is_answered_only_when_it_exists():
    platform = realm_object(name="caas-x", ns="az-physics", labels={"app.kubernetes.io/managed-by": "azimuth"})
    job = ao.AnsweredObjects(Objects([platform]), "Platform", "platform_objects")
    status = ao.platform_status("caas-x", ["web", "ssh"])
    assert status == {"phase": "Ready", "rootGroup": "/caas-x", "zenithServiceSubgroups": {"web": "/caas-x/web", "ssh": "/caas-x/ssh"}}
    assert job.plan("az-physics", "caas-x", status, False)["status"] == status
    with pytest.raises(ModuleError, match="there is no Platform az-physics/caas-y to answer"):
        job.plan("az-physics", "caas-y", status, False)


def test_a_cluster_without_the_kind_is_named_with_the_option():
    job = ao.AnsweredObjects(Objects(missing_crd=True), "Realm", "realm_objects: false")
    with pytest.raises(ModuleError, match="Install the identity operator's CRDs .*realm_objects: false"):
        job.read_all()


def batch(found, realms):
    job = TenancyRealms(Calls(realms), lambda: Kube([namespace("az-physics", "t-1")]), "https://kc.example.org",
                        realm_calls=lambda: Objects(found))
    job.read_all(PARAMS, False)
    return job


def owned(job, adopt):
    tenancy = tr.desired_realms([{"id": "t-1", "name": "physics"}], PARAMS["azimuth_idp"])[0][0]
    return job.owned_realm(tenancy, job.bindings.namespace(tenancy), adopt)


def test_the_operator_s_realm_is_refused_without_adopt_and_taken_over_with_it():
    operators_realm = {"realm": "az-physics", "id": "r-op", "attributes": {}}
    job = batch([operator_object()], [operators_realm])
    with pytest.raises(ModuleError, match="azimuth-identity-operator .*adopt: true"):
        owned(job, adopt=False)
    assert owned(job, adopt=True) == (operators_realm, "r-op")


def test_a_foreign_realm_without_the_operator_s_object_is_refused_even_when_adopting():
    job = batch([realm_object(labels={"app.kubernetes.io/managed-by": "azimuth"})], [{"realm": "az-physics", "id": "r-x", "attributes": {}}])
    with pytest.raises(ModuleError, match="not managed by azimuth.ops"):
        owned(job, adopt=True)
