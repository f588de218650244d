"""``python -m sandbox up|down|status|env``: bring the sandbox's services up, down, or describe them."""

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


def _warn(message):
    print(f"sandbox: warning: {message}", file=sys.stderr)


def load_services():
    """Instances of the registered services; a service whose module is missing is skipped."""
    services = []
    for module_name, class_name in SERVICES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as err:
            if err.name and module_name.startswith(err.name):
                _warn(f"skipping {class_name}: module {module_name} not found")
                continue
            raise
        services.append(getattr(module, class_name)())
    return services


def _locked(function):
    """Run ``function`` holding an exclusive lock on ``.sandbox/up.lock``."""
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    with open(STATE_DIR / "up.lock", "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return function()


def _bring_up(service, fresh):
    started = time.monotonic()
    service.install()
    service.prepare(fresh=fresh)
    service.start()
    service.wait_ready()
    service.seed()
    print(f"{service.name}: up at {service.address()} ({time.monotonic() - started:.1f}s)")


def up(fresh=False):
    """Install, prepare, start, wait for and seed every service, in order."""
    def run():
        services = load_services()
        if fresh:
            for service in reversed(services):
                service.stop()
        for service in services:
            _bring_up(service, fresh)
        return 0
    return _locked(run)


def down():
    """Stop what ``up`` started."""
    for service in reversed(load_services()):
        service.stop()
        print(f"{service.name}: stopped")
    return 0


def status():
    """One line per service; non-zero exit when any is down."""
    all_up = True
    for service in load_services():
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


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    up_parser = commands.add_parser("up", help="install, start and seed every service")
    up_parser.add_argument("--fresh", action="store_true", help="stop everything and wipe state first")
    commands.add_parser("down", help="stop the services")
    commands.add_parser("status", help="one line per service; exit 1 if any is down")
    commands.add_parser("env", help="print export lines for a shell")
    args = parser.parse_args(argv)
    if args.command == "up":
        return up(fresh=args.fresh)
    return {"down": down, "status": status, "env": env}[args.command]()
