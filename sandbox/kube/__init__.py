"""A strict, in-memory Kubernetes API server emulator for the sandbox.

Run it with ``python -m sandbox.kube --state-dir DIR [--port 6443]``; :class:`KubeService`
in :mod:`sandbox.kube.service` does that for the sandbox CLI.
"""
