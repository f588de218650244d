# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Regular-expression search with a time bound.

Python's ``re`` has no timeout, and a pattern such as ``(a+)+$`` backtracks for ages on a long
name.  ``re`` does check for signals while it matches, so in the main thread a real-time timer
interrupts it.  Any timer that was already set (Ansible's task ``timeout`` uses SIGALRM) is
put back afterwards.  Outside the main thread, where signals cannot be used, the search runs
in a forked child process that is killed when the bound is reached.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import multiprocessing
import re
import signal
import threading
import time

DEFAULT_TIMEOUT = 1.0


class RegexTimeout(Exception):
    """The search did not finish within the bound."""


class _Expired(BaseException):
    """Raised by our SIGALRM handler; BaseException so that no ``except Exception`` swallows it."""


def compile_pattern(pattern):
    """Compile ``pattern``; ``re.error`` propagates to the caller."""
    return re.compile(pattern)


def bounded_search(compiled, text, timeout=DEFAULT_TIMEOUT):
    """``bool(compiled.search(text))``, or RegexTimeout after ``timeout`` seconds."""
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):
        return _search_with_timer(compiled, text, timeout)
    return _search_in_child(compiled, text, timeout)


def _raise_expired(signum, frame):
    raise _Expired()


def _search_with_timer(compiled, text, timeout):
    previous_handler = signal.signal(signal.SIGALRM, _raise_expired)
    previous_delay, previous_interval = signal.setitimer(signal.ITIMER_REAL, 0)
    started = time.monotonic()
    try:
        signal.setitimer(signal.ITIMER_REAL, min(timeout, previous_delay) if previous_delay else timeout)
        return compiled.search(text) is not None
    except _Expired:
        raise RegexTimeout() from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_handler)
        if previous_delay:
            # Hand back what is left of the outer timer; if it fell due meanwhile it fires at once.
            remaining = max(previous_delay - (time.monotonic() - started), 1e-6)
            signal.setitimer(signal.ITIMER_REAL, remaining, previous_interval)


def _child_search(compiled, text, conn):
    conn.send(compiled.search(text) is not None)
    conn.close()


def _search_in_child(compiled, text, timeout):
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_child_search, args=(compiled, text, sender), daemon=True)
    child.start()
    try:
        if receiver.poll(timeout):
            return receiver.recv()
        raise RegexTimeout()
    finally:
        child.kill()
        child.join()
        receiver.close()
        sender.close()
