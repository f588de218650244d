# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The OpenTofu base: finding the engine, running it, reading its plans, its errors as messages.

The engine is ``tofu`` (OpenTofu), else ``terraform``.  It runs with a clean environment (no
``TF_VAR_*``, ``TF_CLI_ARGS*`` or ``TF_LOG*`` from the caller), never prompts, and gets its
variables from files, never from its command line.  Its plans are read as JSON (``show -json``),
with sensitive values masked; its errors are cut down to the failing resource and the
provider's words.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile

from ansible_collections.azimuth.ops.plugins.module_utils.common._module import BaseModule

BINARIES = ("tofu", "terraform")
MASK = "********"
UNKNOWN = "(known after apply)"
# Seconds a run stopped by a signal gives the engine to save its state and release its lock.
STOP_GRACE = 60

TOFU_ARGUMENT_SPEC = dict(
    binary_path=dict(type="path"),
)

# The caller's variables that would change what the engine does behind the module's back.
_DROPPED_ENV = re.compile(r"^TF_(VAR_|CLI_ARGS|LOG|WORKSPACE$|DATA_DIR$|INPUT$)")
_ENGINE_ENV = dict(TF_INPUT="0", TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1")


class TofuError(Exception):
    """A failure of the engine, described for a person."""


class TofuTimeout(TofuError):
    """The engine ran past its time and was stopped; ``stdout`` is what it said until then."""

    def __init__(self, msg, stdout):
        super(TofuTimeout, self).__init__(msg)
        self.stdout = stdout


def find_binary(binary_path=None, search_path=None):
    """The engine's executable: ``binary_path`` (a path or a name on PATH), else ``tofu``, else ``terraform``."""
    if binary_path:
        found = shutil.which(binary_path, path=search_path)
        if found is None:
            raise TofuError("binary_path %s is not an executable file (nor one on PATH)" % binary_path)
        return found
    for name in BINARIES:
        found = shutil.which(name, path=search_path)
        if found:
            return found
    raise TofuError("neither tofu nor terraform is on PATH (%s); install OpenTofu or set binary_path"
                    % (search_path or os.environ.get("PATH", "")))


def clean_environment(base, workspace=None):
    """The engine's environment: ``base`` without the variables that steer it, plus non-interactive settings."""
    env = dict((name, value) for name, value in base.items() if not _DROPPED_ENV.match(name))
    env.update(_ENGINE_ENV)
    if workspace and workspace != "default":
        env["TF_WORKSPACE"] = workspace
    return env


def private_dir():
    """A directory only this user can read, for the files of one run (variables, plans)."""
    return tempfile.TemporaryDirectory(prefix="azimuth-ops-tofu-")


def write_private_json(directory, name, data):
    """Write ``data`` as JSON to ``directory/name`` (mode 0600); its path."""
    path = os.path.join(directory, name)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(data, handle)
    return path


class Engine:
    """One engine binary run in one project directory."""

    def __init__(self, binary, project_path, environment):
        self.binary = binary
        self.project_path = project_path
        self.environment = environment
        self.commands = []

    def run(self, *args, **kwargs):
        """Run a subcommand; (returncode, stdout, stderr).  A SIGINT or SIGTERM is passed on to the
        engine, which then stops, saves its state and releases its lock; the run fails after that.
        With ``timeout`` (seconds), the engine is stopped the same way once it ran that long."""
        timeout = kwargs.get("timeout")
        self.commands.append(args[0])
        process = subprocess.Popen([self.binary] + list(args), cwd=self.project_path, env=self.environment,
                                   stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   universal_newlines=True, start_new_session=True)
        stopped = []

        def stop(signum, _frame):
            stopped.append(signum)
            process.send_signal(signal.SIGINT)

        previous = dict((signum, signal.signal(signum, stop)) for signum in (signal.SIGINT, signal.SIGTERM))
        try:
            stdout, stderr = _communicate(process, stopped, timeout)
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        if stopped == ["timeout"]:
            raise TofuTimeout("%s ran for %d seconds and was stopped" % (args[0], timeout), stdout)
        if stopped:
            raise TofuError("stopped by signal %d during %s; the engine was asked to save its state and release its lock: "
                            "%s" % (stopped[0], args[0], engine_words(stderr, stdout) or "it said nothing"))
        return process.returncode, stdout, stderr

    def check(self, *args):
        """Run a subcommand that must succeed; its stdout, else a TofuError with the engine's words."""
        returncode, stdout, stderr = self.run(*args)
        if returncode != 0:
            raise TofuError("%s failed: %s" % (args[0], engine_words(stderr, stdout) or "exit code %d and no output" % returncode))
        return stdout

    def show_json(self, plan_file):
        return json.loads(self.check("show", "-json", "-no-color", plan_file))


def _communicate(process, stopped, timeout=None):
    """Wait for the engine (``timeout`` seconds at most, then ask it to stop as SIGINT does); once it
    was asked to stop, give it STOP_GRACE seconds, then kill it."""
    while True:
        try:
            return process.communicate(timeout=STOP_GRACE if stopped else timeout)
        except subprocess.TimeoutExpired:
            if stopped:
                process.kill()
            else:
                stopped.append("timeout")
                process.send_signal(signal.SIGINT)
        except InterruptedError:  # pragma: no cover - Python retries on EINTR itself
            continue


# --- errors ----------------------------------------------------------------------------------

_DIAGNOSTIC = re.compile(r"^(?:[\u2502\u2577\u2575 ]*)?Error: ", re.M)
_SOURCE_LINE = re.compile(r"^\s*(on \S+ line \d+|\d+:|\u2502|\u251c|\u2570|with |in resource |\(source code not available\))")
_WITH = re.compile(r"^\s*with ([^,]+),")
_GOPHERCLOUD = re.compile(r"Expected HTTP response code \[[^\]]*\] when accessing \[(\S+) ([^\]]+)\], but got (\d+) instead: (.*)", re.S)
_LOCK_FIELD = re.compile(r"^\s*(ID|Who|Created|Operation):\s*(.*?)\s*$", re.M)
MAX_ERRORS = 3
MAX_DETAIL = 400


def diagnostics(text):
    """The ``Error:`` diagnostics of the engine's output: a list of {summary, address, detail}."""
    starts = [match.end() for match in _DIAGNOSTIC.finditer(text or "")]
    found = []
    for index, start in enumerate(starts):
        end = _DIAGNOSTIC.search(text, start)
        block = text[start:end.start() if end else len(text)]
        block = re.split(r"^\s*Warning: ", block, flags=re.M)[0]
        lines = [line.strip("\u2502\u2577\u2575 ").rstrip() for line in block.splitlines()]
        summary = lines[0].strip() if lines else ""
        address = next((m.group(1) for m in map(_WITH.match, lines) if m), None)
        detail = " ".join(line.strip() for line in lines[1:] if line.strip() and not _SOURCE_LINE.match(line))
        found.append(dict(summary=summary, address=address, detail=detail))
    return found


def provider_words(text):
    """The server's own message out of an OpenStack SDK error, when there is one; else ``text``."""
    match = _GOPHERCLOUD.search(text)
    if not match:
        return text
    method, url, status, body = match.groups()
    message = body
    try:
        parsed = json.loads(body)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        inner = next(iter(parsed.values()), None) if len(parsed) == 1 else parsed
        if isinstance(inner, dict) and inner.get("message"):
            message = inner["message"]
    return "%s%s %s returned %s: %s" % (text[:match.start()], method, url, status, message.strip())


def lock_holder(detail):
    """Who holds a state lock, from the detail of an ``Error acquiring the state lock`` diagnostic."""
    fields = dict(_LOCK_FIELD.findall(detail or ""))
    return dict((key.lower(), fields.get(key) or None) for key in ("ID", "Who", "Created", "Operation"))


def _shorten(text, limit=MAX_DETAIL):
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[:limit - 3].rstrip() + "..."


def describe_errors(text):
    """The engine's errors in one line: for each, the failing resource, the summary and the provider's words."""
    found = diagnostics(text)
    parts = []
    for item in found[:MAX_ERRORS]:
        words = provider_words(item["summary"])
        if item["summary"].startswith("Error acquiring the state lock"):
            holder = lock_holder(text)
            detail = "held by %s since %s for %s (lock ID %s)" % (holder["who"], holder["created"], holder["operation"], holder["id"])
        else:
            detail = provider_words(item["detail"]) if item["detail"] else ""
        text_part = "%s: %s" % (words, detail) if detail else words
        parts.append("%s: %s" % (item["address"], _shorten(text_part)) if item["address"] else _shorten(text_part))
    if len(found) > MAX_ERRORS:
        parts.append("and %d more errors" % (len(found) - MAX_ERRORS))
    return "; ".join(parts)


def _last_words(text, limit=MAX_DETAIL):
    text = re.sub(r"\s+", " ", text or "").strip()
    return text if len(text) <= limit else "..." + text[3 - limit:].lstrip()


def engine_words(*texts):
    """What the engine said about a failure: its ``Error:`` diagnostics, else the last words of its output."""
    for text in texts:
        if describe_errors(text):
            return describe_errors(text)
    return next((_last_words(text) for text in texts if text and text.strip()), "")


def is_lock_error(text):
    return any(item["summary"].startswith("Error acquiring the state lock") for item in diagnostics(text))


def is_stale_plan(text):
    return any(item["summary"].startswith("Saved plan is stale") for item in diagnostics(text))


# --- plans -----------------------------------------------------------------------------------

_ACTIONS = {
    ("no-op",): "no-op", ("create",): "create", ("read",): "read", ("update",): "update", ("delete",): "delete",
    ("delete", "create"): "replace", ("create", "delete"): "replace", ("forget",): "forget",
}
# Actions that leave the infrastructure and the state as they are: no apply for them.
QUIET_ACTIONS = ("no-op", "read")


def action_name(actions):
    return _ACTIONS.get(tuple(actions), "-".join(actions))


def mask(value, sensitive=False, unknown=False):
    """``value`` with sensitive parts as ``********`` and parts unknown until apply as ``(known after apply)``.

    ``sensitive`` and ``unknown`` mirror ``value`` as the plan's ``*_sensitive`` / ``after_unknown`` do.
    """
    if sensitive is True:
        return MASK
    if unknown is True:
        return UNKNOWN
    if isinstance(value, dict) or isinstance(unknown, dict):
        value = value if isinstance(value, dict) else {}
        keys = list(value) + [key for key in (unknown if isinstance(unknown, dict) else {}) if key not in value]
        return dict((key, mask(value.get(key), _part(sensitive, key), _part(unknown, key))) for key in keys)
    if isinstance(value, list):
        return [mask(item, _part(sensitive, index), _part(unknown, index)) for index, item in enumerate(value)]
    return value


def _part(structure, key):
    if isinstance(structure, dict):
        return structure.get(key, False)
    if isinstance(structure, list):
        return structure[key] if isinstance(key, int) and key < len(structure) else False
    return False


def resource_changes(plan):
    """Each resource change of a plan (``show -json``) as {address, action, before, after}, masked."""
    changes = []
    for item in plan.get("resource_changes") or []:
        change = item.get("change") or {}
        changes.append(dict(
            address=item["address"],
            action=action_name(change.get("actions") or ["no-op"]),
            before=mask(change.get("before"), change.get("before_sensitive", False)),
            after=mask(change.get("after"), change.get("after_sensitive", False), change.get("after_unknown", False)),
        ))
    return changes


def output_changes(plan):
    """{name: action} for each output the plan changes."""
    return dict((name, action_name(change.get("actions") or ["no-op"]))
                for name, change in (plan.get("output_changes") or {}).items())


def has_changes(plan):
    """Whether applying the plan would change anything (a resource or an output)."""
    actions = [change["action"] for change in resource_changes(plan)] + list(output_changes(plan).values())
    return any(action not in QUIET_ACTIONS for action in actions)


def plan_diff(changes):
    """Ansible's diff, one entry per changed resource: its address and action, values masked."""
    return [dict(before_header=change["address"], after_header="%s (%s)" % (change["address"], change["action"]),
                 before=change["before"] or {}, after=change["after"] or {})
            for change in changes if change["action"] not in QUIET_ACTIONS]


def planned_outputs(plan):
    """{name: {value, sensitive}} of the plan's outputs; a value unknown until apply is None."""
    found = {}
    for name, output in ((plan.get("planned_values") or {}).get("outputs") or {}).items():
        found[name] = dict(value=output.get("value"), sensitive=bool(output.get("sensitive")))
    return found


def state_outputs(text):
    """{name: {value, sensitive, type}} from ``output -json``."""
    return dict((name, dict(value=output.get("value"), sensitive=bool(output.get("sensitive")), type=output.get("type")))
                for name, output in (json.loads(text or "{}") or {}).items())


def value_type(value):
    """The engine's type of a value, as ``output -json`` writes it (for outputs known only from a plan)."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return ["tuple", [value_type(item) for item in value]]
    if isinstance(value, dict):
        return ["object", dict((key, value_type(item)) for key, item in value.items())]
    return "dynamic"


# --- replacements and progress ---------------------------------------------------------------

_PROGRESS = re.compile(r"^(?P<address>\S+?)(?: \(deposed object \w+\))?: "
                       r"(?:Still )?(?P<verb>Creating|Destroying|Modifying|Reading|creating|destroying|modifying|reading)\.\.\."
                       r"(?:.*?(?P<elapsed>[0-9hms]+) elapsed)?", re.M)
_DONE = re.compile(r"^(?P<address>\S+?)(?: \(deposed object \w+\))?: (?:Creation|Destruction|Modifications|Read) complete", re.M)


def in_progress(stdout):
    """{address: (what it was doing, for how long)} of the operations the engine had started and not finished."""
    running = {}
    for match in sorted(list(_PROGRESS.finditer(stdout or "")) + list(_DONE.finditer(stdout or "")), key=lambda m: m.start()):
        if match.re is _DONE:
            running.pop(match.group("address"), None)
        else:
            running[match.group("address")] = (match.group("verb").lower(), match.group("elapsed") or "")
    return running


def _references(expressions):
    """The addresses an expression tree of a plan's configuration refers to."""
    found = []
    if isinstance(expressions, dict):
        for key, value in expressions.items():
            found += value if key == "references" and isinstance(value, list) else _references(value)
    elif isinstance(expressions, list):
        for value in expressions:
            found += _references(value)
    return found


def dependencies(plan):
    """{address: set of the root module's resource addresses it refers to} from the plan's configuration."""
    resources = ((plan.get("configuration") or {}).get("root_module") or {}).get("resources") or []
    known = set(resource["address"] for resource in resources)
    found = {}
    for resource in resources:
        refs = _references(resource.get("expressions")) + list(resource.get("depends_on") or [])
        found[resource["address"]] = set(".".join(ref.split(".")[:2]) for ref in refs) & known - {resource["address"]}
    return found


def held_replacements(plan):
    """{address: [dependents]} of resources the plan destroys before making them again while resources that
    depend on them stay (updated or untouched): a cloud may refuse the destroy as long as they use the old one."""
    actions = dict((item["type"] + "." + item["name"], (item.get("change") or {}).get("actions") or [])
                   for item in plan.get("resource_changes") or [] if not item.get("module_address") and item.get("mode") == "managed")
    held = {}
    for address, needs in sorted(dependencies(plan).items()):
        if address not in actions or "delete" in actions[address]:
            continue  # it goes too, or is replaced as well
        for target in needs:
            if actions.get(target) == ["delete", "create"]:
                held.setdefault(target, []).append(address)
    return held


def sensitive_variables(plan):
    """Names of the root module's variables that the configuration declares sensitive."""
    variables = ((plan.get("configuration") or {}).get("root_module") or {}).get("variables") or {}
    return [name for name, variable in variables.items() if variable.get("sensitive")]


class TofuModule(BaseModule):
    """Base for modules that run the engine; ``self.binary`` is its path when ``run()`` starts."""

    base_argument_spec = TOFU_ARGUMENT_SPEC

    def __init__(self):
        super(TofuModule, self).__init__()
        self.binary = None

    def connect(self):
        self.binary = find_binary(self.params.get("binary_path"))

    def translate(self, exc):
        return str(exc) if isinstance(exc, TofuError) else None

    def translate_connect(self, exc):
        return "Could not find OpenTofu: %s" % exc if isinstance(exc, TofuError) else None
