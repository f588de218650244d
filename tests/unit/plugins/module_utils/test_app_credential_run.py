"""A run of azimuth.ops.app_credential against an in-memory Keystone and Kubernetes: ownership, lost replies, roles."""

import itertools

import pytest

from ansible_collections.azimuth.ops.plugins.module_utils.openstack import _app_credential as ac
from ansible_collections.azimuth.ops.plugins.module_utils.kubernetes import _cloud_credential as cc
from ansible_collections.azimuth.ops.plugins.module_utils.kubernetes._kubernetes import AlreadyExists, retry_on_conflict
from ansible_collections.azimuth.ops.plugins.module_utils.common._module import ModuleError

AUTH_URL = "https://keystone.example.org/v3"
ROLES = [("m1", "member"), ("r1", "reader")]


class Credential(dict):
    def to_dict(self, computed=False):
        return dict(self)


class Access:
    user_id, username, project_id, project_name = "u", "alice", "p", "demo"
    role_ids = [role[0] for role in ROLES]
    role_names = [role[1] for role in ROLES]


class FakeConnection:
    """Enough of an openstacksdk connection: the token, the config, the user's application credentials."""

    def __init__(self):
        self.credentials = []
        self.ids = itertools.count(1)
        self.session = self
        self.auth = self
        self.config = self
        self.identity = self
        self.writes = []

    def get_access(self, _session):
        return Access()

    def get_requests_verify_args(self):
        return True, None

    def get_auth_args(self):
        return {"auth_url": AUTH_URL}

    def get_region_name(self):
        return "RegionOne"

    def get_interface(self):
        return "public"

    def application_credentials(self, _user_id):
        return [Credential(c) for c in self.credentials]

    def create_application_credential(self, _user_id, name, **attrs):
        credential = Credential(id="cred-%d" % next(self.ids), name=name, secret="S3CRET-%d" % len(self.credentials), project_id="p",
                                roles=[dict(id=r["id"], name=dict(ROLES)[r["id"]]) for r in attrs["roles"]], **dict(
                                    (k, v) for k, v in attrs.items() if k != "roles"))
        self.credentials.append(credential)
        self.writes.append(("create", credential["id"]))
        return Credential(credential)

    def delete_application_credential(self, _user_id, credential_id, ignore_missing=False):
        self.writes.append(("delete", credential_id))
        self.credentials = [c for c in self.credentials if c["id"] != credential_id]


class Lost(Exception):
    """A request whose reply never came (the server may have done it)."""


class FakeSecrets:
    """Secrets in memory; ``lose_reply`` applies the next write but raises, ``refuse`` raises without applying."""

    def __init__(self, secret=None):
        self.secrets = {}
        if secret is not None:
            self.secrets[secret["metadata"]["namespace"], secret["metadata"]["name"]] = secret
        self.lose_reply = self.refuse = False
        self.writes = []

    def read_secret(self, namespace, name):
        return self.secrets.get((namespace, name))

    def _write(self, apply):
        if self.refuse:
            raise Lost("connection refused")
        apply()
        if self.lose_reply:
            raise Lost("read timed out")

    def create_secret(self, namespace, body):
        self.writes.append("create")
        if (namespace, body["metadata"]["name"]) in self.secrets:
            raise AlreadyExists("exists")
        self._write(lambda: self.secrets.__setitem__((namespace, body["metadata"]["name"]), body))

    def patch_secret(self, namespace, name, patch):
        self.writes.append("patch")
        secret = self.secrets[namespace, name]

        def apply():
            for key, value in patch.get("data", {}).items():
                secret["data"][key] = value

        self._write(apply)

    def delete_secret(self, namespace, name, uid=None):
        self.writes.append("delete")
        del self.secrets[namespace, name]


PARAMS = dict(name="portal", description=None, roles=None, unrestricted=False, expires_at=None, verify=False,
              include_cacert=False, include_user_info=False, state="present",
              secret=dict(namespace="az-demo", name="default-openstack-credential", labels=None, annotations=None))


def run(conn, kube, check_mode=False, **params):
    job = ac.AppCredential(conn, kube, dict(PARAMS, **params), check_mode, retry_on_conflict, str)
    return job.run()


def held_id(kube):
    secret = kube.read_secret("az-demo", "default-openstack-credential")
    return cc.stored_credential(cc.decode_data(secret)["clouds.yaml"])[0]


def test_a_lost_reply_to_the_secret_write_keeps_the_credential_the_secret_holds():
    conn, kube = FakeConnection(), FakeSecrets()
    kube.lose_reply = True
    result = run(conn, kube)
    assert result["changed"] and result["credential"]["id"] == "cred-1"
    assert held_id(kube) == "cred-1" and [c["id"] for c in conn.credentials] == ["cred-1"]
    assert conn.writes == [("create", "cred-1")]


