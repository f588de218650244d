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
import fnmatch
import json
import os
import shutil

from ansible_collections.azimuth.ops.plugins.module_utils.tofu import _tofu as tofu
from ansible_collections.azimuth.ops.plugins.module_utils.tofu import _tofu_config as config
from ansible_collections.azimuth.ops.plugins.module_utils.common._module import ModuleError, Secrets, leaf_values

DATA_DIR = ".terraform"
INIT_STAMP = "azimuth-ops-init.sha256"
INIT_LOCK = "azimuth-ops-init.lock"
# Plans made stale by a concurrent run (its apply changed the state) are made again this often.
STALE_PLAN_ATTEMPTS = 3


class Workspace:
    """One run over one project directory; ``binary`` is the engine's path."""

    def __init__(self, binary, params, check_mode, secrets=None, environ=None):
        """``secrets``: the run's ``Secrets`` (the module's), where the values never to print are registered."""
        self.binary = binary
        self.params = params
        self.check_mode = check_mode
        self.project_path = os.path.abspath(params["project_path"])
        self.environ = dict(os.environ if environ is None else environ)
        self.secrets = Secrets() if secrets is None else secrets
        self.commands = []
        self.warnings = []
        self.workspace_missing = False
        self.providers_upgraded = False
        self.replacements = []

    # --- checks before anything runs ---------------------------------------------------------

    def path(self, name):
        """The absolute path of a path option; a relative one is taken from project_path, as the engine does."""
        value = self.params[name]
        return value if value is None else os.path.join(self.project_path, value)

    def validate(self):
        path = self.params["project_path"]
        if not os.path.isdir(self.project_path):
            raise ModuleError("project_path %s does not exist or is not a directory" % path)
        if not config.config_files(self.project_path):
            raise ModuleError("project_path %s holds no OpenTofu configuration (no .tf or .tf.json file)" % path)
        for name in ("backend_config_files", "variables_files"):
            for file_path in self.params[name] or []:
                if not os.path.isfile(os.path.join(self.project_path, file_path)):
                    raise ModuleError("%s: %s does not exist" % (name, file_path))
        unknown = sorted(set(self.params["variables"] or {}) - config.declared_variables(self.project_path))
        if unknown:
            declared = ", ".join(sorted(config.declared_variables(self.project_path))) or "none"
            raise ModuleError("variables %s: the configuration in %s declares no such variable (it declares: %s)"
                              % (", ".join(unknown), path, declared))
        self.validate_migrated_options()

    def validate_migrated_options(self):
        """The options of community.general.terraform that mean something only together with others."""
        state, plan_file = self.params["state"], self.params["plan_file"]
        if state == "planned" and not plan_file:
            raise ModuleError("state=planned saves the plan to plan_file: set plan_file")
        if plan_file and state in ("absent", "read"):
            raise ModuleError("plan_file is for state=planned (save a plan) and state=present (apply it); state=%s: remove plan_file"
                              % ("absent plans the destroy afresh" if state == "absent" else "read reads the outputs only"))
        if plan_file and state == "present" and not os.path.isfile(self.path("plan_file")):
            raise ModuleError("plan_file %s does not exist; make it first with state=planned" % plan_file)
        if self.params["purge_workspace"] and state != "absent":
            raise ModuleError("purge_workspace deletes the workspace once state=absent destroyed what it held; "
                              "with state=%s remove purge_workspace" % state)
        if not self.params["no_color"]:
            raise ModuleError("no_color=false is not supported: the module reads the engine's output without colour "
                              "and returns no raw output; remove no_color")
        backend = config.backend_type(self.project_path) if self.params["state_file"] else "local"
        if backend != "local":
            raise ModuleError("state_file is for the local backend, and the configuration in %s uses the %s backend: "
                              "give its settings in backend_config instead" % (self.params["project_path"], backend))

    # --- the engine --------------------------------------------------------------------------

    def engine(self, workspace=None):
        engine = tofu.Engine(self.binary, self.project_path, tofu.clean_environment(self.environ, workspace))
        engine.commands = self.commands
        return engine

    def lock_args(self):
        # Check mode writes nothing, not even the lock (the Kubernetes backend's is a Lease).
        lock = self.params["lock"] and not self.check_mode
        return ["-lock=%s" % str(lock).lower(), "-lock-timeout=%ds" % self.params["lock_timeout"]]

    def state_args(self):
        return ["-state=" + self.path("state_file")] if self.params["state_file"] else []

    # --- init --------------------------------------------------------------------------------

    def fingerprint(self):
        return config.init_fingerprint(self.project_path, self.params["backend_config"], self.params["backend_config_files"],
                                       self.params["workspace"], self.binary, self.params["plugin_paths"])

    def stamp_path(self):
        return os.path.join(self.project_path, DATA_DIR, INIT_STAMP)

    def forced_init(self):
        """Whether this run inits whatever the fingerprint says: force_init (unless overwrite_init is off), provider_upgrade."""
        upgrade = self.params["provider_upgrade"] and not self.check_mode
        return (self.params["force_init"] and self.params["overwrite_init"]) or upgrade

    def ensure_init(self, private):
        """Run ``init`` (and select the workspace) when the fingerprint changed or it is forced; whether it ran."""
        data_dir = os.path.join(self.project_path, DATA_DIR)
        os.makedirs(data_dir, exist_ok=True)
        with open(os.path.join(data_dir, INIT_LOCK), "a") as lock:
            # Two runs in one directory must not init it at once.
            fcntl.flock(lock, fcntl.LOCK_EX)
            if _read(self.stamp_path()) == self.fingerprint() and not self.forced_init():
                return False
            lock_file = _read(os.path.join(self.project_path, config.LOCK_FILE))
            self.init(private)
            if self.params["provider_upgrade"] and not self.check_mode:
                self.providers_upgraded = lock_file != _read(os.path.join(self.project_path, config.LOCK_FILE))
            if not self.workspace_missing:
                with open(self.stamp_path(), "w") as handle:
                    handle.write(self.fingerprint())
        return True

    def init(self, private):
        args = ["init", "-input=false", "-no-color"] + self.lock_args()
        if self.params["reconfigure"]:
            args.append("-reconfigure")
        if self.forced_init() and self.params["provider_upgrade"]:
            args.append("-upgrade")
        args += ["-plugin-dir=" + os.path.abspath(path) for path in self.params["plugin_paths"] or []]
        if self.params["backend_config"]:
            args.append("-backend-config=" + tofu.write_private_json(private, "backend.tfbackend.json", self.params["backend_config"]))
        args += ["-backend-config=" + os.path.join(self.project_path, path) for path in self.params["backend_config_files"] or []]
        engine = self.engine()
        returncode, stdout, stderr = engine.run(*args)
        if returncode != 0:
            hint = ("; to use the new backend configuration with the state it holds, set reconfigure"
                    if "reconfigure" in stderr and not self.params["reconfigure"] else "")
            raise ModuleError("init failed in %s: %s%s" % (self.params["project_path"], self.describe(private, stderr, stdout), hint))
        self.select_workspace(engine)

    def select_workspace(self, engine):
        """Select the workspace, made when missing; for state=absent a missing one is left missing (nothing to destroy)."""
        workspace = self.params["workspace"]
        if workspace == "default":
            return
        if self.params["state"] in ("absent", "read") and workspace not in self.workspaces(engine):
            self.workspace_missing = True
            return
        engine.check("workspace", "select", "-no-color", "-or-create=%s" % str(not self.check_mode).lower(), workspace)

    @staticmethod
    def workspaces(engine):
        listing = engine.check("workspace", "list", "-no-color")
        return [line.strip().lstrip("*").strip() for line in listing.splitlines() if line.strip()]

    def purge_workspace(self):
        """After a destroy, delete the (non-default) workspace; whether it was (or would be) deleted."""
        workspace = self.params["workspace"]
        if not self.params["purge_workspace"] or workspace == "default" or self.workspace_missing:
            return False
        if not self.check_mode:
            engine = self.engine()
            engine.check("workspace", "select", "-no-color", "default")
            engine.check("workspace", "delete", "-no-color", workspace)
            # The next run must init (and make the workspace) again.
            os.remove(self.stamp_path())
        return True

    # --- plan and apply ----------------------------------------------------------------------

    def variable_args(self, private, extra_file=None):
        """The variables files, then the variables (which win), as ``-var-file`` arguments."""
        files = [os.path.join(self.project_path, path) for path in self.params["variables_files"] or []]
        if self.params["variables"]:
            files.append(os.path.join(private, "variables.tfvars.json"))
        elif extra_file and not files:
            files.append(extra_file)
        return ["-var-file=" + path for path in files]

    def plan(self, private, name="tfplan", extra_variables=None):
        """Plan to a file; (path, the plan as JSON)."""
        plan_file = os.path.join(private, name)
        args = ["plan", "-input=false", "-no-color", "-out=" + plan_file] + self.lock_args() + self.state_args()
        args += self.variable_args(private, extra_variables)
        if self.params["parallelism"]:
            args.append("-parallelism=%d" % self.params["parallelism"])
        if not self.params["refresh"]:
            args.append("-refresh=false")  # the state as recorded: no provider reads, no drift seen
        args += ["-target=" + target for target in self.params["targets"] or []]
        args += ["-replace=" + address for address in self.replacements]
        if self.params["state"] == "absent":
            args.append("-destroy")
        engine = self.engine(self.params["workspace"])
        returncode, stdout, stderr = engine.run(*args)
        if returncode != 0:
            raise ModuleError("plan failed in %s: %s" % (self.params["project_path"], self.describe(private, stderr, stdout)))
        plan = engine.show_json(plan_file)
        self.note_sensitive(plan)
        self.note_held_replacements(plan)
        return plan_file, plan

    def apply(self, private, plan_file, plan):
        """Apply the saved plan; False when it went stale (another run changed the state since)."""
        args = ["apply", "-input=false", "-no-color"] + self.lock_args() + self.state_args()
        if self.params["parallelism"]:
            args.append("-parallelism=%d" % self.params["parallelism"])
        try:
            returncode, stdout, stderr = self.engine(self.params["workspace"]).run(*(args + [plan_file]),
                                                                                   timeout=self.params["apply_timeout"] or None)
        except tofu.TofuTimeout as exc:
            raise ModuleError(self.describe_timeout(exc.stdout, plan), changed=True)
        if returncode == 0:
            return True
        if tofu.is_stale_plan(stderr):
            return False
        raise ModuleError("apply failed in %s: %s" % (self.params["project_path"], self.describe(private, stderr, stdout)), changed=True)

    def describe_timeout(self, stdout, plan):
        """Which operations were still running when apply_timeout stopped the engine, and why one may never end."""
        held = tofu.held_replacements(plan)
        running = []
        for address, (verb, elapsed) in sorted(tofu.in_progress(stdout).items()):
            words = "%s was still %s%s" % (address, verb, " after " + elapsed if elapsed else "")
            if address in held:
                words += (" (it is replaced, destroyed first, while %s, which depends on it, stays and may keep it in use; "
                          "give it lifecycle create_before_destroy)" % ", ".join(held[address]))
            running.append(words)
        return ("apply did not finish within apply_timeout=%ds in %s and was stopped; the engine saved its state and released "
                "its lock: %s" % (self.params["apply_timeout"], self.params["project_path"],
                                  "; ".join(running) or "no operation was reported running"))

    def warn(self, message):
        if message not in self.warnings:
            self.warnings.append(message)

    def note_held_replacements(self, plan):
        for address, dependents in sorted(tofu.held_replacements(plan).items()):
            self.warn("the plan replaces %s by destroying it first while %s, which depends on it, stays: a cloud may "
                      "refuse to destroy it while it is in use, and the apply then waits for the provider's timeout. "
                      "Give %s lifecycle create_before_destroy" % (address, ", ".join(dependents), address))

    def refuse_destroys(self, changes):
        """check_destroy: fail, before anything is applied, when the plan destroys (or replaces) a resource."""
        if not self.params["check_destroy"] or self.params["state"] != "present":
            return
        destroyed = ["%s (%s)" % (c["address"], c["action"]) for c in changes if c["action"] in ("delete", "replace")]
        if destroyed:
            raise ModuleError("check_destroy: the plan destroys %s; nothing was applied" % ", ".join(destroyed))

    def describe(self, private, stderr, stdout):
        """The engine's words about a failure (its errors, else its last words), naming the lock's holder when locked."""
        message = tofu.engine_words(stderr, stdout).replace(private + os.sep, "")
        if tofu.is_lock_error(stderr or stdout):
            holder = tofu.lock_holder(stderr or stdout)
            message += ("; still locked after lock_timeout=%ds. If no other run holds the lock, release it with "
                        "'force-unlock %s' in %s" % (self.params["lock_timeout"], holder["id"], self.params["project_path"]))
        return message

    def note_sensitive(self, plan):
        """Register the values that must never be printed: sensitive variables (however given) and outputs (unless revealed)."""
        if self.params["reveal_sensitive_outputs"]:
            return
        variables = dict((name, item.get("value")) for name, item in (plan.get("variables") or {}).items())
        variables.update(self.params["variables"] or {})
        for name in tofu.sensitive_variables(plan):
            if name in variables:
                self.secrets.add(*leaf_values(variables[name]))
        for output in tofu.planned_outputs(plan).values():
            if output["sensitive"]:
                self.secrets.add(*leaf_values(output["value"]))

    def outputs(self, found):
        """The outputs as {name: value} (or {name: {value, type, sensitive}}), sensitive ones masked unless asked for;
        and the sensitive names."""
        sensitive = sorted(name for name, output in found.items() if output["sensitive"])
        reveal = self.params["reveal_sensitive_outputs"]
        if not reveal:
            for name in sensitive:
                self.secrets.add(*leaf_values(found[name]["value"]))
        values = dict((name, tofu.MASK if output["sensitive"] and not reveal else output["value"]) for name, output in found.items())
        if self.params["outputs_format"] == "terraform":
            values = dict((name, dict(value=values[name], sensitive=output["sensitive"],
                                      type=output.get("type") or tofu.value_type(output["value"])))
                          for name, output in found.items())
        return values, sensitive

    def find_replacements(self):
        """The resources in the state that the ``replace`` patterns match (``-replace`` needs whole addresses)."""
        if not self.params["replace"] or self.params["state"] != "present":
            return []
        returncode, stdout, stderr = self.engine(self.params["workspace"]).run("state", "list", "-no-color", *self.state_args())
        if returncode != 0 and "No state file was found" not in stderr + stdout:
            raise ModuleError("state list failed in %s: %s" % (self.params["project_path"], tofu.engine_words(stderr, stdout)))
        return [address for address in stdout.split() if any(fnmatch.fnmatchcase(address, pattern) for pattern in self.params["replace"])]

    def state_outputs(self):
        return tofu.state_outputs(self.engine(self.params["workspace"]).check("output", "-json", "-no-color", *self.state_args()))

    # --- the three ways of a run -------------------------------------------------------------

    def converge(self, private):
        """Plan and apply (present or absent); (changed, plan, applied)."""
        for _attempt in range(STALE_PLAN_ATTEMPTS):
            plan_file, plan = self.plan(private)
            changed = tofu.has_changes(plan)
            self.refuse_destroys(tofu.resource_changes(plan))
            if self.check_mode or not changed or self.apply(private, plan_file, plan):
                return changed, plan, changed and not self.check_mode
        raise ModuleError("apply failed in %s: another run changed the state after each of %d plans; run again"
                          % (self.params["project_path"], STALE_PLAN_ATTEMPTS))

    def save_plan(self, private):
        """state=planned: plan and keep the plan in plan_file; (changed, plan): changed when plan_file gets a different plan."""
        plan_file, plan = self.plan(private)
        target = self.path("plan_file")
        returncode, stdout, _stderr = self.engine(self.params["workspace"]).run("show", "-json", "-no-color", target) \
            if os.path.isfile(target) else (1, "", "")
        same = returncode == 0 and _comparable(json.loads(stdout)) == _comparable(plan)
        if not same and not self.check_mode:
            staged = target + ".new"
            shutil.copyfile(plan_file, staged)
            os.chmod(staged, 0o600)
            os.replace(staged, target)
        return not same, plan

    def apply_saved(self, private):
        """state=present with plan_file: apply the saved plan, unless a fresh plan (with the saved plan's variables
        when none are given) finds nothing to do: the saved plan was applied already.  (changed, plan, applied)."""
        saved_file = self.path("plan_file")
        saved = self.engine(self.params["workspace"]).show_json(saved_file)
        self.note_sensitive(saved)
        saved_values = dict((name, item.get("value")) for name, item in (saved.get("variables") or {}).items())
        extra = tofu.write_private_json(private, "saved.tfvars.json", saved_values) if saved_values else None
        _fresh_file, fresh = self.plan(private, "fresh.tfplan", extra)
        if not (tofu.has_changes(saved) and tofu.has_changes(fresh)):
            return False, fresh, False
        self.refuse_destroys(tofu.resource_changes(saved))
        if self.check_mode:
            return True, saved, False
        if not self.apply(private, saved_file, saved):
            raise ModuleError("plan_file %s is stale: the state changed since the plan was made, and the configuration "
                              "still has changes to make; make a new plan with state=planned" % self.params["plan_file"])
        return True, saved, True

    def run(self, diff_mode):
        self.validate()
        if self.params["provider_upgrade"] and self.check_mode:
            self.warn("provider_upgrade: check mode upgrades no provider; the plan uses the providers installed")
        with tofu.private_dir() as private:
            if self.params["variables"]:
                tofu.write_private_json(private, "variables.tfvars.json", self.params["variables"])
            initialised = self.ensure_init(private)
            state = self.params["state"]
            applied = False
            self.replacements = [] if self.workspace_missing else self.find_replacements()
            if self.workspace_missing or state == "read":
                changed, plan = False, {}
            elif state == "planned":
                changed, plan = self.save_plan(private)
            elif self.params["plan_file"]:
                changed, plan, applied = self.apply_saved(private)
            else:
                changed, plan, applied = self.converge(private)
            if state == "absent" or self.workspace_missing:
                found = {}  # a destroy leaves no outputs
            elif applied or state == "read" or (state == "present" and self.params["outputs_format"] == "terraform" and not self.check_mode):
                found = self.state_outputs()
            else:
                found = tofu.planned_outputs(plan)
            changed = self.purge_workspace() or changed or self.providers_upgraded
        return self.result(changed, initialised, plan, found, diff_mode)

    def result(self, changed, initialised, plan, found, diff_mode):
        outputs, sensitive_outputs = self.outputs(found)
        changes = tofu.resource_changes(plan)
        result = dict(
            changed=changed, state=self.params["state"], workspace=self.params["workspace"], initialised=initialised,
            commands=list(self.commands), outputs=outputs, sensitive_outputs=sensitive_outputs,
            changes=[dict(address=c["address"], action=c["action"]) for c in changes if c["action"] != "no-op"],
        )
        if self.params["plan_file"]:
            result["plan_file"] = self.path("plan_file")
        if diff_mode:
            result["diff"] = tofu.plan_diff(changes)
        return result


def _comparable(plan):
    """A plan without what differs between two plans of the same change (when it was made)."""
    return dict((key, value) for key, value in plan.items() if key != "timestamp")


def _read(path):
    try:
        with open(path, "r") as handle:
            return handle.read()
    except (IOError, OSError):
        return None
