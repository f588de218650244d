"""Real Keystone and Neutron (Debian 12, OpenStack Zed) for the sandbox."""

from sandbox.openstack.service import OpenStackService

__all__ = ["OpenStackService"]
