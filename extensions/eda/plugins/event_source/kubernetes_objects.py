# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""An ansible-rulebook event source: the objects of one Kubernetes kind, as they change.

The source lists the kind, then watches it from the list's resourceVersion.  A dropped watch is
resumed from the last version seen; a ``410 Gone`` (the version is too old) lists again, and
compares the list with what the source has emitted, so no change is lost and none is emitted twice.
Reconnects are bounded: after ``max_reconnects`` failures in a row the source fails, and the
rulebook with it.  Every ``resync_seconds`` each object is emitted again (type ``RESYNC``), so work
that failed or an event the rules missed is made good.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: kubernetes_objects
short_description: The objects of one Kubernetes kind, as they are created, changed and deleted
description:
  - Lists the objects of O(api_version)/O(kind) (in O(namespace), or every namespace), emits each, then watches
    the kind and emits every change. A dropped watch resumes where it stopped; when the server has forgotten that
    point (C(410 Gone)) the source lists again and emits only what changed meanwhile, deletions included.
  - Each event is a dict with C(type) (V(ADDED), V(MODIFIED), V(DELETED), or V(RESYNC) for the periodic replay),
    C(kind), C(api_version), C(namespace), C(name), C(uid), C(resource_version) and C(resource), the object as the
    server gave it.
  - The connection comes from O(kubeconfig) and O(context), else the environment (C(KUBECONFIG)), else the
    service account of the pod it runs in.
options:
  api_version:
    description: The group and version, for example V(caas.azimuth.stackhpc.com/v1alpha1), or V(v1) for core kinds.
    type: str
    required: true
  kind:
    description: The kind, for example V(Cluster).
    type: str
    required: true
  plural:
    description: The resource name in URLs; defaults to O(kind) in lower case with an C(s).
    type: str
  namespace:
    description: Watch only this namespace; by default every namespace.
    type: str
  label_selector:
    description: Watch only the objects with these labels (a Kubernetes label selector).
    type: str
  kubeconfig:
    description: The kubeconfig file.
    type: str
  context:
    description: The kubeconfig context.
    type: str
  status_changes:
    description:
      - Whether a change to an object's status alone (its C(metadata.generation) and C(deletionTimestamp) as they were)
        is an event. Set V(false) for rules that answer only what the spec asks, so that the status the rules' own
        runs write does not start another run each time.
    type: bool
    default: true
  resync_seconds:
    description: Emit every object again this often (type V(RESYNC)); V(0) never.
    type: int
    default: 300
  watch_seconds:
    description: The server ends each watch after this long; the source then watches again from where it was.
    type: int
    default: 300
  max_reconnects:
    description: Failed connections in a row before the source gives up (and the rulebook stops with an error).
    type: int
    default: 10
  reconnect_delay:
    description: Seconds before the first reconnect; each further one waits twice as long, up to a minute.
    type: float
    default: 1
"""

EXAMPLES = r"""
- name: Answer the portal's CaaS clusters
  hosts: all
  sources:
    - azimuth.ops.kubernetes_objects:
        api_version: caas.azimuth.stackhpc.com/v1alpha1
        kind: Cluster
        resync_seconds: 600
  rules:
    - name: Print each change
      condition: event.type is defined
      action:
        debug:
          msg: "{{ event.type }} {{ event.namespace }}/{{ event.name }}"
"""

import asyncio
import json
import os
import ssl

try:
    import aiohttp
    from kubernetes import client as kube_client
    from kubernetes import config as kube_config
except ImportError:  # pragma: no cover - reported when the source starts
    aiohttp = kube_client = kube_config = None

MAX_DELAY = 60


class SourceError(Exception):
    """The source cannot go on (bad arguments, or the server unreachable too often)."""


class Gone(Exception):
    """The server no longer has the resourceVersion the watch asked for (HTTP 410)."""


class Unavailable(Exception):
    """The server did not answer, or answered that it cannot now (429, 5xx): connect again later."""


async def _check(response, what):
    """Raise for a response that is not 200: ``Gone``, ``Unavailable``, or ``SourceError`` (a refusal)."""
    if response.status == 200:
        return
    text = (await response.text())[:300]
    if response.status == 410:
        raise Gone()
    if response.status == 429 or response.status >= 500:
        raise Unavailable("%s: HTTP %s %s" % (what, response.status, text))
    raise SourceError("%s failed: HTTP %s %s" % (what, response.status, text))


def _key(obj):
    metadata = obj["metadata"]
    return metadata.get("namespace"), metadata["name"]


def _spec_version(obj):
    """What changes with the object's spec or its deletion, not with its status."""
    metadata = obj["metadata"]
    return metadata.get("generation"), bool(metadata.get("deletionTimestamp"))


