"""The OpenStack base: what a token says about its scope."""

import pytest

from ansible_collections.azimuth.ops.plugins.module_utils.common._module import ModuleError
from ansible_collections.azimuth.ops.plugins.module_utils.openstack._openstack import token_scope


class Access:
    def __init__(self, project_id):
        self.project_id, self.project_name = project_id, "demo"
        self.user_id, self.username = "u1", "alice"
        self.role_names = ["reader", "member"]


class Connection:
    def __init__(self, project_id="p1"):
        self.session = self
        self.auth = self
        self.access = Access(project_id)

    def get_access(self, _session):
        return self.access


def test_token_scope():
    assert token_scope(Connection()) == dict(project=dict(id="p1", name="demo"), user=dict(id="u1", name="alice"),
                                             roles=["member", "reader"])


def test_an_unscoped_token_is_a_clear_error():
    with pytest.raises(ModuleError, match="the credentials are not scoped to a project; set project_name or project_id in auth"):
        token_scope(Connection(project_id=None))
