"""Does the execution environment's build context (.build/ee) name everything the plugins need?

Python: every module the plugins import from outside the standard library and Ansible must come
from a requirement the context installs (its _build/requirements.txt, or ansible-core and
ansible-runner, which the Containerfile installs). System: the executables the modules run
(tofu) must be installed by the Containerfile. The collection's own declaration,
meta/execution-environment.yml, must name the same files. Prints each gap and exits 1.

Usage: ee_check.py CONTEXT_DIR
"""

import ast
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
# The requirement that brings each imported top-level module (one line per import the plugins have;
# a new import fails the check until it is named here and the requirement is in requirements.txt).
PROVIDED_BY = {
    "openstack": "openstacksdk",
    "keystoneauth1": "openstacksdk",  # openstacksdk's own dependency, imported for its exceptions
    "kubernetes": "kubernetes",
    "urllib3": "kubernetes",  # kubernetes' dependency, imported for its exceptions
    "keycloak": "python-keycloak",
    "ansible_runner": "ansible-runner",
    "yaml": "ansible-core",
    "jinja2": "ansible-core",
    "cryptography": "ansible-core",
}
# Executables the modules run, and what in the Containerfile installs each.
EXECUTABLES = {"tofu": re.compile(r"^(COPY|RUN)\b.*\btofu\b", re.MULTILINE)}


def plugin_imports():
    found = {}
    for path in sorted((ROOT / "plugins").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module else []
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top not in ("ansible", "ansible_collections"):
                    found.setdefault(top, path.relative_to(ROOT).as_posix())
    return found


def requirement_names(text):
    names = set()
    for line in text.splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
            names.add(re.split(r"[\s<>=!~\[;]", line)[0].lower().replace("_", "-"))
    return names


def main(context):
    context = Path(context)
    problems = []
    containerfile = (context / "Containerfile").read_text(encoding="utf-8")
    installed = requirement_names((context / "_build" / "requirements.txt").read_text(encoding="utf-8"))
    refs = re.search(r'^ARG ANSIBLE_INSTALL_REFS="([^"]*)"', containerfile, re.MULTILINE)
    installed |= requirement_names("\n".join((refs.group(1) if refs else "").split()))
    for module, where in sorted(plugin_imports().items()):
        requirement = PROVIDED_BY.get(module)
        if requirement is None:
            problems.append(f"{where} imports {module}: add its package to requirements.txt and to PROVIDED_BY in scripts/ee_check.py")
        elif requirement not in installed:
            problems.append(f"{where} imports {module}, but the context does not install {requirement}")
    for executable, installer in EXECUTABLES.items():
        if not installer.search(containerfile):
            problems.append(f"the Containerfile does not install {executable}")
    bindep = (context / "_build" / "bindep.txt").read_text(encoding="utf-8")
    if bindep.strip() != (ROOT / "bindep.txt").read_text(encoding="utf-8").strip():
        problems.append("_build/bindep.txt is not bindep.txt")
    declared = yaml.safe_load((ROOT / "meta" / "execution-environment.yml").read_text(encoding="utf-8"))["dependencies"]
    for kind, name in (("python", "requirements.txt"), ("system", "bindep.txt")):
        if declared.get(kind) != name:
            problems.append(f"meta/execution-environment.yml: dependencies.{kind} is {declared.get(kind)!r}, not {name}")
    for problem in problems:
        print(problem)
    print(f"execution environment context {context}: {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
