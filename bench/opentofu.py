"""azimuth.ops.opentofu against community.general.terraform, in one run, on the same configuration.

Run: .venv/bin/python bench/opentofu.py [--resources 10] [--networks 1] [--parallelism P] [--rounds 3] [--sides ...]
(needs the sandbox up and bench/.venv-stock, the stock ``ansible`` package: ``bash bench/run.sh``
makes it).

Each side gets a fresh copy of one configuration (``--resources`` ``terraform_data`` resources
and a network made with the real OpenStack provider, local state) and three ansible-playbook
runs, as an operator would make them: the first run (creates everything), a no-op run (the
same again) and a check-mode run (``--check``, with one variable changed).  Both modules get
the same engine through a wrapper that records each subcommand it is asked for, so the table
shows the time of each run, what the module made the engine do and how long each subcommand took
(so the engine's share of a run is known).  ``ours-norefresh`` is our module with ``refresh:
false`` (no provider reads of what the state holds); ``--parallelism`` gives both modules that
option, ``--networks`` the number of networks the plan refreshes.  The best of ``--rounds``
rounds is kept.  The figures go to ``bench/RESULTS.md`` between this benchmark's markers.
"""

import argparse
import json
import os
import platform
import secrets
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
STOCK_VENV = BENCH / ".venv-stock"
START, END = "<!-- opentofu:start -->", "<!-- opentofu:end -->"
PHASES = ("first", "no-op", "check")
OURS = ("azimuth.ops.opentofu", Path(sys.executable).parent / "ansible-playbook", REPO / ".build" / "collections")
# force_init: without it the stock module cannot run in a fresh directory (it never runs init itself).
STOCK = ("community.general.terraform (force_init)", STOCK_VENV / "bin" / "ansible-playbook", None)
# Each side: (label, ansible-playbook, collections path, the module's extra options).
SIDES = {
    "ours": OURS + ({},),
    "ours-norefresh": ("azimuth.ops.opentofu, refresh: false",) + OURS[1:] + ({"refresh": False},),
    "stock": STOCK + ({},),
}

CONFIG = """
terraform {
  required_providers {
    openstack = {
      source = "terraform-provider-openstack/openstack"
    }
  }
}

provider "openstack" {}

variable "name" {
  type = string
}

variable "size" {
  type = number
}

resource "terraform_data" "item" {
  count = var.size
  input = "${var.name}-${count.index}"
}

variable "networks" {
  type    = number
  default = 1
}

resource "openstack_networking_network_v2" "net" {
  count = var.networks
  name  = "${var.name}-${count.index}"
}

output "network_id" {
  value = openstack_networking_network_v2.net[0].id
}
"""

# Runs the engine and records each subcommand with its seconds in $BENCH_TOFU_LOG.
WRAPPER = """#!/bin/sh
started=$(date +%%s.%%N)
%s "$@"
code=$?
echo "$1 $started $(date +%%s.%%N)" >> "$BENCH_TOFU_LOG"
exit $code
"""


