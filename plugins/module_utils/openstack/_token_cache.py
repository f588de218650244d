# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tokens shared by the module calls of one run (option ``token_cache``): each cloud authenticates once.

The run owns a private directory (mode 0700, made and removed by the caller, as the provisioning
playbook does). It holds one file per cloud with keystoneauth's auth state (the token and its
catalog), named by an HMAC of everything the token depends on (the auth type and every auth
setting, password included) under a random key kept in the directory: a file's name says nothing
of the credentials, and other credentials never find it. keystoneauth authenticates again when a
token is about to expire or a request is refused with 401.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import hmac
import json
import os
import stat
import tempfile

from ansible_collections.azimuth.ops.plugins.module_utils.common._module import ModuleError

KEY_FILE = ".key"
KEY_BYTES = 32
_OPENED = {}  # directory -> its TokenCache: the batch forms connect to many clouds in one process


def _private_file(directory, data):
    """A new file in ``directory`` holding ``data``, mode 0600, to be linked or renamed into place whole."""
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".tmp-")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        return temporary
    except BaseException:
        os.unlink(temporary)
        raise


def _read_private(path):
    """The bytes of ``path``, or None when there is none; never follows a symbolic link."""
    try:
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        return None
    except OSError as exc:  # a symbolic link (ELOOP), or a file this user may not read
        raise ModuleError("token_cache file %s cannot be read: %s" % (path, exc.strerror))
    with os.fdopen(handle, "rb") as stream:
        return stream.read()


class TokenCache:
    """The token directory at ``directory``; refused unless it is this user's own and nobody else's to read."""

    def __init__(self, directory):
        self.directory = directory
        try:
            status = os.lstat(directory)
        except OSError as exc:
            raise ModuleError("token_cache %s cannot be used: %s" % (directory, exc.strerror))
        if not stat.S_ISDIR(status.st_mode) or status.st_uid != os.geteuid() or status.st_mode & 0o077:
            raise ModuleError("token_cache %s must be a directory of this user's that no one else may read or write "
                              "(mode 0700, not a symbolic link); it holds tokens" % directory)
        self.key = self._key()

    @classmethod
    def at(cls, directory):
        """The cache at ``directory`` (checked once per process), or None when none is given (an empty value is none)."""
        if not directory:
            return None
        if directory not in _OPENED:
            _OPENED[directory] = cls(directory)
        return _OPENED[directory]

    def _key(self):
        """The directory's HMAC key, made by the first caller (two processes racing agree on one)."""
        path = os.path.join(self.directory, KEY_FILE)
        key = _read_private(path)
        if key is None:
            temporary = _private_file(self.directory, os.urandom(KEY_BYTES))
            try:
                os.link(temporary, path)  # fails if another process made the key first: then use theirs
            except FileExistsError:
                pass
            finally:
                os.unlink(temporary)
            key = _read_private(path)
        if key is None or len(key) != KEY_BYTES:
            raise ModuleError("token_cache %s has a damaged key file %s; remove the directory" % (self.directory, KEY_FILE))
        return key

    def path(self, conn):
        """The file of ``conn``'s credentials: every auth setting and the auth type, hashed under the key."""
        identity = json.dumps(dict(auth_type=conn.config.config.get("auth_type"), auth=conn.config.get_auth_args()),
                              sort_keys=True, default=str)
        return os.path.join(self.directory, hmac.new(self.key, identity.encode("utf-8"), hashlib.sha256).hexdigest())

    def attach(self, conn):
        """Give ``conn`` the token stored for its credentials, if any, and store each token it gets from now on.

        keystoneauth replaces a token that is about to expire, or that a service refused (401), inside
        ``get_access``; watching it there keeps the file current for the run's next calls.
        """
        path = self.path(conn)
        auth = conn.session.auth
        data = _read_private(path)
        if data is not None:
            try:
                auth.set_auth_state(data.decode("utf-8"))
            except (ValueError, KeyError, TypeError):
                auth.set_auth_state(None)  # a damaged file: authenticate afresh, and replace it
        stored = [auth.auth_ref]
        get_access = auth.get_access

        def get_access_and_store(session, **kwargs):
            access = get_access(session, **kwargs)
            if auth.auth_ref is not stored[0]:
                stored[0] = auth.auth_ref
                os.replace(_private_file(self.directory, auth.get_auth_state().encode("utf-8")), path)
            return access

        auth.get_access = get_access_and_store
