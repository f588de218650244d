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


# --- probes: strings built to make a backtracking pattern take for ever -------------------------

# OpenStack project names, which the ACL regexes are searched in, have at most 64 characters.
PROBE_LENGTH = 64
_REPRESENTATIVES = "a0 -_.A"  # what \w, \d, \s and common name characters stand for
_ENDINGS = "!#~\x00"


def probes(pattern, length=PROBE_LENGTH):
    """Texts on which a pattern with nested or overlapping repetition backtracks catastrophically.

    For each character the pattern names (and a few that character classes stand for): that
    character ``length`` times, then one the pattern does not name, so that the match fails at
    the very end, after every way of splitting the run has been tried.  ``(a+)+$`` takes 2**64
    steps on ``'a' * 64 + '!'``; a pattern without such repetition answers at once.
    """
    alphabet = sorted(set(char for char in pattern if char.isalnum()) | set(_REPRESENTATIVES))
    ending = next((char for char in _ENDINGS if char not in pattern), "")
    return [char * length + ending for char in alphabet]


def describe_text(text):
    """A short description of a probe or name for messages: ``64 x 'a' then '!'``, or the text itself."""
    if len(text) > 16 and text[:-1] == text[0] * (len(text) - 1):
        return "%d x %r then %r" % (len(text) - 1, text[0], text[-1])
    return repr(text)
