# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What an OpenTofu configuration needs from ``init``, read from its files without the engine.

``init`` prepares a working directory for a backend, the required providers (recorded in the
dependency lock file) and the modules.  ``init_fingerprint()`` digests exactly those inputs, so
that ``init`` runs again only when one of them changes.  The top-level blocks of ``*.tf`` files
are found with a small scanner that knows strings (with interpolations), heredocs and comments;
``*.tf.json`` files are read as JSON.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import hashlib
import json
import os
import re

LOCK_FILE = ".terraform.lock.hcl"
_HEADER = re.compile(r'([A-Za-z_][\w-]*)((?:[ \t]+(?:"[^"\n]*"|[A-Za-z_][\w-]*))*)[ \t]*\{')
_LABEL = re.compile(r'"([^"\n]*)"|([A-Za-z_][\w-]*)')
_HEREDOC = re.compile(r"<<-?([A-Za-z_][\w-]*)[ \t]*\n")
_MODULE_SOURCE = re.compile(r"^[ \t]*(source|version)[ \t]*=[ \t]*(.+?)[ \t]*$", re.M)
_PROVIDER_META = re.compile(r"^[ \t]*provider[ \t]*=[ \t]*([A-Za-z_][\w-]*)", re.M)


def _string_end(text, index):
    """The index after the string that opens at ``text[index]`` (``"``); interpolations may nest strings."""
    index += 1
    depth = 0
    while index < len(text):
        if text[index] == "\\":
            index += 2
            continue
        if text.startswith("${", index) or text.startswith("%{", index):
            depth += 1
            index += 2
            continue
        char = text[index]
        if depth and char == '"':
            index = _string_end(text, index)
            continue
        if depth and char == "}":
            depth -= 1
        elif char == '"' or (char == "\n" and not depth):
            return index + 1
        index += 1
    return index


def _skip(text, index):
    """The index after a string, comment or heredoc starting at ``index``, or None when none starts there."""
    if text[index] == '"':
        return _string_end(text, index)
    if text[index] == "#" or text.startswith("//", index):
        end = text.find("\n", index)
        return len(text) if end < 0 else end + 1
    if text.startswith("/*", index):
        end = text.find("*/", index + 2)
        return len(text) if end < 0 else end + 2
    heredoc = _HEREDOC.match(text, index)
    if heredoc:
        end = re.compile(r"^[ \t]*%s[ \t]*$" % re.escape(heredoc.group(1)), re.M).search(text, heredoc.end())
        return len(text) if end is None else end.end()
    return None


def _block_end(text, index):
    """The index after the block whose ``{`` is at ``text[index]``."""
    depth = 0
    while index < len(text):
        skipped = _skip(text, index)
        if skipped is not None:
            index = skipped
            continue
        if text[index] == "{":
            depth += 1
        elif text[index] == "}":
            depth -= 1
            if depth == 0:
                return index + 1
        index += 1
    return index


def blocks(text):
    """The top-level blocks of an HCL file: a list of (type, labels, body text)."""
    found = []
    index = 0
    while index < len(text):
        if text[index].isspace():
            index += 1
            continue
        skipped = _skip(text, index)
        if skipped is not None:
            index = skipped
            continue
        header = _HEADER.match(text, index)
        if header is None:
            end = text.find("\n", index)
            index = len(text) if end < 0 else end + 1
            continue
        end = _block_end(text, header.end() - 1)
        labels = [quoted or bare for quoted, bare in _LABEL.findall(header.group(2))]
        found.append((header.group(1), labels, text[header.end():end - 1]))
        index = end
    return found


def _provider_of(resource_type, body):
    meta = _PROVIDER_META.search(body)
    return meta.group(1) if meta else resource_type.split("_", 1)[0]