class Tracker:
    """What the source has emitted, per object: so a relist emits only what changed, and a watch event
    that repeats what was emitted (after a resume) is dropped."""

    def __init__(self, kind, api_version, status_changes=True):
        self.kind, self.api_version, self.status_changes = kind, api_version, status_changes
        self.objects = {}

    def event(self, kind, obj):
        metadata = obj["metadata"]
        return {"type": kind, "kind": self.kind, "api_version": self.api_version, "namespace": metadata.get("namespace"),
                "name": metadata["name"], "uid": metadata.get("uid"), "resource_version": metadata.get("resourceVersion"),
                "resource": obj}

    def relist(self, items):
        """The events that bring what was emitted up to ``items`` (a full list)."""
        events, listed = [], set()
        for obj in items:
            key = _key(obj)
            listed.add(key)
            event = self.apply("ADDED", obj)
            if event is not None:
                events.append(event)
        for key in sorted(set(self.objects) - listed, key=str):
            events.append(self.event("DELETED", self.objects.pop(key)))
        return events

    def apply(self, kind, obj):
        """The event for a change (None when it repeats what was emitted)."""
        key, metadata = _key(obj), obj["metadata"]
        known = self.objects.get(key)
        if kind == "DELETED":
            if known is None:
                return None
            del self.objects[key]
            return self.event("DELETED", obj)
        if known is not None and known["metadata"].get("uid") != metadata.get("uid"):
            # deleted and made again while the source was away: both happened
            self.objects[key] = obj
            return self.event("ADDED", obj)
        if known is not None and known["metadata"].get("resourceVersion") == metadata.get("resourceVersion"):
            return None
        if known is not None and not self.status_changes and _spec_version(known) == _spec_version(obj):
            self.objects[key] = obj  # its status alone changed: kept for the resync, not emitted
            return None
        self.objects[key] = obj
        return self.event("ADDED" if known is None else "MODIFIED", obj)

    def resync(self):
        return [self.event("RESYNC", obj) for _key_, obj in sorted(self.objects.items(), key=lambda item: str(item[0]))]


def _flag(value):
    """A boolean argument, also when a rulebook's template gave it as text."""
    return value if isinstance(value, bool) else str(value).strip().lower() in ("1", "true", "yes", "on")


def _connection(args):
    """(base URL, a function giving the auth headers of a request, SSL context) from a kubeconfig or the
    pod's service account."""
    if kube_config is None:
        raise SourceError("azimuth.ops.kubernetes_objects needs the Python libraries kubernetes and aiohttp")
    configuration = kube_client.Configuration()
    kubeconfig = args.get("kubeconfig") or os.environ.get("KUBECONFIG")
    try:
        if kubeconfig or not os.environ.get("KUBERNETES_SERVICE_HOST"):
            kube_config.load_kube_config(config_file=kubeconfig, context=args.get("context"), client_configuration=configuration)
        else:
            kube_config.load_incluster_config(client_configuration=configuration)
    except Exception as exc:  # pylint: disable=broad-exception-caught  # the loaders raise several kinds
        raise SourceError("could not load the Kubernetes configuration: %s" % exc)

    def auth():
        # a pod's token rotates, and so may an exec plugin's: the client's hook fetches the current one
        if configuration.refresh_api_key_hook:
            configuration.refresh_api_key_hook(configuration)
        token = configuration.get_api_key_with_prefix("BearerToken") or configuration.get_api_key_with_prefix("authorization")
        return {"Authorization": token} if token else {}

    context = ssl.create_default_context(cafile=configuration.ssl_ca_cert) if configuration.ssl_ca_cert else ssl.create_default_context()
    if not configuration.verify_ssl:
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    if configuration.cert_file:
        context.load_cert_chain(configuration.cert_file, configuration.key_file)
    return configuration.host.rstrip("/"), auth, context


