"""A tiny HTTP probe for ``is_up`` checks."""

import ssl
import urllib.error
import urllib.request


def answers(url, timeout=2, insecure=False):
    """True when ``url`` answers with any HTTP status below 500."""
    context = ssl._create_unverified_context() if insecure else None  # pylint: disable=protected-access
    try:
        with urllib.request.urlopen(url, timeout=timeout, context=context) as resp:
            return resp.status < 500
    except urllib.error.HTTPError as err:
        return err.code < 500
    except (OSError, ValueError):
        return False


def ready(url, ca_file=None, timeout=2):
    """True when ``url`` (verified against ``ca_file`` when given) answers 200."""
    try:
        context = ssl.create_default_context(cafile=ca_file) if ca_file else None
        with urllib.request.urlopen(url, timeout=timeout, context=context) as resp:
            return resp.status == 200
    except (OSError, ValueError, ssl.SSLError):
        return False
