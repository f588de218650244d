"""``python -m sandbox.keycloak``: run the Keycloak Admin REST emulator in the foreground."""

import argparse
import signal
import sys
from pathlib import Path

from sandbox.keycloak import auth, settings
from sandbox.keycloak.realms import seed_master
from sandbox.keycloak.server import App, make_server
from sandbox.keycloak.store import Store


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m sandbox.keycloak", description=__doc__)
    parser.add_argument("--host", default=settings.DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=settings.DEFAULT_PORT)
    parser.add_argument("--state-dir", type=Path, required=True, help="where the JSON snapshot lives")
    parser.add_argument("--access-token-lifespan", type=int, default=settings.ACCESS_TOKEN_LIFESPAN)
    parser.add_argument("--refresh-token-lifespan", type=int, default=settings.REFRESH_TOKEN_LIFESPAN)
    parser.add_argument("--verbose", action="store_true", help="log every request")
    return parser.parse_args(argv)


def open_store(state_dir):
    """The snapshot in ``state_dir``, or a fresh store with the master realm."""
    state_dir.mkdir(parents=True, exist_ok=True)
    store = Store(str(state_dir / settings.STATE_FILE))
    if not store.load():
        seed_master(store)
        store.flush()
    return store


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    auth.LIFESPANS.access = args.access_token_lifespan
    auth.LIFESPANS.refresh = args.refresh_token_lifespan
    store = open_store(args.state_dir)
    server = make_server(args.host, args.port, App(store, verbose=args.verbose))
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
    store.start_flusher()
    print(f"keycloak emulator listening on http://{args.host}:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        store.close()


if __name__ == "__main__":
    main()
