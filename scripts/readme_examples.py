"""Run README.md's examples as a new user would, as written.

Each ``yaml`` block of tasks runs in a play on localhost, given values for the variables it leaves
to the reader (EXAMPLE_VARS); each ``ansible-playbook`` command of a ``sh`` block runs with
``--syntax-check`` (the provisioning run itself is the molecule gate's), ``my-portal.yml`` being
examples/portal.yml; ``bash scripts/...`` commands are the gates and setup themselves and are
only named. Fails naming each example that does not run.
"""

import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml
from markdown_it import MarkdownIt

ROOT = Path(__file__).resolve().parent.parent
# The variables README's task examples leave to the reader.
EXAMPLE_VARS = {
    "project_id": "6b2f0c1e9a7d4f0e8c3b5a1d2e4f6a7b",
    "project_name": "physics",
    "cluster_templates": [{"kind": "ClusterTemplate", "name": "kube-1-33",
                           "annotations": {"acl.azimuth.stackhpc.com/allow-list": "6b2f0c1e9a7d4f0e8c3b5a1d2e4f6a7b"}}],
}


def blocks():
    tokens = MarkdownIt("commonmark").parse((ROOT / "README.md").read_text(encoding="utf-8"))
    return [(token.info.strip(), token.content) for token in tokens if token.type == "fence"]


def run(argv, cwd):
    result = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    return result.returncode, result.stdout + result.stderr


def task_example(text, work):
    playbook = work / "example.yml"
    playbook.write_text(yaml.safe_dump([{"name": "README example", "hosts": "localhost", "connection": "local",
                                         "gather_facts": False, "vars": EXAMPLE_VARS, "tasks": yaml.safe_load(text)}]))
    return run(["ansible-playbook", "-i", "localhost,", str(playbook)], work)


def command_example(line, work):
    argv = shlex.split(line.split("#")[0])
    if argv[:1] != ["ansible-playbook"]:
        return None
    shutil.copy(ROOT / "examples" / "portal.yml", work / "my-portal.yml")
    return run(argv + ["-i", "localhost,", "--syntax-check"], work)


def main():
    failed = 0
    with tempfile.TemporaryDirectory() as directory:
        work = Path(directory)
        for lang, text in blocks():
            examples = [(text.strip().splitlines()[0], lambda text=text: task_example(text, work))] if lang == "yaml" else \
                [(line, lambda line=line: command_example(line, work)) for line in text.splitlines() if line.strip()] if lang == "sh" else []
            for title, example in examples:
                outcome = example()
                if outcome is None:
                    print(f"named only: {title}")
                    continue
                code, output = outcome
                print(f"{'ran' if code == 0 else 'FAILED'}: {title}")
                if code or "[WARNING]" in output:
                    failed += 1
                    print(output)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
