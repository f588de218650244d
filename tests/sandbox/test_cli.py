"""The sandbox CLI: status, a quick second ``up``, ``env``, and ``tofu`` through that env."""

import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

# The variables each service's env() must provide, and the module that provides the service.
ENV_NAMES = {
    "openstack": ("sandbox.openstack", ["OS_CLIENT_CONFIG_FILE"]),
    "kube": ("sandbox.kube.service", ["KUBECONFIG"]),
    "keycloak": ("sandbox.keycloak.service",
                 ["KEYCLOAK_URL", "KEYCLOAK_ADMIN_USER", "KEYCLOAK_ADMIN_PASSWORD"]),
    "tofu": ("sandbox.tofu", ["PATH", "CHECKPOINT_DISABLE", "TF_IN_AUTOMATION", "TF_CLI_CONFIG_FILE"]),
}

TOFU_CONFIG = """
variable "greeting" {
  type = string
}
resource "terraform_data" "greeting" {
  input = var.greeting
}
output "greeting" {
  value = terraform_data.greeting.output
}
"""


def sandbox(*args):
    return subprocess.run([sys.executable, "-m", "sandbox", *args], cwd=REPO_ROOT,
                          capture_output=True, text=True, check=False)


def test_status_all_up(sandbox_env):
    result = sandbox("status")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines and all(line.split()[1] == "up" for line in lines), result.stdout


def test_a_second_up_finds_everything_up(sandbox_env):
    started = time.monotonic()
    result = sandbox("up")
    print(f"warm `python -m sandbox up`: {time.monotonic() - started:.1f}s")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "failed" not in result.stderr


@pytest.mark.parametrize("service", sorted(ENV_NAMES))
def test_env_has_the_service_names(sandbox_env, service):
    module, names = ENV_NAMES[service]
    if importlib.util.find_spec(module.rsplit(".", 1)[0]) is None or \
            importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not in the repository yet")
    missing = [name for name in names if not sandbox_env.get(name)]
    assert not missing


def test_env_path_finds_tofu(sandbox_env):
    result = subprocess.run(["tofu", "version"], env=dict(os.environ, **sandbox_env),
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def tofu(env, cwd, *args):
    result = subprocess.run(["tofu", *args], env=env, cwd=cwd, capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, f"tofu {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def test_tofu_init_apply_output_destroy(sandbox_env, tmp_path):
    env = dict(os.environ, **sandbox_env)
    (tmp_path / "main.tf").write_text(TOFU_CONFIG)
    tofu(env, tmp_path, "init", "-input=false")
    tofu(env, tmp_path, "apply", "-auto-approve", "-input=false", "-var", "greeting=hello")
    outputs = json.loads(tofu(env, tmp_path, "output", "-json"))
    assert outputs["greeting"]["value"] == "hello"
    tofu(env, tmp_path, "destroy", "-auto-approve", "-input=false", "-var", "greeting=hello")
    state = json.loads((tmp_path / "terraform.tfstate").read_text())
    assert state["resources"] == []
