"""The local sandbox: the services azimuth.ops is tested, demonstrated and benchmarked against.

Run ``python -m sandbox up|down|status|env`` from the repository root.
"""