def _hcl_requirements(text):
    found = set()
    for kind, labels, body in blocks(text):
        if kind == "terraform":
            found.add("terraform " + " ".join(body.split()))
        elif kind == "module" and labels:
            found.add("module %s %s" % (labels[0], sorted(_MODULE_SOURCE.findall(body))))
        elif kind == "provider" and labels:
            found.add("provider " + labels[0])
        elif kind in ("resource", "data") and labels:
            found.add("provider " + _provider_of(labels[0], body))
    return found


def _json_requirements(text):
    try:
        document = json.loads(text)
    except ValueError:
        return {"unreadable " + hashlib.sha256(text.encode("utf-8")).hexdigest()}
    if not isinstance(document, dict):
        return set()
    found = set()
    if "terraform" in document:
        found.add("terraform " + json.dumps(document["terraform"], sort_keys=True))
    for name, module in (document.get("module") or {}).items():
        module = module if isinstance(module, dict) else {}
        found.add("module %s %s" % (name, json.dumps([module.get("source"), module.get("version")])))
    for name in document.get("provider") or {}:
        found.add("provider " + name)
    for kind in ("resource", "data"):
        for resource_type, resources in (document.get(kind) or {}).items():
            explicit = [r.get("provider") for r in (resources or {}).values() if isinstance(r, dict) and r.get("provider")]
            for provider in explicit or [resource_type.split("_", 1)[0]]:
                found.add("provider " + provider.split(".")[0])
    return found


def config_files(project_path):
    """The configuration's files (``*.tf``, ``*.tf.json``; overrides included), sorted."""
    return sorted(glob.glob(os.path.join(project_path, "*.tf")) + glob.glob(os.path.join(project_path, "*.tf.json")))


def _read(path):
    with open(path, "r") as handle:
        return handle.read()


def requirements(project_path):
    """What ``init`` prepares the configuration for: the ``terraform`` blocks (backend, required
    providers), module sources and versions, and the providers used, as a sorted list of strings."""
    found = set()
    for path in config_files(project_path):
        text = _read(path)
        found |= _json_requirements(text) if path.endswith(".json") else _hcl_requirements(text)
    return sorted(found)


def declared_variables(project_path):
    """The names of the root module's variables."""
    names = set()
    for path in config_files(project_path):
        text = _read(path)
        if path.endswith(".json"):
            try:
                names |= set((json.loads(text) or {}).get("variable") or {})
            except (ValueError, AttributeError):
                continue
        else:
            names |= set(labels[0] for kind, labels, _body in blocks(text) if kind == "variable" and labels)
    return names


_BACKEND = re.compile(r'(?:^|\n)[ \t]*backend[ \t]+"([^"\n]+)"')


def backend_type(project_path):
    """The backend the configuration declares (``local`` when it declares none)."""
    for path in config_files(project_path):
        text = _read(path)
        if path.endswith(".json"):
            try:
                for block in _as_list((json.loads(text) or {}).get("terraform")):
                    for name in (block.get("backend") or {}) if isinstance(block, dict) else ():
                        return name
            except (ValueError, AttributeError):
                continue
        for kind, _labels, body in blocks(text):
            match = _BACKEND.search(body) if kind == "terraform" else None
            if match:
                return match.group(1)
    return "local"


def _as_list(value):
    return value if isinstance(value, list) else [value] if value else []


def init_fingerprint(project_path, backend_config, backend_config_files, workspace, binary, plugin_paths=None):
    """A digest of everything that, changed, needs ``init`` again."""
    lock_path = os.path.join(project_path, LOCK_FILE)
    facts = dict(
        requirements=requirements(project_path),
        lock_file=_read(lock_path) if os.path.exists(lock_path) else None,
        backend_config=backend_config or {},
        backend_config_files=[(path, _read(path)) for path in backend_config_files or []],
        workspace=workspace,
        binary=binary,
    )
    if plugin_paths:
        facts["plugin_paths"] = list(plugin_paths)
    return hashlib.sha256(json.dumps(facts, sort_keys=True, default=str).encode("utf-8")).hexdigest()
