"""``python -m sandbox.kube --state-dir DIR [--host 127.0.0.1] [--port 6443]``: run the emulator."""

import argparse
import logging
import signal
import sys

from sandbox.kube.server import KubeServer
from sandbox.paths import service_dir


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m sandbox.kube", description=__doc__)
    parser.add_argument("--state-dir", default=None, help="where state, keys and kubeconfig live")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=6443)
    parser.add_argument("--quiet", action="store_true", help="do not log every request")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO,
                        format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr)
    server = KubeServer(args.state_dir or service_dir("kube"), args.host, args.port)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    logging.getLogger("sandbox.kube").warning("serving https://%s:%d", args.host, args.port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.store.flush()


if __name__ == "__main__":
    main()
