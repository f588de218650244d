"""Build ``sandbox/kubeapi`` (the control plane program) once per machine.

The binary lands in the machine-wide cache under a name derived from the program's sources
(main.go, go.mod, go.sum), so every clone with the same sources reuses it, and Go's own module
and build caches (outside the clone as well) make a rebuild after a change quick.
"""

import fcntl
import hashlib
import subprocess
import sys
import time

from sandbox.paths import REPO_ROOT, cache_dir

SOURCE_DIR = REPO_ROOT / "sandbox" / "kubeapi"
SOURCES = ("main.go", "go.mod", "go.sum")


def binary_path():
    digest = hashlib.sha256()
    for name in SOURCES:
        digest.update((SOURCE_DIR / name).read_bytes())
    return cache_dir("kube") / f"kubeapi-{digest.hexdigest()[:16]}"


def ensure_binary():
    """The path of the built program; builds it first when missing (once, under a lock)."""
    binary = binary_path()
    if binary.exists():
        return binary
    with open(binary.parent / "build.lock", "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not binary.exists():
            _build(binary)
    return binary


def _build(binary):
    print("sandbox: building kube-apiserver from Go modules (once per machine; several minutes)",
          file=sys.stderr, flush=True)
    started = time.monotonic()
    partial = binary.with_suffix(".partial")
    subprocess.run(["go", "build", "-trimpath", "-ldflags=-s -w", "-o", str(partial), "."],
                   cwd=SOURCE_DIR, check=True)
    partial.rename(binary)
    print(f"sandbox: built {binary} in {time.monotonic() - started:.0f}s", file=sys.stderr, flush=True)