def sandbox_env():
    out = subprocess.run([sys.executable, "-m", "sandbox", "env"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    return dict(shlex.split(line)[1].split("=", 1) for line in out.splitlines() if line.startswith("export "))


def task(side, project, wrapper, name, size, state="present", networks=1, parallelism=None):
    variables = dict(name=name, size=size, networks=networks)
    options = dict(SIDES[side][3], **({"parallelism": parallelism} if parallelism else {}))
    if side.startswith("ours"):
        return {"azimuth.ops.opentofu": dict(options, project_path=str(project), variables=variables, state=state, binary_path=str(wrapper))}
    return {"community.general.terraform": dict(options, project_path=str(project), variables=variables, state=state, force_init=True,
                                                binary_path=str(wrapper))}


def run(side, workdir, env, tasks, check=False):
    """One ansible-playbook run; (seconds, [(engine subcommand, its seconds)])."""
    _module, playbook_binary, collections, _options = SIDES[side]
    playbook = workdir / ("%s-%s.yml" % (side, secrets.token_hex(3)))
    playbook.write_text(yaml.safe_dump([{"hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": tasks}]))
    log = workdir / "engine.log"
    log.write_text("")
    empty = workdir / "no-collections"
    empty.mkdir(exist_ok=True)
    environment = dict(os.environ, **env, BENCH_TOFU_LOG=str(log), ANSIBLE_COLLECTIONS_PATH=str(collections or empty),
                       ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false", ANSIBLE_NOCOLOR="1")
    command = [str(playbook_binary), str(playbook)] + (["--check"] if check else [])
    started = time.perf_counter()
    completed = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if completed.returncode:
        raise SystemExit("%s failed:\n%s%s" % (" ".join(command), completed.stdout[-4000:], completed.stderr[-2000:]))
    commands = []
    for line in log.read_text().splitlines():
        command, started, ended = line.split()
        commands.append((command, float(ended) - float(started)))
    return seconds, commands


def measure(side, workdir, env, wrapper, size, networks=1, parallelism=None):
    """The three runs of one side on a fresh copy of the configuration; {phase: (seconds, subcommands)}."""
    project = workdir / ("project-" + side)
    shutil.rmtree(project, ignore_errors=True)
    project.mkdir()
    (project / "main.tf").write_text(CONFIG)
    name = "bench-tofu-%s-%s" % (side, secrets.token_hex(2))
    more = dict(networks=networks, parallelism=parallelism)
    rows = {}
    try:
        rows["first"] = run(side, workdir, env, [task(side, project, wrapper, name, size, **more)])
        rows["no-op"] = run(side, workdir, env, [task(side, project, wrapper, name, size, **more)])
        rows["check"] = run(side, workdir, env, [task(side, project, wrapper, name, size + 1, **more)], check=True)
    finally:
        run(side, workdir, env, [task(side, project, wrapper, name, size, state="absent", **more)])
    return rows


def engine_words(commands):
    return " ".join("%s %.1f" % (command, seconds) for command, seconds in commands)


def table(best, size, rounds, networks, parallelism):
    lines = ["%d terraform_data resources and %d OpenStack network(s), local state%s; best of %d rounds" % (
        size, networks, ", parallelism %d" % parallelism if parallelism else "", rounds),
        "%-15s %-6s %7s %7s  %s" % ("side", "run", "seconds", "engine", "engine subcommands and their seconds")]
    for side in best:
        for phase in PHASES:
            seconds, commands = best[side][phase]
            lines.append("%-15s %-6s %7.1f %7.1f  %s" % (side, phase, seconds, sum(s for _c, s in commands), engine_words(commands)))
    return "\n".join(lines)


READING = """Reading: the *engine* column is the time the engine's subcommands took (from the wrapper that
records them), the rest of *seconds* is ansible-playbook and the module (about 3 s here). A no-op is
the plan's refresh: the OpenStack provider gets a Keystone token and reads the network back from
Neutron. On an idle machine that is about 2 of the plan's 2.5 s (`tofu plan` by hand; the provider
is started three times per plan, for the init, validate and plan walks, about 0.1 s each); on this
shared, loaded machine the same plan took from 15 to 40 s, the same for both modules, since the
sandbox's Keystone and Neutron were slow to answer. That is the engine's limit: a refreshing plan
cannot be faster than the provider's reads. What the module could save it saves: `init` once (the
stock module runs `version`, `init` on every run: with `force_init` it initialises again whenever the
configuration has no backend block, `workspace` and `validate` before it plans, and `output` after),
so a no-op and a check-mode run are one `plan` and one `show -json`. `refresh: false`
(*ours-norefresh*) plans against the recorded state with no provider reads: a no-op costs the engine
about 2.5 s here (under a second on an idle machine) whatever the servers' load, at the price of not
seeing drift. Not done, measured: skipping `show -json` on an exit code 0 of `plan
-detailed-exitcode` would need `output -json` for the outputs (0.27 s against show's 0.37 s on an
idle machine), a tenth of a second; `-parallelism` changes nothing with fewer than ten resources to
refresh (the engine's default is ten at once); the providers come from a filesystem mirror and
`init` runs only when its inputs change, so a plugin cache (`TF_PLUGIN_CACHE_DIR`) saves nothing on a
no-op (`init` by hand: 0.3 s)."""


def record(text, command):
    section = "\n".join([
        START,
        "## OpenTofu workspaces: `bench/opentofu.py`",
        "",
        "Command: `%s` (%d cores, load average %.1f, %s, Python %s, %s). Modules: ours `%s`, stock `%s` "
        "(community.general of the `ansible` package in `bench/.venv-stock`), the same `tofu` for both." % (
            command, os.cpu_count(), os.getloadavg()[0], platform.machine(), platform.python_version(), time.strftime("%Y-%m-%d"),
            SIDES["ours"][0], SIDES["stock"][0]),
        "",
        "```",
        text,
        "```",
        "",
        READING,
        END,
    ])
    path = BENCH / "RESULTS.md"
    content = path.read_text() if path.exists() else "# Benchmark results\n"
    if START in content and END in content:
        content = content[:content.index(START)] + section + content[content.index(END) + len(END):]
    else:
        content = content.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(content)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--networks", type=int, default=1, help="OpenStack networks in the configuration (each refreshed by a plan)")
    parser.add_argument("--parallelism", type=int, help="the parallelism option of both modules (the engine's default is 10)")
    parser.add_argument("--sides", nargs="+", choices=list(SIDES), default=list(SIDES))
    parser.add_argument("--no-record", action="store_true", help="print only; leave bench/RESULTS.md alone")
    args = parser.parse_args()
    if not (STOCK_VENV / "bin" / "ansible-playbook").exists():
        raise SystemExit("bench/.venv-stock is missing: bash bench/run.sh makes it")
    env = dict(sandbox_env(), OS_CLOUD="sandbox-demo")
    engine = shutil.which("tofu", path=env["PATH"]) or shutil.which("terraform", path=env["PATH"])
    best = {}
    with tempfile.TemporaryDirectory(prefix="bench-opentofu-") as workdir:
        workdir = Path(workdir)
        wrapper = workdir / "tofu"
        wrapper.write_text(WRAPPER % shlex.quote(engine))
        wrapper.chmod(0o755)
        for round_number in range(args.rounds):
            for side in args.sides:
                rows = measure(side, workdir, env, wrapper, args.resources, args.networks, args.parallelism)
                for phase, (seconds, commands) in rows.items():
                    print("round %d %-15s %-6s %6.1f s  %s" % (round_number + 1, side, phase, seconds, engine_words(commands)), flush=True)
                    kept = best.setdefault(side, {}).get(phase)
                    if kept is None or seconds < kept[0]:
                        best[side][phase] = (seconds, commands)
    text = table(best, args.resources, args.rounds, args.networks, args.parallelism)
    print(text)
    if not args.no_record:
        record(text, " ".join([".venv/bin/python bench/opentofu.py"] + sys.argv[1:]))
    print(json.dumps(dict((side, dict((phase, round(best[side][phase][0], 2)) for phase in PHASES)) for side in best)))


if __name__ == "__main__":
    main()
