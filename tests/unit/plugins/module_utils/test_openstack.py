"""The OpenStack base: what a token says about its scope; the configuration read once per process."""

import json

import openstack.config
import pytest

from ansible_collections.azimuth.ops.plugins.module_utils.common._module import ModuleError
from ansible_collections.azimuth.ops.plugins.module_utils.openstack import _openstack
from ansible_collections.azimuth.ops.plugins.module_utils.openstack._openstack import cloud_region, connection_kwargs, token_scope


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


def test_clouds_yaml_is_read_once_for_many_clouds(tmp_path, monkeypatch):
    def cloud(index):
        auth = dict(auth_url="http://keystone.test/v3", username="u%d" % index, password="p%d" % index, project_name="t%d" % index,
                    user_domain_name="Default", project_domain_name="Default")
        return dict(auth=auth, region_name="RegionOne")

    clouds = dict(("t%d" % index, cloud(index)) for index in range(3))
    (tmp_path / "clouds.yaml").write_text(json.dumps(dict(clouds=clouds)))
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(tmp_path / "clouds.yaml"))
    monkeypatch.setattr(_openstack, "_CONFIG", [])
    readings = []
    real = openstack.config.OpenStackConfig
    monkeypatch.setattr(openstack.config, "OpenStackConfig", lambda *args, **kwargs: readings.append(1) or real(*args, **kwargs))

    regions = [cloud_region(connection_kwargs(dict(cloud=name))) for name in ("t0", "t1", "t2")]
    # A cloud name with the task's auth over it, as openstack.connect() merges them.
    merged = cloud_region(connection_kwargs(dict(cloud="t1", auth=dict(password="other"), interface="internal")))

    assert len(readings) == 1
    assert [region.config["auth"]["username"] for region in regions] == ["u0", "u1", "u2"]
    assert merged.config["auth"]["username"] == "u1" and merged.config["auth"]["password"] == "other"
    assert merged.config["interface"] == "internal" and regions[1].config["interface"] == "public"
    assert regions[1].config["auth"]["password"] == "p1", "one cloud's settings do not leak into the shared reading"
