"""Whose realm is whose, against the real Keycloak and kube-apiserver, played as a tenant would attack it.

Every tenancy member is a realm admin of their realm; here the master admin makes the same edits a
realm admin may make (realm attributes, the realm's name).  The bindings on the tenancies'
namespaces decide, and one tenancy's trouble never stops the others.
"""

import concurrent.futures

from .keycloak_support import run_module
# fixtures, used by name
from .keycloak_support import keycloak, keycloak_env, keycloak_requests  # noqa: F401  # pylint: disable=unused-import
from .test_tenancy_realm import failed, idp, names, succeeded  # noqa: F401  # pylint: disable=unused-import


def realms(run_playbook, env, tenancies, *args, **options):
    options = dict(options, tenancies=tenancies)
    options.setdefault("azimuth_idp", idp())
    return run_module(run_playbook, env, "azimuth.ops.tenancy_realm", options, *args)


def binding(kube_core, tenancy):
    annotations = kube_core.read_namespace("az-" + tenancy["name"]).metadata.annotations or {}
    return annotations.get("tenant.azimuth-cloud.io/realm"), annotations.get("tenant.azimuth-cloud.io/realm-id")


def realm_id(keycloak, name):
    return next(r["id"] for r in keycloak.get("", briefRepresentation="true") if r["realm"] == name)


def test_each_realm_is_bound_on_its_namespace_by_its_keycloak_id(run_playbook, keycloak_env, keycloak, kube_core, names):
    one = names("one")
    run, result = realms(run_playbook, keycloak_env, [one], "--check")
    assert succeeded(run, result)["changed"] and binding(kube_core, one) == (None, None)
    succeeded(*realms(run_playbook, keycloak_env, [one]))
    name, bound = binding(kube_core, one)
    assert name == "az-" + one["name"] and bound == realm_id(keycloak, name)
    # the realm is deleted behind the module's back: made again under the same ID
    keycloak.delete(name)
    assert succeeded(*realms(run_playbook, keycloak_env, [one]))["totals"]["created"] == 1
    assert realm_id(keycloak, name) == bound


def test_a_realm_marked_with_another_tenancy_s_id_is_restored_and_stops_nobody(run_playbook, keycloak_env, keycloak, names):
    one, two = names("one"), names("two")
    succeeded(*realms(run_playbook, keycloak_env, [one, two]))
    export = keycloak.realm("az-" + one["name"])
    keycloak.put("az-" + one["name"], {"attributes": dict(export["attributes"], **{"azimuth-ops.tenancy-id": two["id"]})})
    run, result = realms(run_playbook, keycloak_env, [one, two])
    assert succeeded(run, result)["totals"]["updated"] == 1 and result["realms"][1]["changed"] is False
    assert "had its attributes changed" in run.output
    assert keycloak.realm("az-" + one["name"])["attributes"]["azimuth-ops.tenancy-id"] == one["id"]


def test_a_realm_renamed_into_another_tenancy_s_name_is_never_handed_to_it(
        run_playbook, keycloak_env, keycloak, kube_core, names):
    mine, theirs, bystander = names("x"), names("c"), names("b")
    succeeded(*realms(run_playbook, keycloak_env, [mine]))
    # a realm admin of tenancy x renames their realm to tenancy c's realm name and marks it with c's ID
    export = keycloak.realm("az-" + mine["name"])
    keycloak.put("az-" + mine["name"], {"realm": "az-" + theirs["name"],
                                        "attributes": dict(export["attributes"], **{"azimuth-ops.tenancy-id": theirs["id"]})})
    for args in (("--check",), ()):
        run, result = realms(run_playbook, keycloak_env, [mine, theirs, bystander], *args)
        assert failed(run, result).startswith("Could not settle the realms of 1 of 3 tenancies: tenancy %s (%s): realm az-%s "
                                              "is the realm of the tenancy of namespace az-%s" % (
                                                  theirs["name"], theirs["id"], theirs["name"], mine["name"]))
        assert set(result["errors"]) == {theirs["id"]}
        assert [r.get("failed", False) for r in result["realms"]] == [False, True, False]
    # x keeps its (renamed) realm, c was handed nothing, the bystander converged
    assert result["realms"][0]["realm"] == "az-" + theirs["name"]
    assert keycloak.realm("az-" + theirs["name"])["attributes"]["azimuth-ops.tenancy-id"] == mine["id"]
    assert binding(kube_core, theirs) == (None, None)
    assert "az-" + bystander["name"] in keycloak.realms()


def test_two_runs_at_once_settle_on_one_realm(run_playbook, keycloak_env, keycloak, kube_core, names):
    one = names("one")
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(lambda _: realms(run_playbook, keycloak_env, [one]), range(2)))
    for run, result in runs:
        succeeded(run, result)
    assert [r for r in keycloak.realms() if r == "az-" + one["name"]] == ["az-" + one["name"]]
    assert binding(kube_core, one)[1] == realm_id(keycloak, "az-" + one["name"])
    assert not succeeded(*realms(run_playbook, keycloak_env, [one]))["changed"]


def test_prune_keeps_to_its_portal_unless_told(run_playbook, keycloak_env, keycloak, names, unique_name):
    ours, other_portal, kept = names("ours"), names("other"), names("kept")
    selector = {"test.instance": unique_name}
    succeeded(*realms(run_playbook, keycloak_env, [ours, kept], realm_attributes=selector))
    succeeded(*realms(run_playbook, keycloak_env, [other_portal], realm_attributes=selector, portal="another-portal"))
    options = dict(realm_attributes=selector, prune=True, prune_selector=selector)
    result = succeeded(*realms(run_playbook, keycloak_env, [kept], **options))
    assert result["pruned"] == [{"realm": "az-" + ours["name"], "id": ours["id"]}]
    assert "az-" + other_portal["name"] in keycloak.realms()
    result = succeeded(*realms(run_playbook, keycloak_env, [kept], prune_all_portals=True, **options))
    assert result["pruned"] == [{"realm": "az-" + other_portal["name"], "id": other_portal["id"]}]
    assert "az-" + kept["name"] in keycloak.realms()


def test_a_keycloak_url_with_the_old_auth_path_says_so(run_playbook, keycloak_env, names):
    run, result = realms(run_playbook, dict(keycloak_env, KEYCLOAK_URL=keycloak_env["KEYCLOAK_URL"] + "/auth"), [names("one")])
    assert "/auth" in failed(run, result) and "Keycloak 17" in result["msg"], result["msg"]
