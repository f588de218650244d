# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One run of a CaaS appliance with ansible-runner, as azimuth-caas-operator builds it.

The extra variables come in four layers, later winning (global < cluster type < cluster <
overrides), then the fixed ones the operator sets.  The run happens in a private directory
(mode 0700) that holds the extra variables, the ``clouds.yaml`` of the run's credential and the
runner's artifacts, and is deleted afterwards.  What the run produced is read from its events:
the outputs from the last ``debug`` task whose result has a dict ``outputs``, a failure from the
last failed task (its message hidden when the task was ``no_log``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import configparser
import copy
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

from ansible_collections.azimuth.ops.plugins.module_utils.kubernetes import _cloud_credential as cc

from ansible_collections.azimuth.ops.plugins.module_utils.common import _process_tree as process_tree
from ansible_collections.azimuth.ops.plugins.module_utils.common._module import ModuleError

try:
    import ansible_runner
except ImportError:
    RUNNER_IMPORT_ERROR = traceback.format_exc()
    ansible_runner = None
else:
    RUNNER_IMPORT_ERROR = None

CLOUD_NAME = "openstack"
HIDDEN_MESSAGE = "<message hidden: the task is no_log>"
DEBUG_ACTIONS = ("debug", "ansible.builtin.debug", "ansible.legacy.debug")
LAYERS = ("global_extravars", "type_extravars", "cluster_extravars", "extravar_overrides")
# What the appliance keeps of the caller's environment: what any program needs (the search path,
# home, user, shell, locale, time zone, temporary directory, terminal), the trust store, where
# Ansible finds collections and roles, and where it keeps its state and temporary files.  Anything
# else reaches it only through ``envvars``.
KEPT_ENV = ("PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TZ", "TMPDIR", "TERM",
            "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE",
            "ANSIBLE_COLLECTIONS_PATH", "ANSIBLE_COLLECTIONS_PATHS", "ANSIBLE_ROLES_PATH",
            "ANSIBLE_HOME", "ANSIBLE_LOCAL_TEMP", "ANSIBLE_REMOTE_TEMP")
KEPT_ENV_PREFIXES = ("LC_",)
# What the operator sets for every run, so that SSH to new machines survives transient failures.
SSH_RETRIES = "10"
# The appliance's dependencies, as the operator looks for them (the first found is installed).
REQUIREMENTS_FILES = ("requirements.yml", os.path.join("roles", "requirements.yml"))
# Ansible's defaults, searched after the run's own directories when nothing else is configured.
DEFAULT_SEARCH_PATHS = dict(collections_path="~/.ansible/collections:/usr/share/ansible/collections",
                            roles_path="~/.ansible/roles:/usr/share/ansible/roles:/etc/ansible/roles")
# Seconds a stopped run's process tree gets to end (to save state, release locks) before it is
# killed: more than the opentofu module gives its engine.
STOP_GRACE = 90
# How often (seconds) the runner looks whether the run must stop.
STOP_POLL = 1


def merge_extravars(params):
    """The extra variables of the run: the four layers, later winning, then the fixed ones."""
    merged = {}
    for layer in LAYERS:
        merged.update(copy.deepcopy(params.get(layer) or {}))
    merged.update(fixed_extravars(params))
    return merged


def fixed_extravars(params):
    """The variables the operator always sets, whatever the layers say."""
    fixed = dict(
        cluster_name=params["name"],
        cluster_id=params["id"],
        cluster_type=params["type"],
        cluster_deploy_ssh_public_key=params["deploy_ssh_public_key"],
        cluster_ssh_private_key_file=params["ssh_private_key_file"],
    )
    fixed["cluster_state"] = params["state"]
    return fixed


def appliance_environment(base, envvars, run_dir, python_bin_dir, project_path=None):
    """The appliance's environment: ``KEPT_ENV`` of the caller's, what the operator sets, ``envvars``, the run's cloud.

    As the operator, ``ANSIBLE_CONFIG`` is the project's ``ansible.cfg`` (when it has one) and SSH is
    retried 10 times; ``envvars`` (a ClusterType's ``envVars``) win over both.
    """
    env = dict((name, value) for name, value in base.items() if name in KEPT_ENV or name.startswith(KEPT_ENV_PREFIXES))
    env["PATH"] = os.pathsep.join(filter(None, [python_bin_dir, env.get("PATH")]))
    if project_path and os.path.isfile(os.path.join(project_path, "ansible.cfg")):
        env["ANSIBLE_CONFIG"] = os.path.join(project_path, "ansible.cfg")
    env["ANSIBLE_SSH_RETRIES"] = SSH_RETRIES
    env.update(dict((str(name), str(value)) for name, value in (envvars or {}).items()))
    env.update(OS_CLOUD=CLOUD_NAME, OS_CLIENT_CONFIG_FILE=os.path.join(run_dir, "clouds.yaml"))
    if os.path.exists(os.path.join(run_dir, "cacert")):
        env["OS_CACERT"] = os.path.join(run_dir, "cacert")
    return env


# --- the appliance's requirements -------------------------------------------------------------

def requirements_file(project_path):
    """The appliance's requirements file (``requirements.yml``, else ``roles/requirements.yml``), or None."""
    for relative in REQUIREMENTS_FILES:
        if os.path.isfile(os.path.join(project_path, relative)):
            return relative
    return None


def requirement_names(path):
    """The names of the collections and roles a requirements file asks for (what a failure names)."""
    try:
        with open(path) as handle:
            content = cc.load_yaml(handle.read())
    except OSError:
        return []
    if isinstance(content, list):  # the old format: a list of roles
        content = dict(roles=content)
    if not isinstance(content, dict):
        return []
    names = []
    for section in ("collections", "roles"):
        for entry in content.get(section) or []:
            if isinstance(entry, dict):
                entry = entry.get("name") or entry.get("src") or entry.get("source")
            if entry:
                names.append("%s %s" % (section[:-1], entry))
    return names


def _configured_path(env, project_path, setting):
    """Where the run's Ansible would look for collections or roles without the run's own directory."""
    names = dict(collections_path=("ANSIBLE_COLLECTIONS_PATH", "ANSIBLE_COLLECTIONS_PATHS"), roles_path=("ANSIBLE_ROLES_PATH",))[setting]
    for name in names:
        if env.get(name):
            return env[name]
    config = env.get("ANSIBLE_CONFIG")
    if config and os.path.isfile(config):
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(config)
        except configparser.Error:
            parser = None
        for option in (setting, setting + "s"):
            if parser is not None and parser.has_option("defaults", option):
                return os.pathsep.join(os.path.join(project_path, os.path.expanduser(part.strip()))
                                       for part in parser.get("defaults", option).split(os.pathsep) if part.strip())
    return DEFAULT_SEARCH_PATHS[setting]


def with_run_search_paths(env, run_dir, project_path):
    """``env`` with the run's own collections and roles directories searched first (where requirements go)."""
    env = dict(env)
    for setting, variable, directory in (("collections_path", "ANSIBLE_COLLECTIONS_PATH", "collections"),
                                         ("roles_path", "ANSIBLE_ROLES_PATH", "roles")):
        env[variable] = os.pathsep.join([os.path.join(run_dir, "galaxy", directory), _configured_path(env, project_path, setting)])
    env.pop("ANSIBLE_COLLECTIONS_PATHS", None)
    return env


def install_requirements(project_path, env, timeout, galaxy="ansible-galaxy"):
    """Install the appliance's requirements with ``ansible-galaxy install -r`` in ``env`` (the run's search paths first).

    What is already installed where the run looks is skipped, and a local source (``type: dir``)
    needs no network.  Returns the requirements file installed (None when there is none); raises
    ModuleError naming what was asked for when ansible-galaxy fails.
    """
    relative = requirements_file(project_path)
    if relative is None:
        return None
    path = os.path.join(project_path, relative)
    try:
        done = subprocess.run([galaxy, "install", "-r", path], cwd=project_path, env=env, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise ModuleError("Installing the appliance's requirements (%s: %s) took more than %d seconds"
                          % (relative, ", ".join(requirement_names(path)), timeout))
    except OSError as exc:
        raise ModuleError("Could not run %s to install the appliance's requirements (%s): %s" % (galaxy, relative, exc))
    if done.returncode != 0:
        raise ModuleError("Could not install the appliance's requirements (%s: %s): %s"
                          % (relative, ", ".join(requirement_names(path)) or "none readable", galaxy_error(done.stdout)))
    return relative


def galaxy_error(output):
    """The lines of ansible-galaxy's output that say what went wrong (its errors and warnings)."""
    lines = [line.strip() for line in output.splitlines() if line.startswith(("[ERROR]", "ERROR!", "[WARNING]"))]
    if lines:
        return " ".join(lines)
    rest = output.strip().splitlines()
    return rest[-1] if rest else "no output"


# --- events ----------------------------------------------------------------------------------

def _result(event):
    return (event.get("event_data") or {}).get("res") or {}


def outputs_from_events(events):
    """The ``outputs`` of the last ``debug`` task whose result has a dict ``outputs`` ({} when none)."""
    for event in reversed(list(events)):
        data = event.get("event_data") or {}
        if event.get("event") == "runner_on_ok" and data.get("task_action") in DEBUG_ACTIONS:
            outputs = _result(event).get("outputs")
            if isinstance(outputs, dict):
                return outputs
    return {}


def is_no_log(result):
    return str(result.get("_ansible_no_log")).lower() == "true" or "censored" in result


def failure_from_events(events):
    """The last failed task (not ignored) as {task, message}, or None."""
    for event in reversed(list(events)):
        data = event.get("event_data") or {}
        if event.get("event") not in ("runner_on_failed", "runner_on_unreachable") or data.get("ignore_errors"):
            continue
        result = _result(event)
        message = HIDDEN_MESSAGE if is_no_log(result) else (result.get("msg") or HIDDEN_MESSAGE)
        return dict(task=data.get("task") or data.get("task_action") or "unknown task", message=str(message).strip())
    return None


def changed_from_events(events):
    """Whether the run changed anything (the play recap counts), else any task reported changed."""
    for event in reversed(list(events)):
        if event.get("event") == "playbook_on_stats":
            return any((event.get("event_data") or {}).get("changed") or {})
    return any(event.get("event") == "runner_on_ok" and _result(event).get("changed") for event in events)


def describe_failure(failure):
    return "Task:'%s' Error:\n%s" % (failure["task"], failure["message"])


# --- the private directory -------------------------------------------------------------------

def _write(path, text, mode=0o600):
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)


class RunDirectory:
    """The private directory of one run; removed whole on exit, so that no secret stays behind."""

    def __init__(self, parent=None):
        self.path = tempfile.mkdtemp(prefix="azimuth-ops-caas-", dir=parent)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        shutil.rmtree(self.path, ignore_errors=True)

    def write(self, relative, text):
        path = os.path.join(self.path, relative)
        if not os.path.isdir(os.path.dirname(path)):
            os.makedirs(os.path.dirname(path), mode=0o700)
        _write(path, text)
        return path

    def write_inputs(self, extravars, clouds_yaml, cacert, inventory):
        self.write("env/extravars", json.dumps(extravars))
        self.write("clouds.yaml", clouds_yaml)
        if cacert:
            self.write("cacert", cacert)
        if inventory:
            self.write("inventory/hosts", inventory)


def default_inventory():
    """The operator's inventory: localhost in group ``openstack``, with the Python that runs the module."""
    return "[openstack]\nlocalhost ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable


class Stopping:
    """Whether the run must stop (its timeout passed, or the module got SIGINT/SIGTERM), and the stopping.

    ``cancel`` is ansible-runner's cancel callback: the first time a stop is due it asks the run's
    process tree to stop, and it answers True (the runner then kills what is left) only once the
    grace period is over.  ``reason`` says why the run stopped, None when it was not stopped, and
    ``status`` is ``timeout`` or ``stopped`` (a signal).
    """

    def __init__(self, timeout, tree, clock=time.monotonic):
        self.timeout = timeout
        self.tree = tree
        self.clock = clock
        self.deadline = clock() + timeout
        self.reason = self.status = None

    def on_signal(self, signum, _frame):
        if self.reason is None:
            self.status = "stopped"
            self.reason = "the run was stopped by %s before the appliance finished" % signal.Signals(signum).name

    def cancel(self):
        if self.reason is None and self.clock() >= self.deadline:
            self.status = "timeout"
            self.reason = "the appliance did not finish within %d seconds and was stopped" % self.timeout
        if self.reason is None:
            return False
        self.tree.ask()
        if not self.tree.grace_over():
            return False
        self.tree.kill()
        return True


def run_appliance(run_dir, project_path, playbook, env, timeout, check_mode, use_inventory=True):
    """Run the playbook with ansible-runner in exactly ``env``: {status, rc, events, error_line, stopped}.

    ``stopped`` is why the run was stopped (its status then ``timeout`` or ``stopped``), else None.
    """
    if ansible_runner is None:  # pragma: no cover - the module checks this first
        raise ModuleError("ansible-runner is not installed")
    process_tree.become_subreaper()
    stopping = Stopping(timeout, process_tree.ProcessTree(STOP_GRACE))
    saved = dict(os.environ)
    handlers = dict((signum, signal.signal(signum, stopping.on_signal)) for signum in (signal.SIGINT, signal.SIGTERM))
    # ansible-runner starts from this process's environment: make it the appliance's for the run.
    os.environ.clear()
    os.environ.update(env)
    try:
        runner = ansible_runner.run(
            private_data_dir=run_dir.path, project_dir=project_path, playbook=playbook,
            inventory=os.path.join(run_dir.path, "inventory") if use_inventory else None, quiet=True,
            cmdline="--check" if check_mode else None, cancel_callback=stopping.cancel,
            settings=dict(pexpect_timeout=STOP_POLL),
        )
    finally:
        os.environ.clear()
        os.environ.update(saved)
        stopping.tree.wait()
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
    return dict(status=stopping.status or runner.status, rc=runner.rc, events=list(runner.events), error_line=_error_line(runner),
                stopped=stopping.reason)


def _error_line(runner):
    """The ansible-playbook error line (``ERROR! ...`` / ``[ERROR]: ...``) of a run that failed before any task."""
    try:
        text = runner.stdout.read()
    except (AttributeError, OSError, ValueError):
        return None
    for line in text.splitlines():
        if line.startswith("ERROR!") or line.startswith("[ERROR]"):
            return line.strip()
    return None
