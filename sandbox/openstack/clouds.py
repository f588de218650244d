"""The sandbox's clouds.yaml and openstacksdk connections built from it."""

import yaml

from sandbox.openstack import settings

ADMIN_CLOUD = "sandbox-admin"
DEMO_CLOUD = "sandbox-demo"


def _cloud(username, password, project):
    return {
        "auth": {
            "auth_url": settings.KEYSTONE_URL,
            "username": username,
            "password": password,
            "project_name": project,
            "user_domain_name": "Default",
            "project_domain_name": "Default",
        },
        "region_name": settings.REGION,
        "interface": "public",
        "identity_api_version": 3,
    }


def write(path):
    """Write clouds.yaml with the admin and demo clouds."""
    clouds = {
        ADMIN_CLOUD: _cloud(settings.ADMIN_USER, settings.ADMIN_PASSWORD, "admin"),
        DEMO_CLOUD: _cloud(settings.DEMO_USER, settings.DEMO_PASSWORD, settings.DEMO_PROJECT),
    }
    path.write_text(yaml.safe_dump({"clouds": clouds}, default_flow_style=False))
    path.chmod(0o600)


def connect(cloud, path):
    """An openstacksdk connection to ``cloud`` as described in the clouds.yaml at ``path``."""
    import openstack.config  # pylint: disable=import-outside-toplevel  (slow import)
    import openstack.connection  # pylint: disable=import-outside-toplevel

    config = openstack.config.OpenStackConfig(config_files=[str(path)], load_envvars=False)
    return openstack.connection.Connection(config=config.get_one(cloud=cloud))