def test_a_refused_secret_write_deletes_the_new_credential_and_reports_a_change():
    conn, kube = FakeConnection(), FakeSecrets()
    kube.refuse = True
    with pytest.raises(ModuleError) as error:
        run(conn, kube)
    assert str(error.value) == ("Could not write the Secret az-demo/default-openstack-credential: connection refused. "
                                "The new application credential cred-1 was deleted again; the Secret does not hold it.")
    assert error.value.details == {"changed": True}
    assert conn.credentials == [] and conn.writes == [("create", "cred-1"), ("delete", "cred-1")]


def test_a_secret_another_tool_manages_is_refused_before_anything_is_written():
    helm = {"metadata": {"namespace": "az-demo", "name": "default-openstack-credential",
                         "labels": {"app.kubernetes.io/managed-by": "Helm"}}, "type": "Opaque", "data": {"values.yaml": "eDogMQ=="}}
    for check_mode, state in ((True, "present"), (False, "present"), (False, "absent")):
        conn, kube = FakeConnection(), FakeSecrets(helm)
        with pytest.raises(ModuleError) as error:
            run(conn, kube, check_mode=check_mode, state=state)
        assert str(error.value) == ("the Secret az-demo/default-openstack-credential is managed by Helm (label "
                                    "app.kubernetes.io/managed-by=Helm), not by azimuth-ops; it is not the collection's to change")
        assert conn.writes == [] and kube.writes == []


def test_no_roles_do_not_rotate_on_every_run():
    conn, kube = FakeConnection(), FakeSecrets()
    assert run(conn, kube, roles=[])["rotated"]
    again = run(conn, kube, roles=[])
    assert not again["changed"] and again["reason"] is None


@pytest.mark.parametrize("secret, message", [
    (dict(namespace="Az_Demo"), "namespace 'Az_Demo' is not a valid name"),
    (dict(name="a..b"), "Secret name 'a..b' is not a valid name"),
    (dict(labels={"owner": "the portal"}), "the Secret az-demo/default-openstack-credential: label owner: the value 'the portal' is not valid"),
])
def test_names_and_labels_kubernetes_would_refuse_are_refused_before_anything_is_written(secret, message):
    conn, kube = FakeConnection(), FakeSecrets()
    with pytest.raises(ModuleError, match=message.replace("(", r"\(").replace(")", r"\)")):
        run(conn, kube, secret=dict(PARAMS["secret"], **secret))
    assert conn.writes == [] and kube.writes == []


class Duplicate(Exception):
    """Keystone's 409 as openstacksdk raises it."""
    status_code = 409


class RacedConnection(FakeConnection):
    """Another run creates the credential (and, with ``kube``, writes the Secret) just before this run's create."""

    def __init__(self, kube=None):
        super().__init__()
        self.other_kube = kube

    def create_application_credential(self, _user_id, name, **attrs):
        if self.other_kube is not False:
            kube, self.other_kube = self.other_kube, False
            if kube is None:
                FakeConnection.create_application_credential(self, _user_id, name, **attrs)
            else:
                run(self, kube)
            self.writes = []
            raise Duplicate("Conflict occurred attempting to store application_credential - Duplicate entry")
        return FakeConnection.create_application_credential(self, _user_id, name, **attrs)


def test_the_loser_of_a_race_to_create_settles_on_the_winner_s_credential():
    kube = FakeSecrets()
    conn = RacedConnection(kube)
    result = run(conn, kube)
    assert result["credential"]["id"] == "cred-1" and held_id(kube) == "cred-1"
    assert not result["changed"] and not result["rotated"] and conn.writes == []
    assert result["diff"]["after"]["secret"]["data"]["clouds.yaml"]["clouds"]["openstack"]["auth"]["application_credential_secret"] == \
        "********"


def test_the_loser_of_a_race_the_winner_has_not_finished_stops_having_written_nothing(monkeypatch):
    monkeypatch.setattr(ac, "SETTLE_INTERVAL", 0)
    conn, kube = RacedConnection(), FakeSecrets()
    with pytest.raises(ModuleError) as error:
        run(conn, kube)
    assert str(error.value) == (
        "Could not create the application credential portal: another run created it at the same time (ID cred-1), and the Secret "
        "az-demo/default-openstack-credential does not hold it; run the module again once the other run has finished (it keeps "
        "the credential the Secret holds and deletes the other)")
    assert error.value.details == {"changed": False} and conn.writes == [] and kube.writes == []


def test_the_loser_of_a_race_with_a_different_credential_says_so():
    kube = FakeSecrets()
    conn = RacedConnection(kube)
    with pytest.raises(ModuleError, match="another run created it at the same time .ID cred-1., and it differs from this run's in roles"):
        run(conn, kube, roles=["reader"])
