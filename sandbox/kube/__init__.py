"""The sandbox's Kubernetes: the real kube-apiserver (see :mod:`sandbox.kube.service`)."""
