"""``python -m sandbox up|down|status|env``: bring the sandbox's services up, down, or describe them.

``up``, ``down`` and ``status`` take optional service names (default: all of them); the
variable ``AZIMUTH_OPS_SANDBOX_SERVICES`` (comma-separated names) narrows the default.
"""

import argparse
import fcntl
import importlib
import os
import shlex
import sys
import time

from sandbox.paths import STATE_DIR

# (module, class) of every service, in start order.
SERVICES = [
    ("sandbox.openstack", "OpenStackService"),
    ("sandbox.kube.service", "KubeService"),
    ("sandbox.keycloak.service", "KeycloakService"),
    ("sandbox.tofu", "TofuService"),
]
SERVICES_VAR = "AZIMUTH_OPS_SANDBOX_SERVICES"


def _say(message):
    print(f"sandbox: {message}", file=sys.stderr, flush=True)


def _service_classes():
    """The registered service classes whose modules exist, in order."""
    classes = []
    for module_name, class_name in SERVICES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as err:
            if err.name and module_name.startswith(err.name):
                _say(f"warning: skipping {class_name}: module {module_name} not found")
                continue
            raise
        classes.append(getattr(module, class_name))
    return classes


def load_services(names=None):
    """Instances of the services named (default: all, or those in $AZIMUTH_OPS_SANDBOX_SERVICES)."""
    if not names and os.environ.get(SERVICES_VAR):
        names = [n.strip() for n in os.environ[SERVICES_VAR].split(",") if n.strip()]
    classes = _service_classes()
    unknown = set(names or ()) - {cls.name for cls in classes}
    if unknown:
        raise SystemExit(f"sandbox: unknown service(s): {', '.join(sorted(unknown))}")
    return [cls() for cls in classes if not names or cls.name in names]


def _locked(function):
    """Run ``function`` holding an exclusive lock on ``.sandbox/up.lock``."""
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    with open(STATE_DIR / "up.lock", "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return function()


def _bring_up(service, fresh):
    """Run every step of one service; False (and a message) when one fails."""
    started = time.monotonic()
    try:
        service.install()
        service.prepare(fresh=fresh)
        service.start()
        service.wait_ready()
        service.seed()
    except Exception as err:  # pylint: disable=broad-except  (report, then carry on with the others)
        _say(f"error: {service.name} failed: {type(err).__name__}: {err}")
        return False
    print(f"{service.name}: up at {service.address()} ({time.monotonic() - started:.1f}s)", flush=True)
    return True


def up(names=None, fresh=False):
    """Install, prepare, start, wait for and seed the services, in order."""
    def run():
        services = load_services(names)
        if fresh:
            for service in reversed(services):
                service.stop()
        results = [_bring_up(service, fresh) for service in services]
        return 0 if all(results) else 1
    return _locked(run)


def down(names=None):
    """Stop what ``up`` started."""
    for service in reversed(load_services(names)):
        service.stop()
        print(f"{service.name}: stopped")
    return 0


def status(names=None):
    """One line per service; non-zero exit when any is down."""
    all_up = True
    for service in load_services(names):
        is_up = service.is_up()
        all_up = all_up and is_up
        print(f"{service.name:<10} {'up' if is_up else 'down':<5} {service.address()}")
    return 0 if all_up else 1


def merged_env(services):
    """The services' ``env()`` merged; PATH entries are prepended to the current PATH."""
    env, path = {}, []
    for service in services:
        for name, value in service.env().items():
            if name == "PATH":
                path.append(value)
            else:
                env[name] = value
    if path:
        current = [d for d in os.environ.get("PATH", os.defpath).split(os.pathsep) if d not in path]
        env["PATH"] = os.pathsep.join([*path, *current])
    return env


def env():
    """Print ``export NAME=value`` lines for a shell."""
    for name, value in merged_env(load_services()).items():
        print(f"export {name}={shlex.quote(value)}")
    return 0


def _parser():
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    up_parser = commands.add_parser("up", help="install, start and seed the services")
    up_parser.add_argument("--fresh", action="store_true", help="stop everything and wipe state first")
    commands.add_parser("down", help="stop the services")
    commands.add_parser("status", help="one line per service; exit 1 if any is down")
    for command in (up_parser, commands.choices["down"], commands.choices["status"]):
        command.add_argument("services", nargs="*", metavar="SERVICE", help="default: all")
    commands.add_parser("env", help="print export lines for a shell")
    return parser


def main(argv=None):
    args = _parser().parse_args(argv)
    if args.command == "up":
        return up(args.services, fresh=args.fresh)
    if args.command == "env":
        return env()
    return {"down": down, "status": status}[args.command](args.services)
