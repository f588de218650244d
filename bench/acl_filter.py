"""ACL decisions per second: 10,000 platform types against one tenancy.

Run: .venv/bin/python bench/acl_filter.py [--objects N] [--repeat R]

Prints decisions per second for the acl_filter filter (the plugin function Ansible calls) on
several mixes of annotations, and, in the same run, the ratio to an unguarded baseline that
calls re.search directly with no time bound, so the cost of the bound shows as a ratio that
does not depend on the machine's speed.
"""

import argparse
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import conftest  # noqa: E402,F401  (links the checkout as ansible_collections.azimuth.ops)

from ansible_collections.azimuth.ops.plugins.filter.acl import FilterModule  # noqa: E402
from ansible_collections.azimuth.ops.plugins.module_utils.common import _acl  # noqa: E402

TENANCY = {"id": "6b2f0c1e9a7d4f0e8c3b5a1d2e4f6a7b", "name": "physics-lab"}
PREFIX = "acl.azimuth.stackhpc.com/"


def platform_types(count, mix):
    """``count`` ClusterTemplates whose annotations follow ``mix``."""
    objects = []
    for index in range(count):
        annotations = MIXES[mix](index)
        objects.append({"kind": "ClusterTemplate", "metadata": {"name": "tpl-%d" % index, "annotations": annotations}})
    return objects


MIXES = {
    "none": lambda i: {},
    "lists": lambda i: {PREFIX + "allow-list": ",".join("id-%d" % n for n in range(i % 20)) + "," + TENANCY["id"]},
    "shared-regex": lambda i: {PREFIX + "deny-regex": "-test$", PREFIX + "allow-regex": "^phys"},
    "distinct-regex": lambda i: {PREFIX + "allow-regex": "^phys.*%d?" % i},
    "mixed": lambda i: [MIXES["none"], MIXES["lists"], MIXES["shared-regex"], MIXES["distinct-regex"]][i % 4](i),
}


def timed(function, repeat):
    """Best wall time of ``repeat`` calls."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - started)
    return best


class UnboundedEvaluator(_acl.Evaluator):
    """The same rules, with re.search and no time bound: the baseline."""

    def _search(self, obj, acl, key, name):
        return self.compile(acl[key]).search(name) is not None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    acl_filter = FilterModule().filters()["acl_filter"]
    print("%d platform types, 1 tenancy, best of %d; decisions per second" % (args.objects, args.repeat))
    print("%-15s %12s %12s %14s %16s" % ("mix", "first call", "later calls", "no-bound base", "first/no-bound"))
    for mix in MIXES:
        objects = platform_types(args.objects, mix)
        assert UnboundedEvaluator().filter(objects, TENANCY) == acl_filter(objects, TENANCY)
        # first call: a fresh evaluator, so compiling each regex is counted, as in a new task;
        # later calls: the filter plugin's evaluator, whose compiled regexes are warm.
        first = timed(lambda: _acl.Evaluator().filter(objects, TENANCY), args.repeat)
        later = timed(lambda: acl_filter(objects, TENANCY), args.repeat)
        baseline = timed(lambda: UnboundedEvaluator().filter(objects, TENANCY), args.repeat)
        print("%-15s %12.0f %12.0f %14.0f %16.2f" % (
            mix, args.objects / first, args.objects / later, args.objects / baseline, baseline / first))


if __name__ == "__main__":
    main()
