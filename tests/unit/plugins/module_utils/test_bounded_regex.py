"""Regex searches with a time bound, in and out of the main thread."""

import re
import signal
import threading
import time

import pytest

from ansible_collections.azimuth.ops.plugins.module_utils.common._bounded_regex import RegexTimeout, bounded_search

EVIL = re.compile(r"(a+)+$")
EVIL_TEXT = "a" * 40 + "!"


def test_matches_and_misses():
    assert bounded_search(re.compile("b"), "abc") is True
    assert bounded_search(re.compile("^b"), "abc") is False


def test_times_out_in_main_thread():
    started = time.monotonic()
    with pytest.raises(RegexTimeout):
        bounded_search(EVIL, EVIL_TEXT, timeout=0.2)
    assert time.monotonic() - started < 5


def test_times_out_in_another_thread():
    outcome = []

    def run():
        try:
            bounded_search(EVIL, EVIL_TEXT, timeout=0.2)
            outcome.append("finished")
        except RegexTimeout:
            outcome.append("timeout")
        outcome.append(bounded_search(re.compile("a"), "a", timeout=1))

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    assert outcome == ["timeout", True]


def test_an_outer_timer_survives_and_still_fires():
    fired = []
    previous = signal.signal(signal.SIGALRM, lambda *args: fired.append(True))
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.5)
        assert bounded_search(re.compile("a"), "a", timeout=5) is True
        remaining = signal.getitimer(signal.ITIMER_REAL)[0]
        assert 0 < remaining <= 0.5
        time.sleep(1)
        assert fired == [True]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_an_outer_timer_due_first_fires_its_own_handler():
    class OuterTimeout(Exception):
        pass

    fired = []

    def outer(*args):
        fired.append(True)
        raise OuterTimeout()

    previous = signal.signal(signal.SIGALRM, outer)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.2)
        with pytest.raises((OuterTimeout, RegexTimeout)):
            bounded_search(EVIL, EVIL_TEXT, timeout=5)
            time.sleep(1)
        assert fired == [True]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
