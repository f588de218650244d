"""Whose realm is whose: bindings on the tenancies' namespaces decide, realm attributes never do."""

import pytest

from ansible_collections.azimuth.ops.plugins.module_utils.keycloak import _tenancy_realm as tr
from ansible_collections.azimuth.ops.plugins.module_utils.common._module import ModuleError
from ansible_collections.azimuth.ops.plugins.module_utils.keycloak._realm_binding import REALM_ANNOTATION, REALM_ID_ANNOTATION, Bindings
from ansible_collections.azimuth.ops.plugins.module_utils.keycloak._tenancy_realm_batch import TenancyRealms

from ansible_collections.azimuth.ops.tests.unit.plugins.module_utils.kube_fakes import Kube, namespace

MANAGED = {"azimuth-ops.managed-by": "azimuth-ops"}
PARAMS = {"azimuth_idp": {"issuer": "https://portal.example.org/{tenancy_id}", "client_id": "kc", "client_secret": "s",
                          "client_secret_scope": "shared"}, "realm_objects": False}


def realm(name, realm_id, tenancy=None, **attributes):
    if tenancy:
        attributes = dict(MANAGED, **{"azimuth-ops.tenancy-id": tenancy}, **attributes)
    return {"realm": name, "id": realm_id, "attributes": attributes}


def bound(name, tenancy_label, realm_name, realm_id):
    return namespace(name, tenancy_label, annotations={REALM_ANNOTATION: realm_name, REALM_ID_ANNOTATION: realm_id})


class Calls:
    def __init__(self, realms):
        self.realms = realms

    def get(self, path, **params):
        assert path == "admin/realms"
        return self.realms


def batch(namespaces, realms, check_mode=False):
    job = TenancyRealms(Calls(realms), lambda: Kube(namespaces), "https://kc.example.org")
    job.read_all(PARAMS, check_mode)
    return job


def item(name, tenancy_id):
    return tr.desired_realms([{"id": tenancy_id, "name": name}], PARAMS["azimuth_idp"])[0][0]


def owned(job, tenancy):
    return job.owned_realm(tenancy, job.bindings.namespace(tenancy))


def test_a_bound_realm_is_the_tenancy_s_whatever_its_name_and_attributes_say():
    renamed = realm("az-whatever", "r-1", "someone-else")
    job = batch([bound("az-physics", "t-1", "az-physics", "r-1")], [renamed])
    assert owned(job, item("physics", "t-1")) == (renamed, "r-1")
    assert "had its attributes changed" in job.warnings[0] and "restored" in job.warnings[0]


def test_a_realm_renamed_and_marked_for_another_tenancy_is_never_handed_over():
    # a realm admin of tenancy x renamed their realm az-c and marked it with tenancy c's ID
    stolen = realm("az-c", "r-x", "t-c")
    job = batch([bound("az-x", "t-x", "az-x", "r-x"), namespace("az-c", "t-c")], [stolen])
    with pytest.raises(ModuleError, match="realm az-c is the realm of the tenancy of namespace az-x"):
        owned(job, item("c", "t-c"))
    assert owned(job, item("x", "t-x")) == (stolen, "r-x")


def test_a_realm_marked_with_another_tenancy_s_id_changes_nothing_for_either():
    job = batch([bound("az-a", "t-a", "az-a", "r-a"), bound("az-b", "t-b", "az-b", "r-b")],
                [realm("az-a", "r-a", "t-b"), realm("az-b", "r-b", "t-b")])
    assert owned(job, item("a", "t-a"))[1] == "r-a" and owned(job, item("b", "t-b"))[1] == "r-b"


def test_a_realm_made_before_bindings_is_bound_by_its_marking_once():
    legacy = realm("az-old-name", "r-1", "t-1")
    job = batch([namespace("az-physics", "t-1")], [legacy])
    found = owned(job, item("physics", "t-1"))
    assert found == (legacy, "r-1")
    assert Bindings.patch(job.bindings.namespace(item("physics", "t-1")), "az-old-name", "r-1") == {
        "annotations": {REALM_ANNOTATION: "az-old-name", REALM_ID_ANNOTATION: "r-1"}}


def test_a_bound_realm_that_is_gone_is_made_again_under_its_id():
    job = batch([bound("az-physics", "t-1", "az-physics", "r-1")], [])
    assert owned(job, item("physics", "t-1")) == (None, "r-1")


def test_a_new_tenancy_gets_a_new_realm_id():
    job = batch([namespace("az-physics", "t-1")], [])
    found, realm_id = owned(job, item("physics", "t-1"))
    assert found is None and len(realm_id) == 36


def test_a_realm_of_the_name_that_is_not_the_collection_s_names_both_attributes():
    job = batch([namespace("az-physics", "t-1")], [realm("az-physics", "r-9", cibaInterval="5")])
    with pytest.raises(ModuleError) as error:
        owned(job, item("physics", "t-1"))
    assert str(error.value) == (
        "realm az-physics exists but is not managed by azimuth.ops (it lacks the realm attributes "
        "azimuth-ops.managed-by=azimuth-ops and azimuth-ops.tenancy-id=t-1); rename or delete it, or set both to let "
        "the collection manage it")


def test_a_realm_of_another_tenancy_or_of_no_tenancy_is_refused():
    job = batch([namespace("az-physics", "t-1")], [realm("az-physics", "r-9", "t-9")])
    with pytest.raises(ModuleError, match="realm az-physics is managed by azimuth.ops for tenancy t-9"):
        owned(job, item("physics", "t-1"))
    job = batch([namespace("az-physics", "t-1")], [realm("az-physics", "r-9", **MANAGED)])
    with pytest.raises(ModuleError, match="for something other than a tenancy"):
        owned(job, item("physics", "t-1"))


def test_two_unbound_realms_marked_with_one_tenancy_are_refused():
    job = batch([namespace("az-physics", "t-1")], [realm("az-a", "r-a", "t-1"), realm("az-b", "r-b", "t-1")])
    with pytest.raises(ModuleError, match="realms az-a and az-b all carry the attribute azimuth-ops.tenancy-id=t-1"):
        owned(job, item("physics", "t-1"))


def test_a_tenancy_without_its_namespace_fails_unless_checking():
    with pytest.raises(ModuleError, match="no namespace is labelled tenant.azimuth-cloud.io/id=t-1"):
        batch([], []).bindings.namespace(item("physics", "t-1"))
    job = batch([], [], check_mode=True)
    assert job.bindings.namespace(item("physics", "t-1")) is None
    assert "check mode assumes az-physics" in job.bindings.warnings[0]


def test_a_namespace_another_tool_manages_or_two_namespaces_are_refused():
    helm = namespace("az-physics", "t-1")
    helm["metadata"]["labels"]["app.kubernetes.io/managed-by"] = "Helm"
    with pytest.raises(ModuleError, match="namespace az-physics is managed by Helm"):
        batch([helm], []).bindings.namespace(item("physics", "t-1"))
    with pytest.raises(ModuleError, match="namespaces az-a and az-b are all labelled"):
        batch([namespace("az-a", "t-1"), namespace("az-b", "t-1")], []).bindings.namespace(item("physics", "t-1"))
