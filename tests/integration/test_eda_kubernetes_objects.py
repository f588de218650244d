"""The event source azimuth.ops.kubernetes_objects against the real kube-apiserver, through the test's proxy
(faults: a 410 Gone, an unavailable server).  No change is lost or emitted twice."""

import asyncio

import pytest

from ansible_collections.azimuth.ops.extensions.eda.plugins.event_source import kubernetes_objects as source


@pytest.fixture
def namespace(kube_core, kube_requests, unique_name):
    """The test's namespace (deleted afterwards by ``kube_requests``)."""
    name = "az-%s-eda" % unique_name
    kube_core.create_namespace({"metadata": {"name": name}})
    return name


def args(kube_env, namespace, **extra):
    return dict({"api_version": "v1", "kind": "ConfigMap", "namespace": namespace, "kubeconfig": kube_env["KUBECONFIG"],
                 "label_selector": "test=eda", "watch_seconds": 1, "reconnect_delay": 0.2}, **extra)


def config_map(kube_core, namespace, name, value="1"):
    kube_core.create_namespaced_config_map(namespace, {"metadata": {"name": name, "labels": {"test": "eda"}}, "data": {"v": value}})


def drain(queue):
    events = []
    while not queue.empty():
        events.append(queue.get_nowait())
    return [(e["type"], e["name"]) for e in events]


async def next_events(queue, count, seconds=20):
    events = []
    for _i in range(count):
        event = await asyncio.wait_for(queue.get(), seconds)
        events.append((event["type"], event["name"]))
    return events


def with_source(kube_env, namespace, test, **extra):
    """Run ``test(queue, source)`` with a ``Source`` on a real session (its steps driven by the test)."""
    async def run():
        queue = asyncio.Queue()
        options = args(kube_env, namespace, **extra)
        host, auth, context = source._connection(options)  # pylint: disable=protected-access
        async with source.aiohttp.ClientSession(connector=source.aiohttp.TCPConnector(ssl=context)) as session:
            await test(queue, source.Source(queue, options, session, host + source._path(options), auth))  # pylint: disable=protected-access
    asyncio.run(run())


def test_a_410_lists_again_and_emits_only_what_changed_meanwhile(kube_env, kube_core, kube_requests, namespace):
    config_map(kube_core, namespace, "kept")
    config_map(kube_core, namespace, "changed")
    config_map(kube_core, namespace, "deleted")

    async def test(queue, watcher):
        await watcher.relist()
        assert sorted(drain(queue)) == [("ADDED", "changed"), ("ADDED", "deleted"), ("ADDED", "kept")]
        # while the source is away: one change of each kind, and a label that moves one out of the selector
        kube_core.patch_namespaced_config_map("changed", namespace, {"data": {"v": "2"}})
        kube_core.delete_namespaced_config_map("deleted", namespace)
        config_map(kube_core, namespace, "added")
        kube_requests.inject_fault(1, status=410, method="GET", path_regex="/configmaps$")
        with pytest.raises(source.Gone):
            await watcher.watch()
        await watcher.relist()
        assert sorted(drain(queue)) == [("ADDED", "added"), ("DELETED", "deleted"), ("MODIFIED", "changed")]
        # a resumed watch from the list's version repeats nothing
        await watcher.watch()
        assert drain(queue) == []
        kube_core.patch_namespaced_config_map("kept", namespace, {"data": {"v": "3"}})
        await watcher.watch()
        assert drain(queue) == [("MODIFIED", "kept")]
        assert [e["name"] for e in watcher.tracker.resync()] == ["added", "changed", "kept"]

    with_source(kube_env, namespace, test)


def test_a_dropped_watch_resumes_and_reconnects_are_bounded(kube_env, kube_core, kube_requests, namespace):
    async def test(queue, watcher):
        task = asyncio.ensure_future(watcher.run())
        config_map(kube_core, namespace, "one")
        assert await next_events(queue, 1) == [("ADDED", "one")]
        # the server is unavailable for two attempts (max_reconnects): the source waits and resumes where it was
        kube_requests.inject_fault(2, status=503, method="GET", path_regex="/configmaps$")
        kube_core.patch_namespaced_config_map("one", namespace, {"data": {"v": "2"}})
        kube_core.delete_namespaced_config_map("one", namespace)
        assert await next_events(queue, 2) == [("MODIFIED", "one"), ("DELETED", "one")]
        await asyncio.sleep(1.5)
        assert drain(queue) == [] and not task.done()
        # more failures in a row than allowed: the source gives up, naming why
        kube_requests.inject_fault(10, status=503, method="GET", path_regex="/configmaps$")
        with pytest.raises(source.SourceError, match="gave up .* after 3 failed connections in a row: .*HTTP 503"):
            await asyncio.wait_for(task, 30)

    with_source(kube_env, namespace, test, max_reconnects=2)


def test_main_emits_each_change_and_resyncs(kube_env, kube_core, namespace):
    async def run():
        queue = asyncio.Queue()
        task = asyncio.ensure_future(source.main(queue, args(kube_env, namespace, resync_seconds=2, watch_seconds=30)))
        config_map(kube_core, namespace, "one")
        first = await asyncio.wait_for(queue.get(), 20)
        assert first["type"] == "ADDED" and first["kind"] == "ConfigMap" and first["namespace"] == namespace
        assert first["resource"]["data"] == {"v": "1"} and first["uid"] == first["resource"]["metadata"]["uid"]
        resync = await asyncio.wait_for(queue.get(), 20)
        assert (resync["type"], resync["name"]) == ("RESYNC", "one")
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(run())


def test_bad_arguments_are_named():
    with pytest.raises(source.SourceError, match="needs api_version and kind"):
        asyncio.run(source.main(asyncio.Queue(), {"kind": "Cluster"}))
