"""What both emulators' ``/_sandbox/`` endpoints keep: request counts by route, and pending faults.

The HTTP contract is in :mod:`sandbox.control`'s docstring; each emulator maps it onto its own
server and answers faults with its own error bodies.
"""

import re
import threading
from collections import Counter


class RequestLog:
    """Counts of the API requests served, and the faults waiting for the next matching ones."""

    def __init__(self):
        self._lock = threading.Lock()
        self._counts = Counter()
        self._faults = []

    def count(self, method, route):
        with self._lock:
            self._counts[f"{method} {route}"] += 1

    def counts(self):
        with self._lock:
            return {"total": sum(self._counts.values()), "by_route": dict(sorted(self._counts.items()))}

    def reset_counts(self):
        with self._lock:
            self._counts.clear()

    def add_fault(self, body):
        """Queue a fault from its JSON body; ValueError says what is wrong with it."""
        fault = parse_fault(body)
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear_faults(self):
        with self._lock:
            self._faults.clear()

    def pending_faults(self):
        with self._lock:
            return [dict(fault, path_regex=fault["path_regex"] and fault["path_regex"].pattern) for fault in self._faults]

    def take_fault(self, method, path):
        """The fault (a dict with ``status`` or ``timeout``) this request meets, consuming one, or None."""
        with self._lock:
            for fault in self._faults:
                if fault["method"] and fault["method"] != method:
                    continue
                if fault["path_regex"] and not fault["path_regex"].search(path):
                    continue
                fault["count"] -= 1
                if fault["count"] <= 0:
                    self._faults.remove(fault)
                return dict(fault)
        return None


def parse_fault(body):
    """A fault from ``{"count": N, "status": S | "timeout": T, "method"?, "path_regex"?}``."""
    try:
        count = int(body["count"])
        status = int(body["status"]) if body.get("status") is not None else None
        timeout = float(body["timeout"]) if body.get("timeout") is not None else None
        regex = re.compile(body["path_regex"]) if body.get("path_regex") else None
    except (ValueError, KeyError, TypeError, AttributeError, re.error) as exc:
        raise ValueError(f"bad fault: {exc}") from exc
    if count < 1 or (status is None) == (timeout is None):
        raise ValueError("a fault needs count >= 1 and exactly one of status or timeout")
    return {"count": count, "status": status, "timeout": timeout,
            "method": (body.get("method") or "").upper() or None, "path_regex": regex}