def _path(args):
    api_version, kind = args.get("api_version"), args.get("kind")
    if not api_version or not kind:
        raise SourceError("azimuth.ops.kubernetes_objects needs api_version and kind")
    plural = args.get("plural") or kind.lower() + "s"
    base = "/api/v1" if api_version == "v1" else "/apis/" + api_version
    namespace = args.get("namespace")
    return "%s/namespaces/%s/%s" % (base, namespace, plural) if namespace else "%s/%s" % (base, plural)


class Source:
    """One kind's list, watch and resync, putting events on ``queue``."""

    def __init__(self, queue, args, session, url, auth=dict):
        self.queue, self.args, self.session, self.url, self.auth = queue, args, session, url, auth
        self.tracker = Tracker(args["kind"], args["api_version"], _flag(args.get("status_changes", True)))
        self.version = None

    def _params(self, **extra):
        params = dict(extra)
        if self.args.get("label_selector"):
            params["labelSelector"] = self.args["label_selector"]
        return params

    async def _emit(self, events):
        for event in events:
            await self.queue.put(event)

    async def relist(self):
        async with self.session.get(self.url, params=self._params(), headers=self.auth()) as response:
            await _check(response, "listing " + self.url)
            body = await response.json()
        self.version = body["metadata"]["resourceVersion"]
        await self._emit(self.tracker.relist(body.get("items") or []))

    async def watch(self):
        """Watch from ``self.version`` until the server ends the watch; ``Gone`` when it forgot the version."""
        params = self._params(watch="true", resourceVersion=self.version, allowWatchBookmarks="true",
                              timeoutSeconds=str(self.args.get("watch_seconds", 300)))
        timeout = aiohttp.ClientTimeout(total=None, sock_read=int(self.args.get("watch_seconds", 300)) + 30)
        async with self.session.get(self.url, params=params, headers=self.auth(), timeout=timeout) as response:
            await _check(response, "watching " + self.url)
            async for line in response.content:
                if line.strip():
                    await self._watch_event(json.loads(line))

    async def _watch_event(self, event):
        kind, obj = event.get("type"), event.get("object") or {}
        if kind == "ERROR":
            if obj.get("code") == 410:
                raise Gone()
            raise Unavailable("the watch ended with %s" % obj.get("message"))
        self.version = obj["metadata"]["resourceVersion"]
        if kind != "BOOKMARK":
            await self._emit([e for e in [self.tracker.apply(kind, obj)] if e is not None])

    async def run(self):
        failures, delay = 0, float(self.args.get("reconnect_delay", 1))
        while True:
            try:
                if self.version is None:
                    await self.relist()
                await self.watch()
                failures = 0
            except Gone:
                self.version = None
            except (Unavailable, aiohttp.ClientError, asyncio.TimeoutError, ConnectionError) as exc:
                failures += 1
                if failures > int(self.args.get("max_reconnects", 10)):
                    raise SourceError("gave up on %s after %d failed connections in a row: %s" % (self.url, failures, exc))
                await asyncio.sleep(min(MAX_DELAY, delay * 2 ** (failures - 1)))

    async def resync(self):
        seconds = int(self.args.get("resync_seconds", 300))
        while seconds > 0:
            await asyncio.sleep(seconds)
            await self._emit(self.tracker.resync())


async def main(queue, args):
    """The entry point ansible-rulebook calls."""
    path = _path(args)
    host, auth, context = _connection(args)
    headers = {"Accept": "application/json"}
    async with aiohttp.ClientSession(headers=headers, connector=aiohttp.TCPConnector(ssl=context)) as session:
        source = Source(queue, args, session, host + path, auth)
        resync = asyncio.ensure_future(source.resync())
        try:
            await source.run()
        finally:
            resync.cancel()
