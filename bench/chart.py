"""The suite's chart: time of the first and no-op runs against N, ours and stock, one panel per capability.

Run by bench/suite.py with bench/.venv-stock/bin/python (matplotlib): chart.py suite.json suite.png
"""

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(data_file, image_file):
    results = json.loads(open(data_file, encoding="utf-8").read())
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
