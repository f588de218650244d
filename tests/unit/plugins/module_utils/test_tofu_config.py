"""What init prepares, read from a configuration's files: the fingerprint that decides whether init runs."""

from ansible_collections.azimuth.ops.plugins.module_utils.tofu import _tofu_config as config

MAIN = r'''
# A comment with a { brace
terraform {
  required_providers {
    openstack = {
      source  = "terraform-provider-openstack/openstack"
      version = "~> 3.0"
    }
  }
}

/* provider "commented" { } */
provider "openstack" {}

variable "name" {
  type    = string
  default = "${format("%s-{", "x")}"
}

resource "openstack_networking_network_v2" "net" {
  name = "${var.name}-net"
  description = <<-EOT
    a heredoc with } and { and "quotes
  EOT
}

resource "terraform_data" "x" {
  provider = terraform
  input    = { a = { b = "}" } }
}

module "ports" {
  source  = "./modules/ports"
  version = "1.0.0"
  count   = 2
}

output "id" {
  value = openstack_networking_network_v2.net.id
}
'''


def write(tmp_path, name, text):
    (tmp_path / name).write_text(text)


def test_blocks_skip_strings_heredocs_and_comments():
    found = [(kind, labels) for kind, labels, _body in config.blocks(MAIN)]
    assert found == [("terraform", []), ("provider", ["openstack"]), ("variable", ["name"]),
                     ("resource", ["openstack_networking_network_v2", "net"]), ("resource", ["terraform_data", "x"]),
                     ("module", ["ports"]), ("output", ["id"])]


def test_requirements_are_what_init_prepares(tmp_path):
    write(tmp_path, "main.tf", MAIN)
    found = config.requirements(str(tmp_path))
    assert "provider openstack" in found and "provider terraform" in found
    assert any(item.startswith("terraform required_providers") for item in found)
    assert "module ports [('source', '\"./modules/ports\"'), ('version', '\"1.0.0\"')]" in found
    assert not any("count" in item or "commented" in item for item in found)


def test_json_configuration(tmp_path):
    write(tmp_path, "main.tf.json", '{"terraform": {"backend": {"local": {}}}, "variable": {"v": {}},'
                                    ' "resource": {"openstack_compute_instance_v2": {"vm": {"name": "a"}}}}')
    assert config.requirements(str(tmp_path)) == ['provider openstack', 'terraform {"backend": {"local": {}}}']
    assert config.declared_variables(str(tmp_path)) == {"v"}


def test_declared_variables(tmp_path):
    write(tmp_path, "main.tf", MAIN)
    write(tmp_path, "more.tf", 'variable "size" {}\n')
    assert config.declared_variables(str(tmp_path)) == {"name", "size"}


def fingerprint(tmp_path, backend=None, files=(), workspace="default"):
    return config.init_fingerprint(str(tmp_path), backend or {}, list(files), workspace, "/usr/bin/tofu")


def test_fingerprint_ignores_what_init_does_not_prepare(tmp_path):
    write(tmp_path, "main.tf", MAIN)
    before = fingerprint(tmp_path)
    write(tmp_path, "main.tf", MAIN.replace('"${var.name}-net"', '"other"').replace("count   = 2", "count = 3"))
    write(tmp_path, "outputs.tf", 'output "more" { value = 1 }\n')
    write(tmp_path, "dns.tf", 'resource "openstack_dns_zone_v2" "z" {}\n')
    assert fingerprint(tmp_path) == before


def test_fingerprint_follows_what_init_prepares(tmp_path):
    write(tmp_path, "main.tf", MAIN)
    before = fingerprint(tmp_path)
    changes = [
        lambda: write(tmp_path, "main.tf", MAIN.replace("~> 3.0", "~> 3.4")),
        lambda: write(tmp_path, "main.tf", MAIN.replace('"./modules/ports"', '"./modules/other"')),
        lambda: write(tmp_path, "random.tf", 'resource "random_password" "p" {}\n'),
        lambda: write(tmp_path, "backend.tf", 'terraform {\n  backend "kubernetes" {}\n}\n'),
        lambda: write(tmp_path, config.LOCK_FILE, 'provider "x" {}\n'),
    ]
    seen = {before}
    for make_change in changes:
        make_change()
        now = fingerprint(tmp_path)
        assert now not in seen
        seen.add(now)
    assert fingerprint(tmp_path, backend={"secret_suffix": "a"}) not in seen
    assert fingerprint(tmp_path, workspace="blue") not in seen
    backend_file = tmp_path / "backend.hcl"
    backend_file.write_text('namespace = "a"\n')
    with_file = fingerprint(tmp_path, files=[str(backend_file)])
    backend_file.write_text('namespace = "b"\n')
    assert fingerprint(tmp_path, files=[str(backend_file)]) != with_file


def test_backend_type_is_local_unless_a_terraform_block_declares_one(tmp_path):
    (tmp_path / "main.tf").write_text('resource "terraform_data" "a" {}\n# backend "s3" in a comment\n')
    assert config.backend_type(str(tmp_path)) == "local"
    (tmp_path / "backend.tf").write_text('terraform {\n  required_version = ">= 1.4"\n  backend "kubernetes" {}\n}\n')
    assert config.backend_type(str(tmp_path)) == "kubernetes"
    (tmp_path / "backend.tf").unlink()
    (tmp_path / "backend.tf.json").write_text('{"terraform": {"backend": {"s3": {}}}}')
    assert config.backend_type(str(tmp_path)) == "s3"


def test_plugin_paths_change_the_fingerprint(tmp_path):
    (tmp_path / "main.tf").write_text('resource "terraform_data" "a" {}\n')
    plain = config.init_fingerprint(str(tmp_path), {}, [], "default", "/usr/bin/tofu")
    assert config.init_fingerprint(str(tmp_path), {}, [], "default", "/usr/bin/tofu", []) == plain
    assert config.init_fingerprint(str(tmp_path), {}, [], "default", "/usr/bin/tofu", ["/opt/plugins"]) != plain
