"""The run's token directory: one token per set of credentials, private files, nothing of the credentials in a name."""

import itertools
import json
import os
import stat

import pytest

from ansible_collections.azimuth.ops.plugins.module_utils.common._module import ModuleError
from ansible_collections.azimuth.ops.plugins.module_utils.openstack._token_cache import KEY_FILE, TokenCache

PASSWORD = "hunter2-not-in-a-name"
TOKENS = itertools.count()  # Keystone's: every token issued is new


class Ref:
    """A token (keystoneauth's AccessInfo)."""

    def __init__(self, token):
        self.token = token


class Auth:
    """A keystoneauth plugin: its state in and out, and ``get_access`` that authenticates when it has no token."""

    def __init__(self):
        self.auth_ref = None
        self.issued = 0

    def set_auth_state(self, state):
        if state is None:
            self.auth_ref = None
            return
        self.auth_ref = Ref(json.loads(state)["auth_token"])

    def get_auth_state(self):
        return json.dumps({"auth_token": self.auth_ref.token, "body": {}}) if self.auth_ref else None

    def get_access(self, _session):
        if self.auth_ref is None:
            self.issued += 1
            self.auth_ref = Ref("token-%d" % next(TOKENS))
        return self.auth_ref

    def invalidate(self):
        """What keystoneauth's session does when a service refuses the token (401), before it asks again."""
        self.auth_ref = None


class Config:
    """A CloudRegion's resolved settings."""

    def __init__(self, auth_type, auth):
        self.config = dict(auth_type=auth_type, auth=auth)

    def get_auth_args(self):
        return self.config["auth"]


class Conn:
    """What the cache reads of an openstacksdk connection: the resolved auth settings and the session's plugin."""

    def __init__(self, password=PASSWORD, project="physics", auth_type="password"):
        self.config = Config(auth_type, dict(auth_url="http://keystone/v3", username="alice", password=password, project_name=project))
        self.session = self
        self.auth = Auth()

    def authenticate(self, token):
        self.auth.state = '{"auth_token": "%s", "body": {}}' % token


@pytest.fixture
def directory(tmp_path):
    path = tmp_path / "tokens"
    path.mkdir(mode=0o700)
    return str(path)


def opened(directory, **credentials):
    """A connection as ``connect()`` makes it: the cache attached, then authorised."""
    conn = Conn(**credentials)
    TokenCache(directory).attach(conn)
    conn.auth.get_access(conn.session)
    return conn


def test_a_token_stored_by_one_call_is_used_by_the_next(directory):
    first = opened(directory)
    second = opened(directory)
    assert first.auth.issued == 1 and second.auth.issued == 0
    assert second.auth.auth_ref.token == first.auth.auth_ref.token


def test_other_credentials_never_find_the_token(directory):
    opened(directory)
    for other in (dict(password="wrong"), dict(project="chemistry"), dict(auth_type="v3token")):
        assert opened(directory, **other).auth.issued == 1


def test_files_are_private_and_named_without_the_credentials(directory):
    conn = opened(directory)
    names = sorted(os.listdir(directory))
    assert KEY_FILE in names and len(names) == 2
    for name in names:
        assert stat.S_IMODE(os.stat(os.path.join(directory, name)).st_mode) == 0o600
        assert PASSWORD not in name and "alice" not in name
    # The name is keyed: another directory's key gives another name for the same credentials.
    other = os.path.join(os.path.dirname(directory), "other")
    os.mkdir(other, 0o700)
    assert os.path.basename(TokenCache(other).path(conn)) != os.path.basename(TokenCache(directory).path(conn))


def test_a_token_replaced_during_a_call_is_stored_and_an_unchanged_one_is_not_written_again(directory):
    first = opened(directory)
    path = TokenCache(directory).path(first)
    before = os.stat(path).st_mtime_ns
    second = opened(directory)
    second.auth.get_access(second.session)
    assert os.stat(path).st_mtime_ns == before
    second.auth.invalidate()  # a service refused it (revoked): keystoneauth fetches another
    second.auth.get_access(second.session)
    third = opened(directory)
    assert third.auth.issued == 0 and third.auth.auth_ref.token == second.auth.auth_ref.token != first.auth.auth_ref.token


def test_a_damaged_file_means_authenticating_afresh(directory):
    conn = Conn()
    with open(TokenCache(directory).path(conn), "w") as stream:
        stream.write("garbage")
    assert opened(directory).auth.issued == 1
    assert opened(directory).auth.issued == 0


@pytest.mark.parametrize("mode", [0o755, 0o750, 0o701])
def test_a_directory_others_may_read_or_enter_is_refused(tmp_path, mode):
    path = tmp_path / "tokens"
    path.mkdir()
    path.chmod(mode)
    with pytest.raises(ModuleError, match="no one else may read or write"):
        TokenCache(str(path))


def test_a_symbolic_link_or_a_file_or_nothing_is_refused(tmp_path, directory):
    link = tmp_path / "link"
    link.symlink_to(directory)
    regular = tmp_path / "file"
    regular.write_text("")
    regular.chmod(0o600)
    for path in (link, regular):
        with pytest.raises(ModuleError, match="must be a directory"):
            TokenCache(str(path))
    with pytest.raises(ModuleError, match="cannot be used: No such file"):
        TokenCache(str(tmp_path / "missing"))


def test_a_directory_of_another_user_is_refused(directory, monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: os.stat(directory).st_uid + 1)
    with pytest.raises(ModuleError, match="this user's"):
        TokenCache(directory)


def test_a_damaged_key_is_refused(directory):
    with open(os.path.join(directory, KEY_FILE), "wb") as stream:
        stream.write(b"short")
    with pytest.raises(ModuleError, match="damaged key file"):
        TokenCache(directory)


def test_none_given_is_no_cache():
    assert TokenCache.at(None) is None and TokenCache.at("") is None


def test_a_token_file_that_is_a_symbolic_link_is_refused(tmp_path, directory):
    target = tmp_path / "elsewhere"
    target.write_text('{"auth_token": "planted", "body": {}}')
    os.symlink(target, TokenCache(directory).path(Conn()))
    with pytest.raises(ModuleError, match="token_cache file .* cannot be read: Too many levels of symbolic links"):
        opened(directory)


def test_a_directory_is_checked_once_per_process(directory):
    assert TokenCache.at(directory) is TokenCache.at(directory)
