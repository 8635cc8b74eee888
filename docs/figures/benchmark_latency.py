"""P@1 against batch-1 inference latency, from ``benchmarks/results/comparison.json``.

Run by the documentation build (``{plot}`` directive in ``benchmarks.md``), like the
paper's Figure 1. Rows without a measured latency or P@1 (a peer that could not be timed,
a partial run) are not drawn; a note under the plot names them.
"""

from __future__ import annotations

import json
import math
import sys
import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

RESULTS = Path(sys.argv[0]).resolve().parents[2] / "benchmarks" / "results" / "comparison.json"


def measured(row: dict, key: str) -> float | None:
    """The row's value for ``key`` as a positive finite float, or None."""
    value = row.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) and value > 0 else None


def draw(rows: list[dict]) -> plt.Figure:
    datasets = sorted({row["dataset"] for row in rows})
    methods = sorted({row["method"] for row in rows}, key=lambda m: (m.startswith("skxml"), m))
    colours = dict(zip(methods, plt.get_cmap("tab10").colors, strict=False))
    # One panel per dataset, stacked, with the legend on the right: legible at the width of
    # the documentation's text column.
    fig, axes = plt.subplots(len(datasets), 1, figsize=(7, 0.6 + 3 * len(datasets)), squeeze=False)
    left_out = []
    for ax, dataset in zip(axes[:, 0], datasets, strict=True):
        for row in (row for row in rows if row["dataset"] == dataset):
            latency, p_at_1 = measured(row, "latency_ms"), measured(row, "P@1")
            if latency is None or p_at_1 is None:
                left_out.append(f"{dataset} / {row['method']}")
                continue
            ours = row["method"].startswith("skxml")
            ax.scatter(
                latency,
                p_at_1,
                s=110 if ours else 45,
                marker="*" if ours else "o",
                color=colours[row["method"]],
                edgecolor="black",
                linewidth=0.5,
                zorder=3,
                label=row["method"],
            )
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set(
            xlabel="inference latency, batch 1 (ms, log scale)", ylabel="P@1 (%)", title=dataset
        )
        ax.grid(True, which="major", alpha=0.3)
        ax.margins(x=0.25, y=0.15)
    handles = {}
    for ax in axes[:, 0]:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(label, handle)
    ordered = [method for method in methods if method in handles]
    fig.legend(
        [handles[method] for method in ordered],
        ordered,
        loc="center right",
        fontsize=9,
        frameon=False,
    )
    note = ""
    if left_out:
        note = textwrap.fill(
            "not drawn (no latency or P@1 measured): " + ", ".join(left_out), width=100
        )
        fig.text(0.01, 0.005, note, fontsize=8, color="#555555", va="bottom")
    bottom = 0.025 * (note.count("\n") + 1) + 0.01 if note else 0
    fig.tight_layout(rect=(0, bottom, 0.7, 1))
    return fig


draw(json.loads(RESULTS.read_text(encoding="utf-8"))["rows"])
plt.show()
