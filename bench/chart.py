"""The suite's chart: time of the first and no-op runs against N, ours and stock, one panel per capability.

Run by bench/suite.py with bench/.venv-stock/bin/python (matplotlib): chart.py suite.json suite.png
The provisioning run's figures (``provision.json`` beside ``suite.json``, from bench/provision.py) get
a panel of their own for each of our side's connections.
"""

import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def provision_cases(path):
    """bench/provision.py's figures as the suite's cases: one per connection of our side, with the stock loop."""
    if not os.path.exists(path):
        return {}
    runs = json.loads(open(path, encoding="utf-8").read()).get("runs", {})
    cases = {}
    for key, rows in sorted(runs.items()):
        side, connection = key.split("/")
        if side == "ours":
            cases["provisioning run (%s clouds)" % connection if connection == "own" else "provisioning run (operator connection)"] = {
                "ours": rows, "stock": runs.get("stock/own", {})}
    return cases


def main(data_file, image_file):
    results = json.loads(open(data_file, encoding="utf-8").read())
    results.update(provision_cases(os.path.join(os.path.dirname(os.path.abspath(data_file)), "provision.json")))
    figure, axes = plt.subplots(1, len(results), figsize=(5.5 * len(results), 4.2), squeeze=False)
    for axis, (name, case) in zip(axes[0], results.items()):
        for side, colour in (("ours", "tab:blue"), ("stock", "tab:red")):
            sizes = sorted(case.get(side, {}), key=int)
            for phase, style in (("first", "-"), ("no-op", "--")):
                axis.plot([int(n) for n in sizes], [case[side][n][phase]["seconds"] for n in sizes], style, marker="o",
                          color=colour, label="%s, %s run" % (side, phase))
        axis.set_title(name)
        axis.set_xlabel("N (tenancies or projects)")
        axis.set_ylabel("seconds (whole ansible-playbook run)")
        axis.grid(True, alpha=0.3)
        axis.legend(fontsize="small")
    figure.suptitle("azimuth.ops against the stock modules in a loop")
    figure.tight_layout()
    figure.savefig(image_file, dpi=110)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
