# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One run of azimuth.ops.opentofu: init when needed, plan to a file, apply exactly that plan.

``init`` runs when the fingerprint of what it prepares (``_tofu_config.init_fingerprint``) differs
from the one recorded after the last ``init`` (in the working directory's ``.terraform``), so a
run with nothing to do costs one ``plan`` and one ``show -json`` of it.  Whether anything
changes is read from that JSON; only a plan with changes is applied, and applied as saved.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fcntl
import os

from ansible_collections.azimuth.ops.plugins.module_utils import _tofu as tofu
from ansible_collections.azimuth.ops.plugins.module_utils import _tofu_config as config
from ansible_collections.azimuth.ops.plugins.module_utils._module import ModuleError, leaf_values

DATA_DIR = ".terraform"
INIT_STAMP = "azimuth-ops-init.sha256"
INIT_LOCK = "azimuth-ops-init.lock"
# Plans made stale by a concurrent run (its apply changed the state) are made again this often.
STALE_PLAN_ATTEMPTS = 3


class Workspace:
    """One run over one project directory; ``binary`` is the engine's path."""

    def __init__(self, binary, params, check_mode, environ=None):
        self.binary = binary
        self.params = params
        self.check_mode = check_mode
        self.project_path = os.path.abspath(params["project_path"])
        self.environ = dict(os.environ if environ is None else environ)
        self.sensitive = set()
        self.commands = []

    # --- checks before anything runs ---------------------------------------------------------

    def validate(self):
        path = self.params["project_path"]
        if not os.path.isdir(self.project_path):
            raise ModuleError("project_path %s does not exist or is not a directory" % path)
        if not config.config_files(self.project_path):
            raise ModuleError("project_path %s holds no OpenTofu configuration (no .tf or .tf.json file)" % path)
        for file_path in self.params["backend_config_files"] or []:
            if not os.path.isfile(file_path):
                raise ModuleError("backend_config_files: %s does not exist" % file_path)
        unknown = sorted(set(self.params["variables"] or {}) - config.declared_variables(self.project_path))
        if unknown:
            declared = ", ".join(sorted(config.declared_variables(self.project_path))) or "none"
            raise ModuleError("variables %s: the configuration in %s declares no such variable (it declares: %s)"
                              % (", ".join(unknown), path, declared))

    # --- the engine --------------------------------------------------------------------------

    def engine(self, workspace=None):
        engine = tofu.Engine(self.binary, self.project_path, tofu.clean_environment(self.environ, workspace))
        engine.commands = self.commands
        return engine

    def lock_args(self):
        # Check mode writes nothing, not even the lock (the Kubernetes backend's is a Lease).
        lock = self.params["lock"] and not self.check_mode
        return ["-lock=%s" % str(lock).lower(), "-lock-timeout=%ds" % self.params["lock_timeout"]]

    # --- init --------------------------------------------------------------------------------

    def fingerprint(self):
        return config.init_fingerprint(self.project_path, self.params["backend_config"], self.params["backend_config_files"],
                                       self.params["workspace"], self.binary)

    def ensure_init(self, private):
        """Run ``init`` (and select the workspace) when the fingerprint changed; whether it ran."""
        data_dir = os.path.join(self.project_path, DATA_DIR)
        os.makedirs(data_dir, exist_ok=True)
        stamp = os.path.join(data_dir, INIT_STAMP)
        with open(os.path.join(data_dir, INIT_LOCK), "a") as lock:
            # Two runs in one directory must not init it at once.
            fcntl.flock(lock, fcntl.LOCK_EX)
            if _read(stamp) == self.fingerprint():
                return False
            self.init(private)
            with open(stamp, "w") as handle:
                handle.write(self.fingerprint())
        return True

    def init(self, private):
        args = ["init", "-input=false", "-no-color"] + self.lock_args()
        if self.params["reconfigure"]:
            args.append("-reconfigure")
        if self.params["backend_config"]:
            args.append("-backend-config=" + tofu.write_private_json(private, "backend.tfbackend.json", self.params["backend_config"]))
        args += ["-backend-config=" + os.path.abspath(path) for path in self.params["backend_config_files"] or []]
        engine = self.engine()
        returncode, stdout, stderr = engine.run(*args)
        if returncode != 0:
            hint = ("; to use the new backend configuration with the state it holds, set reconfigure"
                    if "reconfigure" in stderr and not self.params["reconfigure"] else "")
            raise ModuleError("init failed in %s: %s%s" % (self.params["project_path"], self.describe(private, stderr, stdout), hint))
        workspace = self.params["workspace"]
        if workspace != "default":
            engine.check("workspace", "select", "-no-color", "-or-create=%s" % str(not self.check_mode).lower(), workspace)

    # --- plan and apply ----------------------------------------------------------------------

    def plan(self, private):
        """Plan to a file; (path, the plan as JSON)."""
        plan_file = os.path.join(private, "tfplan")
        args = ["plan", "-input=false", "-no-color", "-out=" + plan_file] + self.lock_args()
        if self.params["variables"]:
            args.append("-var-file=" + os.path.join(private, "variables.tfvars.json"))
        if self.params["parallelism"]:
            args.append("-parallelism=%d" % self.params["parallelism"])
        args += ["-target=" + target for target in self.params["targets"] or []]
        if self.params["state"] == "absent":
            args.append("-destroy")
        engine = self.engine(self.params["workspace"])
        returncode, stdout, stderr = engine.run(*args)
        if returncode != 0:
            raise ModuleError("plan failed in %s: %s" % (self.params["project_path"], self.describe(private, stderr, stdout)))
        plan = engine.show_json(plan_file)
        self.note_sensitive(plan)
        return plan_file, plan

    def apply(self, private, plan_file):
        """Apply the saved plan; False when it went stale (another run changed the state since)."""
        args = ["apply", "-input=false", "-no-color"] + self.lock_args()
        if self.params["parallelism"]:
            args.append("-parallelism=%d" % self.params["parallelism"])
        returncode, stdout, stderr = self.engine(self.params["workspace"]).run(*(args + [plan_file]))
        if returncode == 0:
            return True
        if tofu.is_stale_plan(stderr):
            return False
        raise ModuleError("apply failed in %s: %s" % (self.params["project_path"], self.describe(private, stderr, stdout)), changed=True)

    def describe(self, private, stderr, stdout):
        """The engine's words about a failure (its errors, else its last words), naming the lock's holder when locked."""
        message = tofu.engine_words(stderr, stdout).replace(private + os.sep, "")
        if tofu.is_lock_error(stderr or stdout):
            holder = tofu.lock_holder(stderr or stdout)
            message += ("; still locked after lock_timeout=%ds. If no other run holds the lock, release it with "
                        "'force-unlock %s' in %s" % (self.params["lock_timeout"], holder["id"], self.params["project_path"]))
        return message

    def note_sensitive(self, plan):
        """Remember the values that must never be printed: sensitive variables and outputs (unless revealed)."""
        if self.params["reveal_sensitive_outputs"]:
            return
        variables = self.params["variables"] or {}
        for name in tofu.sensitive_variables(plan):
            if name in variables:
                self.sensitive |= leaf_values(variables[name])
        for output in tofu.planned_outputs(plan).values():
            if output["sensitive"]:
                self.sensitive |= leaf_values(output["value"])

    def outputs(self, found):
        """The outputs as {name: value}, sensitive ones masked unless asked for; and the sensitive names."""
        sensitive = sorted(name for name, output in found.items() if output["sensitive"])
        reveal = self.params["reveal_sensitive_outputs"]
        if not reveal:
            for name in sensitive:
                self.sensitive |= leaf_values(found[name]["value"])
        values = dict((name, tofu.MASK if output["sensitive"] and not reveal else output["value"]) for name, output in found.items())
        return values, sensitive

    # --- the run -----------------------------------------------------------------------------

    def run(self, diff_mode):
        self.validate()
        with tofu.private_dir() as private:
            if self.params["variables"]:
                tofu.write_private_json(private, "variables.tfvars.json", self.params["variables"])
            initialised = self.ensure_init(private)
            for _attempt in range(STALE_PLAN_ATTEMPTS):
                plan_file, plan = self.plan(private)
                changes = tofu.resource_changes(plan)
                changed = tofu.has_changes(plan)
                if self.check_mode or not changed or self.apply(private, plan_file):
                    break
            else:
                raise ModuleError("apply failed in %s: another run changed the state after each of %d plans; run again"
                                  % (self.params["project_path"], STALE_PLAN_ATTEMPTS))
            if changed and not self.check_mode:
                found = tofu.state_outputs(self.engine(self.params["workspace"]).check("output", "-json", "-no-color"))
            else:
                found = tofu.planned_outputs(plan) if self.params["state"] == "present" else {}
        outputs, sensitive_outputs = self.outputs(found)
        result = dict(
            changed=changed, state=self.params["state"], workspace=self.params["workspace"], initialised=initialised,
            commands=list(self.commands), outputs=outputs, sensitive_outputs=sensitive_outputs,
            changes=[dict(address=c["address"], action=c["action"]) for c in changes if c["action"] != "no-op"],
        )
        if diff_mode:
            result["diff"] = tofu.plan_diff(changes)
        return result


def _read(path):
    try:
        with open(path, "r") as handle:
            return handle.read()
    except (IOError, OSError):
        return None
